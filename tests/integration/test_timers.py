"""Timers fire by the clock a command is given (POLKU_NOW for the CLI, a FixedClock for the
engine): never early, exactly once, not while the instance is suspended, and exactly once
even with several workers at the same time. Runs on SQLite and, with
POLKU_TEST_DATABASE_URL set, on PostgreSQL."""
from __future__ import annotations

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import func, select

from polku.engine import instances, tasks
from polku.engine.clock import FixedClock, parse_instant
from polku.engine.models import AuditEvent, HumanTask, Instance, Timer
from polku.engine.persist import load_instance, load_workflow
from polku.engine.worker import fire_due_timers
from tests.conftest import REVIEW_OK, T0, task_of
from tests.racing import race

# sample_case: review completed at T0 → coach_work with boundary timer "P3D" → due T0 + 3 days.
DUE = "2026-01-08T09:00:00+00:00"
BEFORE_DUE = "2026-01-08T08:59:59+00:00"
AFTER_DUE = "2026-01-08T09:00:01+00:00"


def _timer_rows(db_engine, instance_id=None) -> int:
    query = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "timer")
    if instance_id is not None:
        query = query.where(AuditEvent.instance_id == instance_id)
    with db_engine.connect() as conn:
        return conn.execute(query).scalar_one()


def _runs(uow_factory, instance_id, element_id) -> int:
    """How many times the workflow has completed `element_id` (read from its saved state)."""
    with uow_factory(write=False) as uow:
        _defn, wf, _snap = load_workflow(uow, uow_factory.runtime, load_instance(uow, instance_id))
    # wf.tasks, not get_tasks(): the iterator does not descend below a still-waiting timer.
    return sum(1 for t in wf.tasks.values() if t.task_spec.bpmn_id == element_id and t.state == TaskState.COMPLETED)


def _fired(polku, now) -> int:
    """The first line of `worker --once` (the periodic jobs that did something follow it)."""
    first = polku("worker", "--once", now=now).stdout.splitlines()[0]
    assert first.startswith("fired ") and first.endswith(" timer(s)"), first
    return int(first.split()[1])


def _coach_stage(polku) -> int:
    """A sample instance waiting at coach_work, its 'remind' timer due at DUE."""
    iid = polku.json("start", "sample_case", "--as", "off1")["id"]
    polku("complete", task_of(polku, "off1", "review", iid)["id"], "--as", "off1", "--data",
          '{"decision": "approve", "amount": 1, "start_date": "2026-01-10"}')
    assert [(t["element_id"], t["due_at"]) for t in polku.json("show", iid)["timers"]] == [("remind", DUE)]
    return iid


def test_worker_fires_a_due_timer_once_and_never_early(sample, db_engine):
    polku = sample
    iid = _coach_stage(polku)
    assert _fired(polku, T0) == 0
    assert _fired(polku, BEFORE_DUE) == 0
    assert _timer_rows(db_engine) == 0
    assert polku.json("show", iid)["status"] == "running"

    assert _fired(polku, AFTER_DUE) == 1
    assert _timer_rows(db_engine, iid) == 1
    assert _fired(polku, AFTER_DUE) == 0
    assert _fired(polku, "2026-02-01T00:00:00+00:00") == 0
    assert _timer_rows(db_engine) == 1
    shown = polku.json("show", iid)
    assert shown["status"] == "completed" and shown["timers"] == [] and shown["ready_tasks"] == []
    assert [h["action"] for h in shown["history"]] == ["start", "complete", "timer"]
    assert shown["history"][-1]["actor"] == "system"
    assert shown["history"][-1]["details"] == {"element_id": "remind", "status": "completed"}


def test_due_time_computed_under_one_clock_fires_under_a_later_one(sample, db_engine, runtime):
    polku = sample
    iid = _coach_stage(polku)  # due time computed at T0 (POLKU_NOW)
    # A worker on a later clock that is still before the due time neither fires nor moves it.
    assert fire_due_timers(db_engine, runtime, FixedClock(parse_instant("2026-01-07T12:00:00+00:00"))) == 0
    assert polku.json("show", iid)["timers"][0]["due_at"] == DUE
    assert fire_due_timers(db_engine, runtime, FixedClock(parse_instant(AFTER_DUE))) == 1
    assert polku.json("show", iid)["status"] == "completed"
    assert _timer_rows(db_engine, iid) == 1


def test_cycle_timer_fires_twice_a_day_apart_then_stops(sample, db_engine, uow_factory):
    polku = sample
    iid = polku.json("start", "cycle_case", "--as", "off1")["id"]
    shown = polku.json("show", iid)
    assert [(t["element_id"], t["kind"], t["due_at"]) for t in shown["timers"]] == [
        ("tick", "cycle", "2026-01-06T09:00:00+00:00")]
    assert "tick_count" not in shown["data"]

    assert _fired(polku, "2026-01-06T08:00:00+00:00") == 0
    assert _fired(polku, "2026-01-06T10:00:00+00:00") == 1
    shown = polku.json("show", iid)
    assert shown["data"]["tick_count"] == 1
    assert _runs(uow_factory, iid, "count_tick") == 1
    # The next due time follows from the first one, not from when the worker happened to run.
    assert [t["due_at"] for t in shown["timers"]] == ["2026-01-07T09:00:00+00:00"]
    assert _fired(polku, "2026-01-06T23:00:00+00:00") == 0

    assert _fired(polku, "2026-01-07T10:00:00+00:00") == 1
    shown = polku.json("show", iid)
    assert shown["timers"] == []
    assert _runs(uow_factory, iid, "count_tick") == 2
    assert shown["status"] == "running"
    assert [t["element_id"] for t in shown["ready_tasks"]] == ["wait_here"]  # non-interrupting
    assert _fired(polku, "2026-01-20T00:00:00+00:00") == 0
    assert _timer_rows(db_engine, iid) == 2
    assert _runs(uow_factory, iid, "count_tick") == 2

    polku("complete", task_of(polku, "off1", "wait_here", iid)["id"], "--as", "off1")
    shown = polku.json("show", iid)
    assert shown["status"] == "completed"
    assert [h["action"] for h in shown["history"]] == ["start", "timer", "timer", "complete"]


def test_a_late_worker_catches_up_on_both_cycles(sample, db_engine, uow_factory):
    """Both cycles overdue: one step of the instance runs both ticks (the worker counts
    advanced instances, so it reports 1), and nothing is left to fire."""
    polku = sample
    iid = polku.json("start", "cycle_case", "--as", "off1")["id"]
    assert _fired(polku, "2026-01-09T00:00:00+00:00") == 1
    assert _runs(uow_factory, iid, "count_tick") == 2
    assert _fired(polku, "2026-01-12T00:00:00+00:00") == 0
    assert _runs(uow_factory, iid, "count_tick") == 2
    shown = polku.json("show", iid)
    assert shown["timers"] == [] and shown["status"] == "running"


def test_timers_of_a_suspended_instance_wait_until_it_is_resumed(sample, db_engine):
    polku = sample
    iid = _coach_stage(polku)
    polku("suspend", iid, "--as", "boss", "--reason", "on hold")
    assert _fired(polku, AFTER_DUE) == 0
    assert _fired(polku, "2026-01-20T00:00:00+00:00") == 0
    shown = polku.json("show", iid)
    assert shown["status"] == "suspended" and [t["element_id"] for t in shown["timers"]] == ["remind"]
    assert _timer_rows(db_engine) == 0

    polku("resume", iid, "--as", "boss", now="2026-01-20T00:00:00+00:00")
    assert polku.json("show", iid)["status"] == "running"  # resuming alone fires nothing
    assert _fired(polku, "2026-01-20T00:00:01+00:00") == 1
    assert polku.json("show", iid)["status"] == "completed"
    assert _timer_rows(db_engine, iid) == 1


def _prepare(uow_factory, count: int) -> list[int]:
    ids = []
    for _ in range(count):
        with uow_factory() as uow:
            inst = instances.start(uow, uow_factory.runtime, "off1", "sample_case")
            uow.commit()
        with uow_factory() as uow:
            tid = uow.session.scalar(select(HumanTask.id).where(HumanTask.instance_id == inst.id))
            tasks.complete(uow, uow_factory.runtime, "off1", tid, REVIEW_OK)
            uow.commit()
        ids.append(inst.id)
    return ids


def test_concurrent_workers_fire_every_timer_exactly_once(sample, db_engine, runtime, uow_factory):
    """Three workers at once over 20 due timers (on SQLite writers queue; on PostgreSQL
    SKIP LOCKED spreads the rows): 20 firings in all, never one twice."""
    ids = _prepare(uow_factory, 20)
    with db_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Timer)).scalar_one() == 20

    clock = FixedClock(parse_instant(AFTER_DUE))
    results = list(race([(f"worker-{i}", lambda: fire_due_timers(db_engine, runtime, clock))
                         for i in range(3)], timeout=60).values())
    assert all(isinstance(r, int) for r in results), results
    assert sum(results) == 20, results

    assert _timer_rows(db_engine) == 20
    with db_engine.connect() as conn:
        per_instance = dict(conn.execute(
            select(AuditEvent.instance_id, func.count()).where(AuditEvent.action == "timer")
            .group_by(AuditEvent.instance_id)).all())
        statuses = set(conn.execute(select(Instance.status).where(Instance.id.in_(ids))).scalars())
        left = conn.execute(select(func.count()).select_from(Timer)).scalar_one()
    assert per_instance == {iid: 1 for iid in ids}
    assert statuses == {"completed"}
    assert left == 0
    assert fire_due_timers(db_engine, runtime, FixedClock(parse_instant("2026-02-01T00:00:00+00:00"))) == 0


CYCLES = 300


def test_a_cycle_timer_far_behind_catches_up_in_one_step(sample, db_engine, uow_factory, tmp_path):
    """300 missed cycles of a boundary cycle timer (more than MAX_SERVICE_ROUNDS) all fire in the worker's
    one step, never stopped as "service tasks kept producing work": SpiffWorkflow 3.2 catches them up
    inside do_engine_steps here, and rounds of Runtime.advance that only run a timer are bounded on
    their own (engine.runtime.MAX_TIMER_ROUNDS) should a model catch up one cycle a round."""
    from polku.engine import deploy
    from polku.engine.bundle import read_bundle
    from polku.engine.runtime import MAX_SERVICE_ROUNDS
    from tests.conftest import SAMPLE

    path = tmp_path / "cycle_timer.bpmn"
    path.write_text((SAMPLE / "cycle_timer.bpmn").read_text(encoding="utf-8").replace('"R2/P1D"', f'"R{CYCLES}/PT1M"'),
                    encoding="utf-8")
    with uow_factory() as uow:
        deploy.deploy(uow, uow_factory.runtime, "designer1", read_bundle([path]))
        uow.commit()
    iid = sample.json("start", "cycle_case", "--as", "off1")["id"]
    assert CYCLES > MAX_SERVICE_ROUNDS
    assert fire_due_timers(db_engine, uow_factory.runtime, FixedClock(parse_instant("2026-01-06T09:00:00+00:00"))) == 1
    assert sample.json("show", iid)["status"] == "running"
    assert _runs(uow_factory, iid, "count_tick") == CYCLES


def test_a_row_earlier_than_its_workflows_timer_is_put_right_not_claimed_every_round(sample, db_engine):
    """A timer row whose due time is earlier than the one its workflow holds (a copy written apart
    from its state, say) is claimed, found not due by SpiffWorkflow, and given the workflow's time: it
    fires then, once, and rounds before that find nothing to claim (each such row cost a load of its
    instance every round, 1.3 s a round for 386 of them in bench/web_load.py's seeded database)."""
    from sqlalchemy import update

    polku = sample
    iid = _coach_stage(polku)
    with db_engine.begin() as conn:  # the row says due a day early
        conn.execute(update(Timer).where(Timer.instance_id == iid).values(due_at=parse_instant(T0)))
    assert _fired(polku, BEFORE_DUE) == 0
    with db_engine.connect() as conn:
        row = conn.execute(select(Timer.due_at, Timer.claimed_by).where(Timer.instance_id == iid)).one()
    assert row == (parse_instant(DUE), None)
    assert _timer_rows(db_engine, iid) == 0
    assert _fired(polku, AFTER_DUE) == 1 and _timer_rows(db_engine, iid) == 1
