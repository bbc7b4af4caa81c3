"""The worker's periodic jobs (engine.worker.worker_round) and the deadline watch under two workers:
a failing job is logged by name and rolled back while the others run; two workers raising the same
reminder at the same moment raise it once (the unique (task_id, kind) on notices)."""
from __future__ import annotations

import threading
import time

from sqlalchemy import func, select

from polku.domain.deadline_watch import DeadlineWatch
from polku.domain.models import Notice
from polku.engine.clock import FixedClock, parse_instant
from polku.engine.db import UnitOfWork
from polku.engine.models import AuditEvent
from polku.engine.worker import worker_round
from tests.scenarios.conftest import at

REMINDER_DAY = at("2026-01-09")  # a referral of Mon 5 Jan: the start notice is due Tue 13 Jan


def _count(db_engine, model, *where) -> int:
    with db_engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def test_a_failing_job_is_logged_and_rolled_back_and_the_others_still_run(refer, db_engine, runtime, caplog):
    refer(now=at("2026-01-05"))

    def broken(uow, runtime):
        uow.session.add(Notice(instance_id=1, kind="half_done", recipient_role="manager", created_at=uow.now,
                               details={}))
        uow.session.flush()
        raise RuntimeError("broken job")

    jobs = {"broken": broken, "deadline_watch": DeadlineWatch()}
    result = worker_round(db_engine, runtime, FixedClock(parse_instant(REMINDER_DAY)), jobs)
    assert result.jobs == {"deadline_watch": 1}
    assert "periodic job broken failed" in caplog.text and "broken job" in caplog.text
    assert _count(db_engine, Notice, Notice.kind == "half_done") == 0
    assert _count(db_engine, Notice, Notice.kind == "task_due_soon") == 1


def test_two_workers_at_the_same_moment_raise_the_reminder_once(refer, db_engine, runtime):
    """The first worker's transaction is still open when the second starts its round: on SQLite the
    second waits for the write lock, on PostgreSQL its insert waits on the unique index; either way
    it then adds nothing."""
    case = refer(now=at("2026-01-05"))
    clock = FixedClock(parse_instant(REMINDER_DAY))
    second: list = []

    def other_worker():
        try:
            with UnitOfWork(db_engine, clock) as uow:
                second.append(DeadlineWatch()(uow, runtime))
                uow.commit()
        except Exception as exc:  # reported below; a thread must never die silently
            second.append(exc)

    with UnitOfWork(db_engine, clock) as uow:
        first = DeadlineWatch()(uow, runtime)
        thread = threading.Thread(target=other_worker)
        thread.start()
        time.sleep(0.3)  # the other worker is now inside its round, waiting on this one
        uow.commit()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert (first, second) == (1, [0])
    assert _count(db_engine, Notice, Notice.instance_id == case.id, Notice.kind == "task_due_soon") == 1
    assert _count(db_engine, AuditEvent, AuditEvent.action == "raise_notice") == 1
