"""The calendar weeks of a coaching period: every week accounted for (issue 8).

A period's weeks are ISO weeks, Monday to Sunday. Week 1 is the week its start falls in (the
actual start; a second period's start is actual from the day it is created), week n the (n-1)th
after it. Weekly reviews are recorded in order, one per week, so the week a review is for is the
first week of the period without one: it is derived from the period and its review rows, never
kept a second time. The process (`open_week`, before each weekly review), the task page (the
"week" material) and the case story all use `period_week` for it.

A week ends with its Sunday, at the end of that day in the service's time zone
(`deadlines.end_of_day`). A week that ends with no review recorded is a silent week: the weekly
review's non-interrupting boundary timer beats once a week from the end of the review's own week
and runs `flag_silent_weeks`, which flags every ended week of the period from the open one on that
is not flagged yet: a notice to the manager and a reminder to the coach. Flagging what has ended,
rather than counting beats, makes a worker that comes late (several beats at once) flag each week
exactly once; the review itself stays open and can be recorded late.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from polku.engine.services import ServiceCall

from .deadlines import end_of_day
from .models import Notice, Period, WeeklyReview

SILENT_WEEK = "week_not_recorded"  # the Notice kind of a silent week
SILENT_WEEK_RECIPIENTS = ("manager", "coach")  # the manager is told; the coach is reminded
ONE_WEEK = timedelta(days=7)
# The timer beats an hour into Monday: one UTC offset for every beat, so across a change of
# summer time a beat may move by an hour, never back into the Sunday it is about.
BEAT_AFTER_WEEK = timedelta(hours=1)


@dataclass(frozen=True)
class Week:
    index: int  # 1 = the week the period starts in
    monday: date

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    @property
    def iso(self) -> tuple[int, int]:
        """(ISO year, ISO week number): what a Finnish calendar calls the week ("viikko 49")."""
        year, week, _ = self.monday.isocalendar()
        return year, week

    def ended(self, now: datetime) -> bool:
        return datetime.fromisoformat(end_of_day(self.sunday)) < now

    def details(self) -> dict:
        """The week as process data and notice details keep it (ISO dates)."""
        year, week = self.iso
        return {"week": self.index, "iso_week": week, "iso_year": year,
                "week_monday": self.monday.isoformat(), "week_sunday": self.sunday.isoformat()}


# The keys of a week in process data, notice details and the case file's rows.
WEEK_KEYS = ("week", "iso_week", "iso_year", "week_monday", "week_sunday")


def week_fields(details: dict | None) -> dict:
    """The week a notice's details name (None values for a notice about no week)."""
    return {k: (details or {}).get(k) for k in WEEK_KEYS}


def period_start(period: Period) -> date:
    return period.actual_start or period.planned_start


def period_week(start: date, index: int) -> Week:
    """Week ``index`` (1-based) of a period starting on ``start``."""
    return Week(index, start - timedelta(days=start.weekday()) + (index - 1) * ONE_WEEK)


def open_week_of(session, period: Period) -> Week:
    """The first week of the period with no weekly review: the one the next review is for."""
    recorded = session.scalar(select(func.count(WeeklyReview.id)).where(WeeklyReview.period_id == period.id)) or 0
    return period_week(period_start(period), recorded + 1)


def _last_day(period: Period) -> date:
    return period.actual_end or period.planned_end


# --- service handlers ----------------------------------------------------------------------
def open_week(call: ServiceCall) -> dict:
    """Before each weekly review: the week it is for, its deadline (the end of the Sunday) and
    the silent-week timer's cycle, one beat a week until the week the period ends in."""
    period = call.session.get(Period, int(call.data["period_id"]))
    week = open_week_of(call.session, period)
    beats = max(1, (_last_day(period) - week.monday).days // 7 + 1)  # this week up to the period's last
    first_beat = datetime.fromisoformat(end_of_day(week.sunday)) + BEAT_AFTER_WEEK
    return {**week.details(), "week_due_at": end_of_day(week.sunday),
            "week_flag_cycle": f"R{beats}/{first_beat.isoformat()}/P7D"}


def flag_silent_weeks(call: ServiceCall) -> dict:
    """Flag every ended, unflagged week of the period from the open one on (see the module doc)."""
    session = call.session
    period = session.get(Period, int(call.data["period_id"]))
    flagged = {(n.details or {}).get("week") for n in session.scalars(
        select(Notice).where(Notice.period_id == period.id, Notice.kind == SILENT_WEEK))}
    week = open_week_of(session, period)
    while week.ended(call.now) and week.monday <= _last_day(period):
        if week.index not in flagged:
            for role in SILENT_WEEK_RECIPIENTS:
                session.add(Notice(instance_id=call.instance_id, period_id=period.id, kind=SILENT_WEEK,
                                   recipient_role=role, created_at=call.now, details=week.details()))
        week = period_week(period_start(period), week.index + 1)
    return {}


WEEK_HANDLERS = {"open_week": open_week, "flag_silent_weeks": flag_silent_weeks}
