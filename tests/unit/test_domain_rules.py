"""The service card's rules (R1-R4, R2/R8/R9 weekly review) and the calendar they count
with, at their edges: month ends, leap days, window boundaries, Finnish holidays."""
from datetime import date as d
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, inspect

from polku.domain.calendar import (
    add_business_days,
    add_months,
    business_days_between,
    days_inclusive,
    finnish_holidays,
    is_business_day,
    period_end_limit,
    window_start,
)
from polku.domain.rules import (
    JOB_SEARCH_SUBITEMS,
    OUTCOME_CATEGORIES,
    check_referral,
    check_second_period,
    consecutive_chain,
    days_in_window,
    latest_lawful_end,
    max_days_in_any_window,
    second_period_bounds,
    week_review,
    window_limit_days,
    worst_window,
)

LIMITS = {"min_period_days": 14, "max_period_months": 4, "max_periods": 2,
          "window_months": 12, "window_limit_months": 8}


def r4_breached(history, new):
    days, limit, _ = worst_window(history, new, 12, 8)
    return days > limit


# --- calendar ----------------------------------------------------------------

@pytest.mark.parametrize("start, n, expected", [
    (d(2024, 1, 31), 1, d(2024, 2, 29)),    # leap February
    (d(2025, 1, 31), 1, d(2025, 2, 28)),
    (d(2024, 2, 29), 12, d(2025, 2, 28)),   # leap day to a common year
    (d(2024, 2, 29), 1, d(2024, 3, 29)),
    (d(2024, 3, 31), -1, d(2024, 2, 29)),
    (d(2025, 12, 15), 13, d(2027, 1, 15)),
    (d(2026, 1, 15), -12, d(2025, 1, 15)),
    (d(2026, 1, 31), 0, d(2026, 1, 31)),
])
def test_add_months_clamps_to_month_end(start, n, expected):
    assert add_months(start, n) == expected


def test_period_end_limit_is_four_months_less_a_day():
    assert period_end_limit(d(2026, 1, 15), 4) == d(2026, 5, 14)
    assert period_end_limit(d(2026, 1, 1), 4) == d(2026, 4, 30)
    assert period_end_limit(d(2023, 10, 29), 4) == d(2024, 2, 28)  # 29 Feb 2024 exists


def test_days_inclusive_and_window_start():
    assert days_inclusive(d(2026, 1, 1), d(2026, 1, 1)) == 1
    assert days_inclusive(d(2026, 1, 2), d(2026, 1, 1)) == 0
    assert window_start(d(2026, 5, 14), 4) == d(2026, 1, 15)
    assert window_start(d(2025, 12, 31), 12) == d(2025, 1, 1)
    # Both 28 and 29 Feb 2024 look back to 28 Feb 2023: their windows start on 1 Mar.
    assert window_start(d(2024, 2, 28), 12) == window_start(d(2024, 2, 29), 12) == d(2023, 3, 1)
    assert window_start(d(2025, 2, 28), 12) == d(2024, 2, 29)


def test_finnish_holidays_2026():
    hol = finnish_holidays(2026)
    for day in (d(2026, 1, 1), d(2026, 1, 6), d(2026, 4, 3), d(2026, 4, 6), d(2026, 5, 1),
                d(2026, 5, 14), d(2026, 6, 19), d(2026, 12, 6), d(2026, 12, 24), d(2026, 12, 25)):
        assert day in hol
    assert hol[d(2026, 12, 6)] == "Itsenäisyyspäivä"
    hol.clear()  # a copy: the cached calendar is unharmed
    assert d(2026, 12, 6) in finnish_holidays(2026)


def test_business_days_over_easter():
    assert is_business_day(d(2026, 4, 2))                   # Maundy Thursday works
    assert not is_business_day(d(2026, 4, 3))               # Good Friday
    assert not is_business_day(d(2026, 4, 6))               # Easter Monday
    assert add_business_days(d(2026, 4, 2), 1) == d(2026, 4, 7)
    assert add_business_days(d(2026, 4, 1), 5) == d(2026, 4, 10)
    assert add_business_days(d(2026, 4, 7), -1) == d(2026, 4, 2)
    assert business_days_between(d(2026, 4, 2), d(2026, 4, 7)) == 1
    assert business_days_between(d(2026, 4, 7), d(2026, 4, 2)) == -1


def test_business_days_independence_day_and_christmas():
    assert not is_business_day(d(2024, 12, 6))              # a Friday
    assert add_business_days(d(2024, 12, 5), 1) == d(2024, 12, 9)
    assert [is_business_day(d(2026, 12, x)) for x in (23, 24, 25, 26, 28)] == [True, False, False, False, True]
    assert add_business_days(d(2026, 12, 23), 1) == d(2026, 12, 28)
    assert business_days_between(d(2026, 12, 23), d(2026, 12, 31)) == 4
    assert add_business_days(d(2026, 12, 31), 1) == d(2027, 1, 4)   # 1 Jan is a holiday
    assert add_business_days(d(2026, 12, 25), 0) == d(2026, 12, 25)


@pytest.mark.parametrize("n", [0, 1, 5, 10, 30])
def test_business_days_between_inverts_add(n):
    start = d(2026, 12, 20)
    assert business_days_between(start, add_business_days(start, n)) == n


# --- R4: the rolling window ----------------------------------------------------

def test_exactly_eight_months_in_twelve_allowed_one_day_more_refused():
    history = [(d(2025, 1, 1), d(2025, 4, 30))]
    assert worst_window(history, (d(2025, 5, 1), d(2025, 8, 31)), 12, 8) == (243, 243, d(2025, 8, 31))
    assert not r4_breached(history, (d(2025, 5, 1), d(2025, 8, 31)))
    assert worst_window(history, (d(2025, 5, 1), d(2025, 9, 1)), 12, 8) == (244, 243, d(2025, 9, 1))
    assert r4_breached(history, (d(2025, 5, 1), d(2025, 9, 1)))


def test_leap_year_eight_months_over_29_february():
    assert not r4_breached([], (d(2024, 1, 1), d(2024, 8, 31)))   # 244 days, limit 244
    assert r4_breached([], (d(2024, 1, 1), d(2024, 9, 1)))
    assert window_limit_days(d(2024, 8, 31), 8) == 244
    assert window_limit_days(d(2025, 8, 31), 8) == 243
    assert window_limit_days(d(2024, 10, 31), 8) == 245


def test_window_ending_on_28_or_29_february():
    year = [(d(2023, 3, 1), d(2024, 2, 29))]
    assert days_in_window(year, d(2024, 2, 29), 12) == 366
    assert days_in_window(year, d(2024, 2, 28), 12) == 365
    leap_day = [(d(2024, 2, 29), d(2024, 2, 29))]
    assert days_in_window(leap_day, d(2025, 2, 28), 12) == 1
    assert days_in_window(leap_day, d(2025, 3, 1), 12) == 0


def test_period_straddling_the_window_start():
    periods = [(d(2024, 12, 1), d(2025, 3, 31))]
    # The window ending 15 Dec 2025 starts 16 Dec 2024: 16 + 31 + 28 + 31 days.
    assert days_in_window(periods, d(2025, 12, 15), 12) == 106
    assert days_in_window(periods, d(2025, 11, 30), 12) == 121   # whole period inside
    assert days_in_window(periods, d(2026, 3, 30), 12) == 1   # window starts 31 Mar 2025
    assert days_in_window(periods, d(2026, 3, 31), 12) == 0


def test_overlapping_periods_counted_once():
    periods = [(d(2025, 1, 1), d(2025, 1, 31)), (d(2025, 1, 15), d(2025, 2, 14)),
               (d(2025, 1, 10), d(2025, 1, 20))]
    assert days_in_window(periods, d(2025, 3, 1), 12) == 45
    # The new period overlapping the history adds only its new days.
    assert max_days_in_any_window(periods, (d(2025, 2, 1), d(2025, 2, 20)), 12) == 51


def test_ignores_empty_periods_and_days_after_the_window():
    assert days_in_window([(d(2025, 2, 1), d(2025, 1, 1))], d(2025, 3, 1), 12) == 0
    assert days_in_window([(d(2025, 1, 1), d(2025, 12, 31))], d(2025, 1, 10), 12) == 10


def test_max_window_includes_later_history():
    # A planned later period shares windows with the new one: those count too.
    later = [(d(2026, 1, 1), d(2026, 4, 30))]
    assert max_days_in_any_window(later, (d(2025, 6, 1), d(2025, 9, 30)), 12) == 242
    assert max_days_in_any_window([], (d(2025, 6, 1), d(2025, 9, 30)), 12) == 122
    assert r4_breached(later, (d(2025, 5, 1), d(2025, 9, 30)))


# --- R3: chains and activity ---------------------------------------------------

def test_consecutive_chains():
    first, second = (d(2025, 1, 1), d(2025, 4, 30)), (d(2025, 5, 1), d(2025, 8, 31))
    assert consecutive_chain([], d(2025, 5, 1)) == 0
    assert consecutive_chain([first], d(2025, 5, 1)) == 1
    assert consecutive_chain([second, first], d(2025, 9, 1)) == 2
    assert consecutive_chain([first], d(2025, 5, 2)) == 0          # one free day breaks it
    gap = (d(2025, 5, 2), d(2025, 8, 31))
    assert consecutive_chain([first, gap], d(2025, 9, 1)) == 1
    assert consecutive_chain([first, second], d(2025, 5, 1)) == 1  # later periods ignored


# --- the DMN inputs ------------------------------------------------------------

def test_check_referral_first_period():
    assert check_referral([], d(2026, 1, 15), d(2026, 5, 14), LIMITS) == {
        "planned_days": 120, "planned_end_limit": "2026-05-14", "planned_end_ok": True,
        "history_active": False, "history_consecutive": 0,
        "window_days_max": 120, "window_limit_days": 242,
    }


def test_check_referral_limits_and_history():
    long = check_referral([], d(2026, 1, 15), d(2026, 5, 15), LIMITS)
    assert long["planned_end_ok"] is False
    history = [(d(2025, 9, 1), d(2025, 12, 31))]
    after = check_referral(history, d(2026, 1, 1), d(2026, 4, 30), LIMITS)
    assert after["history_consecutive"] == 1 and after["history_active"] is False
    assert after["window_days_max"] == 242 and after["window_limit_days"] == 243
    overlapping = check_referral(history, d(2025, 11, 1), d(2026, 2, 28), LIMITS)
    assert overlapping["history_active"] is True
    future = check_referral([(d(2026, 3, 1), d(2026, 3, 31))], d(2026, 2, 1), d(2026, 3, 15), LIMITS)
    assert future["history_active"] is True   # overlaps, though not on the first day
    short = check_referral([], d(2026, 1, 15), d(2026, 1, 27), LIMITS)
    assert short["planned_days"] == 13
    inverted = check_referral([], d(2026, 1, 15), d(2026, 1, 1), LIMITS)
    assert inverted["planned_days"] < LIMITS["min_period_days"] and inverted["window_days_max"] == 0


def test_check_second_period():
    first = [(d(2026, 1, 15), d(2026, 5, 14))]
    assert check_second_period(first, d(2026, 5, 14), d(2026, 9, 14), LIMITS) == {
        "sp_start": "2026-05-15", "sp_end": "2026-09-14", "sp_days": 123, "sp_consecutive": 1,
        "sp_window_days_max": 243, "sp_window_limit_days": 243,
    }
    # A first period preceded by another one: the chain is already two long.
    chained = [(d(2025, 9, 15), d(2026, 1, 14)), *first]
    result = check_second_period(chained, d(2026, 5, 14), d(2026, 9, 14), LIMITS)
    assert result["sp_consecutive"] == 2
    assert result["sp_window_days_max"] > result["sp_window_limit_days"]
    # Exactly the proposal is checked: a shorter one uses fewer days.
    shorter = check_second_period(first, d(2026, 5, 14), d(2026, 6, 14), LIMITS)
    assert (shorter["sp_end"], shorter["sp_days"], shorter["sp_window_days_max"]) == ("2026-06-14", 31, 151)


def test_latest_lawful_end_is_the_last_day_r1_and_r4_both_allow():
    first = [(d(2026, 1, 12), d(2026, 4, 30))]
    # No earlier coaching: R1 alone limits the second period (4 months from 1 May).
    assert latest_lawful_end(first, d(2026, 5, 1), LIMITS) == d(2026, 8, 31)
    # Two months of coaching last autumn: R4 ends it on 11 July; one day more breaks R4.
    history = [(d(2025, 9, 1), d(2025, 10, 31)), *first]
    latest = latest_lawful_end(history, d(2026, 5, 1), LIMITS)
    assert latest == d(2026, 7, 11)
    assert worst_window(history, (d(2026, 5, 1), latest), 12, 8)[:2] == (242, 242)
    days, limit, _ = worst_window(history, (d(2026, 5, 1), latest + timedelta(days=1)), 12, 8)
    assert days > limit
    # Not even two weeks fit: no lawful second period at all.
    full = [(d(2025, 9, 1), d(2025, 12, 31)), first[0]]
    assert latest_lawful_end(full, d(2026, 5, 1), LIMITS) is None


def test_second_period_bounds_tell_the_coach_the_range_up_front():
    first = [(d(2026, 1, 12), d(2026, 4, 30))]
    assert second_period_bounds(first, d(2026, 4, 30), LIMITS) == {
        "sp_start": "2026-05-01", "sp_earliest_end": "2026-05-14", "sp_end_limit": "2026-08-31",
        "sp_latest_end": "2026-08-31", "sp_consecutive": 1}


# --- weekly review (R2, R8, R9) ------------------------------------------------

MEETING = [{"date": "2026-01-12", "kind": "individual"}]


def test_week_review_streak_and_missing_meeting():
    assert week_review(0, MEETING, 0, 5, {}) == {
        "absence_streak": 0, "week_without_meeting": False, "notice_kind": None}
    assert week_review(3, [], 1, 5, {}) == {
        "absence_streak": 4, "week_without_meeting": True, "notice_kind": None}
    assert week_review(3, MEETING, 1, 5, {})["absence_streak"] == 1   # a meeting resets
    assert week_review(3, [], 2, 5, {})["notice_kind"] == "interruption"
    assert week_review(0, 0, 0, 5, {})["week_without_meeting"] is True  # a count works too


@pytest.mark.parametrize("flags, streak, expected", [
    ({"interruption_justified": True, "other_service_need": True, "goals_unrealistic": True}, 0, "interruption"),
    ({"other_service_need": True, "goals_unrealistic": True}, 5, "interruption"),
    ({"other_service_need": True, "goals_unrealistic": True}, 0, "other_service"),
    ({"goals_unrealistic": True}, 4, "goals_unrealistic"),
    ({"interruption_justified": False, "other_service_need": False, "goals_unrealistic": False}, 4, None),
])
def test_week_review_notice_precedence(flags, streak, expected):
    assert week_review(streak, [], 0, 5, flags)["notice_kind"] == expected


def test_outcome_catalogue():
    assert list(OUTCOME_CATEGORIES) == [
        "employment_or_education", "job_search_skills", "job_opportunities",
        "working_life_readiness", "employment_support", "realistic_plan"]
    assert len(JOB_SEARCH_SUBITEMS) == 7 and not set(JOB_SEARCH_SUBITEMS) & set(OUTCOME_CATEGORIES)


# --- the domain tables -------------------------------------------------------

def test_domain_tables_share_the_engine_metadata():
    from polku.domain import models
    from polku.engine.models import Base

    names = {"clients", "providers", "periods", "eligibility_decisions", "goals", "meetings",
             "weekly_reviews", "notices", "decisions", "notifications", "statements",
             "closures", "redirections", "follow_up_meetings"}
    assert names <= set(Base.metadata.tables)
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    indexed = {i["column_names"][0] for i in inspect(engine).get_indexes("periods")}
    assert {"client_id", "instance_id"} <= indexed
    assert models.Period.__table__.c.planned_start.type.python_type is d
    engine.dispose()
