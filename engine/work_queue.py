"""The work queues: for each organisation and candidate group, the tasks waiting for someone of it
(``work_queue``: ready and unclaimed, one row per organisation of the task's instance and candidate
group of the task).

The inbox starts from these rows and the user's own assigned tasks instead of from every ready
task: at 100,000 cases a provider's coach may work on 1 ready task in 300, an area's official on
none of the area's assigned official tasks, and testing each of 18,000 ready tasks against the
access rule took 200 ms. The queue only narrows the candidates (a superset of what the rule allows,
never the rule itself: engine.access still decides).

Kept here, in the transaction that changes what it follows:
- a task becomes ready (engine.persist) or is given back to its groups (engine.tasks): ``fill``;
- the instance gains an organisation (engine.persist.add_organisations): ``fill`` for the new ones;
- the task is claimed, assigned, completed or cancelled (a terminated instance's tasks are): ``drop``;
- the task is deleted (a purge): the foreign key's cascade.
A suspended instance's tasks stay queued: the inbox shows running instances' tasks only, and they
come back unchanged on resume.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import CTE, ColumnElement, Select, Subquery, Table, bindparam, delete, false, insert, select, union
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from .models import HumanTask, InstanceOrganisation, TaskCandidateGroup, WorkQueueEntry
from .prepared import Prepared
from .users import Actor

if TYPE_CHECKING:
    from .db import UnitOfWork

# Declarative classes type `__table__` as any FromClause; a mapped class's is its Table.
_QUEUE = cast(Table, WorkQueueEntry.__table__)
_TASKS = cast(Table, HumanTask.__table__)
_GROUPS = cast(Table, TaskCandidateGroup.__table__)
_ORGS = cast(Table, InstanceOrganisation.__table__)


def _filling(*where: ColumnElement[bool]) -> Any:
    rows = (select(_ORGS.c.organisation_id, _GROUPS.c.group_name, _TASKS.c.id)
            .join(_GROUPS, _GROUPS.c.task_id == _TASKS.c.id)
            .join(_ORGS, _ORGS.c.instance_id == _TASKS.c.instance_id)
            .where(_TASKS.c.state == "ready", _TASKS.c.assignee.is_(None), *where))
    return insert(_QUEUE).from_select(["organisation_id", "group_name", "task_id"], rows)


# A step's own two, precompiled (engine.prepared): one task at a time, by id.
_FILL_ONE = Prepared(_filling(_TASKS.c.id == bindparam("task_id")))
_DROP_ONE = Prepared(delete(_QUEUE).where(_QUEUE.c.task_id == bindparam("task_id")))


def fill(bind: Session | Connection, *where: ColumnElement[bool]) -> None:
    """Queue the ready, unclaimed tasks that `where` selects (conditions on ``human_tasks``, and
    on ``instance_organisations`` to queue a task in some of its organisations only). Callers
    select only tasks and organisations not queued yet: a task that was ready but claimed, or new."""
    bind.execute(_filling(*where))


def fill_new(uow: UnitOfWork, task_ids: list[str]) -> None:
    """`fill` for a step's new tasks."""
    _FILL_ONE.run_many(uow, [{"task_id": t} for t in task_ids])


def drop_one(uow: UnitOfWork, task_id: str) -> None:
    """`drop` for the task a step completes."""
    _DROP_ONE.run(uow, {"task_id": task_id})


def drop(bind: Session | Connection, task_ids: Iterable[str]) -> None:
    """Take tasks out of every queue they are in (claimed, handed to someone, or no longer ready)."""
    found = list(task_ids)
    if found:
        bind.execute(delete(_QUEUE).where(_QUEUE.c.task_id.in_(found)))


def fill_with(groups: CTE, tasks: CTE) -> Any:
    """`fill` for new tasks as the main statement of a data-modifying WITH on PostgreSQL: `groups`
    returns the rows written to ``task_candidate_groups`` (task_id, group_name) and `tasks` the
    rows written to ``human_tasks`` (id, instance_id, assignee); the unassigned ones are queued in
    every organisation of their instance."""
    rows = (select(_ORGS.c.organisation_id, groups.c.group_name, groups.c.task_id)
            .join(tasks, tasks.c.id == groups.c.task_id)
            .join(_ORGS, _ORGS.c.instance_id == tasks.c.instance_id)
            .where(tasks.c.assignee.is_(None)))
    return insert(_QUEUE).from_select(["organisation_id", "group_name", "task_id"], rows)


def drop_with(done: CTE) -> CTE:
    """`drop` as a data-modifying WITH for PostgreSQL: the tasks `done` returns (its column ``id``)
    leave their queues in the statement that changed them."""
    return delete(_QUEUE).where(_QUEUE.c.task_id.in_(select(done.c.id))).cte("unqueued")


def assigned(user: Actor) -> Select[Any]:
    """The ids of the ready tasks assigned to `user` (``ix_human_tasks_assignee_state``)."""
    return select(_TASKS.c.id.label("task_id")).where(_TASKS.c.assignee == user.username,
                                                      _TASKS.c.state == "ready")


def queued(user: Actor) -> Select[Any] | None:
    """The ids of the tasks in the queues of `user`'s organisation for their roles (None: in none)."""
    if user.organisation_id is None or not user.roles:
        return None
    return select(_QUEUE.c.task_id).where(_QUEUE.c.organisation_id == user.organisation_id,
                                          _QUEUE.c.group_name.in_(sorted(user.roles)))


def candidates(*parts: Select[Any] | None) -> Subquery:
    """The distinct ids of `parts` (each selecting ``task_id``; None parts left out) as a table to
    start a query from: joined to ``human_tasks`` by its key it makes every database read the few
    candidates first. Distinct (a task may wait for two of the user's groups), and so never merged
    into the outer query by SQLite, which then walked every ready task in due order and tested each
    (as it did with an ``IN`` condition)."""
    found = [p for p in parts if p is not None]
    if not found:  # nothing to start from: an empty set of the same shape
        found = [select(_TASKS.c.id.label("task_id")).where(false())]
    return (union(*found) if len(found) > 1 else found[0].distinct()).subquery("candidates")
