"""The order in which commands that move an instance take row locks on PostgreSQL: the instance's
row first, then its task, timer and retry rows. A completion locks the instance in the read that
loads its task (engine.tasks), the timer and retry workers here before they check their claim, a
manager's suspend, resume, terminate and retry, a migration's move and a new due date when they load
it (engine.persist.load_instance(lock=True), engine.task_admin).
Without one order a completion racing the firing of its task's interrupting boundary timer
deadlocked about one time in three (tests/faults/test_races.py): the completion held the task row
and wanted the timer's, the worker held the timer row and wanted the task's. On SQLite a write
transaction already keeps every other writer out: nothing to lock.

Claiming does not lock here (FOR UPDATE SKIP LOCKED on the timer and retry rows alone): a claim
waits for nothing, so it cannot close a cycle."""
from __future__ import annotations

from typing import TYPE_CHECKING, cast

from sqlalchemy import Table, bindparam, select

from .models import Instance
from .prepared import Prepared

if TYPE_CHECKING:
    from .db import UnitOfWork

_I = cast(Table, Instance.__table__)
# NO KEY UPDATE: inserts of task rows that reference the instance (a key share) do not wait on it.
_LOCK = Prepared(select(_I.c.id).where(_I.c.id == bindparam("id")).with_for_update(key_share=True))


def instance(uow: UnitOfWork, instance_id: int) -> None:
    """Lock the instance's row until the unit of work ends (PostgreSQL)."""
    if uow.connection().dialect.name == "postgresql":
        _LOCK.first(uow, {"id": instance_id})
