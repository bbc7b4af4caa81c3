"""Service-task retries (engine.service_retries, engine.retry_worker): a handler that fails for a
passing reason (it raises HandlerFailed) leaves its instance running with a retry scheduled, run by
the worker with back-off (30 s, 60 s, 120 s by default); after the last retry the instance goes to
error with the count and the last error. The count and the error show in `polku show` and on the
managers' instance page (fi, sv). A manager's retry runs a pending one at once and drops the
schedule; terminating drops it; suspending pauses it. Two workers never run one retry twice.
SQLite and, with POLKU_TEST_DATABASE_URL set, PostgreSQL.

The handler `flaky` exists only here, registered on a runtime of the tests' own (the process of
tests/fixtures/bpmn/handlers/handler_paths.bpmn, as tests/integration/test_handler_failures.py)."""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select, update

from polku.engine import deploy, instances, migration, queries, service_retries, tasks
from polku.engine.accounts import hash_password
from polku.engine.bundle import read_bundle
from polku.engine.clock import FixedClock, parse_instant
from polku.engine.db import UnitOfWork
from polku.engine.models import AuditEvent, HumanTask, Instance, OutboxMessage, ServiceRetry, User
from polku.engine.retry_worker import run_due_retries
from polku.engine.services import HandlerFailed, RetryPolicy
from polku.engine.timer_claims import LEASE
from polku.engine.worker import worker_round
from polku.wiring import build_runtime, service_retry_policy
from tests.conftest import FIXTURES, T0
from tests.web.conftest import PASSWORD, Browser

PATHS = FIXTURES / "bpmn" / "handlers" / "handler_paths.bpmn"
START = parse_instant(T0)


def at(seconds: float) -> str:
    return (START + timedelta(seconds=seconds)).isoformat()


@dataclass
class Register:
    """The outside system `flaky` calls: it fails `failures` more times (-1: always), then answers."""

    failures: int = 0
    calls: int = 0
    error: type[Exception] = HandlerFailed
    during: Callable[[], None] | None = None  # run inside each call (another worker acting meanwhile)

    def __post_init__(self) -> None:
        self.lock = threading.Lock()


def _flaky(register: Register):
    def handle(call):
        with register.lock:
            register.calls += 1
            failing = register.failures != 0
            if register.failures > 0:
                register.failures -= 1
        if register.during is not None:
            register.during()
        call.session.add(OutboxMessage(instance_id=call.instance_id, topic="register",
                                       payload={"call": register.calls}, created_at=call.now))
        if failing:
            raise register.error(f"the register is down (call {register.calls})")
        return {"registered": True}

    return handle


@pytest.fixture
def register():
    return Register()


@pytest.fixture
def uow(db_engine, register, make_user):
    """Units of work with a runtime that knows `flaky` (the default policy: 3 retries from 30 s)."""
    runtime = build_runtime()
    runtime.handlers.register("flaky", _flaky(register))
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


def _start(uow, key: str = "on_start", now: str = T0) -> int:
    with uow(now) as u:
        inst = instances.start(u, uow.runtime, "off1", key)
        u.commit()
    return inst.id


def _run(db_engine, uow, now: str) -> int:
    return run_due_retries(db_engine, uow.runtime, FixedClock(parse_instant(now)))


def _show(uow, iid: int, now: str = T0) -> dict:
    with uow(now) as u:
        return queries.show(u, uow.runtime, iid)


def _retry_row(db_engine, iid: int):
    with db_engine.connect() as conn:
        return conn.execute(select(ServiceRetry.attempts, ServiceRetry.next_attempt_at, ServiceRetry.last_error)
                            .where(ServiceRetry.instance_id == iid)).first()


def _audit(db_engine, iid: int) -> list[tuple[str, str, dict]]:
    with db_engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            select(AuditEvent.actor, AuditEvent.action, AuditEvent.details)
            .where(AuditEvent.instance_id == iid, AuditEvent.action.in_(("service_failed", "service_retry")))
            .order_by(AuditEvent.id))]


def _ready(db_engine, iid: int) -> list[str]:
    with db_engine.connect() as conn:
        return list(conn.scalars(select(HumanTask.element_id)
                                 .where(HumanTask.instance_id == iid, HumanTask.state == "ready")))


def test_fails_twice_then_succeeds_and_the_instance_goes_on(db_engine, uow, register):
    register.failures = 2
    iid = _start(uow)
    shown = _show(uow, iid)
    assert shown["status"] == "running" and shown["error"] is None  # running, honestly with a retry pending
    assert shown["service_retry"] == {
        "element_id": "call", "attempts": 1, "last_error": "service handler 'flaky' failed: the register is down "
                                                          "(call 1)",
        "failed_at": START.isoformat(), "next_attempt_at": at(30)}
    assert _ready(db_engine, iid) == []
    assert _run(db_engine, uow, at(29)) == 0  # not due yet
    assert _run(db_engine, uow, at(30)) == 1  # fails again: 60 s more
    assert _retry_row(db_engine, iid)[:2] == (2, START + timedelta(seconds=90))
    assert _run(db_engine, uow, at(89)) == 0
    assert _run(db_engine, uow, at(90)) == 1  # succeeds
    assert register.calls == 3
    assert _retry_row(db_engine, iid) is None
    assert _ready(db_engine, iid) == ["after"]
    shown = _show(uow, iid, at(90))
    assert shown["status"] == "running" and shown["error"] is None and shown["service_retry"] is None
    # Only the successful attempt's writes stay (each handler call runs in a savepoint).
    with db_engine.connect() as conn:
        assert conn.execute(select(OutboxMessage.payload).where(OutboxMessage.instance_id == iid)).scalars().all() \
            == [{"call": 3}]
    assert [(actor, action, d.get("attempt"), d.get("status")) for actor, action, d in _audit(db_engine, iid)] == [
        ("system", "service_failed", 1, "running"),  # the start's step
        ("system", "service_failed", 2, "running"), ("system", "service_retry", 2, "running"),  # the first retry
        ("system", "service_retry", 3, "running")]
    failed = [d for _a, action, d in _audit(db_engine, iid) if action == "service_failed"]
    assert [d["next_attempt_at"] for d in failed] == [at(30), at(90)]
    assert failed[1]["error"].endswith("the register is down (call 2)")


def test_fails_every_time_then_error_with_the_count_and_last_error(db_engine, uow, register):
    register.failures = -1
    iid = _start(uow)
    due = [30, 90, 210]  # back-off: 30 s, 60 s, 120 s after each failure
    for n, seconds in enumerate(due, start=1):
        assert _retry_row(db_engine, iid)[:2] == (n, START + timedelta(seconds=seconds))
        assert _run(db_engine, uow, at(seconds - 1)) == 0
        result = worker_round(db_engine, uow.runtime, FixedClock(parse_instant(at(seconds))))
        assert result.retried == 1 and result.fired == 0
    assert register.calls == 4
    shown = _show(uow, iid, at(210))
    assert shown["status"] == "error"
    assert shown["error"] == {"element_id": "call", "message": "service handler 'flaky' failed: the register is "
                                                               "down (call 4) (after 4 attempts)"}
    assert shown["service_retry"]["attempts"] == 4 and shown["service_retry"]["next_attempt_at"] is None
    assert shown["service_retry"]["last_error"].endswith("(call 4)")
    assert _run(db_engine, uow, at(10_000)) == 0  # an incident: nothing runs it by itself any more
    statuses = [d["status"] for _a, action, d in _audit(db_engine, iid) if action == "service_failed"]
    assert statuses == ["running", "running", "running", "error"]
    # The managers' lists show it like any instance in error.
    with uow(at(210)) as u:
        assert [r["id"] for r in queries.instances(u, status="error")] == [iid]


def test_the_back_off_doubles_up_to_its_maximum_and_comes_from_the_environment(monkeypatch):
    policy = RetryPolicy(retries=6, base_seconds=30, max_seconds=200)
    assert [policy.delay(n).total_seconds() for n in range(1, 7)] == [30, 60, 120, 200, 200, 200]
    monkeypatch.setenv("POLKU_SERVICE_RETRIES", "5")
    monkeypatch.setenv("POLKU_SERVICE_RETRY_BASE_SECONDS", "10")
    monkeypatch.setenv("POLKU_SERVICE_RETRY_MAX_SECONDS", "600")
    assert service_retry_policy() == RetryPolicy(5, 10, 600)
    assert build_runtime().handlers.retry_policy == RetryPolicy(5, 10, 600)
    monkeypatch.setenv("POLKU_SERVICE_RETRIES", "0")
    assert service_retry_policy().retries == 0
    with pytest.raises(ValueError):
        RetryPolicy(3, 0)


def test_a_programming_error_in_a_handler_is_an_incident_at_once(db_engine, uow, register):
    register.failures, register.error = 1, KeyError
    iid = _start(uow)
    shown = _show(uow, iid)
    assert shown["status"] == "error" and shown["service_retry"] is None
    assert shown["error"]["message"] == "service handler 'flaky' failed: 'the register is down (call 1)'"


def test_with_retries_off_a_failure_is_an_error_as_before(db_engine, uow, register):
    uow.runtime.handlers.retry_policy = RetryPolicy(0)
    register.failures = 1
    iid = _start(uow)
    assert _show(uow, iid)["status"] == "error" and _retry_row(db_engine, iid) is None


def test_a_failure_in_a_later_step_is_retried_and_the_step_stands(db_engine, uow, register):
    """The on_complete path: the official's completion is saved; the service task after it waits."""
    iid = _start(uow, "on_complete")
    register.failures = 1
    with uow(at(5)) as u:
        task_id = u.session.scalar(select(HumanTask.id).where(HumanTask.instance_id == iid))
        assert tasks.complete(u, uow.runtime, "off1", task_id, {}) == "running"
        u.commit()
    assert _ready(db_engine, iid) == [] and _retry_row(db_engine, iid)[:2] == (1, START + timedelta(seconds=35))
    assert _run(db_engine, uow, at(35)) == 1
    assert _ready(db_engine, iid) == ["c_after"] and _retry_row(db_engine, iid) is None


def test_a_managers_retry_runs_it_at_once_and_clears_the_schedule(db_engine, uow, register):
    register.failures = 1
    iid = _start(uow)
    with uow(at(5)) as u:  # running with a retry pending: the manager need not wait
        assert instances.retry(u, uow.runtime, "boss", iid, "the register is back").status == "running"
        u.commit()
    assert _retry_row(db_engine, iid) is None and _ready(db_engine, iid) == ["after"]
    assert _run(db_engine, uow, at(30)) == 0 and register.calls == 2


def test_a_managers_retry_of_an_incident_starts_the_count_afresh(db_engine, uow, register):
    uow.runtime.handlers.retry_policy = RetryPolicy(1, 30)
    register.failures = -1
    iid = _start(uow)
    assert _run(db_engine, uow, at(30)) == 1
    assert _show(uow, iid, at(30))["status"] == "error" and _retry_row(db_engine, iid)[0] == 2
    with uow(at(100)) as u:
        assert instances.retry(u, uow.runtime, "boss", iid, "try once more").status == "running"
        u.commit()
    assert _retry_row(db_engine, iid)[:2] == (1, START + timedelta(seconds=130))


def test_terminate_drops_the_retry_and_suspend_pauses_it(db_engine, uow, register):
    register.failures = -1
    ended, paused = _start(uow), _start(uow)
    with uow(at(1)) as u:
        instances.terminate(u, uow.runtime, "boss", ended, "the client moved away")
        instances.suspend(u, "boss", paused, "waiting for the register")
        u.commit()
    assert _retry_row(db_engine, ended) is None and _retry_row(db_engine, paused) is not None
    assert _run(db_engine, uow, at(60)) == 0 and register.calls == 2
    with uow(at(61)) as u:
        assert instances.resume(u, "boss", paused, "the register is back").status == "running"
        u.commit()
    register.failures = 0
    assert _run(db_engine, uow, at(62)) == 1 and _ready(db_engine, paused) == ["after"]


def test_two_workers_never_run_one_retry_twice(db_engine, uow, register):
    register.failures = 12  # each of the 12 instances fails its first attempt
    ids = [_start(uow) for _ in range(12)]
    assert register.failures == 0
    barrier = threading.Barrier(2)
    results: list = []

    def work():
        try:
            barrier.wait(timeout=10)
            results.append(run_due_retries(db_engine, uow.runtime, FixedClock(parse_instant(at(30))), batch=2))
        except Exception as exc:  # reported below; a thread must never die silently
            results.append(exc)

    threads = [threading.Thread(target=work, name=f"worker-{i}") for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert all(isinstance(r, int) for r in results) and sum(results) == 12, results
    assert register.calls == 24
    with db_engine.connect() as conn:
        per_instance = dict(conn.execute(select(AuditEvent.instance_id, func.count())
                                         .where(AuditEvent.action == "service_retry")
                                         .group_by(AuditEvent.instance_id)).all())
        assert per_instance == {i: 1 for i in ids}
        assert set(conn.scalars(select(Instance.status).where(Instance.id.in_(ids)))) == {"running"}
        assert conn.execute(select(func.count()).select_from(ServiceRetry)).scalar_one() == 0
    assert all(_ready(db_engine, i) == ["after"] for i in ids)


def test_a_lease_held_by_another_worker_is_respected(db_engine, uow, register):
    register.failures = 1
    iid = _start(uow)
    with db_engine.begin() as conn:  # a worker that died after claiming it
        conn.execute(update(ServiceRetry).values(claimed_by="dead", claimed_until=START + timedelta(minutes=3)))
    assert _run(db_engine, uow, at(60)) == 0
    assert _run(db_engine, uow, at(180)) == 1 and _retry_row(db_engine, iid) is None


def test_polku_show_reports_the_pending_retry(db_engine, uow, register, polku):
    register.failures = 1
    iid = _start(uow)
    shown = polku.json("show", iid, "--as", "boss")
    assert shown["status"] == "running"
    assert shown["service_retry"]["attempts"] == 1 and shown["service_retry"]["next_attempt_at"] == at(30)
    assert "the register is down" in shown["service_retry"]["last_error"]


@pytest.mark.parametrize("locale, expected", [  # 09:01:30 UTC is 11.01 in Finland
    ("fi", "Palvelutehtävä Call the register epäonnistui 2 kertaa, seuraava yritys 5.1.2026 11.01: "),
    ("sv", "Serviceuppgiften Call the register misslyckades 2 gånger, nästa försök 5.1.2026 11.01: "),
    ("en", "Service task Call the register failed 2 times, next attempt at Jan 5, 2026, 11:01\u202fAM: "),
])
def test_the_instance_page_shows_the_pending_retry(db_engine, uow, register, database_url, locale, expected):
    from polku.app import build_app

    register.failures = 2
    iid = _start(uow)
    assert _run(db_engine, uow, at(30)) == 1
    with db_engine.begin() as conn:
        conn.execute(update(User).where(User.username == "boss").values(password_hash=hash_password(PASSWORD)))
    app = build_app({"DATABASE_URL": database_url, "TESTING": True, "SECRET_KEY": "test-secret"})
    try:
        browser = Browser(app).login("boss")
        if locale != "fi":
            assert browser.post("/language", {"locale": locale, "next": "/tasks"}).status_code == 302
        response = browser.get(f"/instances/{iid}")
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        assert expected in body, body[body.find("service-retry") - 200:body.find("service-retry") + 600]
        assert "the register is down (call 2)" in body
        assert 'id="retry-form"' in body  # the manager may run it now
    finally:
        app.extensions["polku"]["engine"].dispose()


# A service task beside a human task: the official may complete `other` while `p_call` waits for
# its next attempt. `%(name)s` lets a test deploy a second version.
PARALLEL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="definitions_parallel_call"
    targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="parallel_call" name="Handler beside a human task" isExecutable="true">
    <bpmn:startEvent id="p_start"><bpmn:outgoing>p1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:parallelGateway id="fork">
      <bpmn:incoming>p1</bpmn:incoming><bpmn:outgoing>p2</bpmn:outgoing><bpmn:outgoing>p3</bpmn:outgoing>
    </bpmn:parallelGateway>
    <bpmn:serviceTask id="p_call" name="Call the register" camunda:type="external" camunda:topic="flaky">
      <bpmn:incoming>p2</bpmn:incoming><bpmn:outgoing>p4</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:userTask id="other" name="%(name)s" camunda:candidateGroups="official">
      <bpmn:incoming>p3</bpmn:incoming><bpmn:outgoing>p5</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:parallelGateway id="join">
      <bpmn:incoming>p4</bpmn:incoming><bpmn:incoming>p5</bpmn:incoming><bpmn:outgoing>p6</bpmn:outgoing>
    </bpmn:parallelGateway>
    <bpmn:userTask id="p_after" name="After both" camunda:candidateGroups="official">
      <bpmn:incoming>p6</bpmn:incoming><bpmn:outgoing>p7</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="p_end"><bpmn:incoming>p7</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="p1" sourceRef="p_start" targetRef="fork" />
    <bpmn:sequenceFlow id="p2" sourceRef="fork" targetRef="p_call" />
    <bpmn:sequenceFlow id="p3" sourceRef="fork" targetRef="other" />
    <bpmn:sequenceFlow id="p4" sourceRef="p_call" targetRef="join" />
    <bpmn:sequenceFlow id="p5" sourceRef="other" targetRef="join" />
    <bpmn:sequenceFlow id="p6" sourceRef="join" targetRef="p_after" />
    <bpmn:sequenceFlow id="p7" sourceRef="p_after" targetRef="p_end" />
  </bpmn:process>
</bpmn:definitions>
"""


def _deploy_parallel(uow, tmp_path, name: str = "Other work") -> None:
    path = tmp_path / name.replace(" ", "_") / "parallel_call.bpmn"
    path.parent.mkdir()
    path.write_text(PARALLEL % {"name": name}, encoding="utf-8")
    with uow() as u:
        deploy.deploy(u, uow.runtime, "designer1", read_bundle([path]))
        u.commit()


def _lock_version(db_engine, iid: int) -> int:
    with db_engine.connect() as conn:
        return conn.scalar(select(Instance.lock_version).where(Instance.id == iid))


def test_a_step_meanwhile_leaves_the_waiting_task_to_its_back_off(db_engine, uow, register, tmp_path):
    """Completing another task of the instance does not call the failing system early nor use up an attempt."""
    _deploy_parallel(uow, tmp_path)
    register.failures = -1
    iid = _start(uow, "parallel_call")
    assert register.calls == 1 and _ready(db_engine, iid) == ["other"]
    with uow(at(5)) as u:
        task_id = u.session.scalar(select(HumanTask.id).where(HumanTask.instance_id == iid))
        assert tasks.complete(u, uow.runtime, "off1", task_id, {}) == "running"
        u.commit()
    assert register.calls == 1  # the handler was not run by the official's step
    assert _retry_row(db_engine, iid)[:2] == (1, START + timedelta(seconds=30))
    register.failures = 0
    assert _run(db_engine, uow, at(30)) == 1 and register.calls == 2
    assert _ready(db_engine, iid) == ["p_after"] and _retry_row(db_engine, iid) is None


def test_a_migration_that_runs_the_due_retry_leaves_no_row(db_engine, uow, register, tmp_path):
    _deploy_parallel(uow, tmp_path)
    register.failures = 1
    iid = _start(uow, "parallel_call")
    _deploy_parallel(uow, tmp_path, "Other work, renamed")
    with uow(at(31)) as u:  # the retry is due: the moved instance's step runs it, and it succeeds
        assert migration.move(u, uow.runtime, "designer1", "parallel_call", iid, 2).moved
        u.commit()
    assert register.calls == 2 and _retry_row(db_engine, iid) is None
    version = _lock_version(db_engine, iid)
    assert _run(db_engine, uow, at(60)) == 0 and _lock_version(db_engine, iid) == version
    assert [a[1] for a in _audit(db_engine, iid)] == ["service_failed"]


def test_a_stray_row_is_dropped_by_the_worker_without_a_step(db_engine, uow, register):
    iid = _start(uow)  # the handler succeeds: nothing waits
    assert _ready(db_engine, iid) == ["after"]
    with db_engine.begin() as conn:
        conn.execute(insert(ServiceRetry).values(instance_id=iid, element_id="call", attempts=1, last_error="x",
                                                 failed_at=START, next_attempt_at=START + timedelta(seconds=30)))
    version = _lock_version(db_engine, iid)
    assert _run(db_engine, uow, at(30)) == 0
    assert _retry_row(db_engine, iid) is None and _lock_version(db_engine, iid) == version
    assert _audit(db_engine, iid) == [] and register.calls == 1


def test_a_lease_that_runs_out_during_a_slow_handler_is_not_taken_over(db_engine, uow, register):
    """The claim is re-checked under a lock in the firing transaction: another worker's claim after
    the lease ran out finds nothing while the first one's handler still runs."""
    if db_engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: a second worker's claim waits for the first to commit")
    register.failures = 1
    iid = _start(uow)
    taken: list = []

    def other_worker() -> None:
        with uow((START + timedelta(seconds=31) + LEASE).isoformat()) as u:
            taken.extend(service_retries.claim(u, "other", 10))
            u.commit()

    register.during = other_worker
    assert _run(db_engine, uow, at(30)) == 1
    assert taken == [] and register.calls == 2 and _ready(db_engine, iid) == ["after"]
