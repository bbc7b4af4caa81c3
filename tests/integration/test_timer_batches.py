"""The worker claims due timers in batches under a lease (engine.timer_claims): a round fires
every due timer, however many batches that takes; two workers at once fire each exactly once;
a lease another worker holds is respected until it runs out; and a timer whose firing fails
puts its own instance in error without holding back the others. SQLite and, with
POLKU_TEST_DATABASE_URL set, PostgreSQL."""
from __future__ import annotations

import logging

from sqlalchemy import func, select, update

from polku.engine import worker
from polku.engine.clock import FixedClock, parse_instant
from polku.engine.models import AuditEvent, Instance, Timer
from polku.engine.worker import fire_due_timers
from tests.integration.test_timers import AFTER_DUE, _fired, _prepare
from tests.racing import race


def _statuses(db_engine, ids) -> dict[int, str]:
    with db_engine.connect() as conn:
        return dict(conn.execute(select(Instance.id, Instance.status).where(Instance.id.in_(ids))).all())


def test_one_round_fires_more_timers_than_a_batch(sample, db_engine, runtime, uow_factory):
    ids = _prepare(uow_factory, 7)
    report: list = []
    assert fire_due_timers(db_engine, runtime, FixedClock(parse_instant(AFTER_DUE)), batch=2, report=report) == 7
    assert sorted(t.instance_id for t in report) == sorted(ids)
    assert set(_statuses(db_engine, ids).values()) == {"completed"}
    with db_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Timer)).scalar_one() == 0


def test_two_workers_with_small_batches_fire_each_timer_exactly_once(sample, db_engine, runtime, uow_factory):
    ids = _prepare(uow_factory, 24)
    clock = FixedClock(parse_instant(AFTER_DUE))
    results = list(race([(f"worker-{i}", lambda: fire_due_timers(db_engine, runtime, clock, batch=3))
                         for i in range(2)]).values())
    assert all(isinstance(r, int) for r in results) and sum(results) == 24, results
    with db_engine.connect() as conn:
        per_timer = dict(conn.execute(select(AuditEvent.task_id, func.count())
                                      .where(AuditEvent.action == "timer").group_by(AuditEvent.task_id)).all())
    assert len(per_timer) == 24 and set(per_timer.values()) == {1}
    assert set(_statuses(db_engine, ids).values()) == {"completed"}


def test_a_lease_held_by_another_worker_is_left_until_it_runs_out(sample, db_engine, runtime, uow_factory):
    ids = _prepare(uow_factory, 3)
    with db_engine.begin() as conn:  # a worker that died after claiming the first instance's timer
        conn.execute(update(Timer).where(Timer.instance_id == ids[0])
                     .values(claimed_by="dead", claimed_until=parse_instant("2026-01-08T09:05:00+00:00")))
    assert fire_due_timers(db_engine, runtime, FixedClock(parse_instant(AFTER_DUE))) == 2
    assert _statuses(db_engine, ids)[ids[0]] == "running"
    assert fire_due_timers(db_engine, runtime, FixedClock(parse_instant("2026-01-08T09:05:01+00:00"))) == 1
    assert set(_statuses(db_engine, ids).values()) == {"completed"}


def test_a_timer_that_does_not_fire_is_let_go_for_the_next_round(sample, db_engine, runtime, uow_factory, monkeypatch):
    ids = _prepare(uow_factory, 2)
    monkeypatch.setattr(worker, "_fire", lambda uow, rt, row: [])
    assert fire_due_timers(db_engine, runtime, FixedClock(parse_instant(AFTER_DUE))) == 0
    with db_engine.connect() as conn:
        assert conn.execute(select(Timer.claimed_by, Timer.claimed_until)).all() == [(None, None)] * len(ids)


def test_a_failing_timer_puts_its_instance_in_error_and_the_others_fire(sample, db_engine, uow_factory,
                                                                        monkeypatch, caplog):
    """21 due timers, the firing of one raises something no step handles (a bug in a handler, say):
    the 20 others fire in the same `worker --once`, the failing one's instance is in error at the
    timer's element with the message in one line, logged with its traceback; a retry by a manager,
    after the timer's due time, fires the timer and the instance goes on to its end."""
    polku = sample
    ids = _prepare(uow_factory, 21)
    bad = ids[0]  # claimed first: the first due, the lowest id at one due time
    real_fire = worker._fire

    def fire(uow, runtime, row):
        if row.instance_id == bad:
            raise RuntimeError("no such handler\nsecond line")
        return real_fire(uow, runtime, row)

    monkeypatch.setattr(worker, "_fire", fire)
    with caplog.at_level(logging.ERROR, logger="polku.worker"):
        assert _fired(polku, AFTER_DUE) == 20
    failed = [r for r in caplog.records if r.exc_info and f"of instance {bad} failed" in r.getMessage()]
    assert len(failed) == 1 and failed[0].exc_info[0] is RuntimeError
    statuses = _statuses(db_engine, ids)
    assert statuses.pop(bad) == "error" and set(statuses.values()) == {"completed"}
    with db_engine.connect() as conn:
        element, message = conn.execute(select(Instance.error_element, Instance.error_message)
                                        .where(Instance.id == bad)).one()
        last = conn.execute(select(AuditEvent.details).where(AuditEvent.instance_id == bad)
                            .order_by(AuditEvent.id.desc()).limit(1)).scalar_one()
        left = conn.execute(select(Timer.instance_id, Timer.claimed_by)).all()
    assert (element, message) == ("remind", "RuntimeError: no such handler")
    assert last == {"element_id": "remind", "status": "error", "error": message}
    assert left == [(bad, None)]  # the timer waits, let go, for the instance to run again
    assert _fired(polku, AFTER_DUE) == 0  # an instance in error is not claimed
    monkeypatch.setattr(worker, "_fire", real_fire)  # the handler fixed: a manager runs it again
    polku("retry", str(bad), "--as", "boss", "--reason", "handler fixed", now=AFTER_DUE)
    assert _statuses(db_engine, [bad]) == {bad: "completed"}  # the timer, due meanwhile, fired in the retry



def test_a_timer_whose_lease_was_taken_over_during_a_slow_batch_is_not_fired_by_the_first_worker(
        sample, db_engine, runtime, uow_factory, monkeypatch):
    ids = _prepare(uow_factory, 3)
    claim = worker.timer_claims.claim
    taken_by = parse_instant("2026-01-08T09:20:00+00:00")

    def claim_then_lose_the_first(uow, name, n):
        rows = claim(uow, name, n)
        if rows:  # the batch ran past its lease; another worker claimed the first unfired row
            uow.execute(update(Timer).where(Timer.instance_id == ids[0])
                        .values(claimed_by="other", claimed_until=taken_by))
        return rows

    monkeypatch.setattr(worker.timer_claims, "claim", claim_then_lose_the_first)
    report: list = []
    assert fire_due_timers(db_engine, runtime, FixedClock(parse_instant(AFTER_DUE)), report=report) == 2
    assert sorted(t.instance_id for t in report) == sorted(ids[1:])
    assert _statuses(db_engine, ids)[ids[0]] == "running"
    with db_engine.connect() as conn:  # the other worker's claim stands: not released by the first
        assert conn.execute(select(Timer.claimed_by, Timer.claimed_until)
                            .where(Timer.instance_id == ids[0])).all() == [("other", taken_by)]
        assert conn.execute(select(func.count()).select_from(AuditEvent)
                            .where(AuditEvent.action == "timer", AuditEvent.instance_id == ids[0])).scalar_one() == 0
