"""Writing one step: the instance state under its optimistic lock, the materialised human
tasks, timers and organisations. Statements are Core bulk statements: the ORM costs more
than SpiffWorkflow does here (see bench/step_overhead.py)."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, cast

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from sqlalchemy import String, Table, bindparam, delete, func, insert, select, true, update
from sqlalchemy.orm import Session

from . import ids, locks, org_links, service_retries, task_summary, work_queue
from .errors import Conflict, NotFound
from .models import (
    HumanTask,
    Instance,
    InstanceOrganisation,
    Organisation,
    ProcessDefinition,
    TaskCandidateGroup,
    Timer,
)
from .prepared import Prepared
from .rows import InstanceRow
from .runtime import LoadedDefinition, Snapshot, StepError, TimerView

if TYPE_CHECKING:
    from SpiffWorkflow.task import Task

    from .db import UnitOfWork
    from .runtime import HumanTaskView, Runtime

FINAL = ("completed", "terminated")


# Declarative classes type `__table__` as any FromClause; a mapped class's is its Table.
_INSTANCES = cast(Table, Instance.__table__)
_TASKS = cast(Table, HumanTask.__table__)
_GROUPS = cast(Table, TaskCandidateGroup.__table__)
_TIMERS = cast(Table, Timer.__table__)
_LOAD = select(_INSTANCES).where(_INSTANCES.c.id == bindparam("id"))
_SAVED = update(_INSTANCES).where(_INSTANCES.c.id == bindparam("b_id"),
                                   _INSTANCES.c.lock_version == bindparam("b_lock")).values(
    state=bindparam("state"), status=bindparam("status"), lock_version=bindparam("lock"),
    error_element=bindparam("error_element"), error_message=bindparam("error_message"),
    title=func.coalesce(bindparam("title", type_=String), _INSTANCES.c.title),
    updated_at=bindparam("updated_at"), ended_at=bindparam("ended_at"),
)
_SAVE = Prepared(_SAVED)
_SAVE_WITH_SUMMARY = Prepared(_SAVED.values(**task_summary.VALUES))
_CANCEL = (
    update(_TASKS)
    .where(_TASKS.c.id.in_(bindparam("ids", expanding=True)), _TASKS.c.state == "ready")
    .values(state="cancelled", completed_at=bindparam("now"))
)
_INSERT_TASK = Prepared(insert(_TASKS))
_INSERT_GROUP = Prepared(insert(_GROUPS))
# PostgreSQL writes a new task, its candidate groups and its queue rows in one statement (a
# data-modifying WITH; the groups are read back from the task's own JSON list): one round trip
# instead of three, pipelined by psycopg's executemany when a step makes several tasks.
_NEW = insert(_TASKS).returning(_TASKS.c.id, _TASKS.c.instance_id, _TASKS.c.assignee,
                                _TASKS.c.candidate_groups).cte("new_task")
_NAMES = func.json_array_elements_text(_NEW.c.candidate_groups).table_valued("value").alias("names")
_NEW_GROUPS = (insert(_GROUPS).from_select(["task_id", "group_name"],
                                           select(_NEW.c.id, _NAMES.c.value).select_from(_NEW).join(_NAMES, true()))
               .returning(_GROUPS.c.task_id, _GROUPS.c.group_name).cte("new_groups"))
_INSERT_TASK_QUEUED = Prepared(work_queue.fill_with(_NEW_GROUPS, _NEW).add_cte(_NEW, _NEW_GROUPS))
_DELETE_TIMERS = delete(_TIMERS).where(_TIMERS.c.id.in_(bindparam("ids", expanding=True)))
_INSERT_TIMER = Prepared(insert(_TIMERS))


def load_instance(uow: UnitOfWork, instance_id: int, lock: bool = False) -> InstanceRow:
    """The instance row as a plain, untracked object: commands write it with explicit
    statements under the optimistic lock, never through ORM change tracking. `lock`: a command
    that moves the instance takes its row lock first (engine.locks: one order on PostgreSQL)."""
    checked = ids.instance_id(instance_id)  # an id past the column is unknown, before any statement
    if lock:
        locks.instance(uow, checked)
    row = uow.execute(_LOAD, {"id": checked}).first()
    if row is None:
        raise NotFound(f"no instance {instance_id}")
    return InstanceRow.from_mapping(row._mapping)


def load_definition(uow: UnitOfWork, runtime: Runtime, definition_id: int) -> LoadedDefinition:
    cached = runtime.cached_definition(definition_id)
    if cached is not None:
        return cached
    row = uow.session.get_one(ProcessDefinition, definition_id)  # instances reference it by foreign key
    return runtime.definition(row)


def load_workflow(uow: UnitOfWork, runtime: Runtime, inst: InstanceRow
                  ) -> tuple[LoadedDefinition, BpmnWorkflow, Snapshot]:
    defn = load_definition(uow, runtime, inst.definition_id)
    wf = runtime.load(defn, inst.state)
    return defn, wf, runtime.snapshot(wf, defn, uow.now)


def advance(uow: UnitOfWork, runtime: Runtime, inst: InstanceRow, defn: LoadedDefinition, wf: BpmnWorkflow,
            before: Snapshot | None, action: Callable[[], object] | None = None, actor: str = "system") -> Snapshot:
    """Run `action` (if any) then engine steps; an error becomes the instance's error state.

    The error is saved in the command's own transaction, which a failing service handler
    cannot break: its writes were rolled back to its savepoint (engine/services.py). What
    ran before it in this step is saved as done; the failed task waits for a retry. A service
    handler's transient failure leaves the instance running with the retry scheduled
    (engine.service_retries) until its retries are used up."""
    old = before.human_tasks if before else {}
    retry, failure = service_retries.before_step(uow, inst.id, inst.status, wf), None  # its back-off is honoured
    try:
        with runtime.budget.scope():  # the whole step's model code shares one time budget
            if action is not None:
                action()
            runtime.advance(wf, defn, instance_id=inst.id, session=uow.session, now=uow.now, actor=actor,
                            hold=retry.hold)
            after = runtime.snapshot(wf, defn, uow.now)
            # Assignee, due date and priority may be expressions: evaluate them while an error
            # can still become the instance's error state.
            after.views = {tid: runtime.human_view(t, defn, uow.now)
                           for tid, t in after.human_tasks.items() if tid not in old}
    except StepError as error:
        after, failure = _failed(uow, runtime, inst, wf, defn, old, error)
    save(uow, runtime, inst, wf, defn, before, after)
    service_retries.settle(uow, inst.id, wf, failure, after.status == "error",  # after the write (its lock)
                           retry.row_possible)
    return after


def _failed(uow: UnitOfWork, runtime: Runtime, inst: InstanceRow, wf: BpmnWorkflow, defn: LoadedDefinition,
            old: dict[str, Task | None], error: StepError) -> tuple[Snapshot, service_retries.Failure | None]:
    after = runtime.snapshot(wf, defn, uow.now)
    failure = service_retries.failed(uow, runtime.handlers.retry_policy, inst.id, error) if error.transient else None
    if failure is not None and failure.next_attempt_at is not None:
        try:  # the step stands, a running instance: what it made ready is materialised as usual
            after.views = {tid: runtime.human_view(t, defn, uow.now)
                           for tid, t in after.human_tasks.items() if tid not in old}
            return after, failure
        except StepError as other:
            error, failure = other, None
    # Nothing new is materialised from a failed step; retry materialises it.
    after.human_tasks = {tid: t for tid, t in after.human_tasks.items() if tid in old}
    after.status = "error"
    after.error_element = error.element_id
    after.error_message = failure.incident() if failure is not None else error.message
    return after, failure


def save(uow: UnitOfWork, runtime: Runtime, inst: InstanceRow, wf: BpmnWorkflow, defn: LoadedDefinition,
         before: Snapshot | None, after: Snapshot, status: str | None = None) -> None:
    status = status or after.status
    session, now = uow.session, uow.now
    ended = now if status in FINAL else None
    old_tasks = before.human_tasks if before else {}
    old_timers = before.timers if before else {}
    live = status not in FINAL
    # The task rows first, so that the instance's own write, under its optimistic lock, works out
    # the task summary from them in the same statement (one round trip less). A lost lock raises
    # Conflict after them: the command's transaction, these rows with it, is rolled back.
    changed = _sync_tasks(uow, inst.id, after.views, old_tasks, after.human_tasks if live else {})
    summary = changed or (before is not None and before.finished)
    instance_id = inst.id

    def saved_once(count: int) -> None:
        if count != 1:
            raise Conflict(f"instance {instance_id} was changed by someone else meanwhile; nothing was saved")

    # Sent with the next statement that needs an answer, or with the COMMIT (engine.prepared):
    # the check still runs before anything is committed.
    (_SAVE_WITH_SUMMARY if summary else _SAVE).defer(uow, {
        "b_id": inst.id, "b_lock": inst.lock_version, "state": runtime.dump(wf), "status": status,
        "lock": inst.lock_version + 1, "error_element": after.error_element,
        "error_message": after.error_message, "updated_at": now, "ended_at": ended, "title": after.title,
    }, saved_once)
    inst.lock_version += 1
    inst.status = status
    _sync_timers(uow, inst.id, old_timers, after.timers if live else {})
    new_orgs = after.organisations - (before.organisations if before else set())
    if new_orgs:
        add_organisations(session, inst.id, new_orgs)


def _sync_tasks(uow: UnitOfWork, instance_id: int, views_by_id: dict[str, HumanTaskView],
                old: dict[str, Task | None], new: dict[str, Task | None]) -> bool:
    """Whether the instance's ready tasks changed (ended, completed before the step, or made)."""
    gone = [tid for tid in old if tid not in new]
    if gone:
        uow.execute(_CANCEL, {"ids": gone, "now": uow.now})
        work_queue.drop(uow.session, gone)
    views = [views_by_id[tid] for tid in new if tid not in old]
    if not views:
        return bool(gone)
    rows = [
        {
            "id": v.id, "instance_id": instance_id, "element_id": v.element_id, "name": v.name, "lane": v.lane,
            "candidate_groups": list(dict.fromkeys(v.candidate_groups)), "assignee": v.assignee,
            "due_at": v.due_at, "priority": v.priority, "fields": v.fields,
            "state": "ready", "created_at": uow.now, "claimed_at": uow.now if v.assignee else None,
            "claimed_by": "system" if v.assignee else None,
        }
        for v in views
    ]
    if uow.connection().dialect.name == "postgresql":
        _INSERT_TASK_QUEUED.defer(uow, rows, many=True)
        return True
    _INSERT_TASK.run_many(uow, rows)
    groups = [{"task_id": v.id, "group_name": g} for v in views for g in dict.fromkeys(v.candidate_groups)]
    if groups:
        _INSERT_GROUP.run_many(uow, groups)
        queued = [v.id for v in views if not v.assignee and v.candidate_groups]
        work_queue.fill_new(uow, queued)
    return True


def _sync_timers(uow: UnitOfWork, instance_id: int, old: dict[str, TimerView], new: dict[str, TimerView]) -> None:
    stale = [tid for tid, t in old.items() if tid not in new or new[tid].due_at != t.due_at]
    if stale:
        uow.execute(_DELETE_TIMERS, {"ids": stale})
    fresh = [t for tid, t in new.items() if tid not in old or old[tid].due_at != t.due_at]
    if fresh:
        _INSERT_TIMER.defer(
            uow,
            [{"id": t.id, "instance_id": instance_id, "element_id": t.element_id, "kind": t.kind, "due_at": t.due_at}
             for t in fresh],
            many=True,
        )


def add_organisations(session: Session, instance_id: int, names: Iterable[str]) -> None:
    """Link organisations by name; names that are not organisations are ignored."""
    wanted = set(session.scalars(select(Organisation.id).where(Organisation.name.in_(sorted(names)))))
    have = set(
        session.scalars(select(InstanceOrganisation.organisation_id)
                        .where(InstanceOrganisation.instance_id == instance_id))
    )
    rows = [{"instance_id": instance_id, "organisation_id": oid} for oid in sorted(wanted - have)]
    if rows:
        session.execute(insert(InstanceOrganisation), rows)
        org_links.link(session, org_links.pairs(have | wanted))
        # The instance's waiting tasks now wait in the new organisations' queues too.
        work_queue.fill(session, _TASKS.c.instance_id == instance_id,
                        InstanceOrganisation.organisation_id.in_(sorted(wanted - have)))


def materialised(uow: UnitOfWork, instance_id: int, organisations: set[str]) -> Snapshot:
    """What the tables say is ready and waiting: the 'before' of a retry, when the workflow
    may hold ready tasks that a failed step never materialised."""
    session = uow.session
    tasks = session.scalars(select(HumanTask.id)
                            .where(HumanTask.instance_id == instance_id, HumanTask.state == "ready"))
    timers = session.execute(select(Timer).where(Timer.instance_id == instance_id)).scalars()
    return Snapshot(
        "running",
        human_tasks={tid: None for tid in tasks},
        timers={t.id: TimerView(t.id, t.element_id, t.kind, t.due_at) for t in timers},
        organisations=organisations,
    )
