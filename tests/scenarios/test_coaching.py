"""The coaching period, notices and decisions (R2, R6, R8, R9) and the second period (R3, R4)."""
from __future__ import annotations

from polku.domain.models import Decision, Goal, Notice, Period, Redirection
from tests.scenarios.conftest import REVISED_GOALS, at, rows


def started(refer):
    case = refer()
    case.accept()
    case.set_goals()
    assert case.ready() == ["weekly_review"]
    return case


def test_goals_need_at_least_two_with_a_verification_method(refer):
    case = refer()
    case.accept()
    one = [{"category": "job_search_skills", "description": "CV", "verification": "CV sent"}]
    assert "goals" in case.refused("set_goals", "coach1", goals=one, meetings_per_week=1)["fields"]
    no_method = [{"category": "job_search_skills", "description": "CV", "verification": ""}] * 2
    assert "goals" in case.refused("set_goals", "coach1", goals=no_method, meetings_per_week=1)["fields"]
    assert "meetings_per_week" in case.refused("set_goals", "coach1", goals=one * 2, meetings_per_week=0)["fields"]


def test_a_week_without_meetings_is_flagged_to_the_manager(refer, db_engine):
    case = started(refer)
    case.week("2026-01-16")
    case.week("2026-01-23", meetings=0)
    [notice] = rows(db_engine, Notice, instance_id=case.id, kind="week_without_meeting")
    assert (notice.recipient_role, notice.details["week"]) == ("manager", 2)
    assert case.ready() == ["weekly_review"]


def test_redirect_to_health_services_then_continue(refer, db_engine):
    case = started(refer)
    case.week("2026-01-16", other_service_need=True)
    assert case.ready() == ["record_redirection"]
    case.do("record_redirection", "coach1", target_service="health", description="Needs an occupational health check")
    case.do("decide_redirection", "off1", decision="continue", reason="Health check alongside coaching")
    assert case.ready() == ["weekly_review"]
    [redirection] = rows(db_engine, Redirection, instance_id=case.id)
    assert redirection.target_service == "health"
    assert [(d.kind, d.decision, d.decided_by) for d in rows(db_engine, Decision, instance_id=case.id)] == \
        [("redirection", "continue", "off1")]
    assert [n.kind for n in rows(db_engine, Notice, instance_id=case.id)] == ["other_service"]


def test_redirect_then_interruption(refer, db_engine):
    case = started(refer)
    case.week("2026-01-16", other_service_need=True)
    case.do("record_redirection", "coach1", target_service="rehabilitation", description="Rehabilitation first")
    case.do("decide_redirection", "off1", decision="interrupt", reason="Rehabilitation before coaching")
    assert case.ready() == ["closure"]
    [period] = rows(db_engine, Period, instance_id=case.id)
    assert period.status == "interrupted"


def test_unrealistic_goals_are_revised(refer, db_engine):
    case = started(refer)
    case.week("2026-01-16", goals_unrealistic=True)
    case.do("decide_goals", "off1", decision="revise", reason="Smaller steps")
    case.do("revise_goals", "coach1", goals=REVISED_GOALS)
    assert case.ready() == ["weekly_review"]
    goals = rows(db_engine, Goal)
    assert [(g.category, g.revised) for g in goals] == [("realistic_plan", True), ("job_opportunities", True)]


def test_five_days_unexcused_absence_leads_to_an_interruption_decided_by_the_official(refer, db_engine):
    case = started(refer)
    case.week("2026-01-16", meetings=0, absence_days=3)
    assert case.ready() == ["weekly_review"]  # three days: not yet
    case.week("2026-01-23", meetings=0, absence_days=2)
    assert case.ready() == ["decide_interruption"]
    assert case.data["absence_streak"] == 5
    assert case.polku.json("tasks", "--as", "coach1", "--instance", case.id) == []  # the official decides (R9)
    case.do("decide_interruption", "off1", decision="interrupt", ground="absence", reason="Five days absent")
    assert case.ready() == ["closure"]
    [period] = rows(db_engine, Period, instance_id=case.id)
    assert period.status == "interrupted"
    assert "absence" in [n.kind for n in rows(db_engine, Notice, instance_id=case.id)]


def test_the_official_may_decide_to_continue_after_an_interruption_notice(refer):
    case = started(refer)
    case.week("2026-01-16", interruption_justified=True)
    case.do("decide_interruption", "off1", decision="continue", ground="other", reason="Situation resolved")
    assert case.ready() == ["weekly_review"]


def test_the_four_month_timer_ends_the_period(refer, db_engine):
    case = started(refer)
    case.week("2026-01-16")
    case.polku("worker", "--once", now=at("2026-04-30", "23:59"))  # flags the silent weeks (domain.weeks) only
    assert case.ready() == ["weekly_review"]
    assert "fired 1" in case.polku("worker", "--once", now=at("2026-05-01", "00:01")).stdout
    assert case.ready() == ["closure"]
    [period] = rows(db_engine, Period, instance_id=case.id)
    assert (period.status, period.end_reason, period.actual_end.isoformat()) == ("ended", "max_duration", "2026-04-30")


def _reassess(case, needed=True, end="2026-08-31"):
    case.week("2026-04-10")
    assert case.ready() == ["weekly_review"]  # before the reassessment date (30 Apr − 14 days)
    case.week("2026-04-17")
    assert case.ready() == ["propose_second_period"]
    case.do("propose_second_period", "coach1", now=at("2026-04-17", "16:00"), second_period_needed=needed,
            second_period_end=end if needed else None, justification="Employment contract in negotiation")


def test_second_period_approved_then_closure_and_never_a_third(refer, db_engine):
    case = started(refer)
    _reassess(case)
    assert case.ready() == ["decide_second_period"]
    case.do("decide_second_period", "off1", now=at("2026-04-17", "17:00"), decision="approve", reason="Agreed")
    case.week("2026-04-24", end_period=True)
    periods = rows(db_engine, Period, instance_id=case.id)
    assert [(p.number, p.status) for p in periods] == [(1, "ended"), (2, "active")]
    # The coach ended the first period on 24 April: the second follows the next day, for at most 4 months.
    assert (periods[1].planned_start.isoformat(), periods[1].planned_end.isoformat()) == ("2026-04-25", "2026-08-24")
    assert periods[0].actual_end.isoformat() == "2026-04-24"
    assert case.ready() == ["weekly_review"] and case.data["period_number"] == 2
    case.week("2026-08-20")  # past the second period's reassessment date: no reassessment in period 2
    assert case.ready() == ["weekly_review"]
    case.week("2026-08-24", end_period=True)  # the last day of the second period
    assert case.ready() == ["closure"]
    assert len(rows(db_engine, Period, instance_id=case.id)) == 2


def test_second_period_refused_by_the_official(refer, db_engine):
    case = started(refer)
    _reassess(case)
    case.do("decide_second_period", "off1", decision="refuse", reason="Goals met")
    case.week("2026-04-24", end_period=True)
    assert case.ready() == ["closure"]
    [period] = rows(db_engine, Period, instance_id=case.id)
    assert period.second_period_decision == "refused"


def test_second_period_not_needed_goes_on_with_the_first(refer, db_engine):
    case = started(refer)
    _reassess(case, needed=False)
    assert case.ready() == ["weekly_review"]
    assert rows(db_engine, Period, instance_id=case.id)[0].second_period_decision == "not_needed"


def test_a_third_consecutive_period_is_refused_by_the_rule_and_the_official_sees_why(refer, history, db_engine):
    history("2025-11-01", "2026-01-11")  # a period right before this one: this is the second in a row
    case = started(refer)
    _reassess(case)
    assert case.ready() == ["note_second_period_refused"]  # no approval possible
    assert (case.data["second_period_allowed"], case.data["second_period_reason"]) == (False, "R3")
    case.do("note_second_period_refused", "off1")
    period = rows(db_engine, Period, instance_id=case.id)[0]
    assert (period.second_period_decision, period.second_period_reason) == ("forbidden", "R3")
    assert [n.kind for n in rows(db_engine, Notice, instance_id=case.id, recipient_role="official")] == \
        ["second_period_forbidden"]


def test_a_second_period_is_refused_when_eight_months_in_twelve_would_be_exceeded(refer, history):
    history("2025-06-01", "2025-09-30")
    case = started(refer)
    _reassess(case)
    assert (case.data["second_period_allowed"], case.data["second_period_reason"]) == (False, "R4")
    assert case.ready() == ["note_second_period_refused"]


def test_a_second_period_closed_the_day_it_was_agreed_never_ends_before_it_starts(refer, db_engine):
    case = started(refer)
    _reassess(case)
    case.do("decide_second_period", "off1", now=at("2026-04-17", "17:00"), decision="approve", reason="Agreed")
    case.week("2026-04-24", end_period=True)        # period 2 starts on the 25th
    # and is closed the same day, with no meeting (one on the 24th would be before the period)
    case.week("2026-04-24", meetings=0, end_period=True, now=at("2026-04-24", "16:00"))
    case.close(now=at("2026-04-24", "17:00"))
    second = rows(db_engine, Period, instance_id=case.id)[1]
    assert second.actual_end >= second.actual_start
