"""The composition root: builds the runtime with the project's handlers, functions and types.

Nothing here runs at import time; entry points call `build_runtime()` once per process.
"""
from __future__ import annotations

import os
from pathlib import Path

from domain.fieldtypes import register_field_types
from domain.handlers import register_handlers
from domain.references import provider_field_type
from engine.forms import default_field_types
from engine.runtime import Runtime
from engine.sandbox import SandboxedScriptEngine
from engine.script_functions import standard_functions
from engine.services import ServiceRegistry, outbox_handler

DEFAULT_DATABASE_URL = "sqlite:///instance/polku.db"
PROCESSES_DIR = Path(__file__).resolve().parent.parent / "processes"


def database_url(explicit: str | None = None) -> str:
    return explicit or os.environ.get("POLKU_DATABASE_URL") or DEFAULT_DATABASE_URL


def build_runtime() -> Runtime:
    handlers = ServiceRegistry()
    # The customer information system is an integration point: the step writes an outbox row.
    handlers.register("record_outbox", outbox_handler("customer_information_system"))
    register_handlers(handlers)
    field_types = default_field_types()
    register_field_types(field_types)
    field_types.register("provider", provider_field_type())
    return Runtime(
        script_engine=SandboxedScriptEngine(functions=standard_functions()),
        handlers=handlers,
        field_types=field_types,
    )
