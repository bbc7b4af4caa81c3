"""What the service-task handlers share (domain/handlers.py, second_period_handlers.py): the
day of a date value, the case's current period, its limits, a notice, a period's dates."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from polku.engine.services import ServiceCall

from .models import Notice, Period

LIMIT_KEYS = ("min_period_days", "max_period_months", "max_periods", "window_months", "window_limit_months")


def as_day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def midnight_after(day: date) -> str:
    """Timers fire when a day is over: at the start of the next one (UTC)."""
    return datetime.combine(day + timedelta(days=1), time(), timezone.utc).isoformat()


def limits_of(data: dict) -> dict:
    return {k: int(data[k]) for k in LIMIT_KEYS}


def current_period(call: ServiceCall) -> Period:
    return call.session.get(Period, int(call.data["period_id"]))


def raise_notice(call: ServiceCall, kind: str, recipient: str, period_id=None, **details) -> None:
    call.session.add(Notice(instance_id=call.instance_id, period_id=period_id, kind=kind, recipient_role=recipient,
                            created_at=call.now, details=details))


PERIOD_DATE_KEYS = ("period_start", "period_end", "period_end_at", "reassessment_at")  # what period_dates gives


def period_dates(start: date, end: date, data: dict) -> dict:
    return {
        "period_start": start.isoformat(), "period_end": end.isoformat(), "period_end_at": midnight_after(end),
        "reassessment_at": (end - timedelta(days=int(data["reassessment_lead_days"]))).isoformat(),
    }
