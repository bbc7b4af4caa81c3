"""Plain, untracked rows the commands read: what a statement returned, typed.

Commands write instances and tasks with explicit statements under their locks, never through
ORM change tracking, so they read them as these rows rather than as mapped objects. A test
checks that the fields match the tables' columns.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.engine import RowMapping


@dataclass(slots=True)
class InstanceRow:
    """One row of `instances`. Not frozen on purpose: `persist.save` moves `lock_version` and
    `status` on as it writes them, so the row always says what this command last wrote."""

    id: int
    definition_id: int
    process_key: str
    version: int
    business_key: str | None
    title: str | None
    status: str
    lock_version: int
    state: bytes
    error_element: str | None
    error_message: str | None
    started_at: datetime
    started_by: str
    updated_at: datetime
    ended_at: datetime | None
    open_tasks: int
    next_due_at: datetime | None

    @classmethod
    def of(cls, source: Any) -> InstanceRow:
        """From anything with the columns as attributes (a freshly flushed `Instance`)."""
        return cls(**{f.name: getattr(source, f.name) for f in fields(cls)})

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | RowMapping, prefix: str = "") -> InstanceRow:
        return cls(**{f.name: values[prefix + f.name] for f in fields(cls)})


@dataclass(frozen=True, slots=True)
class TaskRow:
    """One row of `human_tasks`, as it was read."""

    id: str
    instance_id: int
    element_id: str
    name: str | None
    lane: str | None
    assignee: str | None
    candidate_groups: list[str]
    due_at: datetime | None
    priority: int | None
    fields: list[dict[str, Any]]
    state: str
    created_at: datetime
    claimed_at: datetime | None
    claimed_by: str | None
    completed_at: datetime | None
    completed_by: str | None

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> TaskRow:
        return cls(**{f.name: values[f.name] for f in fields(cls)})
