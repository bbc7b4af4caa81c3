"""Closure (R5, R6), the final statement and end notification (R7), the official's review and
the optional feedback discussion; and the provider follow-up process."""
from __future__ import annotations

import json

from polku.domain.models import Closure, FollowUpMeeting, Goal, Notification, Provider, Statement
from polku.engine.models import OutboxMessage
from tests.scenarios.conftest import at, rows


def to_closure(refer):
    case = refer()
    case.accept()
    case.set_goals()
    case.week("2026-01-16")
    case.week("2026-01-23", end_period=True)
    assert case.ready() == ["closure"]
    return case


def test_happy_path_two_goals_reached_statement_and_end_notification(refer, db_engine):
    case = to_closure(refer)
    case.close(reached=2)
    case.statement()
    assert case.ready() == ["review_end"]
    case.do("review_end", "off1", feedback_discussion="none")
    assert case.status == "completed"
    goals = rows(db_engine, Goal)
    assert [g.reached for g in goals] == [True, True, False] and all(g.evidence for g in goals)
    [closure] = rows(db_engine, Closure, instance_id=case.id)
    assert closure.employment_status == "employed"
    assert [n.kind for n in rows(db_engine, Notification, instance_id=case.id)] == ["start", "end"]
    [statement] = rows(db_engine, Statement, instance_id=case.id)
    assert (statement.kind, statement.reviewed_with_client) == ("arvi", True)
    sent = [m.payload["to"] for m in rows(db_engine, OutboxMessage, instance_id=case.id, topic="final_statement")]
    assert sorted(sent) == ["client", "official"]


def test_closure_with_one_goal_and_no_next_steps_is_refused_and_with_next_steps_accepted(refer):
    case = to_closure(refer)
    refused = case.refused("closure", "coach1", goal_results=[
        {"goal": 0, "reached": True, "evidence": "e"}, {"goal": 1, "reached": False, "evidence": "e"},
        {"goal": 2, "reached": False, "evidence": "e"}], outcome_areas=[], employment_status="jobseeker", next_steps="")
    assert list(refused["fields"]) == ["next_steps"]
    assert case.ready() == ["closure"]
    case.close(reached=1, next_steps="Apply to the logistics course in March")
    assert case.ready() == ["final_statement"]


def test_every_goal_needs_a_result_with_evidence(refer):
    case = to_closure(refer)
    results = [{"goal": 0, "reached": True, "evidence": "e"}, {"goal": 1, "reached": True, "evidence": "e"}]
    refused = case.refused("closure", "coach1", goal_results=results, employment_status="employed")
    assert list(refused["fields"]) == ["goal_results"]
    results.append({"goal": 2, "reached": False, "evidence": " "})
    refused = case.refused("closure", "coach1", goal_results=results, employment_status="employed")
    assert list(refused["fields"]) == ["goal_results"]


def test_a_final_statement_not_reviewed_with_the_client_is_refused(refer):
    case = to_closure(refer)
    case.close()
    refused = case.refused("final_statement", "coach1", statement_kind="written", statement_text="Feedback",
                           reviewed_with_client=False)
    assert list(refused["fields"]) == ["reviewed_with_client"]
    case.statement(statement_kind="written")
    assert case.ready() == ["review_end"]


def test_the_optional_feedback_discussion(refer, db_engine):
    case = to_closure(refer)
    case.close()
    case.statement()
    case.do("review_end", "off1", feedback_discussion="schedule", feedback_planned_on="2026-02-10")
    assert case.ready() == ["record_feedback_discussion"]
    case.do("record_feedback_discussion", "off1", held_on="2026-02-10", notes="Discussed in the job-search discussion")
    assert case.status == "completed"


def test_provider_follow_up_meetings_on_their_cycle(coaching, db_engine):
    values = {"provider": "Valmennus Oy", "methods": "Individual coaching", "municipalities": "Helsinki, Espoo",
              "start_dates": "non-stop", "non_stop": True, "places_at_once": 20, "places_per_year": 60,
              "target_group": "Long-term unemployed"}
    iid = coaching.json("start", "provider_follow_up", "--as", "boss", "--data", json.dumps(values))["id"]
    [provider] = rows(db_engine, Provider)
    assert (provider.places_at_once, provider.non_stop) == (20, True)
    assert "fired 0" in coaching("worker", "--once", now=at("2026-04-04")).stdout
    assert "fired 1" in coaching("worker", "--once", now=at("2026-04-06")).stdout  # three months on
    meeting = [t for t in coaching.json("tasks", "--as", "boss") if t["element_id"] == "record_follow_up_meeting"]
    coaching("complete", meeting[0]["id"], "--as", "boss", "--data",
             json.dumps({"held_on": "2026-04-07", "notes": "Places used 15/20", "actions": "None"}))
    assert "fired 1" in coaching("worker", "--once", now=at("2026-07-06")).stdout  # and three more
    assert [m.held_on.isoformat() for m in rows(db_engine, FollowUpMeeting)] == ["2026-04-07"]
    # In due order: the meeting is due within a month, the contract's follow-up after a year.
    assert [t["element_id"] for t in coaching.json("show", iid)["ready_tasks"]] == \
        ["record_follow_up_meeting", "contract_active"]


def test_after_an_interruption_for_absence_the_statement_records_why_it_was_not_reviewed(refer, db_engine):
    """The client stopped coming: the official interrupts (R9), and the coach cannot review the
    statement with a client who has gone. A missing tick needs the reason instead, never a false tick."""
    case = refer()
    case.accept()
    case.set_goals()
    case.week("2026-01-16", meetings=0, absence_days=3)
    case.week("2026-01-23", meetings=0, absence_days=2)
    case.do("decide_interruption", "off1", decision="interrupt", ground="absence", reason="Five days absent")
    case.close(reached=0, next_steps="Contact the employment office when able")
    refused = case.refused("final_statement", "coach1", statement_kind="written", statement_text="Feedback",
                           reviewed_with_client=False, not_reviewed_reason="  ")
    assert list(refused["fields"]) == ["reviewed_with_client"]
    refused = case.refused("final_statement", "coach1", statement_kind="written", statement_text="Feedback",
                           reviewed_with_client=True, not_reviewed_reason="Not reachable")
    assert list(refused["fields"]) == ["not_reviewed_reason"]
    case.statement(statement_kind="written", reviewed_with_client=False,
                   not_reviewed_reason="The client has not answered calls or letters since 12 January")
    assert case.ready() == ["review_end"]
    [statement] = rows(db_engine, Statement, instance_id=case.id)
    assert (statement.reviewed_with_client, statement.not_reviewed_reason) == (
        False, "The client has not answered calls or letters since 12 January")
