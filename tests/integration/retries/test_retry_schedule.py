"""Service-task retries (engine.service_retries): a handler that fails for a passing reason (it raises
HandlerFailed) leaves its instance running with a retry scheduled, run by the worker with back-off
(30 s, 60 s, 120 s by default); after the last retry the instance goes to error with the count and
the last error, which show in `polku show` and on the managers' instance page (fi, sv, en). A
manager's retry runs a pending one at once and drops the schedule; terminating drops it; suspending
pauses it. SQLite and, with POLKU_TEST_DATABASE_URL set, PostgreSQL."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from polku.engine import instances, queries, tasks
from polku.engine.accounts import hash_password
from polku.engine.clock import FixedClock, parse_instant
from polku.engine.models import HumanTask, OutboxMessage, User
from polku.engine.services import RetryPolicy
from polku.engine.worker import worker_round
from polku.wiring import build_runtime, service_retry_policy
from tests.integration.retries.support import START, at, ready, retry_audit, retry_row, run_retries, show, start
from tests.web.conftest import PASSWORD, Browser


def test_fails_twice_then_succeeds_and_the_instance_goes_on(db_engine, uow, register):
    register.failures = 2
    iid = start(uow)
    shown = show(uow, iid)
    assert shown["status"] == "running" and shown["error"] is None  # running, honestly with a retry pending
    assert shown["service_retry"] == {
        "element_id": "call", "attempts": 1, "last_error": "service handler 'flaky' failed: the register is down "
                                                          "(call 1)",
        "failed_at": START.isoformat(), "next_attempt_at": at(30)}
    assert ready(db_engine, iid) == []
    assert run_retries(db_engine, uow, at(29)) == 0  # not due yet
    assert run_retries(db_engine, uow, at(30)) == 1  # fails again: 60 s more
    assert retry_row(db_engine, iid)[:2] == (2, START + timedelta(seconds=90))
    assert run_retries(db_engine, uow, at(89)) == 0
    assert run_retries(db_engine, uow, at(90)) == 1  # succeeds
    assert register.calls == 3
    assert retry_row(db_engine, iid) is None
    assert ready(db_engine, iid) == ["after"]
    shown = show(uow, iid, at(90))
    assert shown["status"] == "running" and shown["error"] is None and shown["service_retry"] is None
    # Only the successful attempt's writes stay (each handler call runs in a savepoint).
    with db_engine.connect() as conn:
        assert conn.execute(select(OutboxMessage.payload).where(OutboxMessage.instance_id == iid)).scalars().all() \
            == [{"call": 3}]
    assert [(actor, action, d.get("attempt"), d.get("status")) for actor, action, d in retry_audit(db_engine, iid)] == [
        ("system", "service_failed", 1, "running"),  # the start's step
        ("system", "service_failed", 2, "running"), ("system", "service_retry", 2, "running"),  # the first retry
        ("system", "service_retry", 3, "running")]
    failed = [d for _a, action, d in retry_audit(db_engine, iid) if action == "service_failed"]
    assert [d["next_attempt_at"] for d in failed] == [at(30), at(90)]
    assert failed[1]["error"].endswith("the register is down (call 2)")


def test_fails_every_time_then_error_with_the_count_and_last_error(db_engine, uow, register):
    register.failures = -1
    iid = start(uow)
    due = [30, 90, 210]  # back-off: 30 s, 60 s, 120 s after each failure
    for n, seconds in enumerate(due, start=1):
        assert retry_row(db_engine, iid)[:2] == (n, START + timedelta(seconds=seconds))
        assert run_retries(db_engine, uow, at(seconds - 1)) == 0
        result = worker_round(db_engine, uow.runtime, FixedClock(parse_instant(at(seconds))))
        assert result.retried == 1 and result.fired == 0
    assert register.calls == 4
    shown = show(uow, iid, at(210))
    assert shown["status"] == "error"
    assert shown["error"] == {"element_id": "call", "message": "service handler 'flaky' failed: the register is "
                                                               "down (call 4) (after 4 attempts)"}
    assert shown["service_retry"]["attempts"] == 4 and shown["service_retry"]["next_attempt_at"] is None
    assert shown["service_retry"]["last_error"].endswith("(call 4)")
    assert run_retries(db_engine, uow, at(10_000)) == 0  # an incident: nothing runs it by itself any more
    statuses = [d["status"] for _a, action, d in retry_audit(db_engine, iid) if action == "service_failed"]
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
    iid = start(uow)
    shown = show(uow, iid)
    assert shown["status"] == "error" and shown["service_retry"] is None
    assert shown["error"]["message"] == "service handler 'flaky' failed: 'the register is down (call 1)'"


def test_with_retries_off_a_failure_is_an_error_as_before(db_engine, uow, register):
    uow.runtime.handlers.retry_policy = RetryPolicy(0)
    register.failures = 1
    iid = start(uow)
    assert show(uow, iid)["status"] == "error" and retry_row(db_engine, iid) is None


def test_a_failure_in_a_later_step_is_retried_and_the_step_stands(db_engine, uow, register):
    """The on_complete path: the official's completion is saved; the service task after it waits."""
    iid = start(uow, "on_complete")
    register.failures = 1
    with uow(at(5)) as u:
        task_id = u.session.scalar(select(HumanTask.id).where(HumanTask.instance_id == iid))
        assert tasks.complete(u, uow.runtime, "off1", task_id, {}) == "running"
        u.commit()
    assert ready(db_engine, iid) == [] and retry_row(db_engine, iid)[:2] == (1, START + timedelta(seconds=35))
    assert run_retries(db_engine, uow, at(35)) == 1
    assert ready(db_engine, iid) == ["c_after"] and retry_row(db_engine, iid) is None


def test_a_managers_retry_runs_it_at_once_and_clears_the_schedule(db_engine, uow, register):
    register.failures = 1
    iid = start(uow)
    with uow(at(5)) as u:  # running with a retry pending: the manager need not wait
        assert instances.retry(u, uow.runtime, "boss", iid, "the register is back").status == "running"
        u.commit()
    assert retry_row(db_engine, iid) is None and ready(db_engine, iid) == ["after"]
    assert run_retries(db_engine, uow, at(30)) == 0 and register.calls == 2


def test_a_managers_retry_of_an_incident_starts_the_count_afresh(db_engine, uow, register):
    uow.runtime.handlers.retry_policy = RetryPolicy(1, 30)
    register.failures = -1
    iid = start(uow)
    assert run_retries(db_engine, uow, at(30)) == 1
    assert show(uow, iid, at(30))["status"] == "error" and retry_row(db_engine, iid)[0] == 2
    with uow(at(100)) as u:
        assert instances.retry(u, uow.runtime, "boss", iid, "try once more").status == "running"
        u.commit()
    assert retry_row(db_engine, iid)[:2] == (1, START + timedelta(seconds=130))


def test_terminate_drops_the_retry_and_suspend_pauses_it(db_engine, uow, register):
    register.failures = -1
    ended, paused = start(uow), start(uow)
    with uow(at(1)) as u:
        instances.terminate(u, uow.runtime, "boss", ended, "the client moved away")
        instances.suspend(u, "boss", paused, "waiting for the register")
        u.commit()
    assert retry_row(db_engine, ended) is None and retry_row(db_engine, paused) is not None
    assert run_retries(db_engine, uow, at(60)) == 0 and register.calls == 2
    with uow(at(61)) as u:
        assert instances.resume(u, "boss", paused, "the register is back").status == "running"
        u.commit()
    register.failures = 0
    assert run_retries(db_engine, uow, at(62)) == 1 and ready(db_engine, paused) == ["after"]


def test_polku_show_reports_the_pending_retry(db_engine, uow, register, polku):
    register.failures = 1
    iid = start(uow)
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
    iid = start(uow)
    assert run_retries(db_engine, uow, at(30)) == 1
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


