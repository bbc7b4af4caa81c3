"""What the lists show of an instance's open human tasks, kept on its row: how many are ready
(``instances.open_tasks``) and the earliest due time among them (``instances.next_due_at``).

The managers' instance list filters on them (running: a task is open; waiting: none is; overdue)
and sorts by the next due time; the case list does too. Worked out per row, each of those was a
correlated subquery over ``human_tasks`` for every instance of an area (12,500 at 100,000 cases),
twice for a sort. They are a function of the ready tasks and nothing else, so they are refreshed
from those rows in the same transaction as every change to them: a step that makes or ends tasks
(``persist.save``, in the instance's own write: complete, cancel, terminate, start) and a manager's new due date
(``task_admin.set_due``). Claiming changes neither. Derived, never a source: the tasks are.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import ColumnElement, ScalarSelect, Table, bindparam, func, select, update

from .models import HumanTask, Instance
from .prepared import Prepared

if TYPE_CHECKING:
    from .db import UnitOfWork

_INSTANCES = cast(Table, Instance.__table__)
_TASKS = cast(Table, HumanTask.__table__)


def _of_ready(column: ColumnElement[Any]) -> ScalarSelect[Any]:
    return (select(column).where(_TASKS.c.instance_id == _INSTANCES.c.id, _TASKS.c.state == "ready")
            .correlate(_INSTANCES).scalar_subquery())


# The values' definition, as SQL (tests that write task rows directly keep the row with it too; the
# migration's backfill spells it out on its own, as a migration must not follow later code).
OPEN_TASKS = _of_ready(func.count())
NEXT_DUE_AT = _of_ready(func.min(_TASKS.c.due_at))

VALUES = {"open_tasks": OPEN_TASKS, "next_due_at": NEXT_DUE_AT}  # a step's write sets them with its own
_REFRESH = Prepared(update(_INSTANCES).where(_INSTANCES.c.id == bindparam("b_id")).values(**VALUES))


def refresh(uow: UnitOfWork, instance_id: int) -> None:
    """Work the two values out again from the instance's ready tasks, as they now are."""
    _REFRESH.run(uow, {"b_id": instance_id})
