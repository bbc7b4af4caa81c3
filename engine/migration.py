"""Moving running instances to a newer version of their process (issue 11).

SpiffWorkflow aligns the old version's elements with the new one's (`diff_workflow`) and swaps
an instance's task tree onto the new spec (`migrate_workflow`). This module decides which
instances may move and moves them one at a time:

* An instance may move when every element it stands on (ready, waiting, running or failed) is
  still in the new version, no subprocess it is inside was removed, and no element it already
  completed changed what it does (its form, script, data, type, decision...): later steps of the
  new version may rely on what that element would have done. A completed element that only moved
  (its flows) or was renamed does not hold an instance back.
* The move is tried on the instance's own tree in memory first, and the result must load back
  under the new version; an instance that fails that stays where it is, with the reason.
* Moving resets the ready and waiting tasks so they are predicted again from the new version
  (what `migrate_workflow` does). A waiting element that did not change keeps what it had set
  (a timer keeps its due time); a changed one starts again, and the dry run says so.
* Each move is one transaction with one `migrate` audit row naming both versions, which is how
  the move shows in the case's history; the instance row's version is the new one.
"""
from __future__ import annotations

from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from SpiffWorkflow import TaskState
from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from sqlalchemy import delete, insert, select, update

from . import audit, service_retries, task_summary, work_queue
from .access import Facts, require
from .clock import FixedClock
from .errors import Conflict, NotFound, ValidationFailed
from .fieldtypes import N_
from .models import HumanTask, Instance, ProcessDefinition, TaskCandidateGroup
from .persist import load_definition, load_instance, save
from .runtime import Snapshot, StepError, is_human
from .timers import bound_clock
from .users import load_actor
from .version_diff import DESIGN_READERS, RUNNING

if TYPE_CHECKING:
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
    from SpiffWorkflow.task import Task

    from .db import UnitOfWork
    from .rows import InstanceRow
    from .runtime import LoadedDefinition, Runtime

ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
RESET = TaskState.READY | TaskState.WAITING  # what migrate_workflow predicts again
# What a completed element may change without holding its instances back: where it sits in the
# diagram and what it is called. Anything else changes what it did, which later steps may need.
HARMLESS = frozenset({"inputs", "outputs", "bpmn_name", "description", "documentation", "lookahead", "manual"})
MESSAGE = "moving instances between versions is for designers and admins"


@dataclass
class Reason:
    """One sentence of a dry run: an English template (N_-marked, translated by the web) and its values."""

    template: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.template % self.params

    def to_dict(self) -> dict[str, Any]:
        return {"message": self.text, "template": self.template, "params": self.params}


@dataclass
class Changed:
    """The ids of an instance's ready and waiting tasks whose element changed: those that start again
    (what they do changed) and all whose rows are written again (a new name, lane or form too)."""

    restarted: set[str] = field(default_factory=set)
    touched: set[str] = field(default_factory=set)


@dataclass
class Verdict:
    """Whether one instance can move, why not, and what moving it does."""

    instance_id: int
    status: str
    version: int
    at: list[str]  # the elements it stands on
    blockers: list[Reason] = field(default_factory=list)
    notes: list[Reason] = field(default_factory=list)
    moved: bool = False

    @property
    def movable(self) -> bool:
        return not self.blockers

    def to_dict(self) -> dict[str, Any]:
        return {"instance_id": self.instance_id, "status": self.status, "version": self.version, "at": self.at,
                "movable": self.movable, "moved": self.moved, "blockers": [b.to_dict() for b in self.blockers],
                "notes": [n.to_dict() for n in self.notes]}


def _element(task: Any) -> str:
    return str(getattr(task.task_spec, "bpmn_id", None) or task.task_spec.name)


def _visible(task: Any) -> bool:
    """An element of the diagram (not one of SpiffWorkflow's own start, end and root tasks)."""
    return getattr(task.task_spec, "bpmn_id", None) is not None


def _assess(runtime: Runtime, wf: BpmnWorkflow, old: LoadedDefinition, new: LoadedDefinition
            ) -> tuple[list[Reason], list[Reason], Changed, Any]:
    """Why the instance cannot move, what moving does, the ids of its changed tasks, the diffs."""
    registry = runtime.serializer.registry
    top, subs = diff_workflow(registry, wf, new.spec, new.subprocess_specs)
    blockers: list[Reason] = []
    notes: list[Reason] = []
    restarted: set[str] = set()
    pairs = [(wf, top)]
    for sp_id, sp_diff in subs.items():
        sub = wf.subprocesses[sp_id]
        if sp_diff is None:
            if not sub.is_completed():
                blockers.append(Reason(N_("the subprocess %(element)s it is inside was removed"),
                                       {"element": sub.spec.name}))
            continue
        pairs.append((sub, sp_diff))
    changed = [(task, _changes(registry, diff, task)) for _workflow, diff in pairs for task in diff.changed
               if _visible(task)]
    for _workflow, diff in pairs:
        for task in diff.removed:
            if task.state & ACTIVE and _visible(task):
                _add(blockers, N_("the element %(element)s it stands on was removed"), element=_element(task))
    touched: set[str] = set()  # ready and waiting tasks whose element changed: their rows are written again
    # Polku's own properties of an element (priority, due date, assignee...) are not in SpiffWorkflow's spec.
    for task in wf.get_tasks(state=RESET):
        if _visible(task) and old.extensions.get(_element(task)) != new.extensions.get(_element(task)):
            touched.add(str(task.id))
    for task, changes in changed:
        if task.state & RESET and changes - {"inputs", "outputs"}:
            touched.add(str(task.id))
        # Only what changes what it does starts again: a timer that was only renamed or rewired keeps its due time.
        if task.state & RESET and changes - HARMLESS:
            restarted.add(str(task.id))
            _add(notes, N_("the element %(element)s starts again under the new version"), element=_element(task))
    again = {_element(t) for t, _c in changed if str(t.id) in restarted}
    for task, changes in changed:
        # An element done before and about to run again (a loop's next round) runs under the new version:
        # what comes after it reads the new round's result.
        if task.state == TaskState.COMPLETED and changes - HARMLESS and _element(task) not in again:
            _add(blockers, N_("the element %(element)s it has completed changed (%(what)s)"),
                 element=_element(task), what=", ".join(sorted(changes - HARMLESS)))
    return blockers, notes, Changed(restarted, touched), (top, subs)


def _add(reasons: list[Reason], template: str, **params: Any) -> None:
    """Once per sentence: a loop's element has a task for each round."""
    reason = Reason(template, params)
    if reason not in reasons:
        reasons.append(reason)


def _changes(registry: Any, diff: Any, task: Any) -> set[str]:
    """What changed in a task's element, named as SpiffWorkflow's SpecDiff names it (the attributes
    of the serialized spec that differ); WorkflowDiff keeps only the task and its new element."""
    aligned = diff.alignment.get(task)
    if aligned is None:
        return set()
    old, new = registry.convert(task.task_spec), registry.convert(aligned)
    if old.get("typename") != new.get("typename"):
        return {"typename"}
    return {key for key in old.keys() | new.keys() if old.get(key) != new.get(key)}


def _target(uow: UnitOfWork, key: str, version: int | None) -> ProcessDefinition:
    query = select(ProcessDefinition).where(ProcessDefinition.key == key)
    query = query.where(ProcessDefinition.version == version) if version is not None else \
        query.order_by(ProcessDefinition.version.desc()).limit(1)
    row = uow.session.scalars(query).first()
    if row is None:
        raise NotFound(f"no deployed version {version} of {key!r}" if version is not None
                       else f"no deployed process with key {key!r}")
    return row


def candidates(uow: UnitOfWork, actor: str, key: str, to_version: int | None = None,
               from_version: int | None = None) -> tuple[int, list[int]]:
    """The target version and the instances still running on an older version of `key` (or on
    `from_version`), oldest first."""
    require(DESIGN_READERS, load_actor(uow, actor), Facts(), MESSAGE)
    target = _target(uow, key, to_version)
    query = select(Instance.id).where(Instance.process_key == key, Instance.status.in_(RUNNING),
                                      Instance.version < target.version).order_by(Instance.id)
    if from_version is not None:
        query = query.where(Instance.version == from_version)
    return target.version, list(uow.session.scalars(query))


def dry_run(uow: UnitOfWork, runtime: Runtime, actor: str, key: str, instance_ids: list[int],
            to_version: int | None = None) -> tuple[int, list[Verdict]]:
    """What moving each instance to the target version would do; nothing is written."""
    require(DESIGN_READERS, load_actor(uow, actor), Facts(), MESSAGE)
    target = _target(uow, key, to_version)
    new = runtime.definition(target)
    verdicts = []
    for instance_id in instance_ids:
        inst = _movable_row(uow, instance_id, key, target.version)
        verdicts.append(_trial(uow, runtime, inst, new)[0])
    return target.version, verdicts


def move(uow: UnitOfWork, runtime: Runtime, actor: str, key: str, instance_id: int,
         to_version: int | None = None) -> Verdict:
    """Move one instance, or leave it untouched and say why (the verdict's blockers). The caller
    commits; one instance is one transaction."""
    user = load_actor(uow, actor)
    require(DESIGN_READERS, user, Facts(), MESSAGE)
    target = _target(uow, key, to_version)
    new = runtime.definition(target)
    inst = _movable_row(uow, instance_id, key, target.version, lock=True)
    verdict, wf, changed, before = _trial(uow, runtime, inst, new)
    if wf is None:
        return verdict
    try:
        _write(uow, runtime, user.username, inst, target, new, wf, before, changed)
    except StepError as error:  # the new version fails on this instance's data: nothing written stays
        _add(verdict.blockers, N_("the new version fails at %(element)s: %(detail)s"),
             element=error.element_id or "-", detail=error.message)
        return verdict
    audit.record(uow, user, "migrate", instance_id=inst.id,
                 details={"process_key": key, "from_version": verdict.version, "to_version": target.version,
                          "restarted": sorted({_element(t) for t in wf.get_tasks() if str(t.id) in changed.restarted})})
    verdict.moved = True
    return verdict


def move_each(units: Callable[[], UnitOfWork], runtime: Runtime, actor: str, key: str, instance_ids: list[int],
              to_version: int) -> list[Verdict]:
    """Move each instance in its own transaction: one that cannot move, or that ended or changed
    meanwhile, stays as it is, with the reason, and the others go on."""
    verdicts = []
    for instance_id in instance_ids:
        with units() as uow:
            try:
                verdict = move(uow, runtime, actor, key, instance_id, to_version)
            except (Conflict, NotFound, ValidationFailed) as exc:
                verdict = Verdict(instance_id, "", 0, [], [Reason(N_("it changed meanwhile: %(detail)s"),
                                                                  {"detail": str(exc)})])  # not read
            if verdict.moved:
                try:
                    uow.commit()
                except Conflict as exc:
                    verdict.moved = False
                    verdict.blockers.append(Reason(N_("it changed meanwhile: %(detail)s"), {"detail": str(exc)}))
        verdicts.append(verdict)
    return verdicts


def _write(uow: UnitOfWork, runtime: Runtime, actor: str, inst: InstanceRow, target: ProcessDefinition,
           new: LoadedDefinition, wf: BpmnWorkflow, before: Snapshot, changed: Changed) -> None:
    """The moved instance written: a running one first runs what became ready on its own (an element
    that changed its type), as any step does; its state, version, task rows and timers."""
    old_tasks: dict[str, Task | None] = {t: None for t in uow.session.scalars(
        select(HumanTask.id).where(HumanTask.instance_id == inst.id, HumanTask.state == "ready"))}
    before.human_tasks = old_tasks  # what the tables hold (a failed step materialised nothing)
    if inst.status == "running":
        with runtime.budget.scope():  # a pending retry's task waits out its back-off here too
            runtime.advance(wf, new, instance_id=inst.id, session=uow.session, now=uow.now, actor=actor,
                            hold=service_retries.held(uow, inst.id, wf))
    after = runtime.snapshot(wf, new, uow.now)
    if inst.status == "error":
        after.human_tasks = {tid: t for tid, t in after.human_tasks.items() if tid in old_tasks}
    with runtime.budget.scope():
        after.views = {tid: runtime.human_view(t, new, uow.now) for tid, t in after.human_tasks.items()
                       if tid not in old_tasks and t is not None}
    if inst.status != "running":  # suspended or in error it stays so, its error kept
        after.status, after.error_element, after.error_message = inst.status, inst.error_element, inst.error_message
    save(uow, runtime, inst, wf, new, before, after, status=after.status)
    service_retries.settle(uow, inst.id, wf, None)  # kept only while its task still waits
    uow.execute(update(Instance).where(Instance.id == inst.id)
                .values(definition_id=target.id, version=target.version))
    _refresh_tasks(uow, runtime, new, inst.id, {tid: t for tid, t in after.human_tasks.items()
                                                if tid in old_tasks and tid in changed.touched})


def _movable_row(uow: UnitOfWork, instance_id: int, key: str, target: int, lock: bool = False) -> InstanceRow:
    inst = load_instance(uow, instance_id, lock=lock)
    if inst.process_key != key:
        raise NotFound(f"no instance {instance_id} of {key!r}")
    if inst.status not in RUNNING:
        raise Conflict(f"instance {instance_id} has ended ({inst.status}); only running instances move")
    if inst.version >= target:
        raise ValidationFailed(f"instance {instance_id} is already on version {inst.version}",
                               {"version": f"choose a version newer than {inst.version}"})
    return inst


def _trial(uow: UnitOfWork, runtime: Runtime, inst: InstanceRow, new: LoadedDefinition
           ) -> tuple[Verdict, BpmnWorkflow | None, Changed, Snapshot]:
    """The instance moved in memory (None with the reasons when it cannot move), its changed tasks,
    and how it looked before."""
    verdict = Verdict(inst.id, inst.status, inst.version, [])
    changed, before = Changed(), Snapshot(inst.status)
    try:
        old = load_definition(uow, runtime, inst.definition_id)
        wf = runtime.load(old, inst.state)
        before = runtime.snapshot(wf, old, uow.now)
        verdict.at = sorted({_element(t) for t in wf.get_tasks(state=ACTIVE) if _visible(t)})
        verdict.blockers, verdict.notes, changed, diffs = _assess(runtime, wf, old, new)
        if verdict.blockers:
            return verdict, None, changed, before
        # Predicting a timer again reads the clock: the command's, never the machine's.
        with bound_clock(FixedClock(uow.now)), runtime.budget.scope():
            _swap(wf, new, diffs, changed.restarted)
        runtime.load(new, runtime.dump(wf))  # it must load back under the new version
    except Exception as exc:  # noqa: BLE001 - whatever SpiffWorkflow raises, the instance stays as it was
        verdict.blockers.append(Reason(N_("SpiffWorkflow could not move it: %(detail)s"),
                                       {"detail": str(exc) or type(exc).__name__}))
        return verdict, None, changed, before
    try:  # a changed ready task's assignee, due date and priority under the new version
        with runtime.budget.scope():
            for task in wf.get_tasks(state=TaskState.READY):
                if str(task.id) in changed.touched and is_human(task.task_spec):
                    runtime.human_view(task, new, uow.now)
    except StepError as error:
        _add(verdict.blockers, N_("the new version fails at %(element)s: %(detail)s"),
             element=error.element_id or "-", detail=error.message)
        return verdict, None, changed, before
    if inst.status != "running":
        # Nothing runs a suspended instance or one in error: an element that became one that runs on its
        # own (its type changed) would wait for ever.
        for task in wf.get_tasks(state=TaskState.READY):
            if _visible(task) and not is_human(task.task_spec):
                _add(verdict.blockers, N_("the element %(element)s it stands on would run on its own, which an "
                                          "instance suspended or in error cannot: resume or retry it first"),
                     element=_element(task))
        if verdict.blockers:
            return verdict, None, changed, before
    return verdict, wf, changed, before


def _swap(wf: BpmnWorkflow, new: LoadedDefinition, diffs: Any, restarted: set[str]) -> None:
    """migrate_workflow on the instance and each subprocess it is inside. It predicts every ready and
    waiting task again; those whose element did not change get back what they had set (a timer's
    due time would otherwise start again from now)."""
    top, subs = diffs
    kept = {t.id: deepcopy(t.internal_data) for t in wf.get_tasks(state=RESET) if str(t.id) not in restarted}
    migrate_workflow(top, wf, new.spec)
    for sp_id, sp_diff in subs.items():
        sub = wf.subprocesses.get(sp_id)
        if sp_diff is not None and sub is not None:
            migrate_workflow(sp_diff, sub, new.subprocess_specs[sub.spec.name])
    wf.subprocess_specs = new.subprocess_specs
    for task in wf.get_tasks():
        if task.id in kept:
            task.internal_data = kept[task.id]


def _refresh_tasks(uow: UnitOfWork, runtime: Runtime, new: LoadedDefinition, instance_id: int,
                   restarted: dict[str, Any]) -> None:
    """A ready user task whose element changed keeps its row (its id, holder and due date) with the
    new version's name, lane, groups and form."""
    for tid, task in restarted.items():
        view = runtime.human_view(task, new, uow.now)
        groups = list(dict.fromkeys(view.candidate_groups))
        uow.execute(update(HumanTask).where(HumanTask.id == tid).values(
            name=view.name, lane=view.lane, candidate_groups=groups, fields=view.fields, priority=view.priority))
        uow.session.execute(delete(TaskCandidateGroup).where(TaskCandidateGroup.task_id == tid))
        if groups:
            uow.session.execute(insert(TaskCandidateGroup), [{"task_id": tid, "group_name": g}
                                                                         for g in groups])
        work_queue.drop(uow.session, [tid])
        work_queue.fill(uow.session, HumanTask.id == tid, HumanTask.assignee.is_(None))
    if restarted:
        task_summary.refresh(uow, instance_id)
