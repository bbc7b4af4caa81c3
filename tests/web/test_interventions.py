"""A manager's interventions from the instance page (issue 10): suspend, resume, terminate and retry an
instance, hand a task to a user or back to its groups, move a task's due date. Each changes state and
writes its audit row; one not applicable is refused with a message and changes nothing; one without
a reason is the form again with the field's error; other roles and areas get 404."""
from __future__ import annotations

from sqlalchemy import select, update

from polku.engine.accounts import hash_password
from polku.engine.models import HumanTask, User
from tests.authz.matrix_support import fresh_hetu
from tests.scenarios.conftest import OTHER_PROVIDER, PROVIDER
from tests.web.conftest import PASSWORD, Browser, english
from tests.web.test_case_story import person
from tests.web.test_cases import audit_rows, text
from tests.web.test_notices import notices

REASON = "The client moved abroad for two months"


def _task(db_engine, instance_id, element_id="accept_referral"):
    with db_engine.connect() as conn:
        return conn.execute(select(HumanTask.id, HumanTask.assignee, HumanTask.due_at, HumanTask.state)
                            .where(HumanTask.instance_id == instance_id, HumanTask.element_id == element_id)
                            .order_by(HumanTask.created_at.desc())).first()


def _flash(b, case_id) -> str:
    """The instance page after the redirect: with the flashed message."""
    return text(b.get(f"/instances/{case_id}"))


def test_suspend_resume_and_terminate_change_the_case_and_are_audited(browser, refer, db_engine):
    case = refer()
    boss = english(browser("boss"))
    page = text(boss.get(f"/instances/{case.id}"))
    assert "Actions" in page and "Suspend the case" in page and "Terminate the case" in page
    assert "Resume the case" not in page and "Run the failed step again" not in page  # not applicable now
    response = boss.post(f"/instances/{case.id}/suspend", {"reason": REASON})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/instances/{case.id}")
    assert case.status == "suspended"
    assert audit_rows(db_engine, "suspend", case.id) == [("boss", {"reason": REASON})]
    page = _flash(boss, case.id)
    assert f"Case suspended by boss (reason: {REASON})" in page
    assert "The case was suspended." in page and "Resume the case" in page and "Suspend the case" not in page
    assert boss.post(f"/instances/{case.id}/resume", {"reason": "Back home"}).status_code == 302
    assert case.status == "running"
    assert audit_rows(db_engine, "resume", case.id) == [("boss", {"reason": "Back home", "status": "running"})]
    response = boss.post(f"/instances/{case.id}/terminate", {"reason": "Referred by mistake", "confirm": "yes"})
    assert response.status_code == 302
    assert case.status == "terminated"
    assert _task(db_engine, case.id).state == "cancelled"
    assert audit_rows(db_engine, "terminate", case.id) == [("boss", {"reason": "Referred by mistake"})]
    page = _flash(boss, case.id)
    assert "The case was terminated and its open tasks cancelled." in page
    assert "The case has ended: there is nothing to change." in page
    # Its period ended with it (domain.handlers.end_on_termination), told on the case page in words.
    assert "Ended (Ended: the case was terminated)" in text(boss.get(f"/cases/{case.id}"))


def test_retry_runs_the_failed_step_again(sample, web_app, db_engine):
    """The sample's script divides by zero: the instance is in error; a retry fails again, audited."""
    iid = sample.json("start", "script_case", "--as", "off1")["id"]
    with db_engine.begin() as conn:
        conn.execute(update(User).where(User.username == "boss").values(password_hash=hash_password(PASSWORD)))
    boss = english(Browser(web_app).login("boss"))
    page = text(boss.get(f"/instances/{iid}"))
    assert "Run the failed step again" in page and "Resume the case" not in page
    assert boss.post(f"/instances/{iid}/retry", {"reason": "The divisor was fixed"}).status_code == 302
    [(actor, details)] = audit_rows(db_engine, "retry", iid)
    assert actor == "boss" and details["reason"] == "The divisor was fixed" and details["status"] == "error"


def test_an_action_not_applicable_is_refused_with_a_message_and_changes_nothing(browser, refer, db_engine):
    case = refer()
    boss = english(browser("boss"))
    for action, message in (("resume", "The case could not be resumed: it is not suspended."),
                            ("retry", "The failed step could not be run again: the case is not in error.")):
        response = boss.post(f"/instances/{case.id}/{action}", {"reason": REASON})
        assert response.status_code == 302
        page = _flash(boss, case.id)
        assert message in page and "Nothing was changed." in page
        assert audit_rows(db_engine, action, case.id) == []
    assert case.status == "running"
    boss.post(f"/instances/{case.id}/terminate", {"reason": REASON, "confirm": "yes"})
    boss.post(f"/instances/{case.id}/terminate", {"reason": REASON, "confirm": "yes"})
    assert "The case could not be terminated: it has already ended." in _flash(boss, case.id)
    assert len(audit_rows(db_engine, "terminate", case.id)) == 1


def test_a_missing_reason_or_confirmation_is_a_field_error_and_changes_nothing(browser, refer, db_engine):
    case = refer()
    boss = english(browser("boss"))
    response = boss.post(f"/instances/{case.id}/suspend", {"reason": "   "})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "Give a reason: the next person to read the case needs to know why." in text(response)
    assert 'href="#suspend-reason"' in body and 'id="suspend-reason"' in body and 'aria-invalid="true"' in body
    response = boss.post(f"/instances/{case.id}/terminate", {"reason": REASON})
    assert response.status_code == 400
    assert "Confirm that the case ends and its open tasks are cancelled." in text(response)
    assert REASON in response.get_data(as_text=True)  # what was entered is kept
    response = boss.post(f"/instances/{case.id}/suspend", {"reason": "x" * 1001})
    assert response.status_code == 400 and "at most 1000 characters" in text(response)
    assert case.status == "running"
    assert audit_rows(db_engine, "suspend", case.id) == audit_rows(db_engine, "terminate", case.id) == []


def test_other_roles_and_areas_get_404_and_nothing_changes(browser, refer, coaching, db_engine):
    case = refer()
    person(coaching, db_engine, "boss9", "manager", OTHER_PROVIDER)
    task = _task(db_engine, case.id)
    for user in ("off1", "coach1", "boss9", "designer1"):
        b = browser(user)
        assert b.post(f"/instances/{case.id}/suspend", {"reason": REASON}).status_code == 404, user
        assert b.post(f"/instances/{case.id}/terminate", {"reason": REASON, "confirm": "yes"}).status_code == 404
        assert b.post(f"/instances/{case.id}/tasks/{task.id}/assign",
                      {"assignee": "coach1", "reason": REASON}).status_code == 404
        assert b.post(f"/instances/{case.id}/tasks/{task.id}/due",
                      {"due": "2026-02-02", "reason": REASON}).status_code == 404, user
    other = refer(client_hetu=fresh_hetu())  # a task of another case, named under this one
    assert browser("boss").post(f"/instances/{other.id}/tasks/{task.id}/assign",
                                {"assignee": "coach1", "reason": REASON}).status_code == 404
    assert case.status == "running"
    after = _task(db_engine, case.id)
    assert (after.assignee, after.due_at) == (task.assignee, task.due_at)
    for action in ("suspend", "terminate", "assign", "set_due"):
        assert audit_rows(db_engine, action, case.id) == []


def test_a_task_is_handed_to_a_candidate_and_back_to_its_groups(browser, refer, coaching, db_engine):
    case = refer()
    person(coaching, db_engine, "coach3", "coach", PROVIDER)
    task = _task(db_engine, case.id)
    boss = english(browser("boss"))
    body = boss.get(f"/instances/{case.id}").get_data(as_text=True)
    assert '<option value="coach1">' in body and '<option value="coach3">' in body
    # coach2: another provider's; off1: not in the task's candidate groups
    assert '<option value="coach2">' not in body and '<option value="off1">' not in body
    handed = boss.post(f"/instances/{case.id}/tasks/{task.id}/assign", {"assignee": "coach3", "reason": REASON})
    assert handed.status_code == 302
    assert _task(db_engine, case.id).assignee == "coach3"
    page = _flash(boss, case.id)
    assert "The task was assigned to coach3." in page and "Handled by: coach3 " in page
    assert audit_rows(db_engine, "assign", case.id) == [("boss", {"assignee": "coach3", "previous": None,
                                                                  "reason": REASON})]
    inbox = english(browser("coach3")).get("/tasks").get_data(as_text=True)
    assert f"/tasks/{task.id}" in inbox  # in the chosen user's inbox
    back = boss.post(f"/instances/{case.id}/tasks/{task.id}/assign", {"assignee": "-", "reason": "Ill"})
    assert back.status_code == 302
    assert _task(db_engine, case.id).assignee is None
    assert audit_rows(db_engine, "unclaim", case.id) == [("boss", {"previous": "coach3", "reason": "Ill"})]
    assert "The task is back in its group's queue." in _flash(boss, case.id)
    for form in ({"assignee": "", "reason": REASON}, {"assignee": "coach1", "reason": ""}):
        assert boss.post(f"/instances/{case.id}/tasks/{task.id}/assign", form).status_code == 400
    assert _task(db_engine, case.id).assignee is None and len(audit_rows(db_engine, "assign", case.id)) == 1


def test_the_due_date_moves_and_shows_on_the_page(browser, refer, db_engine, monkeypatch):
    monkeypatch.setenv("POLKU_NOW", "2026-01-20T09:00:00+00:00")
    case = refer()
    task = _task(db_engine, case.id)
    boss = english(browser("boss"))
    response = boss.post(f"/instances/{case.id}/tasks/{task.id}/due", {"due": "2026-02-02", "reason": REASON})
    assert response.status_code == 302
    assert _task(db_engine, case.id).due_at.isoformat() == "2026-02-02T21:59:59+00:00"  # the day's end in Finland
    page = _flash(boss, case.id)
    assert "The task's due date was changed." in page and "due: Feb 2, 2026" in page
    assert f"boss changed the due date of “Accept the referral and send the start notification” (reason: {REASON})" \
        in page  # the history tells it, with why
    assert audit_rows(db_engine, "set_due", case.id) == [("boss", {"fields": ["due_at"], "reason": REASON})]
    for values, message in (({"due": "2026-01-19", "reason": REASON}, "The due date cannot be in the past."),
                            ({"due": "2026-03-01", "reason": ""}, "Give a reason"),
                            ({"due": "soon", "reason": REASON}, "Give the new due date as a date")):
        response = boss.post(f"/instances/{case.id}/tasks/{task.id}/due", values)
        assert response.status_code == 400 and message in text(response)
    assert _task(db_engine, case.id).due_at.isoformat() == "2026-02-02T21:59:59+00:00"
    assert len(audit_rows(db_engine, "set_due", case.id)) == 1


def test_set_due_from_the_command_line(refer, coaching, db_engine):
    case = refer(now="2026-01-05T09:00:00+00:00")
    task = _task(db_engine, case.id)
    done = coaching.json("set-due", task.id, "--as", "boss", "--due", "2026-01-30", "--reason", REASON, "--json",
                         now="2026-01-06T09:00:00+00:00")
    assert done["due_at"] == "2026-01-30T21:59:59+00:00"
    refused = coaching.refused("set-due", task.id, "--as", "boss", "--due", "2026-01-01", "--reason", REASON,
                               "--json", now="2026-01-06T09:00:00+00:00")
    assert refused.json["code"] == "validation"
    assert coaching.refused("set-due", task.id, "--as", "coach1", "--due", "2026-02-01", "--reason", REASON,
                            "--json").json["code"] == "forbidden"
    assert len(audit_rows(db_engine, "set_due", case.id)) == 1


def test_the_actions_in_finnish_and_swedish(browser, refer):
    case = refer()
    boss = browser("boss")
    page = text(boss.get(f"/instances/{case.id}"))
    assert "Toimenpiteet" in page and "Pysäytä asia" in page
    assert boss.post(f"/instances/{case.id}/suspend", {"reason": REASON}).status_code == 302
    assert "Asia pysäytettiin." in text(boss.get(f"/instances/{case.id}"))
    assert boss.post("/language", {"locale": "sv", "next": "/tasks"}).status_code == 302
    page = text(boss.get(f"/instances/{case.id}"))
    assert "Åtgärder" in page and "Återuppta ärendet" in page
    assert boss.post(f"/instances/{case.id}/resume", {"reason": REASON}).status_code == 302
    assert "Ärendet återupptogs." in text(boss.get(f"/instances/{case.id}"))


def test_the_deadline_watch_follows_the_new_due_date(refer, coaching, db_engine):
    """The start notice of a referral of Mon 5 Jan is due Tue 13 Jan (reminded Fri 9 Jan); moved to
    Fri 30 Jan, the reminder comes two business days before that instead."""
    case = refer(now="2026-01-05T09:00:00+00:00")
    task = _task(db_engine, case.id)
    coaching("set-due", task.id, "--as", "boss", "--due", "2026-01-30", "--reason", REASON,
             now="2026-01-06T09:00:00+00:00")
    coaching("worker", "--once", now="2026-01-09T09:00:00+00:00")
    assert [n for n in notices(db_engine, case.id) if n.kind == "task_due_soon"] == []
    coaching("worker", "--once", now="2026-01-28T09:00:00+00:00")
    [reminder] = [n for n in notices(db_engine, case.id) if n.kind == "task_due_soon"]
    assert "2026-01-30" in str(reminder.details)
