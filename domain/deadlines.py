"""Due dates of the human tasks: functions the process models call in `camunda:dueDate`.

The limits themselves (how many business days an official has for a decision, and so on)
are data in processes/coaching_limits.dmn; these functions only do the calendar
arithmetic. A deadline is a day, and a task is due by the end of that day in the
service's time zone, so the inbox (which shows days in that zone) shows the day the limit
names and calls the task overdue from the next one. Nothing here reads the clock: models
pass `today()`, which the runtime binds to the command's clock.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from polku.engine.script_functions import to_date

from . import calendar

SERVICE_TZ = ZoneInfo("Europe/Helsinki")  # the days the service counts (the inbox shows the same zone)
END_OF_DAY = time(23, 59, 59)


def end_of_day(day: Any) -> str:
    """The last second of ``day`` in the service's time zone, as a UTC ISO date-time."""
    local = datetime.combine(to_date(day), END_OF_DAY, SERVICE_TZ)
    return local.astimezone(timezone.utc).isoformat()


def add_business_days(day: Any, n: Any) -> str:
    """The ``n``-th Finnish business day after ``day`` (ISO date; weekends and public holidays skipped)."""
    return calendar.add_business_days(to_date(day), int(n)).isoformat()


def week_end(day: Any) -> str:
    """The Sunday that ends the ISO week (Monday to Sunday) of ``day`` (ISO date)."""
    d = to_date(day)
    return (d + timedelta(days=6 - d.weekday())).isoformat()


def period_end_limit(start: Any, months: Any) -> str:
    """The last day of a period of ``months`` calendar months starting on ``start`` (ISO date;
    domain.calendar.period_end_limit): what a form rule needs to check R1 on a proposed end."""
    return calendar.period_end_limit(to_date(start), int(months)).isoformat()


def deadline_functions() -> dict[str, Callable[..., Any]]:
    return {"end_of_day": end_of_day, "add_business_days": add_business_days, "week_end": week_end,
            "period_end_limit": period_end_limit}
