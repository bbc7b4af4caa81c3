"""Every week accounted for (issue 8): weekly reviews belong to the period's calendar weeks (ISO,
Monday to Sunday); a week is recorded once it has begun, never in advance, with its meetings in
it; a week that ends with no review is flagged by the review's timer (`polku worker --once` with
POLKU_NOW past the week's end): a notice to the manager and a reminder to the coach, once per week,
and the review stays open to be recorded late."""
from __future__ import annotations

from polku.domain.models import Meeting, Notice, WeeklyReview
from tests.scenarios.conftest import at, rows

# The period starts on Monday 12 January 2026: its weeks are ISO weeks 3 (12-18 Jan), 4, 5 ...
WEEK_3 = {"week": 1, "iso_week": 3, "iso_year": 2026, "week_monday": "2026-01-12", "week_sunday": "2026-01-18"}
WEEK_4 = {"week": 2, "iso_week": 4, "iso_year": 2026, "week_monday": "2026-01-19", "week_sunday": "2026-01-25"}


def started(refer):
    case = refer()
    case.accept("2026-01-12")
    case.set_goals(now=at("2026-01-12"))
    return case


def silent_weeks(db_engine, case) -> list[tuple[str, dict]]:
    notices = rows(db_engine, Notice, instance_id=case.id, kind="week_not_recorded")
    return [(n.recipient_role, n.details) for n in notices]


def worker(case, now: str) -> str:
    return case.polku("worker", "--once", now=now).stdout


def test_the_review_task_is_for_the_periods_first_calendar_week(refer):
    case = started(refer)
    assert {k: case.data[k] for k in WEEK_3} == WEEK_3
    # Due at the end of its Sunday in Finland (23:59:59 EET is 21:59:59 UTC).
    assert case.task("weekly_review", "coach1")["due_at"].startswith("2026-01-18T21:59:59")


def test_a_silent_week_is_flagged_by_its_timer_and_stays_recordable_late(refer, db_engine):
    case = started(refer)
    worker(case, at("2026-01-18", "21:30"))  # Sunday 23:30 in Finland: the week has not ended
    assert silent_weeks(db_engine, case) == []

    worker(case, at("2026-01-19", "08:00"))  # Monday: week 3 ended with no review
    assert silent_weeks(db_engine, case) == [("manager", WEEK_3), ("coach", WEEK_3)]
    assert case.ready() == ["weekly_review"] and case.status == "running"
    assert rows(db_engine, WeeklyReview) == []

    # A second silent week is flagged too, each week once, however often the worker runs.
    worker(case, at("2026-01-26", "08:00"))
    worker(case, at("2026-01-26", "09:00"))
    assert silent_weeks(db_engine, case) == [("manager", WEEK_3), ("coach", WEEK_3),
                                             ("manager", WEEK_4), ("coach", WEEK_4)]

    # Recorded late, week by week; the meetings must be in the week reviewed.
    late = case.refused("weekly_review", "coach1", now=at("2026-01-27"),
                        meetings=[{"date": "2026-01-27", "kind": "individual"}], absence_days=0)
    assert list(late["fields"]) == ["meetings"]
    case.do("weekly_review", "coach1", now=at("2026-01-27"), meetings=[{"date": "2026-01-15", "kind": "individual"}],
            absence_days=0)
    assert {k: case.data[k] for k in WEEK_4} == WEEK_4  # the next review is for the next week
    case.do("weekly_review", "coach1", now=at("2026-01-27"), meetings=[{"date": "2026-01-20", "kind": "group"}],
            absence_days=0)
    assert [(r.week_number, r.reviewed_at.date().isoformat()) for r in rows(db_engine, WeeklyReview)] == [
        (1, "2026-01-27"), (2, "2026-01-27")]
    assert [(m.week_number, m.held_on.isoformat()) for m in rows(db_engine, Meeting)] == [
        (1, "2026-01-15"), (2, "2026-01-20")]
    # Week 5 (26 January - 1 February) is open and has not ended: nothing more is flagged.
    worker(case, at("2026-01-30"))
    assert len(silent_weeks(db_engine, case)) == 4
    assert case.data["week_monday"] == "2026-01-26"


def test_a_future_week_is_refused(refer, db_engine):
    case = started(refer)
    case.week("2026-01-16")  # week 3, on its Friday
    assert case.data["week_monday"] == "2026-01-19"
    # Week 4 cannot be filed in advance, on Sunday 18 January (Finnish time) ...
    refused = case.refused("weekly_review", "coach1", now=at("2026-01-18", "20:00"), meetings=[], absence_days=0)
    assert refused["fields"] == {
        "form": "Viikko ei ole vielä alkanut: viikon katsauksen voi kirjata aikaisintaan viikon maanantaina"}
    assert case.ready() == ["weekly_review"] and len(rows(db_engine, WeeklyReview)) == 1
    # ... but on its Monday it can.
    case.week("2026-01-19")
    assert [r.week_number for r in rows(db_engine, WeeklyReview)] == [1, 2]
    assert silent_weeks(db_engine, case) == []
