"""The fixtures of the service-task retry tests: the register `flaky` calls, and units of work
with a runtime that knows it."""
from __future__ import annotations

import pytest

from polku.engine.services import RetryPolicy
from polku.wiring import build_runtime
from tests.conftest import deployed_units
from tests.integration.retries.support import PATHS, Register, flaky


@pytest.fixture
def register():
    return Register()


@pytest.fixture
def uow(db_engine, register, make_user):
    """Units of work with a runtime that knows `flaky` (the default policy: 3 retries from 30 s)."""
    runtime = build_runtime()
    runtime.handlers.register("flaky", flaky(register))
    assert runtime.handlers.retry_policy == RetryPolicy(3, 30, 3600)
    return deployed_units(db_engine, make_user, runtime, PATHS)


