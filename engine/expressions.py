"""Camunda attribute values Polku evaluates itself: `${...}` wrappers and due dates."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

_WRAPPED = re.compile(r"^\s*[$#]\{(.*)\}\s*$", re.S)


def unwrap(raw: str) -> str | None:
    """The expression inside `${...}` (or `#{...}`), or None when the value is a literal."""
    match = _WRAPPED.match(str(raw))
    return match.group(1).strip() if match else None


def to_due_time(value: Any, now: datetime) -> datetime | None:
    """A due time from an ISO duration (from now), an ISO date or date-time, or a date/datetime."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    if isinstance(value, timedelta):
        return now + value
    text = str(value).strip()
    if text.upper().startswith("P"):
        try:
            parsed = TimerEventDefinition.parse_iso_duration(text)
        except Exception as exc:  # the library raises a bare Exception
            raise ValueError(f"not an ISO 8601 duration: {text!r}") from exc
        delta: timedelta = TimerEventDefinition.get_timedelta_from_start(parsed, now)
        return now + delta
    try:
        parsed_dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"not an ISO 8601 date, date-time or duration: {text!r}") from exc
    return parsed_dt if parsed_dt.tzinfo else parsed_dt.replace(tzinfo=timezone.utc)
