"""A service handler that fails, by raising or by a database error, leaves nothing behind: it
runs in a savepoint of the command's transaction. The instance goes to `error` (element and
message), its task rows, timer rows and audit rows agree with the saved workflow, and a retry
runs the handler again: two failed attempts and one successful retry give exactly one outbox
message. Reached through `start`, through `complete` and through the timer worker, on SQLite
and (POLKU_TEST_DATABASE_URL) PostgreSQL.

The failing handler `flaky` exists only in these tests: it is registered on a runtime of their
own, which the engine commands take as an argument. The CLI's output is covered with the
shipped `record_outbox` handler made to fail by a database trigger."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select, text

from polku.engine import instances, queries, tasks
from polku.engine.clock import FixedClock, parse_instant
from polku.engine.models import AuditEvent, HumanTask, Organisation, OutboxMessage, Timer
from polku.engine.worker import fire_due_timers
from polku.wiring import build_runtime
from tests.conftest import FIXTURES, T0, deployed_units, task_of

PATHS = FIXTURES / "bpmn" / "handlers" / "handler_paths.bpmn"
LATER = (parse_instant(T0) + timedelta(hours=2)).isoformat()  # past on_timer's one hour
SERVICE = {"on_start": "call", "on_complete": "c_call", "on_timer": "t_call"}
AFTER = {"on_start": "after", "on_complete": "c_after", "on_timer": "t_after"}


@dataclass
class Register:
    """The outside system `flaky` talks to: down (`fail`) or up; how it fails (`mode`)."""

    mode: str = "raise"  # raise: writes a row, then raises | duplicate: violates a unique constraint
    fail: bool = True
    calls: int = 0


def _flaky(register: Register):
    def handle(call):
        register.calls += 1
        call.session.add(OutboxMessage(instance_id=call.instance_id, topic="register",
                                       payload={"attempt": register.calls}, created_at=call.now))
        call.session.flush()  # the row reaches the database before the failure
        if register.fail and register.mode == "raise":
            raise RuntimeError("the register is down")
        if register.fail:  # "Area 1" exists: the flush after the handler meets the unique name
            call.session.add(Organisation(name="Area 1", kind="area"))
        else:
            call.session.execute(insert(Organisation), [{"name": f"Register {call.instance_id}", "kind": "area"}])
        return {"registered": True}

    return handle


@pytest.fixture
def register():
    return Register()


@pytest.fixture
def uow(db_engine, register, make_user):
    """Units of work with a runtime that knows `flaky`; the process deployed, users made."""
    runtime = build_runtime()
    runtime.handlers.register("flaky", _flaky(register))
    return deployed_units(db_engine, make_user, runtime, PATHS)


def _count(db_engine, model, **where) -> int:
    query = select(func.count()).select_from(model)
    for key, value in where.items():
        query = query.where(getattr(model, key) == value)
    with db_engine.connect() as conn:
        return conn.execute(query).scalar_one()


def _rows(db_engine, statement):
    with db_engine.connect() as conn:
        return conn.execute(statement).all()


def _first_attempt(db_engine, uow, path: str) -> int:
    """Run the instance up to the service task (which fails); returns the instance id."""
    rt = uow.runtime
    if path == "on_start":
        with uow() as u:
            inst = instances.start(u, rt, "off1", "on_start")
            u.commit()
        assert inst.status == "error"  # not "changed by someone else meanwhile"
        return inst.id
    with uow() as u:
        iid = instances.start(u, rt, "off1", path).id
        u.commit()
    if path == "on_complete":
        with uow() as u:
            task_id = u.session.scalar(select(HumanTask.id).where(HumanTask.instance_id == iid))
            assert tasks.complete(u, rt, "off1", task_id, {}) == "error"
            u.commit()
    else:
        assert fire_due_timers(db_engine, rt, FixedClock(parse_instant(LATER))) == 1
    return iid


def _retry(uow, iid: int) -> str:
    with uow(LATER) as u:
        inst = instances.retry(u, uow.runtime, "boss", iid, "the register is back")
        u.commit()
    return inst.status


def _assert_failed(db_engine, uow, path: str, iid: int, register: Register) -> None:
    with uow(LATER) as u:
        shown = queries.show(u, uow.runtime, iid)
    assert shown["status"] == "error"
    error = shown["error"]
    assert error["element_id"] == SERVICE[path]
    message = error["message"]
    assert message.startswith("service handler 'flaky' failed: "), message
    assert "\n" not in message and "[SQL:" not in message, message
    if register.mode == "raise":
        assert message.endswith("the register is down"), message
    else:
        assert (message.startswith("service handler 'flaky' failed: database error: ")
                and "unique" in message.lower()), message
    # Nothing of the handler's is left: neither the row it flushed nor the one it added.
    assert _count(db_engine, OutboxMessage) == 0
    assert _count(db_engine, Organisation, name=f"Register {iid}") == 0
    assert _count(db_engine, Organisation, name="Area 1") == 1
    # Nothing after the failed task was materialised; what ran before it stands, and says so.
    assert shown["ready_tasks"] == [] and shown["timers"] == []
    states = sorted(_rows(db_engine, select(HumanTask.element_id, HumanTask.state).where(HumanTask.instance_id == iid)))
    assert states == ([("prepare", "completed")] if path == "on_complete" else [])
    assert _count(db_engine, Timer, instance_id=iid) == 0
    first = {"on_start": "start", "on_complete": "complete", "on_timer": "timer"}[path]
    audit = _rows(db_engine, select(AuditEvent.action, AuditEvent.details).where(AuditEvent.instance_id == iid)
                  .order_by(AuditEvent.id))
    assert [a for a, _d in audit if a == first] == [first]
    assert audit[[a for a, _d in audit].index(first)][1]["status"] == "error"


@pytest.mark.parametrize("mode", ["raise", "duplicate"])
@pytest.mark.parametrize("path", ["on_start", "on_complete", "on_timer"])
def test_failed_handler_leaves_nothing_and_retry_runs_it_once_more(db_engine, uow, register, path, mode):
    register.mode = mode
    iid = _first_attempt(db_engine, uow, path)
    _assert_failed(db_engine, uow, path, iid, register)

    assert _retry(uow, iid) == "error"  # still down: a second failed attempt, still nothing left
    _assert_failed(db_engine, uow, path, iid, register)
    assert register.calls == 2

    register.fail = False
    assert _retry(uow, iid) == "running"
    assert register.calls == 3
    outbox = _rows(db_engine, select(OutboxMessage.instance_id, OutboxMessage.payload))
    assert outbox == [(iid, {"attempt": 3})]
    assert _count(db_engine, Organisation, name=f"Register {iid}") == 1
    with uow(LATER) as u:
        shown = queries.show(u, uow.runtime, iid)
    assert shown["error"] is None and shown["data"]["registered"] is True
    assert [t["element_id"] for t in shown["ready_tasks"]] == [AFTER[path]]
    assert [(h["action"], h["details"]["status"]) for h in shown["history"] if h["action"] == "retry"] == [
        ("retry", "error"), ("retry", "running")]


# --- the CLI, with the shipped handler and a database that refuses its row -------------------

_REFUSE = {
    "sqlite": [
        "CREATE TRIGGER outbox_closed BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'outbox is closed'); END",
    ],
    "postgresql": [
        "CREATE FUNCTION outbox_closed() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'outbox is closed'; END $$",
        "CREATE TRIGGER outbox_closed BEFORE INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION outbox_closed()",
    ],
}
_REOPEN = {
    "sqlite": ["DROP TRIGGER outbox_closed"],
    "postgresql": ["DROP TRIGGER outbox_closed ON outbox", "DROP FUNCTION outbox_closed()"],
}


def _sql(db_engine, statements) -> None:
    with db_engine.begin() as conn:
        for statement in statements[db_engine.dialect.name]:
            conn.execute(text(statement))


def test_cli_reports_a_database_error_in_a_handler_as_the_instance_error_and_retry_recovers(sample, db_engine):
    polku = sample
    iid = polku.json("start", "sample_case", "--as", "off1", "--data", '{"client": "A"}')["id"]
    review = task_of(polku, "off1", "review", iid)
    _sql(db_engine, _REFUSE)
    try:
        done = polku("complete", review["id"], "--as", "off1", "--data",
                     '{"decision": "approve", "amount": 70, "start_date": "2026-01-10"}')
        assert done.stdout == f"completed {review['id']} (instance error)\n" and done.stderr == ""
        shown = polku("show", iid).stdout.splitlines()
        assert shown[0] == f"instance {iid}: sample_case v1 error"
        assert shown[1].startswith("error at record: service handler 'record_outbox' failed: database error: ")
        assert "outbox is closed" in shown[1]
        again = polku("retry", iid, "--as", "boss", "--reason", "outbox still closed")
        assert again.stdout == f"instance {iid} error\n" and again.stderr == ""
        assert _count(db_engine, OutboxMessage) == 0
        assert polku.json("show", iid)["ready_tasks"] == []
    finally:
        _sql(db_engine, _REOPEN)
    assert polku("retry", iid, "--as", "boss", "--reason", "outbox open").stdout == f"instance {iid} running\n"
    assert _count(db_engine, OutboxMessage, instance_id=iid) == 1
    assert [t["element_id"] for t in polku.json("show", iid)["ready_tasks"]] == ["coach_work"]
    history = [(h["action"], h["details"].get("status")) for h in polku.json("show", iid)["history"]]
    assert history == [("start", "running"), ("complete", "error"), ("retry", "error"), ("retry", "running")]


# --- no statement outside the command's transaction ------------------------------------------

def test_after_a_failed_flush_no_statement_runs_outside_the_transaction(db_engine, uow_factory):
    """Once SQLAlchemy has rolled the transaction back, the hot path's precompiled statements
    refuse instead of running on the driver (which on SQLite would autocommit them)."""
    from sqlalchemy.exc import IntegrityError, PendingRollbackError

    from polku.engine import audit

    with uow_factory() as u:
        u.session.add(Organisation(name="Twice", kind="area"))
        u.session.add(Organisation(name="Twice", kind="area"))
        with pytest.raises(IntegrityError):
            u.session.flush()
        with pytest.raises(PendingRollbackError):
            audit.record(u, "system", "stray")
    assert _count(db_engine, AuditEvent) == 0
    assert _count(db_engine, Organisation, name="Twice") == 0


def test_hot_path_statements_are_seen_by_sqlalchemy_events(sample, db_engine, uow_factory):
    from sqlalchemy import event

    iid = sample.json("start", "sample_case", "--as", "off1")["id"]
    task_id = task_of(sample, "off1", "review", iid)["id"]
    seen: list[str] = []

    def listen(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(db_engine, "before_cursor_execute", listen)
    try:
        with uow_factory() as u:
            tasks.complete(u, uow_factory.runtime, "off1", task_id,
                           {"decision": "reject", "start_date": "2026-01-10"})
            u.commit()
    finally:
        event.remove(db_engine, "before_cursor_execute", listen)
    # Every write the statements make, in order, those inside PostgreSQL's data-modifying WITH too
    # ("DO UPDATE SET" of the head's upsert and "FOR NO KEY UPDATE OF" of the task's read are no tables).
    writes = [f"{verb} {table}" for s in seen for verb, table in re.findall(r"(UPDATE|INSERT INTO) (\w+)", s)
              if table not in ("SET", "OF")]
    # The task's compare-and-set, the instance's state under its lock with its open tasks' summary
    # (engine.task_summary), the audit row with its chain's head: all precompiled, all seen (a
    # rejected review ends the instance: no new task rows). PostgreSQL sets the head's hash in the
    # audit row's own statement, SQLite after it.
    if db_engine.dialect.name == "postgresql":
        assert writes == ["UPDATE human_tasks", "UPDATE instances", "INSERT INTO audit_heads",
                          "UPDATE audit_heads", "INSERT INTO audit_events"], seen
    else:
        assert writes == ["UPDATE human_tasks", "UPDATE instances", "INSERT INTO audit_heads",
                          "INSERT INTO audit_events", "UPDATE audit_heads"], seen
