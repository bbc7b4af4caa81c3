"""The audit trail through the CLI: exactly one row per successful command (the timer worker
included), none for refused commands or reads, and the details a reviewer needs."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from polku.engine.models import AuditEvent
from tests.conftest import BAD, REVIEW_OK, SAMPLE, task_of

REVIEW_DATA = json.dumps(REVIEW_OK)
AFTER_TIMER = "2026-01-09T00:00:00+00:00"


class Trail:
    """Reads audit_events straight from the database."""

    def __init__(self, db_engine):
        self.db_engine = db_engine

    def count(self) -> int:
        with self.db_engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(AuditEvent)).scalar_one()

    def rows_after(self, last_id: int) -> list:
        with self.db_engine.connect() as conn:
            return conn.execute(
                select(AuditEvent.id, AuditEvent.actor, AuditEvent.action, AuditEvent.instance_id,
                       AuditEvent.task_id, AuditEvent.details)
                .where(AuditEvent.id > last_id).order_by(AuditEvent.id)
            ).all()

    def last_id(self) -> int:
        with self.db_engine.connect() as conn:
            return conn.execute(select(func.coalesce(func.max(AuditEvent.id), 0))).scalar_one()

    def one(self, polku, *args, action: str, actor: str, now: str | None = None):
        """Run a successful command; exactly one new row, with this action and actor."""
        mark, before = self.last_id(), self.count()
        polku(*args, now=now)
        new = self.rows_after(mark)
        assert self.count() == before + 1, [(r.action, r.actor) for r in new]
        assert len(new) == 1
        row = new[0]
        assert (row.action, row.actor) == (action, actor)
        return row


@pytest.fixture
def trail(db_engine):
    return Trail(db_engine)


@pytest.fixture
def case(sample):
    iid = sample.json("start", "sample_case", "--as", "off1")["id"]
    return sample, iid, task_of(sample, "off1", "review", iid)["id"]


def test_user_add_writes_one_row(polku, trail):
    row = trail.one(polku, "user", "add", "newbie", "--role", "official", "--org", "Area 9",
                    action="user_add", actor="system")
    assert row.instance_id is None
    assert row.details == {"username": "newbie", "roles": ["official"], "org": "Area 9"}


def test_deploy_writes_one_row_even_when_nothing_changed(polku, make_user, trail):
    make_user("designer1", "designer")
    row = trail.one(polku, "deploy", SAMPLE, "--as", "designer1", action="deploy", actor="designer1")
    assert {p["key"]: p["status"] for p in row.details["processes"]}["sample_case"] == "new"
    row = trail.one(polku, "deploy", SAMPLE, "--as", "designer1", action="deploy", actor="designer1")
    assert {p["status"] for p in row.details["processes"]} == {"unchanged"}


def test_start_writes_one_row(sample, trail):
    row = trail.one(sample, "start", "sample_case", "--as", "off1", "--business-key", "k-1",
                    "--data", '{"client": "A"}', action="start", actor="off1")
    assert row.instance_id is not None
    assert row.details["process_key"] == "sample_case" and row.details["business_key"] == "k-1"
    assert row.details["data"] == {"client": "A"} and row.details["status"] == "running"


def test_a_start_that_fails_in_a_script_still_writes_one_row(sample, trail):
    row = trail.one(sample, "start", "script_case", "--as", "off1", action="start", actor="off1")
    assert row.details["status"] == "error"


def test_claim_unclaim_and_assign_each_write_one_row(case, trail):
    polku, iid, tid = case
    row = trail.one(polku, "claim", tid, "--as", "off1", action="claim", actor="off1")
    assert (row.instance_id, row.task_id) == (iid, tid)
    row = trail.one(polku, "unclaim", tid, "--as", "boss", action="unclaim", actor="boss")
    assert row.task_id == tid and row.details == {"previous": "off1"}
    row = trail.one(polku, "assign", tid, "--as", "boss", "--to", "off2", action="assign", actor="boss")
    assert row.task_id == tid and row.details == {"assignee": "off2", "previous": None}


def test_complete_writes_one_row_holding_the_submitted_fields(case, trail):
    polku, iid, tid = case
    data = {"decision": "approve", "amount": "42", "start_date": "2026-02-03", "urgent": "yes", "note": "ok then"}
    row = trail.one(polku, "complete", tid, "--as", "off1", "--data", json.dumps(data),
                    action="complete", actor="off1")
    assert (row.instance_id, row.task_id) == (iid, tid)
    assert row.details["element_id"] == "review" and row.details["status"] == "running"
    assert row.details["fields"] == {"decision": "approve", "amount": 42, "start_date": "2026-02-03",
                                     "urgent": True, "note": "ok then"}


def test_completing_the_last_task_writes_one_row(case, trail):
    polku, iid, tid = case
    polku("complete", tid, "--as", "off1", "--data", REVIEW_DATA)
    work = task_of(polku, "coach1", "coach_work", iid)["id"]
    row = trail.one(polku, "complete", work, "--as", "coach1", "--data", '{"summary": "done"}',
                    action="complete", actor="coach1")
    assert row.details["fields"] == {"summary": "done"} and row.details["status"] == "completed"


def test_suspend_resume_and_terminate_each_write_one_row(case, trail):
    polku, iid, _tid = case
    row = trail.one(polku, "suspend", iid, "--as", "boss", "--reason", "papers", action="suspend", actor="boss")
    assert row.instance_id == iid and row.details == {"reason": "papers"}
    row = trail.one(polku, "resume", iid, "--as", "boss", action="resume", actor="boss")
    assert row.details["status"] == "running"
    row = trail.one(polku, "terminate", iid, "--as", "boss", "--reason", "moved", action="terminate", actor="boss")
    assert row.instance_id == iid and row.details == {"reason": "moved"}


def test_each_retry_writes_one_row(sample, trail):
    iid = sample.json("start", "script_case", "--as", "off1")["id"]
    row = trail.one(sample, "retry", iid, "--as", "boss", action="retry", actor="boss")
    assert row.details["status"] == "error" and "divisor" in row.details["error"]
    row = trail.one(sample, "retry", iid, "--as", "boss", "--reason", "fixed", "--data", '{"divisor": 2}',
                    action="retry", actor="boss")
    assert row.details["status"] == "running" and row.details["data"] == {"divisor": 2}
    assert row.details["reason"] == "fixed" and row.instance_id == iid


def test_the_worker_writes_one_system_row_per_fired_timer(case, trail):
    polku, iid, tid = case
    polku("complete", tid, "--as", "off1", "--data", REVIEW_DATA)
    timer = polku.json("show", iid)["timers"][0]
    mark = trail.last_id()
    assert "fired 0" in polku("worker", "--once").stdout
    assert trail.rows_after(mark) == []
    row = trail.one(polku, "worker", "--once", now=AFTER_TIMER, action="timer", actor="system")
    assert (row.instance_id, row.task_id) == (iid, timer["id"])
    assert row.details == {"element_id": "remind", "status": "completed"}
    mark = trail.last_id()
    assert "fired 0" in polku("worker", "--once", now=AFTER_TIMER).stdout
    assert trail.rows_after(mark) == []


def test_the_worker_writes_a_row_for_each_instance_it_advances(sample, trail):
    polku = sample
    for _ in range(2):
        iid = polku.json("start", "sample_case", "--as", "off1")["id"]
        polku("complete", task_of(polku, "off1", "review", iid)["id"], "--as", "off1", "--data", REVIEW_DATA)
    mark = trail.last_id()
    assert "fired 2" in polku("worker", "--once", now=AFTER_TIMER).stdout
    rows = trail.rows_after(mark)
    assert [(r.action, r.actor) for r in rows] == [("timer", "system")] * 2
    assert len({r.instance_id for r in rows}) == 2


def test_reads_without_client_data_write_no_rows(case, trail):
    polku, iid, _tid = case
    before = trail.count()
    for args in (["tasks", "--as", "off1"], ["tasks"], ["instances"], ["definitions"]):
        polku(*args)
        polku(*args, "--json")
    assert trail.count() == before


def test_show_gives_client_data_so_each_read_is_a_row(case, trail):
    polku, iid, _tid = case
    mark = trail.last_id()
    polku("show", iid)
    polku("show", iid, "--as", "off2", "--json")
    assert [(r.action, r.actor, r.instance_id) for r in trail.rows_after(mark)] == [
        ("view_instance", "system", iid), ("view_instance", "off2", iid)]


REFUSED = [
    ["user", "add", "off1", "--role", "official"],
    ["deploy", SAMPLE, "--as", "off1"],
    ["deploy", BAD / "malformed.bpmn", "--as", "designer1"],
    ["start", "no_such_process", "--as", "off1"],
    ["start", "sample_case", "--as", "ghost"],
    ["start", "sample_case", "--as", "off1", "--data", "[1]"],
    ["claim", "{tid}", "--as", "outsider"],
    ["claim", "{tid}", "--as", "coach1"],
    ["unclaim", "{tid}", "--as", "off1"],
    ["assign", "{tid}", "--as", "off1", "--to", "off2"],
    ["assign", "{tid}", "--as", "boss", "--to", "coach1"],
    ["complete", "{tid}", "--as", "off1", "--data", '{"decision": "maybe"}'],
    ["complete", "{tid}", "--as", "outsider", "--data", REVIEW_DATA],
    ["suspend", "{iid}", "--as", "off1"],
    ["resume", "{iid}", "--as", "boss"],
    ["terminate", "{iid}", "--as", "boss"],
    ["terminate", "{iid}", "--as", "off1", "--reason", "x"],
    ["retry", "{iid}", "--as", "boss"],
    ["suspend", "999", "--as", "boss"],
]


@pytest.mark.parametrize("command", REFUSED, ids=lambda c: " ".join(map(str, c[:3])))
def test_a_refused_command_writes_no_row(case, trail, command):
    polku, iid, tid = case
    before = trail.count()
    polku.refused(*[{"{iid}": str(iid), "{tid}": tid}.get(a, a) if isinstance(a, str) else a for a in command])
    assert trail.count() == before


def test_refusals_after_claim_and_in_final_states_write_no_rows(case, trail):
    polku, iid, tid = case
    polku("claim", tid, "--as", "off1")
    before = trail.count()
    polku.refused("claim", tid, "--as", "off2")
    polku.refused("claim", tid, "--as", "off1")
    polku.refused("complete", tid, "--as", "off2", "--data", REVIEW_DATA)
    polku.refused("unclaim", tid, "--as", "off2")
    assert trail.count() == before
    polku("terminate", iid, "--as", "boss", "--reason", "done with it")
    before = trail.count()
    polku.refused("terminate", iid, "--as", "boss", "--reason", "again")
    polku.refused("suspend", iid, "--as", "boss")
    polku.refused("complete", tid, "--as", "off1", "--data", REVIEW_DATA)
    assert trail.count() == before


def test_the_history_in_show_is_the_instances_audit_rows_in_order(case):
    polku, iid, tid = case
    polku("claim", tid, "--as", "off1")
    polku("complete", tid, "--as", "off1", "--data", REVIEW_DATA)
    polku("suspend", iid, "--as", "boss")
    polku("resume", iid, "--as", "boss")
    polku("worker", "--once", now=AFTER_TIMER)
    history = polku.json("show", iid)["history"]
    assert [(h["actor"], h["action"]) for h in history] == [
        ("off1", "start"), ("off1", "claim"), ("off1", "complete"), ("boss", "suspend"), ("boss", "resume"),
        ("system", "timer")]
