"""Functions every script, condition and DMN cell may call, bound to the injected clock."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from .timers import current_clock


def today() -> str:
    """Today's date (ISO string, as task data keeps dates) by the command's clock."""
    return current_clock().now().date().isoformat()


def now() -> str:
    return current_clock().now().isoformat()


def to_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def days_between(start: Any, end: Any) -> int:
    return (to_date(end) - to_date(start)).days


def add_days(value: Any, days: int) -> str:
    return (to_date(value) + timedelta(days=int(days))).isoformat()


def standard_functions() -> dict[str, Callable[..., Any]]:
    return {"today": today, "now": now, "to_date": to_date, "days_between": days_between, "add_days": add_days}
