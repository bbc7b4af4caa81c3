"""The fixtures of the service-task retry tests: the register `flaky` calls, and units of work
with a runtime that knows it."""
from __future__ import annotations

import pytest

from polku.engine import deploy
from polku.engine.bundle import read_bundle
from polku.engine.clock import FixedClock, parse_instant
from polku.engine.db import UnitOfWork
from polku.engine.services import RetryPolicy
from polku.wiring import build_runtime
from tests.conftest import T0
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

    def make(now: str = T0) -> UnitOfWork:
        return UnitOfWork(db_engine, FixedClock(parse_instant(now)))

    make.runtime = runtime
    make_user("designer1", "designer")
    make_user("off1", "official")
    make_user("boss", "manager")
    with make() as u:
        deploy.deploy(u, runtime, "designer1", read_bundle([PATHS]))
        u.commit()
    return make


