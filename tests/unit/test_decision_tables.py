"""The process package's DMN decisions decide as docs/tyohonvalmennus.md says (no database; the
paths through the process: test_process_paths.py)."""
from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from polku.engine.clock import FixedClock
from polku.engine.parser import PolkuParser
from polku.engine.timers import bound_clock
from tests.unit.process_package import DMN_FILES, GOALS, HISTORY_OK, tree

# --- (f) the decisions decide -------------------------------------------------------------------

DECISION_DAY = datetime(2026, 1, 5, 9, tzinfo=UTC)  # a Monday

@pytest.fixture(scope="module")
def decide(script_engine):
    parser = PolkuParser()
    for path in DMN_FILES:
        parser.add_dmn_xml(tree(path).getroot(), filename=path.name)
    engines = {}

    def run(decision_id: str, _at: datetime = DECISION_DAY, **data) -> dict:
        if decision_id not in engines:
            engines[decision_id] = parser.get_engine(decision_id, None)
        task = SimpleNamespace(data=data, workflow=SimpleNamespace(script_engine=script_engine))
        with bound_clock(FixedClock(_at)):  # today() in a cell is this day
            return dict(engines[decision_id].result(task))

    return run


LIMITS = {
    "min_period_days": 14, "max_period_months": 4, "max_periods": 2, "window_months": 12,
    "window_limit_months": 8, "start_notice_business_days": 5, "reassessment_lead_days": 14,
    "absence_limit_days": 5, "max_weekly_reviews": 18,
}
# The deadlines of the human tasks (docs/tyohonvalmennus.md, "Deadlines").
DEADLINES = {
    "goals_due_business_days": 5, "coach_due_business_days": 5, "decision_due_business_days": 5,
    "escalation_due_business_days": 3, "pause_review_days": 30, "closure_due_days": 14, "statement_due_days": 14,
    "end_review_due_business_days": 10, "feedback_due_days": 30,
    # The deadline watch's reminder before a due day and escalation to the manager after it.
    "reminder_business_days": 2, "escalation_business_days": 3,
}


def test_coaching_limits_are_the_service_card_values(decide):
    assert decide("coaching_limits") == {**LIMITS, **DEADLINES}




@pytest.mark.parametrize("change, reason", [
    ({}, None),
    ({"planned_days": 13}, "R1_short"),
    ({"planned_days": 14}, None),
    ({"planned_end_ok": False}, "R1_long"),
    ({"history_active": True}, "R3_active"),
    ({"history_consecutive": 2}, "R3_consecutive"),
    ({"history_consecutive": 1}, None),
    ({"window_days_max": 244}, "R4_window"),
    ({"window_days_max": 243}, None),
    ({"planned_days": 5, "history_active": True, "window_days_max": 300}, "R1_short"),  # the first rule wins
])
def test_referral_eligibility(decide, change, reason):
    result = decide("referral_eligibility", **{**LIMITS, **HISTORY_OK, **change})
    assert result == {"eligible": reason is None, "refusal_reason": reason}


@pytest.mark.parametrize("change, reason", [
    ({}, None),
    ({"sp_consecutive": 2}, "R3"),
    ({"sp_window_days_max": 244}, "R4"),
    ({"sp_consecutive": 2, "sp_window_days_max": 244}, "R3"),
])
def test_second_period_eligibility(decide, change, reason):
    data = {**LIMITS, "window_limit_days": 243, "sp_consecutive": 1, "sp_window_days_max": 200, **change}
    result = decide("second_period_eligibility", **data)
    assert result == {"second_period_allowed": reason is None, "second_period_reason": reason}


VALID = {"valid": True, "error_field": None, "error_code": None, "error_message": None}


REFERRAL_DATES = {"planned_start": "2026-01-12", "planned_end": "2026-04-30"}


@pytest.mark.parametrize("data, field, code", [
    ({"health_consent": False, "health_information": "diabetes"}, "health_information", "R10_consent"),
    ({"health_consent": False, "health_information": "   "}, None, None),
    ({"health_consent": False, "health_information": None}, None, None),
    ({"health_consent": True, "health_information": "diabetes"}, None, None),
    ({"planned_end": "2026-01-11"}, "planned_end", "end_before_start"),
    ({"planned_end": "2026-01-12"}, None, None),  # a one-day period is R1's to refuse, not a form error
    ({"planned_start": "2025-12-06", "planned_end": "2026-03-01"}, None, None),  # 30 days ago: still allowed
    ({"planned_start": "2025-12-05", "planned_end": "2026-03-01"}, "planned_start", "start_too_far_in_past"),
    ({"planned_end": "2026-01-01", "health_information": "x"}, "planned_end", "end_before_start"),  # first wins
])
def test_referral_form_rules(decide, data, field, code):
    base = {**REFERRAL_DATES, "health_consent": False, "health_information": None}
    result = decide("referral_form_rules", **{**base, **data})
    if code is None:
        assert result == VALID
    else:
        assert (result["valid"], result["error_field"], result["error_code"]) == (False, field, code)
    if code == "R10_consent":  # the Finnish text is the DMN's; sv and en are in the catalogs
        assert result["error_message"] == (
            "Terveystietoja voi antaa palveluntuottajalle vain asiakkaan kirjallisella suostumuksella")


@pytest.mark.parametrize("actual_start, valid", [("2026-01-04", True), ("2026-01-05", True), ("2026-01-06", False)])
def test_start_notice_rules(decide, actual_start, valid):
    result = decide("start_notice_rules", actual_start=actual_start, coaching_mode="remote")
    assert result == VALID if valid else (result["valid"], result["error_field"], result["error_code"]) == (
        False, "actual_start", "start_in_future")


PERIOD = {"actual_start": "2026-01-12", "period_start": "2026-01-10", "period_end": "2026-04-30", "period_number": 1}
# The week under review is open_week's (domain.weeks): the period's third week, Monday 26 January
# to Sunday 1 February; the review is sent on Wednesday 4 February.
REVIEWED_WEEK = {"week_monday": "2026-01-26", "week_sunday": "2026-02-01"}
REVIEW_DAY = datetime(2026, 2, 4, 9, tzinfo=UTC)


def _meetings(*days):
    return [{"date": d, "kind": "individual"} for d in days]


@pytest.mark.parametrize("change, code", [
    ({"meetings": _meetings("2026-01-26", "2026-02-01")}, None),  # Monday to Sunday
    ({"meetings": []}, None),
    ({"meetings": None}, None),
    ({"meetings": _meetings("2026-01-25", "2026-01-27")}, "meeting_outside_week"),
    ({"meetings": _meetings("2026-01-27", "2026-02-02")}, "meeting_outside_week"),
    # The period's own rules come first: the first week, begun before the actual start.
    ({"week_monday": "2026-01-05", "week_sunday": "2026-01-11", "meetings": _meetings("2026-01-11")},
     "meeting_before_start"),
    ({"period_end": "2026-01-28", "meetings": _meetings("2026-01-29")}, "meeting_after_end"),
    # In the second period its own start counts, not the first period's actual start.
    ({"period_number": 2, "period_start": "2026-01-28", "period_end": "2026-05-27",
      "meetings": _meetings("2026-01-27")}, "meeting_before_start"),
    ({"period_number": 2, "period_start": "2026-01-28", "period_end": "2026-05-27",
      "meetings": _meetings("2026-01-28")}, None),
    # A week is recorded once it has begun (on its Monday at the earliest), never in advance.
    ({"week_monday": "2026-02-02", "week_sunday": "2026-02-08", "meetings": []}, None),
    ({"week_monday": "2026-02-09", "week_sunday": "2026-02-15", "meetings": []}, "future_week"),
])
def test_weekly_review_rules(decide, change, code):
    result = decide("weekly_review_rules", _at=REVIEW_DAY, **{**PERIOD, **REVIEWED_WEEK, "absence_days": 0, **change})
    if code is None:
        assert result == VALID
    else:
        field = "form" if code == "future_week" else "meetings"
        assert (result["valid"], result["error_field"], result["error_code"]) == (False, field, code)




def _result(reached, evidence="shown"):
    return {"goal": "g", "reached": reached, "evidence": evidence}


@pytest.mark.parametrize("results, next_steps, field, code", [
    ([_result(True), _result(True)], None, None, None),
    ([_result(True), _result(False)], "apply to vocational school", None, None),
    ([_result(False), _result(False)], "  ", "next_steps", "R5"),
    ([_result(True), _result(False)], None, "next_steps", "R5"),
    ([_result(True)], "next steps", "goal_results", "R6"),
    (None, "next steps", "goal_results", "R6"),
    ([_result(True), _result(True, evidence="")], None, "goal_results", "R6_evidence"),
    ([_result(True), _result(True, evidence=None)], None, "goal_results", "R6_evidence"),
    ([_result(True)], None, "goal_results", "R6"),  # the first rule wins
])
def test_closure_rules(decide, results, next_steps, field, code):
    result = decide("closure_rules", goals=GOALS, goal_results=results, next_steps=next_steps,
                    outcome_areas=[], employment_status="employed")
    if code is None:
        assert result == VALID
    else:
        assert (result["valid"], result["error_field"], result["error_code"]) == (False, field, code)
        assert result["error_message"]
    if code == "R5":
        assert result["error_message"] == (
            "Vähintään kahden tavoitteen on toteuduttava, tai kirjaa konkreettinen jatkosuunnitelma")


@pytest.mark.parametrize("reviewed, reason, error", [
    (True, None, None), (True, "  ", None), (False, None, "not_reviewed"), (None, None, "not_reviewed"),
    (False, "   ", "not_reviewed"), (False, "The client cannot be reached", None),
    (True, "The client cannot be reached", "reviewed_and_reason"),
])
def test_statement_rules(decide, reviewed, reason, error):
    result = decide("statement_rules", statement_kind="arvi", statement_text="x", reviewed_with_client=reviewed,
                    not_reviewed_reason=reason)
    if error is None:
        assert result == VALID
    else:
        field = "reviewed_with_client" if error == "not_reviewed" else "not_reviewed_reason"
        assert (result["valid"], result["error_field"], result["error_code"]) == (False, field, error)
