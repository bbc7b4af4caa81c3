"""The sample process (lanes, groups, due date, gateway, DMN, service task, boundary timer)
driven start → end through the CLI, as an operator would."""
from __future__ import annotations

from sqlalchemy import select

from polku.engine.models import OutboxMessage
from tests.conftest import task_of


def test_approve_path_runs_gateway_dmn_service_task_and_ends(sample, db_engine):
    polku = sample
    started = polku.json("start", "sample_case", "--as", "off1", "--business-key", "case-1",
                         "--data", '{"client": "A"}')
    iid = started["id"]
    review = task_of(polku, "off1", "review")
    assert review["lane"] == "Official"
    assert review["candidate_groups"] == ["official"]
    assert review["priority"] == 50
    assert review["due_at"] == "2026-01-07T09:00:00+00:00"  # camunda:dueDate="P2D" from T0
    assert [f["id"] for f in review["fields"]] == ["decision", "amount", "note", "start_date", "urgent"]
    assert review["fields"][0]["options"] == [
        {"id": "approve", "label": "Approve"}, {"id": "reject", "label": "Reject"},
    ]

    polku("complete", review["id"], "--as", "off1",
          "--data", '{"decision": "approve", "amount": "70", "start_date": "2026-01-10"}')
    shown = polku.json("show", iid)
    assert shown["data"]["category"] == "large"  # the DMN table ran
    assert [t["element_id"] for t in shown["ready_tasks"]] == ["coach_work"]
    assert [t["element_id"] for t in shown["timers"]] == ["remind"]
    with db_engine.connect() as conn:
        outbox = conn.execute(select(OutboxMessage.instance_id, OutboxMessage.payload)).all()
    assert outbox == [(iid, {**{"client": "A", "category": "large", "note": None, "urgent": False},
                             "decision": "approve", "amount": 70, "start_date": "2026-01-10"})]

    work = task_of(polku, "coach1", "coach_work")
    polku("complete", work["id"], "--as", "coach1", "--data", '{"summary": "done"}')
    shown = polku.json("show", iid)
    assert shown["status"] == "completed"
    assert shown["ready_tasks"] == [] and shown["timers"] == []
    assert [h["action"] for h in shown["history"]] == ["start", "complete", "complete"]


def test_reject_path_ends_at_once(sample):
    polku = sample
    iid = polku.json("start", "sample_case", "--as", "off1")["id"]
    review = task_of(polku, "off1", "review")
    polku("complete", review["id"], "--as", "off1", "--data", '{"decision": "reject", "start_date": "2026-01-10"}')
    assert polku.json("show", iid)["status"] == "completed"
    assert polku.json("tasks", "--as", "coach1") == []


def test_boundary_timer_interrupts_the_coach_task(sample):
    polku = sample
    iid = polku.json("start", "sample_case", "--as", "off1")["id"]
    polku("complete", task_of(polku, "off1", "review")["id"], "--as", "off1",
          "--data", '{"decision": "approve", "amount": 1, "start_date": "2026-01-10"}')
    assert polku.json("show", iid)["timers"][0]["due_at"] == "2026-01-08T09:00:00+00:00"
    assert "fired 0" in polku("worker", "--once", now="2026-01-08T08:59:59+00:00").stdout
    assert "fired 1" in polku("worker", "--once", now="2026-01-08T09:00:01+00:00").stdout
    shown = polku.json("show", iid)
    assert shown["status"] == "completed" and shown["ready_tasks"] == []
    assert polku.json("tasks", "--as", "coach1") == []
