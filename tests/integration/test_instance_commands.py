"""Whole-instance commands through the CLI: suspend, resume, terminate and retry, who may
run them, what they do to tasks and timers, and how unknown ids and users are refused."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from polku.engine.models import Timer
from tests.conftest import REVIEW_OK, task_of

REVIEW_DATA = json.dumps(REVIEW_OK)
AFTER_TIMER = "2026-01-09T00:00:00+00:00"  # past the coach task's 3-day boundary timer


@pytest.fixture
def cast(sample, make_user):
    make_user("boss2", "manager", org="Area 2")
    make_user("root", "admin", org="Admin")
    return sample


@pytest.fixture
def case(cast):
    """(polku, instance id, review task id) of a running sample instance."""
    iid = cast.json("start", "sample_case", "--as", "off1")["id"]
    return cast, iid, task_of(cast, "off1", "review", iid)["id"]


@pytest.fixture
def coach_case(case):
    """The sample instance past review: coach_work ready, its boundary timer waiting."""
    polku, iid, tid = case
    polku("complete", tid, "--as", "off1", "--data", REVIEW_DATA)
    return polku, iid, task_of(polku, "coach1", "coach_work", iid)["id"]


@pytest.fixture
def failed(cast):
    """(polku, instance id) of a script_case started without `divisor`: in error."""
    return cast, cast.json("start", "script_case", "--as", "off1")["id"]


def _status(polku, iid):
    return polku.json("show", iid)["status"]


def _timer_rows(db_engine, iid):
    with db_engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Timer).where(Timer.instance_id == iid)).scalar_one()


# --- who may ------------------------------------------------------------------------------

COMMANDS = [["suspend"], ["resume"], ["terminate", "--reason", "duplicate"], ["retry"]]


@pytest.mark.parametrize(("actor", "code"), [("off1", "forbidden"), ("coach1", "forbidden"),
                                             ("boss2", "not_found"), ("outsider", "not_found")])
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_only_managers_of_the_instances_org_may_run_instance_commands(case, actor, code, command):
    """Users of the instance's organisation are told they may not; others are not told it exists."""
    polku, iid, _tid = case
    refused = polku.refused(command[0], iid, "--as", actor, *command[1:], "--json")
    assert refused.json["code"] == code
    assert _status(polku, iid) == "running"


@pytest.mark.parametrize("actor", ["boss", "root"])
def test_a_manager_of_the_org_or_an_admin_may_suspend_resume_and_terminate(case, actor):
    polku, iid, _tid = case
    assert polku.json("suspend", iid, "--as", actor) == {"id": iid, "status": "suspended"}
    assert polku.json("resume", iid, "--as", actor) == {"id": iid, "status": "running"}
    assert polku.json("terminate", iid, "--as", actor, "--reason", "x") == {"id": iid, "status": "terminated"}


@pytest.mark.parametrize("actor", ["boss", "root"])
def test_a_manager_of_the_org_or_an_admin_may_retry(failed, actor):
    polku, iid = failed
    assert polku.json("retry", iid, "--as", actor, "--data", '{"divisor": 5}') == {"id": iid, "status": "running"}


# --- suspend and resume ---------------------------------------------------------------------

def test_a_suspended_instances_tasks_vanish_and_cannot_be_worked_on(case):
    polku, iid, tid = case
    polku("suspend", iid, "--as", "boss", "--reason", "waiting for papers")
    assert _status(polku, iid) == "suspended"
    assert polku.json("tasks", "--as", "off1") == [] and polku.json("tasks") == []
    refused = polku.refused("complete", tid, "--as", "off1", "--data", REVIEW_DATA)
    assert "suspended" in refused.stderr
    assert "suspended" in polku.refused("claim", tid, "--as", "off2").stderr
    assert "suspended" in polku.refused("suspend", iid, "--as", "boss").stderr


def test_resume_brings_the_tasks_back(case):
    polku, iid, tid = case
    polku("suspend", iid, "--as", "boss")
    polku("resume", iid, "--as", "boss")
    assert _status(polku, iid) == "running"
    assert [t["id"] for t in polku.json("tasks", "--as", "off1")] == [tid]
    polku("complete", tid, "--as", "off1", "--data", REVIEW_DATA)


def test_resume_of_a_running_instance_is_refused(case):
    polku, iid, _tid = case
    assert "not suspended" in polku.refused("resume", iid, "--as", "boss").stderr


def test_timers_of_a_suspended_instance_wait_until_resumed(coach_case):
    polku, iid, _work = coach_case
    polku("suspend", iid, "--as", "boss")
    assert "fired 0" in polku("worker", "--once", now=AFTER_TIMER).stdout
    assert _status(polku, iid) == "suspended"
    polku("resume", iid, "--as", "boss", now=AFTER_TIMER)
    assert "fired 1" in polku("worker", "--once", now=AFTER_TIMER).stdout
    assert _status(polku, iid) == "completed"


def test_resuming_a_suspended_failed_instance_returns_it_to_error(failed):
    polku, iid = failed
    polku("suspend", iid, "--as", "boss")
    assert polku.json("resume", iid, "--as", "boss") == {"id": iid, "status": "error"}


# --- terminate ------------------------------------------------------------------------------

@pytest.mark.parametrize("reason", [None, "", "   "])
def test_terminate_needs_a_reason(coach_case, reason, db_engine):
    polku, iid, _work = coach_case
    args = [] if reason is None else ["--reason", reason]
    refused = polku.refused("terminate", iid, "--as", "boss", *args, "--json")
    assert refused.json["code"] == "validation" and "reason" in refused.json["fields"]
    assert _status(polku, iid) == "running"
    assert _timer_rows(db_engine, iid) == 1


def test_terminate_ends_the_instance_and_drops_its_tasks_and_timers(coach_case, db_engine):
    polku, iid, work = coach_case
    assert _timer_rows(db_engine, iid) == 1
    polku("terminate", iid, "--as", "boss", "--reason", "client moved away")
    shown = polku.json("show", iid)
    assert shown["status"] == "terminated" and shown["ended_at"] is not None
    assert shown["ready_tasks"] == [] and shown["timers"] == []
    assert _timer_rows(db_engine, iid) == 0
    assert polku.json("tasks", "--as", "coach1") == []
    assert polku.json("tasks") == []
    polku.refused("complete", work, "--as", "coach1", "--data", '{"summary": "late"}')
    assert "fired 0" in polku("worker", "--once", now=AFTER_TIMER).stdout


def test_a_second_terminate_is_refused(case):
    polku, iid, _tid = case
    polku("terminate", iid, "--as", "boss", "--reason", "duplicate")
    refused = polku.refused("terminate", iid, "--as", "boss", "--reason", "again", "--json")
    assert refused.json["code"] == "conflict" and "already terminated" in refused.json["error"]
    for command in (["suspend"], ["resume"], ["retry"]):
        polku.refused(command[0], iid, "--as", "boss")
    assert _status(polku, iid) == "terminated"


def test_a_failed_instance_can_be_terminated(failed):
    polku, iid = failed
    polku("terminate", iid, "--as", "boss", "--reason", "given up")
    assert _status(polku, iid) == "terminated"


# --- errors and retry ------------------------------------------------------------------------

def test_retry_of_a_running_instance_is_refused(case):
    polku, iid, _tid = case
    refused = polku.refused("retry", iid, "--as", "boss", "--json")
    assert refused.json["code"] == "conflict" and "not in error" in refused.json["error"]


def test_a_failing_script_puts_the_instance_in_error(failed):
    polku, iid = failed
    shown = polku.json("show", iid)
    assert shown["status"] == "error"
    assert shown["error"]["element_id"] == "compute"
    assert "divisor" in shown["error"]["message"]
    assert shown["ready_tasks"] == []
    assert polku.json("tasks", "--as", "off1") == []


def test_retry_without_a_fix_stays_in_error(failed):
    polku, iid = failed
    assert polku.json("retry", iid, "--as", "boss", "--reason", "try again") == {"id": iid, "status": "error"}
    shown = polku.json("show", iid)
    assert shown["error"]["element_id"] == "compute" and "divisor" in shown["error"]["message"]


def test_retry_with_a_still_bad_value_reports_the_new_error(failed):
    polku, iid = failed
    polku("retry", iid, "--as", "boss", "--data", '{"divisor": 0}')
    shown = polku.json("show", iid)
    assert shown["status"] == "error" and shown["error"]["element_id"] == "compute"
    assert "division" in shown["error"]["message"].lower()


def test_retry_with_corrected_data_runs_on(failed):
    polku, iid = failed
    assert polku.json("retry", iid, "--as", "boss", "--data", '{"divisor": 2}') == {"id": iid, "status": "running"}
    shown = polku.json("show", iid)
    assert shown["status"] == "running" and shown["error"] is None
    assert shown["data"]["result"] == 5.0
    assert [t["element_id"] for t in shown["ready_tasks"]] == ["after"]
    after = task_of(polku, "off2", "after", iid)
    polku("complete", after["id"], "--as", "off2")
    assert _status(polku, iid) == "completed"


def test_retry_data_must_be_an_object(failed):
    polku, iid = failed
    assert polku.refused("retry", iid, "--as", "boss", "--data", "[2]", "--json").json["code"] == "validation"
    assert _status(polku, iid) == "error"


def test_instances_can_be_filtered_by_status(failed):
    polku, bad = failed
    good = polku.json("start", "sample_case", "--as", "off1")["id"]
    assert [r["id"] for r in polku.json("instances", "--status", "error")] == [bad]
    assert [r["id"] for r in polku.json("instances", "--status", "running")] == [good]
    assert polku.json("instances", "--status", "suspended") == []
    assert [r["id"] for r in polku.json("instances")] == [bad, good]
    assert polku.json("instances", "--status", "error")[0]["process_key"] == "script_case"


# --- unknown ids and users ------------------------------------------------------------------

@pytest.mark.parametrize("command", [*COMMANDS, ["show"], ["show", "--as", "boss"]], ids=lambda c: " ".join(c))
def test_an_unknown_instance_is_refused(cast, command):
    polku = cast
    args = command[1:] if command[0] == "show" else ["--as", "boss", *command[1:]]
    refused = polku.refused(command[0], 999, *args)
    assert refused.stderr == "error: no instance 999\n"


@pytest.mark.parametrize("command", [
    ["suspend", "{iid}"], ["resume", "{iid}"], ["terminate", "{iid}", "--reason", "x"], ["retry", "{iid}"],
    ["show", "{iid}"], ["start", "sample_case"], ["tasks"], ["claim", "{tid}"], ["unclaim", "{tid}"],
    ["complete", "{tid}", "--data", REVIEW_DATA], ["assign", "{tid}", "--to", "off1"],
], ids=lambda c: c[0])
def test_an_unknown_acting_user_is_refused(case, command):
    polku, iid, tid = case
    args = [{"{iid}": str(iid), "{tid}": tid}.get(a, a) for a in command]
    refused = polku.refused(*args, "--as", "ghost")
    assert "no user" in refused.stderr and "ghost" in refused.stderr
    assert _status(polku, iid) == "running"
    assert [t["id"] for t in polku.json("tasks", "--as", "off1")] == [tid]
