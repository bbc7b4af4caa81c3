"""The worker's share of service-task retries: run every due retry (engine.service_retries).

Like timers (engine.worker): due rows are claimed in batches under a lease, so two workers never
run one retry twice (the instance's optimistic lock backs that up), and each runs in a
transaction of its own as the user "system". The step re-runs the waiting service task: it
completes and the instance goes on, or it fails again and the step schedules the next attempt
(or, none left, puts the instance in error). A retry whose run fails unexpectedly puts its
instance in error and never holds back the others.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from uuid import uuid4

from sqlalchemy import Row
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from . import audit, locks, service_retries
from .clock import Clock
from .db import UnitOfWork
from .errors import Conflict
from .incidents import put_in_error
from .persist import advance, load_instance, load_workflow

if TYPE_CHECKING:
    from .runtime import Runtime

_log = logging.getLogger("polku.worker")


def run_due_retries(engine: Engine, runtime: Runtime, clock: Clock, batch: int = 100) -> int:
    """Run every service-task retry due by `clock`, `batch` claimed at a time; how many ran."""
    worker, ran, held = uuid4().hex, 0, list[int]()
    try:
        while True:
            with UnitOfWork(engine, clock, origin="worker") as uow:
                rows = service_retries.claim(uow, worker, batch)
                uow.commit()
            if not rows:
                return ran
            for row in rows:
                if _run_own(engine, runtime, clock, worker, row):
                    ran += 1
                else:
                    held.append(row.instance_id)  # stays ours until the end, so this call takes it no more
    finally:
        _let_go(engine, clock, worker, held)


def _run_own(engine: Engine, runtime: Runtime, clock: Clock, worker: str, row: Row[Any]) -> bool:
    try:
        with UnitOfWork(engine, clock, origin="worker") as uow:
            ran = _run(uow, runtime, worker, row)
            if ran:
                uow.commit()
            return ran
    except Conflict:
        return False  # another command changed the instance meanwhile; the next round sees it afresh
    except OperationalError:
        _log.exception("service retry of instance %s: database error; tried again next round", row.instance_id)
        return False
    except Exception as exc:  # noqa: BLE001  (logged with its traceback; the instance goes to error)
        _log.exception("service retry of instance %s (%s) failed; the instance goes to error",
                       row.instance_id, row.element_id)
        _fail(engine, clock, row, exc)
        return False


def _run(uow: UnitOfWork, runtime: Runtime, worker: str, row: Row[Any]) -> bool:
    locks.instance(uow, row.instance_id)  # before the retry row (engine.locks: one order)
    inst = load_instance(uow, row.instance_id)
    if inst.status != "running" or not service_retries.still_claimed(uow, worker, inst.id):
        return False  # suspended, ended, or its retry run (or dropped) by another step meanwhile
    defn, wf, before = load_workflow(uow, runtime, inst)
    if not service_retries.waiting(wf):  # a stray row: its task ran or went in another step
        service_retries.clear(uow, inst.id)  # dropped, the instance left as it is (no step, no audit)
        uow.commit()
        return False
    after = advance(uow, runtime, inst, defn, wf, before)  # runs the waiting service task again
    audit.record(uow, "system", "service_retry", instance_id=inst.id,
                 details={"element_id": row.element_id, "attempt": row.attempts + 1, "status": after.status})
    return True


def _fail(engine: Engine, clock: Clock, row: Row[Any], exc: BaseException) -> None:
    """The instance in error at the retried element (an incident), its schedule stopped."""
    def record(uow: UnitOfWork, message: str) -> None:
        service_retries.stop(uow, row.instance_id)
        audit.record(uow, "system", "service_retry", instance_id=row.instance_id,
                     details={"element_id": row.element_id, "attempt": row.attempts + 1, "status": "error",
                              "error": message})

    put_in_error(engine, clock, row.instance_id, row.element_id, exc, record)


def _let_go(engine: Engine, clock: Clock, worker: str, held: list[int]) -> None:
    if not held:
        return
    try:
        with UnitOfWork(engine, clock, origin="worker") as uow:
            service_retries.release(uow, worker, held)
            uow.commit()
    except Exception:  # noqa: BLE001  (the leases run out by themselves)
        _log.exception("could not let go of %d claimed service retries; their leases run out", len(held))
