"""Running SpiffWorkflow: load a workflow, advance it, and read off what must be materialised.

Knows nothing of the database beyond the session it hands to service handlers, each call
inside a savepoint of its own; commands (engine/instances.py, engine/tasks.py, engine/worker.py)
decide what is written. Everything SpiffWorkflow-specific lives here,
in state.py, timers.py and parser.py.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.mixins.manual_task import ManualTask as ManualTaskMixin
from SpiffWorkflow.bpmn.specs.mixins.none_task import NoneTask as NoneTaskMixin
from SpiffWorkflow.bpmn.specs.mixins.service_task import ServiceTask as ServiceTaskMixin
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask as UserTaskMixin
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from . import expressions
from .bpmn_xml import RefusedXML
from .clock import FixedClock
from .formrules import FormRules
from .forms import field_definitions
from .parser import decision_engine, make_serializer
from .services import HandlerFailed, ServiceCall, ServiceRegistry
from .spiff_errors import element_of, message_of
from .state import StateCodec
from .timers import TIMER_KINDS, bound_clock, due_time

if TYPE_CHECKING:
    from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine
    from sqlalchemy.orm import Session

    from .forms import FieldTypes
    from .models import ProcessDefinition
    from .sandbox import SandboxedScriptEngine

# SpiffWorkflow's task iterator stops at depth 1000 and the instance then looks completed
# (a loop of ~333 iterations). Refuse well before that.
MAX_TASK_DEPTH = 900
# Service tasks completing into more service tasks: bounded so a cycle cannot spin forever. Timers
# made ready by a round's closing refresh (one cycle of a cycle timer each) have a bound of their own.
MAX_SERVICE_ROUNDS, MAX_TIMER_ROUNDS = 200, 10_000
# Process variable through which a process adds organisations to its instance.
ORGANISATIONS_VARIABLE = "case_organisations"
# Process variable naming the case in lists (e.g. the client's name).
TITLE_VARIABLE = "case_title"


@dataclass(frozen=True)
class LoadedDefinition:
    id: int
    key: str
    version: int
    spec: object
    subprocess_specs: dict[str, Any]
    extensions: dict[str, Any]
    sources: dict[str, str] = field(default_factory=dict)  # file name -> XML, as deployed
    decisions: dict[str, DMNEngine] = field(default_factory=dict)  # decision id -> DMN engine, built on first use


@dataclass
class HumanTaskView:
    id: str
    element_id: str
    name: str | None
    lane: str | None
    candidate_groups: list[str]
    assignee: str | None
    due_at: datetime | None
    priority: int | None
    fields: list[dict[str, Any]]


@dataclass
class TimerView:
    id: str
    element_id: str
    kind: str
    due_at: datetime


@dataclass
class Snapshot:
    """What a workflow looks like from outside after a step."""

    status: str  # running | completed | error
    # task id -> ready SpiffWorkflow task (None when read back from the tables for a retry)
    human_tasks: dict[str, Task | None] = field(default_factory=dict)
    timers: dict[str, TimerView] = field(default_factory=dict)
    organisations: set[str] = field(default_factory=set)
    error_element: str | None = None
    error_message: str | None = None
    views: dict[str, HumanTaskView] = field(default_factory=dict)  # task id -> view, for tasks new in this step
    # Ready tasks the command ended itself before the step (a completion), already written so.
    finished: set[str] = field(default_factory=set)
    title: str | None = None


class StepError(Exception):  # transient: a handler's failure that a retry may get past
    def __init__(self, element_id: str | None, message: str, transient: bool = False):
        super().__init__(message)
        self.element_id, self.message, self.transient = element_id, message, transient


class Runtime:
    def __init__(self, *, script_engine: SandboxedScriptEngine, handlers: ServiceRegistry, field_types: FieldTypes,
                 form_rules: FormRules | None = None, cache_size: int = 64):
        self.script_engine, self.budget = script_engine, script_engine.budget  # model code's time and memory
        self.handlers = handlers
        self.field_types = field_types
        self.form_rules = form_rules if form_rules is not None else FormRules()
        self.serializer = make_serializer()
        self.codec = StateCodec(self.serializer)
        # Deployed versions never change, so their parsed specs can be kept per process.
        self._cache: OrderedDict[int, LoadedDefinition] = OrderedDict()
        self._cache_size = cache_size
        self._cache_lock = threading.Lock()

    # --- definitions -------------------------------------------------------------------
    def definition(self, row: ProcessDefinition) -> LoadedDefinition:
        loaded = self.cached_definition(row.id)
        if loaded is None:
            spec, subs = self.codec.load_spec(row.spec)
            loaded = LoadedDefinition(row.id, row.key, row.version, spec, subs, row.extensions, row.sources)
            with self._cache_lock:  # serve runs web threads and the worker thread side by side
                self._cache[row.id] = loaded
                if len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return loaded

    def cached_definition(self, definition_id: int) -> LoadedDefinition | None:
        with self._cache_lock:
            loaded = self._cache.get(definition_id)
            if loaded is not None:
                self._cache.move_to_end(definition_id)
            return loaded

    # --- workflows ---------------------------------------------------------------------
    def new_workflow(self, defn: LoadedDefinition, data: dict[str, Any]) -> BpmnWorkflow:
        wf = BpmnWorkflow(defn.spec, defn.subprocess_specs, script_engine=self.script_engine)
        wf.task_tree.data = dict(data)
        # The start event's task inherits from the root when it runs.
        for task in wf.get_tasks(state=TaskState.READY):
            task.data = dict(data)
        return wf

    def load(self, defn: LoadedDefinition, blob: bytes) -> BpmnWorkflow:
        return self.codec.load(blob, defn.spec, defn.subprocess_specs, self.script_engine)

    def dump(self, wf: BpmnWorkflow) -> bytes:
        return self.codec.dump(wf)

    def ready_task(self, wf: BpmnWorkflow, task_id: str) -> Task | None:
        task = wf.get_task_from_id(UUID(task_id))
        if task is None or task.state != TaskState.READY or not is_human(task.task_spec):
            return None
        return task

    def start_task(self, wf: BpmnWorkflow) -> Task | None:
        """The ready start event of a new workflow (where start-form rules are evaluated)."""
        return wf.get_next_task(state=TaskState.READY)

    def evaluate_decision(self, defn: LoadedDefinition, decision_id: str, task: Task, values: dict[str, Any],
                          now: datetime) -> dict[str, Any]:
        """Run a DMN decision of the definition against the task's data plus `values`,
        without changing the task."""
        engine = defn.decisions.get(decision_id)
        if engine is None:
            engine = defn.decisions[decision_id] = self._decision_engine(defn, decision_id)
        saved = task.data
        task.data = {**saved, **values}
        try:
            with bound_clock(FixedClock(now)), self.budget.scope():
                result: dict[str, Any] = engine.result(task)
                return result
        except SpiffWorkflowException as exc:
            raise StepError(decision_id, message_of(exc)) from exc
        finally:
            task.data = saved

    @staticmethod
    def _decision_engine(defn: LoadedDefinition, decision_id: str) -> DMNEngine:
        try:
            return decision_engine(defn.sources, decision_id)
        except RefusedXML as exc:  # a stored text altered after deploy: never expanded, a step error
            raise StepError(decision_id, str(exc)) from exc

    def complete_human_task(self, task: Task, values: dict[str, Any], now: datetime) -> None:
        # Replace the dict, never mutate it: SpiffWorkflow 3.2 shares nested values between tasks.
        task.data = {**task.data, **values}
        try:
            # Completing may re-check timers (boundary events).
            with bound_clock(FixedClock(now)), self.budget.scope():
                task.run()
        except SpiffWorkflowException as exc:
            raise StepError(element_of(exc) or task.task_spec.bpmn_id, message_of(exc)) from exc

    def retry_failed(self, wf: BpmnWorkflow, data: dict[str, Any] | None = None) -> int:
        """Put every task that failed back to READY (with corrected data, if given)."""
        count = 0
        for task in list(wf.tasks.values()):
            if task.state == TaskState.ERROR:
                if data:
                    task.data = {**task.data, **data}
                task._set_state(TaskState.READY)  # no public API resets a single errored task
                count += 1
            elif task.state == TaskState.STARTED and isinstance(task.task_spec, ServiceTaskMixin) and data:
                task.data = {**task.data, **data}
        return count

    def advance(self, wf: BpmnWorkflow, defn: LoadedDefinition, *, instance_id: int, session: Session | None,
                now: datetime, actor: str = "system", hold: Collection[UUID] = ()) -> None:
        """Engine steps, service tasks and pass-through tasks until only people or time can move it.

        Raises StepError naming the element when a script, expression or handler fails.
        Time stands still at `now` for the whole step, so every due time it computes agrees.
        The waiting service tasks in `hold` (a retry's back-off: engine.service_retries.held) stay waiting.
        """
        with bound_clock(FixedClock(now)), self.budget.scope():
            try:
                services = timers = 0  # rounds that ran service tasks; rounds that only ran a timer
                while services < MAX_SERVICE_ROUNDS and timers < MAX_TIMER_ROUNDS:
                    wf.do_engine_steps()
                    # do_engine_steps ends by refreshing timers: one due by `now` is then ready, and runs now.
                    if self._run_automatic(wf, defn, instance_id, session, now, actor, hold):
                        services += 1
                    elif any(not t.task_spec.manual for t in wf.get_tasks(state=TaskState.READY)):
                        timers += 1  # a cycle timer far behind fires once a round
                    else:
                        break
                else:
                    raise StepError(None, "service tasks kept producing work: stopped after a safety limit"
                                    if services >= MAX_SERVICE_ROUNDS else f"a timer kept firing: stopped after "
                                    f"catching up {MAX_TIMER_ROUNDS} missed firings in one step")
            except StepError:
                raise
            except SpiffWorkflowException as exc:
                raise StepError(element_of(exc), message_of(exc)) from exc
        self._check_depth(wf)

    def refresh_timers(self, wf: BpmnWorkflow, now: datetime) -> None:
        with bound_clock(FixedClock(now)), self.budget.scope():
            try:
                wf.refresh_timers()
            except SpiffWorkflowException as exc:
                raise StepError(element_of(exc), message_of(exc)) from exc

    def _run_automatic(self, wf: BpmnWorkflow, defn: LoadedDefinition, instance_id: int, session: Session | None,
                       now: datetime, actor: str, hold: Collection[UUID]) -> bool:
        progressed = False
        for task in list(wf.get_tasks(state=TaskState.STARTED | TaskState.READY)):
            spec = task.task_spec
            if task.state == TaskState.STARTED and isinstance(spec, ServiceTaskMixin) and task.id not in hold:
                ext = defn.extensions.get(spec.bpmn_id, {})
                handler_name = ext.get("handler")
                if handler_name not in self.handlers:
                    raise StepError(spec.bpmn_id, f"no service handler named {handler_name!r}")
                call = ServiceCall(instance_id, spec.bpmn_id, handler_name, dict(task.data), now, session,
                                   actor, dict(ext.get("properties") or {}))
                try:
                    result = self.handlers.call(handler_name, call)
                except HandlerFailed as exc:  # the instance's error with its text (or, transient, a retry)
                    failed = f"service handler {handler_name!r} failed: {exc}"
                    raise StepError(spec.bpmn_id, failed, exc.transient) from exc
                task.data = {**task.data, **result}
                task.complete()
                progressed = True
            elif task.state == TaskState.READY and isinstance(spec, NoneTaskMixin):
                # A plain bpmn:task is a pass-through in Camunda; SpiffWorkflow would wait on it.
                task.run()
                progressed = True
        return progressed

    def _check_depth(self, wf: BpmnWorkflow) -> None:
        if len(wf.tasks) < MAX_TASK_DEPTH:
            return  # depth can never exceed the number of tasks
        for task in wf.tasks.values():
            if task.state & (TaskState.READY | TaskState.WAITING | TaskState.STARTED):
                depth, node = 0, task
                while node.parent is not None:
                    depth, node = depth + 1, node.parent
                if depth > MAX_TASK_DEPTH:
                    raise StepError(
                        task.task_spec.bpmn_id,
                        f"the instance passed {MAX_TASK_DEPTH} steps along one path (an unbounded loop?); "
                        "bound the loop in the model",
                    )

    # --- reading the state -------------------------------------------------------------
    def snapshot(self, wf: BpmnWorkflow, defn: LoadedDefinition, now: datetime) -> Snapshot:
        snap = Snapshot("completed" if wf.is_completed() else "running")
        human: dict[str, Task] = {}  # never None here, unlike a snapshot read back for a retry
        for task in _ready(wf):
            if is_human(task.task_spec):
                human[str(task.id)] = task
            snap.organisations.update(_organisations(task.data))
        snap.human_tasks.update(human)
        if wf.last_task is not None:
            snap.organisations.update(_organisations(wf.last_task.data))
            snap.title = wf.last_task.data.get(TITLE_VARIABLE)
        snap.organisations.update(_organisations(wf.data))
        for task in human.values():
            snap.title = task.data.get(TITLE_VARIABLE) or snap.title
        for task in list(wf.event_manager.tasks.values()):
            if type(task.task_spec.event_definition) in TIMER_KINDS and task.state == TaskState.WAITING:
                due = due_time(task)
                if due is not None:
                    kind = TIMER_KINDS[type(task.task_spec.event_definition)]
                    snap.timers[str(task.id)] = TimerView(str(task.id), task.task_spec.bpmn_id, kind, due)
        return snap

    def current_data(self, wf: BpmnWorkflow) -> dict[str, Any]:
        """The data as it stands now. Branches and subprocesses each carry their own copy, so
        merge the copies of the open tasks (anywhere, subprocesses included) and of the last
        task that ran, newest last so that it wins."""
        workflows = [wf, *wf.subprocesses.values()]
        live = [t for w in workflows for t in w.tasks.values()
                if t.state & (TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR)]
        finished = [w.last_task for w in workflows if w.last_task is not None]
        merged: dict[str, Any] = dict(wf.data)
        for task in sorted(live + finished, key=lambda t: t.last_state_change):
            merged.update(task.data)
        return merged

    def failed_tasks(self, wf: BpmnWorkflow) -> list[Task]:
        return [t for t in wf.tasks.values() if t.state == TaskState.ERROR]

    def human_view(self, task: Task, defn: LoadedDefinition, now: datetime) -> HumanTaskView:
        spec = task.task_spec
        ext = defn.extensions.get(spec.bpmn_id, {})
        form = getattr(spec, "form", None)
        # Expressions (a due date from `today()`) see the step's instant, never the wall clock.
        with bound_clock(FixedClock(now)), self.budget.scope():
            return HumanTaskView(
                id=str(task.id),
                element_id=spec.bpmn_id,
                name=spec.bpmn_name,
                lane=spec.lane,
                candidate_groups=list(ext.get("candidate_groups", [])),
                assignee=self._evaluated(task, ext.get("assignee")),
                due_at=self._due_at(task, ext.get("due_date"), now),
                priority=_as_int(self._evaluated(task, ext.get("priority"))),
                fields=field_definitions(form),
            )

    def _evaluated(self, task: Task, raw: Any) -> Any:
        """A literal, or a `${expression}` evaluated (sandboxed) against the task data."""
        if raw is None:
            return None
        inner = expressions.unwrap(raw)
        if inner is None:
            return raw
        try:
            return self.script_engine.evaluate(task, inner)
        except SpiffWorkflowException as exc:
            raise StepError(task.task_spec.bpmn_id, message_of(exc)) from exc

    def _due_at(self, task: Task, raw: Any, now: datetime) -> datetime | None:
        value = self._evaluated(task, raw)
        try:
            return expressions.to_due_time(value, now)
        except ValueError as exc:
            raise StepError(task.task_spec.bpmn_id, f"due date: {exc}") from exc


def _ready(wf: BpmnWorkflow) -> list[Task]:
    """Ready tasks of the workflow and its subprocesses: a scan of the task dicts, cheaper than
    SpiffWorkflow's tree iterator (this runs twice per step)."""
    return [t for w in (wf, *wf.subprocesses.values()) for t in w.tasks.values() if t.state == TaskState.READY]


def is_human(spec: Any) -> bool:
    return isinstance(spec, (UserTaskMixin, ManualTaskMixin))


def _organisations(data: Any) -> set[str]:
    value = data.get(ORGANISATIONS_VARIABLE) if isinstance(data, dict) else None
    if isinstance(value, (str, list, tuple, set)):
        return {value} if isinstance(value, str) else {str(v) for v in value if v}
    return set()


def _as_int(value: Any) -> int | None:
    try:
        return None if value is None or value == "" else int(value)
    except (TypeError, ValueError):
        return None


__all__ = ["Runtime", "LoadedDefinition", "Snapshot", "StepError", "HumanTaskView", "TimerView", "timedelta"]
