"""The retry worker (engine.retry_worker): two workers never run one retry twice, a lease another
worker holds is respected and one lost meanwhile is left to its new holder, other steps of the
instance leave the waiting task to its back-off, and a retry row never outlives its task (a move to
a new version, a stray row). SQLite and, with POLKU_TEST_DATABASE_URL set, PostgreSQL."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, insert, select, update

from polku.engine import migration, service_retries, tasks
from polku.engine.clock import FixedClock, parse_instant
from polku.engine.models import AuditEvent, HumanTask, Instance, ServiceRetry
from polku.engine.retry_worker import run_due_retries
from polku.engine.timer_claims import LEASE
from tests.integration.retries.support import (
    START,
    at,
    deploy_parallel,
    lock_version,
    ready,
    retry_audit,
    retry_row,
    run_retries,
    start,
)
from tests.racing import race


def test_two_workers_never_run_one_retry_twice(db_engine, uow, register):
    register.failures = 12  # each of the 12 instances fails its first attempt
    ids = [start(uow) for _ in range(12)]
    assert register.failures == 0
    clock = FixedClock(parse_instant(at(30)))
    results = list(race([(f"worker-{i}", lambda: run_due_retries(db_engine, uow.runtime, clock, batch=2))
                         for i in range(2)]).values())
    assert all(isinstance(r, int) for r in results) and sum(results) == 12, results
    assert register.calls == 24
    with db_engine.connect() as conn:
        per_instance = dict(conn.execute(select(AuditEvent.instance_id, func.count())
                                         .where(AuditEvent.action == "service_retry")
                                         .group_by(AuditEvent.instance_id)).all())
        assert per_instance == {i: 1 for i in ids}
        assert set(conn.scalars(select(Instance.status).where(Instance.id.in_(ids)))) == {"running"}
        assert conn.execute(select(func.count()).select_from(ServiceRetry)).scalar_one() == 0
    assert all(ready(db_engine, i) == ["after"] for i in ids)


def test_a_lease_held_by_another_worker_is_respected(db_engine, uow, register):
    register.failures = 1
    iid = start(uow)
    with db_engine.begin() as conn:  # a worker that died after claiming it
        conn.execute(update(ServiceRetry).values(claimed_by="dead", claimed_until=START + timedelta(minutes=3)))
    assert run_retries(db_engine, uow, at(60)) == 0
    assert run_retries(db_engine, uow, at(180)) == 1 and retry_row(db_engine, iid) is None


def test_a_step_meanwhile_leaves_the_waiting_task_to_its_back_off(db_engine, uow, register, tmp_path):
    """Completing another task of the instance does not call the failing system early nor use up an attempt."""
    deploy_parallel(uow, tmp_path)
    register.failures = -1
    iid = start(uow, "parallel_call")
    assert register.calls == 1 and ready(db_engine, iid) == ["other"]
    with uow(at(5)) as u:
        task_id = u.session.scalar(select(HumanTask.id).where(HumanTask.instance_id == iid))
        assert tasks.complete(u, uow.runtime, "off1", task_id, {}) == "running"
        u.commit()
    assert register.calls == 1  # the handler was not run by the official's step
    assert retry_row(db_engine, iid)[:2] == (1, START + timedelta(seconds=30))
    register.failures = 0
    assert run_retries(db_engine, uow, at(30)) == 1 and register.calls == 2
    assert ready(db_engine, iid) == ["p_after"] and retry_row(db_engine, iid) is None


def test_a_migration_that_runs_the_due_retry_leaves_no_row(db_engine, uow, register, tmp_path):
    deploy_parallel(uow, tmp_path)
    register.failures = 1
    iid = start(uow, "parallel_call")
    deploy_parallel(uow, tmp_path, "Other work, renamed")
    with uow(at(31)) as u:  # the retry is due: the moved instance's step runs it, and it succeeds
        assert migration.move(u, uow.runtime, "designer1", "parallel_call", iid, 2).moved
        u.commit()
    assert register.calls == 2 and retry_row(db_engine, iid) is None
    version = lock_version(db_engine, iid)
    assert run_retries(db_engine, uow, at(60)) == 0 and lock_version(db_engine, iid) == version
    assert [a[1] for a in retry_audit(db_engine, iid)] == ["service_failed"]


def test_a_stray_row_is_dropped_by_the_worker_without_a_step(db_engine, uow, register):
    iid = start(uow)  # the handler succeeds: nothing waits
    assert ready(db_engine, iid) == ["after"]
    with db_engine.begin() as conn:
        conn.execute(insert(ServiceRetry).values(instance_id=iid, element_id="call", attempts=1, last_error="x",
                                                 failed_at=START, next_attempt_at=START + timedelta(seconds=30)))
    version = lock_version(db_engine, iid)
    assert run_retries(db_engine, uow, at(30)) == 0
    assert retry_row(db_engine, iid) is None and lock_version(db_engine, iid) == version
    assert retry_audit(db_engine, iid) == [] and register.calls == 1


def test_a_claim_lost_meanwhile_is_left_to_the_worker_that_took_it(db_engine, uow, register, monkeypatch):
    """The claim is re-checked in the transaction that runs the retry: a retry another worker took
    over between this worker's claim and its run (this one's lease ran out meanwhile) is not run by
    this one, and the other's claim stands. On PostgreSQL the re-check also locks the row until the
    run commits: a worker claiming while the handler runs, the lease run out meanwhile, gets nothing
    (on SQLite the run's write transaction keeps every other writer out: the claim would wait)."""
    register.failures = 2
    lost, kept = start(uow), start(uow)
    other_until = START + timedelta(seconds=31) + 2 * LEASE  # still on when the late worker below claims
    real_claim = service_retries.claim

    def claim_then_lose(u, worker, n):
        rows = real_claim(u, worker, n)
        u.execute(update(ServiceRetry).where(ServiceRetry.instance_id == lost, ServiceRetry.claimed_by == worker)
                  .values(claimed_by="other", claimed_until=other_until))
        return rows

    monkeypatch.setattr(service_retries, "claim", claim_then_lose)
    taken: list = []
    if db_engine.dialect.name == "postgresql":
        def other_worker() -> None:
            with uow((START + timedelta(seconds=31) + LEASE).isoformat()) as u:
                taken.extend(real_claim(u, "late", 10))
                u.commit()

        register.during = other_worker
    assert run_retries(db_engine, uow, at(30)) == 1
    assert register.calls == 3  # the two first attempts, then `kept`'s retry only
    assert ready(db_engine, kept) == ["after"] and ready(db_engine, lost) == []
    with db_engine.connect() as conn:
        assert conn.execute(select(ServiceRetry.claimed_by, ServiceRetry.claimed_until)
                            .where(ServiceRetry.instance_id == lost)).one() == ("other", other_until)
    assert taken == []
