"""The responsible official (issue 8): the official who makes the referral is the case's responsible
official (the start event's camunda:initiator), the case's official tasks are assigned to them
(camunda:assignee), and another official of the area takes a task over by an explicit, audited claim.
Officials of other areas and coaches cannot."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from polku.domain.models import Referral
from polku.engine.models import AuditEvent
from tests.conftest import add_user
from tests.scenarios.conftest import rows

OFFICIAL_TASKS = {"decide_redirection"}


@pytest.fixture
def redirection(refer):
    """A case of off1's waiting for the official's decision on a redirection."""
    case = refer()
    case.accept()
    case.set_goals()
    case.week("2026-01-16", other_service_need=True)
    case.do("record_redirection", "coach1", target_service="health", description="Check")
    assert case.ready() == ["decide_redirection"]
    return case


def _ready(case, element_id: str) -> dict:
    return next(t for t in case.show()["ready_tasks"] if t["element_id"] == element_id)


def _listed(polku, actor: str, iid: int) -> list[str]:
    return [t["element_id"] for t in polku.json("tasks", "--as", actor, "--instance", iid)]


def test_the_referring_official_is_recorded_and_assigned_the_cases_official_tasks(redirection, coaching, db_engine):
    [referral] = rows(db_engine, Referral, instance_id=redirection.id)
    assert (referral.responsible_official, referral.submitted_by) == ("off1", "off1")
    assert redirection.data["responsible_official"] == "off1"
    task = _ready(redirection, "decide_redirection")
    assert task["assignee"] == "off1" and task["candidate_groups"] == ["official"]  # the group is kept
    assert _listed(coaching, "off1", redirection.id) == ["decide_redirection"]
    assert _listed(coaching, "off2", redirection.id) == []  # a colleague's task: not in off2's inbox
    # A plain claim does not take a colleague's task: the take-over is explicit.
    refused = coaching.refused("claim", task["id"], "--as", "off2", "--json")
    assert refused.json["code"] == "conflict" and "claimed by off1" in refused.json["error"]


def test_the_responsible_official_cannot_be_sent_with_the_referral(coaching):
    from tests.scenarios.conftest import referral

    refused = coaching.refused("start", "tyohonvalmennus", "--as", "off1", "--json",
                               "--data", json.dumps(referral(responsible_official="off2")))
    assert refused.json["fields"] == {"responsible_official": "unknown field"}


def test_another_official_of_the_area_takes_the_task_over_audited(redirection, coaching, db_engine):
    task = _ready(redirection, "decide_redirection")
    out = coaching.json("take-over", task["id"], "--as", "off2")
    assert out == {"id": task["id"], "ok": True}
    assert _ready(redirection, "decide_redirection")["assignee"] == "off2"
    assert _listed(coaching, "off1", redirection.id) == []  # gone from the first official's inbox
    assert _listed(coaching, "off2", redirection.id) == ["decide_redirection"]
    with Session(db_engine) as session:
        [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "take_over")).all()
    assert (event.actor, event.task_id, event.instance_id) == ("off2", task["id"], redirection.id)
    assert event.details == {"from": "off1", "to": "off2"}
    # off1 may take it back the same way; off2 now decides.
    coaching("take-over", task["id"], "--as", "off1")
    coaching("take-over", task["id"], "--as", "off2")
    redirection.do("decide_redirection", "off2", decision="continue", reason="Coaching continues")
    assert "decide_redirection" not in redirection.ready()
    # The case's responsible official does not change with one task.
    [referral] = rows(db_engine, Referral, instance_id=redirection.id)
    assert referral.responsible_official == "off1"


def test_officials_of_other_areas_and_coaches_cannot_take_it_over(redirection, coaching, db_engine):
    add_user(coaching, "far", "official", org="Toinen työllisyysalue")
    task = _ready(redirection, "decide_redirection")
    for actor in ("far", "coach1", "coach2"):
        refused = coaching.refused("take-over", task["id"], "--as", actor)
        assert "no task" in refused.stderr, (actor, refused.stderr)  # not even seen: not found
    assert _ready(redirection, "decide_redirection")["assignee"] == "off1"
    own = coaching.refused("take-over", task["id"], "--as", "off1", "--json")
    assert own.json["code"] == "conflict" and "already yours" in own.json["error"]
    with Session(db_engine) as session:
        assert session.scalars(select(AuditEvent).where(AuditEvent.action == "take_over")).all() == []


def test_a_free_task_is_claimed_not_taken_over(redirection, coaching):
    task = _ready(redirection, "decide_redirection")
    coaching("unclaim", task["id"], "--as", "off1")  # e.g. before a holiday: back to the area's queue
    refused = coaching.refused("take-over", task["id"], "--as", "off2", "--json")
    assert refused.json["code"] == "conflict" and "claim it instead" in refused.json["error"]
    coaching("claim", task["id"], "--as", "off2")
    assert _ready(redirection, "decide_redirection")["assignee"] == "off2"


def test_every_official_task_of_the_process_is_assigned_to_the_responsible_official(coaching, db_engine):
    """Read from the deployed version: every user task of the official's group names the
    responsible official as its assignee, so a designer sees it in the modeler."""
    from polku.engine.models import ProcessDefinition

    with Session(db_engine) as session:
        ext = session.scalar(select(ProcessDefinition.extensions)
                             .where(ProcessDefinition.key == "tyohonvalmennus"))
    official = {k: v for k, v in ext.items() if "official" in (v or {}).get("candidate_groups", [])}
    assert OFFICIAL_TASKS <= set(official) and len(official) >= 8
    assert {v["assignee"] for v in official.values()} == {"${responsible_official}"}
    assert ext["tyohonvalmennus"]["initiator"] == "responsible_official"
