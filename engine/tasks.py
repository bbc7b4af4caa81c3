"""Commands on human tasks: claim, take over, unclaim, assign, complete."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn, cast

from sqlalchemy import CursorResult, Table, bindparam, exists, func, or_, select, update

from . import audit, ids, work_queue
from .access import (
    CANDIDATE,
    MAY_SEE_TASK,
    MAY_TAKE_OVER,
    MAY_WORK,
    Facts,
    instance_org_ids,
    require,
    require_instance_manager,
)
from .errors import Conflict, Forbidden, NotFound, ValidationFailed
from .formcheck import check_form_rule, check_rule, validated
from .models import HumanTask, Instance, InstanceOrganisation
from .persist import advance, load_workflow
from .prepared import Prepared, Row
from .rows import InstanceRow, TaskRow
from .users import Actor, load_actor

if TYPE_CHECKING:
    from .db import UnitOfWork
    from .runtime import Runtime


# Declarative classes type `__table__` as any FromClause; a mapped class's is its Table.
_TASKS = cast(Table, HumanTask.__table__)
_INST = cast(Table, Instance.__table__)
_ORG_LINKS = cast(Table, InstanceOrganisation.__table__)
# One read gives the task, its instance and whether the actor's organisation is one of the
# instance's: the step's hot path reads little, and reads it once.
_CONTEXT_QUERY = (
    select(
        _TASKS,
        *[c.label(f"i_{c.name}") for c in _INST.c],
        exists().where(_ORG_LINKS.c.instance_id == _TASKS.c.instance_id,
                       _ORG_LINKS.c.organisation_id == bindparam("org")).label("in_org"),
    )
    .join(_INST, _INST.c.id == _TASKS.c.instance_id)
    .where(_TASKS.c.id == bindparam("id"))
)
_CONTEXT = Prepared(_CONTEXT_QUERY)
# A completion locks its instance's row in the read that loads its task (engine.locks: the instance
# first, then its task and timer rows; FOR UPDATE is not rendered on SQLite).
_CONTEXT_LOCKED = Prepared(_CONTEXT_QUERY.with_for_update(of=_INST, key_share=True))
# Still ready, and free or the completer's own: the row as it is now, not as the task's read saw it
# (a claim or an assignment may have come between).
_FINISHED = (update(_TASKS).where(_TASKS.c.id == bindparam("b_id"), _TASKS.c.state == "ready",
                                  or_(_TASKS.c.assignee.is_(None), _TASKS.c.assignee == bindparam("user")))
             .values(state="completed", completed_at=bindparam("now"), completed_by=bindparam("user")))
_FINISH = Prepared(_FINISHED)
# On PostgreSQL the task leaves its queues in the same statement (a data-modifying WITH).
_DONE = _FINISHED.returning(_TASKS.c.id).cte("done")
_FINISH_AND_DROP = Prepared(select(func.count().label("done")).select_from(_DONE)
                            .add_cte(work_queue.drop_with(_DONE)))


def _check_open(task: TaskRow, inst: InstanceRow) -> None:
    if task.state == "completed":
        raise Conflict(f"task {task.id} was already handled by {task.completed_by}", "handled")
    if task.state != "ready":
        raise Conflict(f"task {task.id} is no longer open ({task.state})")
    if inst.status != "running":
        raise Conflict(f"instance {inst.id} is {inst.status}; its tasks cannot be worked on now", "inactive")


def _context(uow: UnitOfWork, actor: str, task_id: str, all_orgs: bool = False, lock: bool = False
             ) -> tuple[Actor, TaskRow, InstanceRow, Facts]:
    """Load → check access, in that order. A task the user may not see is 'not found'.

    The facts' `org_ids` are the instance's organisations when `all_orgs`; otherwise only the
    actor's own organisation, if it is among them (all that checks about the actor need)."""
    user = load_actor(uow, actor)
    values = (_CONTEXT_LOCKED if lock else _CONTEXT).first(uow, {"id": ids.task_id(task_id),
                                                                "org": user.organisation_id})
    if values is None:
        raise NotFound(f"no task {task_id}")
    task = TaskRow.from_mapping(values)
    inst = InstanceRow.from_mapping(values, prefix="i_")
    if all_orgs:
        orgs = instance_org_ids(uow.session, task.instance_id)
    else:
        # in_org is true only for an actor with an organisation.
        own = user.organisation_id
        orgs = frozenset({own}) if values["in_org"] and own is not None else frozenset()
    facts = Facts(task.assignee, frozenset(task.candidate_groups or ()), orgs)
    if not MAY_SEE_TASK.allows(user, facts):
        raise NotFound(f"no task {task_id}")
    return user, task, inst, facts


def _set_assignee(uow: UnitOfWork, task: TaskRow, assignee: str | None, expected: str | None) -> None:
    # Compare-and-set on the row: two claims racing cannot both win.
    # Session.execute is typed as returning any Result; an UPDATE's is a CursorResult.
    result = cast(CursorResult[Any], uow.session.execute(
        update(HumanTask)
        .where(HumanTask.id == task.id, HumanTask.state == "ready",
               HumanTask.assignee.is_(None) if expected is None else HumanTask.assignee == expected)
        .values(assignee=assignee, claimed_at=uow.now if assignee else None, claimed_by=assignee)
        .execution_options(synchronize_session=False)
    ))
    if result.rowcount != 1:
        raise Conflict(f"task {task.id} was claimed or handled by someone else meanwhile")
    if assignee is None:  # given back: it waits in its groups' queues again
        work_queue.fill(uow.session, _TASKS.c.id == task.id)
    else:
        work_queue.drop(uow.session, [task.id])


def claim(uow: UnitOfWork, actor: str, task_id: str) -> None:
    user, task, inst, facts = _context(uow, actor, task_id)
    _check_open(task, inst)
    if task.assignee == user.username:
        raise Conflict(f"task {task.id} is already yours", "already_yours")
    if task.assignee is not None:
        raise Conflict(f"task {task.id} is already claimed by {task.assignee}", "claimed_by_other")
    require(MAY_WORK, user, facts, "you may not act on this task")
    _set_assignee(uow, task, user.username, None)
    audit.record(uow, user, "claim", instance_id=task.instance_id, task_id=task.id)


def take_over(uow: UnitOfWork, actor: str, task_id: str) -> None:
    """A claim of a task a colleague holds (or the process assigned to them): allowed to whoever
    could work on it were it free, and said so explicitly, so that of two racing plain claims the
    second still fails instead of silently taking the task from the first."""
    user, task, inst, facts = _context(uow, actor, task_id)
    _check_open(task, inst)
    if task.assignee == user.username:
        raise Conflict(f"task {task.id} is already yours", "already_yours")
    if task.assignee is None:
        raise Conflict(f"task {task.id} is not claimed: claim it instead", "not_claimed")
    require(MAY_TAKE_OVER, user, facts, "you may not take this task over")
    _set_assignee(uow, task, user.username, task.assignee)
    audit.record(uow, user, "take_over", instance_id=task.instance_id, task_id=task.id,
                 details={"from": task.assignee, "to": user.username})


def unclaim(uow: UnitOfWork, actor: str, task_id: str, reason: str | None = None) -> None:
    """`reason`: a manager's, from the instance page (kept in the details when given)."""
    user, task, inst, facts = _context(uow, actor, task_id)
    _check_open(task, inst)
    if task.assignee is None:
        raise Conflict(f"task {task.id} is not claimed", "not_claimed")
    if task.assignee != user.username:
        require_instance_manager(user, facts.org_ids)
    _set_assignee(uow, task, None, task.assignee)
    audit.record(uow, user, "unclaim", instance_id=task.instance_id, task_id=task.id,
                 details={"previous": task.assignee, **({"reason": reason} if reason else {})})


def assign(uow: UnitOfWork, actor: str, task_id: str, assignee: str, reason: str | None = None) -> None:
    """A manager hands the task to a user who could work on it (why, when said, in the details)."""
    user, task, inst, facts = _context(uow, actor, task_id, all_orgs=True)
    _check_open(task, inst)
    require_instance_manager(user, facts.org_ids)
    target = load_actor(uow, assignee)
    if not CANDIDATE.allows(target, facts):
        raise Forbidden(f"{assignee} is not in the task's candidate groups and organisations")
    _set_assignee(uow, task, target.username, task.assignee)
    audit.record(uow, user, "assign", instance_id=task.instance_id, task_id=task.id,
                 details={"assignee": target.username, "previous": task.assignee,
                          **({"reason": reason} if reason else {})})


def _finish(uow: UnitOfWork, user: Actor, task_id: str) -> None:
    """Compare-and-set on the task row: of two racing completions only one passes its check.
    The task leaves its queues with it."""
    values = {"b_id": task_id, "now": uow.now, "user": user.username}
    if uow.connection().dialect.name == "postgresql":
        # Sent with the step's first write (engine.prepared): the instance's row is locked, so
        # only a claim made since the task was read can make it fail, and its check then
        # refuses the step before anything is committed.
        def finished(rows: list[Row]) -> None:
            if rows[0]["done"] != 1:
                _refuse_as_it_now_is(uow, user, task_id)

        _FINISH_AND_DROP.defer(uow, values, finished)
        return
    if _FINISH.run(uow, values) != 1:
        _refuse_as_it_now_is(uow, user, task_id)
    work_queue.drop_one(uow, task_id)


def _check_workable(task: TaskRow, inst: InstanceRow, user: Actor) -> None:
    _check_open(task, inst)
    if task.assignee not in (None, user.username):
        raise Conflict(f"task {task.id} is claimed by {task.assignee}")


def _refuse_as_it_now_is(uow: UnitOfWork, user: Actor, task_id: str) -> NoReturn:
    """A task that is no longer the user's to complete, though its read said it was: the locked
    read waited for the command that moved the instance on, and PostgreSQL gave it that instance
    row but the task row as it was before; or a claim came between. Read again (a new statement
    sees what was committed) to say what happened to it."""
    values = _CONTEXT.first(uow, {"id": task_id, "org": user.organisation_id})
    if values is not None:
        _check_workable(TaskRow.from_mapping(values), InstanceRow.from_mapping(values, prefix="i_"), user)
    raise Conflict(f"task {task_id} is no longer open")


def complete(uow: UnitOfWork, runtime: Runtime, actor: str, task_id: str, data: object) -> str:
    """Validate the submission (whatever the caller sent; a JSON object or None) against the
    task's form, run the workflow on, save. Returns the instance status."""
    user, task, inst, facts = _context(uow, actor, task_id, lock=True)
    _check_workable(task, inst, user)
    require(MAY_WORK, user, facts, "you may not act on this task")
    if data is not None and not isinstance(data, dict):
        raise ValidationFailed("data must be a JSON object", {"data": "must be a JSON object"})
    values = validated(uow, runtime.field_types, task.fields, data or {})
    defn, wf, before = load_workflow(uow, runtime, inst)
    spiff_task = runtime.ready_task(wf, task.id)
    if spiff_task is None:
        _refuse_as_it_now_is(uow, user, task.id)
    properties = defn.extensions.get(task.element_id, {}).get("properties") or {}
    if properties.get("validation_decision"):
        check_rule(uow, runtime, defn, spiff_task, values, properties["validation_decision"])
    if properties.get("form_rule"):  # like a validation decision, it sees the task's data under the values
        check_form_rule(uow, runtime.form_rules, properties["form_rule"], {**spiff_task.data, **values})
    _finish(uow, user, task.id)
    before.human_tasks.pop(task.id, None)
    before.finished.add(task.id)
    after = advance(uow, runtime, inst, defn, wf, before,
                    action=lambda: runtime.complete_human_task(spiff_task, values, uow.now), actor=user.username)
    audit.record(uow, user, "complete", instance_id=inst.id, task_id=task.id,
                 details={"element_id": task.element_id, "fields": audit.changed_fields(values),
                          "status": after.status})
    return after.status
