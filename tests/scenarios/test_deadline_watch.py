"""The deadline watch (domain.deadline_watch), run by `polku worker --once` at a moved clock: a
reminder to the task's role `reminder_business_days` business days before its due day, and an
escalation to the manager when it is `escalation_business_days` business days overdue, once per
task, never for a completed task; both numbers come from processes/coaching_limits.dmn (2 and 3),
and a changed table changes them."""
from __future__ import annotations

import shutil

from polku.domain.models import Notice
from tests.scenarios.conftest import PROCESSES, at, rows

# Mon 5 Jan 2026 referral: the start notice is due Tue 13 Jan (5 business days, Epiphany skipped).
REFERRED = at("2026-01-05")


def deadline_notices(db_engine, case, element_id: str) -> list[tuple[str, str, dict]]:
    """(kind, recipient, details) of the deadline notices about `element_id`'s tasks."""
    return [(n.kind, n.recipient_role, n.details) for n in rows(db_engine, Notice, instance_id=case.id)
            if n.task_id and n.details.get("element_id") == element_id]


def kinds(db_engine, case, element_id: str) -> list[tuple[str, str]]:
    return [(kind, recipient) for kind, recipient, _ in deadline_notices(db_engine, case, element_id)]


def test_the_coach_is_reminded_of_the_start_notice_once_and_the_manager_told_when_it_is_late(refer, db_engine):
    case = refer(now=REFERRED)
    worker = lambda day, clock="09:00": case.polku("worker", "--once", now=at(day, clock)).stdout  # noqa: E731

    worker("2026-01-08")  # Thursday: three business days before the due day
    assert kinds(db_engine, case, "accept_referral") == []
    out = worker("2026-01-09")  # Friday: two business days before Tuesday 13 January
    assert "deadline_watch: 1" in out
    [(kind, recipient, details)] = deadline_notices(db_engine, case, "accept_referral")
    assert (kind, recipient) == ("task_due_soon", "coach")
    assert details == {"process": "tyohonvalmennus", "element_id": "accept_referral",
                       "task": "Vastaanota ohjaus ja tee aloitusilmoitus", "due_on": "2026-01-13"}
    assert "deadline_watch" not in worker("2026-01-09", "15:00")  # a second round raises nothing
    worker("2026-01-12")
    assert kinds(db_engine, case, "accept_referral") == [("task_due_soon", "coach")]

    worker("2026-01-15")  # two business days late: not yet
    assert kinds(db_engine, case, "accept_referral") == [("task_due_soon", "coach")]
    worker("2026-01-16")  # three business days late: the manager is told
    assert deadline_notices(db_engine, case, "accept_referral")[1] == (
        "task_overdue", "manager", {"process": "tyohonvalmennus", "element_id": "accept_referral",
                                    "task": "Vastaanota ohjaus ja tee aloitusilmoitus", "due_on": "2026-01-13",
                                    "overdue_days": 3, "role": "coach"})
    worker("2026-01-19")
    worker("2026-01-20")
    assert kinds(db_engine, case, "accept_referral") == [("task_due_soon", "coach"), ("task_overdue", "manager")]
    # The manager's own follow-up task (due Mon 19 Jan) is reminded to the managers, never escalated to them.
    assert kinds(db_engine, case, "follow_up_start_notice") == [("task_due_soon", "manager")]


def test_an_officials_decision_is_reminded_to_the_official_and_a_completed_task_never(refer, db_engine):
    case = refer(now=at("2026-02-02"), planned_start="2026-02-02", planned_end="2026-05-31")
    case.accept(actual_start="2026-02-02", now=at("2026-02-02", "10:00"))
    case.set_goals(now=at("2026-02-02", "11:00"))
    case.week("2026-02-06", interruption_justified=True)  # Friday: the decision is due Fri 13 February

    case.polku("worker", "--once", now=at("2026-02-10"))
    assert kinds(db_engine, case, "decide_interruption") == []
    case.polku("worker", "--once", now=at("2026-02-11"))  # Wednesday, two business days before
    [(kind, recipient, details)] = deadline_notices(db_engine, case, "decide_interruption")
    assert (kind, recipient, details["due_on"]) == ("task_due_soon", "official", "2026-02-13")

    case.do("decide_interruption", "off1", now=at("2026-02-12"), decision="continue", ground="other",
            reason="Situation resolved")
    case.polku("worker", "--once", now=at("2026-02-20"))  # it would be five business days late: done, so nothing
    assert kinds(db_engine, case, "decide_interruption") == [("task_due_soon", "official")]
    # Tasks done before their reminder day never had one.
    assert deadline_notices(db_engine, case, "accept_referral") == []
    assert deadline_notices(db_engine, case, "set_goals") == []


def test_the_numbers_are_data_in_coaching_limits(refer, coaching, db_engine, tmp_path):
    """The designer changes the table (remind on the due day, escalate one business day late) and
    deploys: new cases follow the new numbers, a case started before keeps its version's."""
    before = refer(now=REFERRED)
    package = shutil.copytree(PROCESSES, tmp_path / "processes")
    dmn = package / "coaching_limits.dmn"
    text = dmn.read_text(encoding="utf-8")
    for entry, old, new in (("out19", "2", "0"), ("out20", "3", "1")):
        cell = f'<outputEntry id="rule_coaching_limits_1_{entry}">\n          <text>{old}</text>'
        assert cell in text
        text = text.replace(cell, cell.replace(f"<text>{old}</text>", f"<text>{new}</text>"))
    dmn.write_text(text, encoding="utf-8")
    assert "tyohonvalmennus\t2\tnew" in coaching("deploy", package, "--as", "designer1").stdout
    after = refer(now=REFERRED, client_hetu="010594Y9021", client_name="Bertta Berg")

    coaching("worker", "--once", now=at("2026-01-09"))
    assert kinds(db_engine, before, "accept_referral") == [("task_due_soon", "coach")]
    assert kinds(db_engine, after, "accept_referral") == []  # reminded on the due day only
    coaching("worker", "--once", now=at("2026-01-13"))
    assert kinds(db_engine, after, "accept_referral") == [("task_due_soon", "coach")]
    coaching("worker", "--once", now=at("2026-01-14", "12:00"))  # one business day late
    assert kinds(db_engine, after, "accept_referral") == [("task_due_soon", "coach"), ("task_overdue", "manager")]
    assert kinds(db_engine, before, "accept_referral") == [("task_due_soon", "coach")]

