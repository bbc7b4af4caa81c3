"""Fixtures of the unit tests (no database)."""
import pytest

from polku.engine.bundle import compile_bundle, read_bundle
from polku.engine.forms import default_field_types
from polku.engine.runtime import Runtime
from polku.engine.sandbox import SandboxedScriptEngine
from polku.engine.script_functions import standard_functions
from polku.engine.services import ServiceRegistry
from tests.unit.process_package import CUSTOM_TYPES, PROCESSES, used_topics


@pytest.fixture
def types():
    """A fresh field-type registry holding only the built-in types."""
    return default_field_types()


# --- the process package, on a stub runtime (no database) ---------------------------------

@pytest.fixture(scope="module")
def script_engine():
    return SandboxedScriptEngine(functions=standard_functions())


@pytest.fixture(scope="module")
def stub_runtime(script_engine):
    handlers = ServiceRegistry()
    for topic in sorted(used_topics()):
        handlers.register(topic, lambda call: {})
    types = default_field_types()
    for name in sorted(CUSTOM_TYPES):
        types.register(name, lambda raw: raw)
    return Runtime(script_engine=script_engine, handlers=handlers, field_types=types)


@pytest.fixture(scope="module")
def compiled(stub_runtime):
    return {c.key: c for c in compile_bundle(read_bundle([PROCESSES]), stub_runtime)}

