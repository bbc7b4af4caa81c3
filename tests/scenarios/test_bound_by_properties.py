"""Service handlers are bound to the model through camunda:properties, never element ids: a
designer may rename every service task in a modeler and the records and outcomes stay the same.
Each scenario runs on the shipped processes and on a copy with the service tasks renamed.
A task that lacks a property its handler needs is refused at deploy time, naming element and line."""
from __future__ import annotations

import re
import shutil

import pytest

from polku.domain.models import Decision, Goal, Notice, Period
from tests.conftest import from_template
from tests.scenarios.conftest import PROCESSES, REVISED_GOALS, at, rows

# Service task ids a designer might rename (the handler names, camunda:topic, stay).
RENAMES = {
    "record_goals": "set_the_goals",
    "record_revised_goals": "store_goals_again",
    "record_no_second_period": "no_second_period_needed",
    "record_second_period_forbidden": "second_period_not_allowed",
    "record_second_period_decision": "store_second_period_decision",
    "save_goals_decision": "store_goal_decision",
    "save_interruption_decision": "store_interruption_decision",
    "save_redirection_decision": "store_redirection_decision",
}
_REFERENCE = r'((?:id|sourceRef|targetRef|bpmnElement)="|<bpmn:flowNodeRef>)({})(?=["<])'


def renamed_copy(folder):
    shutil.copytree(PROCESSES, folder, ignore=shutil.ignore_patterns("__pycache__", "translations", "*.py"))
    path = folder / "tyohonvalmennus.bpmn"
    text = path.read_text(encoding="utf-8")
    pattern = re.compile(_REFERENCE.format("|".join(map(re.escape, RENAMES))))
    text, count = pattern.subn(lambda m: m.group(1) + RENAMES[m.group(2)], text)
    assert count >= 3 * len(RENAMES)  # the element, its flows and its diagram shape
    for old in RENAMES:
        assert not re.search(rf'id="{old}"', text)
    assert 'camunda:topic="record_goals"' in text  # the handler itself is not renamed
    path.write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(params=["shipped", "renamed"])
def coaching(request, polku, _database, tmp_path):
    """As tests/scenarios' `coaching` (a copy of its template); the renamed variant deploys the
    renamed copy over it, so its cases run on the renamed version."""
    from_template(_database, "coaching")
    if request.param == "renamed":
        assert "new" in polku("deploy", renamed_copy(tmp_path / "renamed"), "--as", "designer1").stdout
        latest = {d["key"]: d["version"] for d in polku.json("definitions")}
        assert latest["tyohonvalmennus"] == 2  # new cases start on the renamed version
    return polku


def started(refer):
    case = refer()
    case.accept()
    case.set_goals()
    return case


def test_first_goals_are_not_revised_and_revised_goals_are(refer, db_engine):
    case = started(refer)
    assert {g.revised for g in rows(db_engine, Goal)} == {False}
    case.week("2026-01-16", goals_unrealistic=True)
    case.do("decide_goals", "off1", decision="revise", reason="Smaller steps")
    case.do("revise_goals", "coach1", goals=REVISED_GOALS)
    assert case.ready() == ["weekly_review"]
    assert [(g.category, g.revised) for g in rows(db_engine, Goal)] == \
        [("realistic_plan", True), ("job_opportunities", True)]
    assert [(d.kind, d.decision) for d in rows(db_engine, Decision, instance_id=case.id)] == [("goals", "revise")]


def test_decisions_are_recorded_under_the_kind_their_task_declares(refer, db_engine):
    case = started(refer)
    case.week("2026-01-16", interruption_justified=True)
    case.do("decide_interruption", "off1", decision="continue", ground="other", reason="Situation resolved")
    case.week("2026-01-23", other_service_need=True)
    case.do("record_redirection", "coach1", target_service="health", description="Health check")
    case.do("decide_redirection", "off1", decision="continue", reason="Alongside coaching")
    assert [(d.kind, d.decision) for d in rows(db_engine, Decision, instance_id=case.id)] == \
        [("interruption", "continue"), ("redirection", "continue")]


def _reassess(case, needed=True):
    case.week("2026-04-10")
    case.week("2026-04-17")
    case.do("propose_second_period", "coach1", now=at("2026-04-17", "16:00"), second_period_needed=needed,
            second_period_end="2026-08-31" if needed else None, justification="Employment contract in negotiation")


def test_a_second_period_not_needed(refer, db_engine):
    case = started(refer)
    _reassess(case, needed=False)
    assert case.ready() == ["weekly_review"]
    [period] = rows(db_engine, Period, instance_id=case.id)
    assert (period.second_period_decision, period.second_period_reason) == \
        ("not_needed", "Employment contract in negotiation")


def test_a_second_period_decided_by_the_official(refer, db_engine):
    case = started(refer)
    _reassess(case)
    case.do("decide_second_period", "off1", decision="refuse", reason="Goals met")
    [period] = rows(db_engine, Period, instance_id=case.id)
    assert (period.second_period_decision, period.second_period_reason) == ("refused", "Goals met")
    assert [(d.kind, d.decision, d.decided_by) for d in rows(db_engine, Decision, instance_id=case.id)] == \
        [("second_period_proposal", "proposed", "coach1"), ("second_period", "refused", "off1")]


def test_a_second_period_forbidden_by_the_rules(refer, history, db_engine):
    history("2025-11-01", "2026-01-11")
    case = started(refer)
    _reassess(case)
    assert case.ready() == ["note_second_period_refused"]
    [period] = rows(db_engine, Period, instance_id=case.id)
    assert (period.second_period_decision, period.second_period_reason) == ("forbidden", "R3")
    assert [n.kind for n in rows(db_engine, Notice, instance_id=case.id, recipient_role="official")] == \
        ["second_period_forbidden"]


# --- deploy refuses a task without the property its handler needs ------------------------

def _without(tmp_path, element_id: str, old: str, new: str):
    folder = tmp_path / "edited"
    shutil.copytree(PROCESSES, folder, ignore=shutil.ignore_patterns("__pycache__", "translations", "*.py"))
    path = folder / "tyohonvalmennus.bpmn"
    text = path.read_text(encoding="utf-8")
    start = text.index(f'<bpmn:serviceTask id="{element_id}"')
    end = text.index("</bpmn:serviceTask>", start)
    assert old in text[start:end]
    path.write_text(text[:start] + text[start:end].replace(old, new, 1) + text[end:], encoding="utf-8")
    line = text[:start].count("\n") + 1
    return folder, line


@pytest.mark.parametrize("element_id,old,new,message", [
    ("save_goals_decision", '<camunda:property name="kind" value="goals"/>', "",
     "service handler 'record_decision' needs the camunda:property 'kind'"),
    ("record_goals", '<camunda:property name="revised" value="false"/>', "",
     "service handler 'record_goals' needs the camunda:property 'revised' (one of: false, true)"),
    ("record_no_second_period", 'value="not_needed"', 'value="maybe"',
     "service handler 'record_second_period': property 'decision' is 'maybe', not one of: "
     "not_needed, forbidden, by_official"),
], ids=["missing", "missing-with-choices", "not-a-choice"])
def test_a_service_task_without_the_property_its_handler_needs_is_refused(polku, make_user, tmp_path, element_id,
                                                                          old, new, message):
    folder, line = _without(tmp_path, element_id, old, new)
    result = polku.refused("deploy", folder)
    assert f"tyohonvalmennus.bpmn:{line} [{element_id}]" in result.stderr
    assert message in result.stderr
    body = polku("deploy", folder, "--json", ok=False).json
    assert [(p["element_id"], p["line"]) for p in body["problems"]] == [(element_id, line)]
    assert polku.json("definitions") == []
