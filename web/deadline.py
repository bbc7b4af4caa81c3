"""A task's deadline as every page shows it: the local day it is due, and whether and by how many
business days it is late. The inbox, the case list and the case page all use this one reading."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from polku.domain.calendar import business_days_between

LOCAL_TZ = ZoneInfo("Europe/Helsinki")  # the service's days (the same zone the date filters use)


def local_day(value: datetime) -> date:
    return value.astimezone(LOCAL_TZ).date()


def deadline(due: str | datetime | None, now: datetime) -> dict | None:
    """{"day", "overdue", "days"} of a due instant (ISO text or datetime), or None without one."""
    if not due:
        return None
    due_at = datetime.fromisoformat(due) if isinstance(due, str) else due
    day, late = local_day(due_at), due_at < now
    return {"day": day, "overdue": late, "days": max(business_days_between(day, local_day(now)), 0) if late else 0}
