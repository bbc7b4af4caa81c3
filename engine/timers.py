"""Timer event definitions that read Polku's clock instead of the wall clock.

SpiffWorkflow 3.2.0's timer definitions call `datetime.now(timezone.utc)` directly, so a
due time computed under one clock could never fire under another. These subclasses read
`current_clock()`, which the runtime binds around every engine call (`bound_clock`).
The parser swaps the parsed definitions for these; the serializer knows them by name.
"""
from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)

from .clock import Clock

# The wall clock when nothing is bound (a ContextVar default is shared, so it is kept out here).
_WALL_CLOCK = Clock()
_CLOCK: contextvars.ContextVar[Clock | None] = contextvars.ContextVar("polku_clock", default=None)


def current_clock() -> Clock:
    clock = _CLOCK.get()
    return _WALL_CLOCK if clock is None else clock


@contextmanager
def bound_clock(clock: Clock) -> Iterator[None]:
    token = _CLOCK.set(clock)
    try:
        yield
    finally:
        _CLOCK.reset(token)


def _now() -> datetime:
    return current_clock().now()


def _has_fired(my_task: Any, definition: Any, value_of: Callable[[Any], Any],
               due_of: Callable[[Any], datetime]) -> bool:
    """SpiffWorkflow's has_fired, on our clock: the due value is computed once from the
    expression (`value_of`), stored, and compared (`due_of`) with the current clock."""
    event_value = my_task._get_internal_data("event_value")
    if event_value is None:
        event_value = value_of(my_task.workflow.script_engine.evaluate(my_task, definition.expression))
        my_task._set_internal_data(event_value=event_value)
    if due_of(event_value) < _now():
        my_task._set_internal_data(event_fired=True)
    return bool(my_task._get_internal_data("event_fired", False))


def _due_after(expression: str) -> str:
    start = _now()
    parsed = TimerEventDefinition.parse_iso_duration(expression)
    delta: timedelta = TimerEventDefinition.get_timedelta_from_start(parsed, start)
    return (start + delta).isoformat()


class ClockedTimeDate(TimeDateEventDefinition):
    def has_fired(self, my_task: Any) -> bool:
        return _has_fired(my_task, self, lambda value: value, TimerEventDefinition.parse_time_or_duration)


class ClockedDuration(DurationTimerEventDefinition):
    def has_fired(self, my_task: Any) -> bool:
        return _has_fired(my_task, self, _due_after, TimerEventDefinition.get_datetime)


class ClockedCycle(CycleTimerEventDefinition):
    def cycle_complete(self, my_task: Any) -> bool:
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            expression = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            cycles, start, duration = parse_cycle(expression, _now())
            event_value = {"cycles": cycles, "next": start.isoformat(), "duration": duration.total_seconds()}
        ready = False
        if event_value["cycles"] != 0:
            next_event = datetime.fromisoformat(event_value["next"])
            if next_event < _now():
                # Replace, never mutate: SpiffWorkflow shares nested values between tasks.
                event_value = {
                    "cycles": event_value["cycles"] - 1,
                    "next": (next_event + timedelta(seconds=event_value["duration"])).isoformat(),
                    "duration": event_value["duration"],
                }
                ready = True
        else:
            my_task.internal_data.pop("event_value", None)
            my_task.internal_data["event_fired"] = True
        my_task._set_internal_data(event_value=event_value)
        return ready


def parse_cycle(expression: str, now: datetime) -> tuple[int, datetime, timedelta]:
    """`R[n]/start/duration`, `R[n]/duration/end`, or `R[n]/duration` (first due one period from now)."""
    parts = expression.upper().replace("--", "/").strip("R").split("/")
    if len(parts) == 2 and parts[1].startswith("P"):
        cycles = int(parts[0]) if parts[0] else -1
        duration = TimerEventDefinition.get_timedelta_from_start(TimerEventDefinition.parse_iso_duration(parts[1]), now)
        return cycles, now + duration, duration
    cycle: tuple[int, datetime, timedelta] = TimerEventDefinition.parse_iso_recurring_interval(expression)
    return cycle


CLOCKED = {
    TimeDateEventDefinition: ClockedTimeDate,
    DurationTimerEventDefinition: ClockedDuration,
    CycleTimerEventDefinition: ClockedCycle,
}

TIMER_KINDS = {ClockedTimeDate: "date", ClockedDuration: "duration", ClockedCycle: "cycle"}


def due_time(task: Any) -> datetime | None:
    """When a waiting timer task is due, from what its definition stored; None if not a timer."""
    kind = TIMER_KINDS.get(type(task.task_spec.event_definition))
    if kind is None:
        return None
    value = task._get_internal_data("event_value")
    if value is None:
        return None
    if kind == "cycle":
        return datetime.fromisoformat(value["next"]).astimezone(timezone.utc) if value.get("cycles") else None
    if kind == "date":
        parsed = TimerEventDefinition.parse_time_or_duration(value)
        return parsed if isinstance(parsed, datetime) else None
    due: datetime = TimerEventDefinition.get_datetime(value)
    return due
