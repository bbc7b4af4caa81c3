"""Process time, passed in explicitly.

Commands never call `datetime.now()`: they receive a Clock. `POLKU_NOW` fixes "now" for a
whole command, which is how tests and demos move time forward. SpiffWorkflow's timer
definitions read the clock through `engine.timers.current_clock()`, bound by the runtime for
the duration of each engine call.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime, timezone


class Clock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class FixedClock(Clock):
    def __init__(self, at: datetime):
        if at.tzinfo is None:
            at = at.replace(tzinfo=timezone.utc)
        self.at = at.astimezone(timezone.utc)

    def now(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        from datetime import timedelta

        self.at = self.at + timedelta(**delta)


def parse_instant(text: str) -> datetime:
    """An ISO 8601 instant; a naive value is taken as UTC, a bare date as its midnight UTC."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def clock_from_env(environ: Mapping[str, str] | None = None) -> Clock:
    fixed = (os.environ if environ is None else environ).get("POLKU_NOW")
    if fixed:
        try:
            return FixedClock(parse_instant(fixed))
        except ValueError as exc:  # the user's setting, so a refusal rather than a bug
            from .errors import ValidationFailed

            raise ValidationFailed(f"POLKU_NOW is not an ISO 8601 date-time: {fixed!r}",
                                   {"POLKU_NOW": "is not an ISO 8601 date-time"}) from exc
    return Clock()
