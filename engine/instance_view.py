"""The managers' view of one instance (issue 10, "Instance detail"): where the instance stands on
its own version's diagram, its waiting timers, its current data and its error.

- ``element_states(wf)``: ``{element id: "completed" | "active" | "error"}`` from the workflow's
  tasks (subprocesses included). A completed task's element is "completed"; a READY, WAITING or
  STARTED one "active"; an ERROR one "error"; where an element has several tasks (a loop, a
  second period) the liveliest wins: error over active over completed. SpiffWorkflow's own specs
  (Start, End, the joins it adds) have no BPMN id and are left out.
- ``instance_view(uow, runtime, actor, instance_id)``: for the managers of the instance's
  organisations only (``MANAGER_VIEW``). The page shows client data (the current data), so it
  is a read of client data: one ``view_case`` audit row with ``{"view": "instance"}``, as the case
  page writes ``{"view": "case"}`` (R12). Admins manage instances across organisations but never
  read client data: to them, as to everyone else, the instance does not exist (``Hidden``, the
  404 page). The error state (``error_element``) is the instance row's, as the engine saved it.
  An instance in error also gives what a retry may correct (``retrydata.editable``).
- ``retry_variables(uow, runtime, actor, instance_id)``: only that, for the same managers, with no
  audit row: the retry form compares what was posted with it, nothing is shown.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from . import audit, retrydata, service_retries
from .access import IN_ORGANISATION, HasRole, instance_facts
from .errors import Hidden
from .jsonvalues import to_json
from .models import Timer
from .persist import load_instance, load_workflow
from .users import load_actor

if TYPE_CHECKING:
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow

    from .db import UnitOfWork
    from .rows import InstanceRow
    from .runtime import LoadedDefinition, Runtime
    from .users import Actor

# The diagram page shows the current data: client data, for the managers of the instance's
# organisations (not admins, not officials or coaches: they have the case page).
MANAGER_VIEW = HasRole("manager") & IN_ORGANISATION

_RANK = {"completed": 1, "active": 2, "error": 3}
_ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED


def _state(task: Any) -> str | None:
    if task.state == TaskState.ERROR:
        return "error"
    if task.state & _ACTIVE:
        return "active"
    if task.state == TaskState.COMPLETED:
        return "completed"
    return None


def element_states(wf: BpmnWorkflow, error_element: str | None = None) -> dict[str, str]:
    """Each BPMN element's state on the diagram; `error_element` (the instance row's) is "error"."""
    states: dict[str, str] = {}
    for w in (wf, *wf.subprocesses.values()):
        for task in w.tasks.values():
            element_id = getattr(task.task_spec, "bpmn_id", None)
            state = _state(task)
            if not element_id or state is None:
                continue
            if _RANK[state] > _RANK.get(states.get(element_id, ""), 0):
                states[element_id] = state
    if error_element:
        states[error_element] = "error"
    return states


def diagram_source(sources: dict[str, str], process_key: str) -> str | None:
    """The file of the version's bundle that holds the process itself (its diagram)."""
    for _name, xml in sorted(sources.items()):
        if f'id="{process_key}"' in xml and "BPMNDiagram" in xml:
            return xml
    return None


def _editable(runtime: Runtime, defn: LoadedDefinition, wf: BpmnWorkflow, status: str) -> list[dict[str, Any]]:
    if status != "error":
        return []
    return [{**v, "value": to_json(v["value"])} for v in retrydata.editable(runtime, defn, wf)]


def _load(uow: UnitOfWork, runtime: Runtime, actor: str, instance_id: int
          ) -> tuple[Actor, InstanceRow, LoadedDefinition, BpmnWorkflow]:
    user = load_actor(uow, actor)
    inst = load_instance(uow, instance_id)
    if not MANAGER_VIEW.allows(user, instance_facts(uow.session, instance_id)):
        raise Hidden(f"no instance {instance_id}")
    defn, wf, _snap = load_workflow(uow, runtime, inst)
    return user, inst, defn, wf


def retry_variables(uow: UnitOfWork, runtime: Runtime, actor: str, instance_id: int) -> list[dict[str, Any]]:
    _user, inst, defn, wf = _load(uow, runtime, actor, instance_id)
    return _editable(runtime, defn, wf, inst.status)


def instance_view(uow: UnitOfWork, runtime: Runtime, actor: str, instance_id: int) -> dict[str, Any]:
    user, inst, defn, wf = _load(uow, runtime, actor, instance_id)
    timers = uow.session.scalars(select(Timer).where(Timer.instance_id == instance_id)
                                 .order_by(Timer.due_at, Timer.element_id))
    found_timers = [{"element_id": t.element_id, "kind": t.kind, "due_at": t.due_at.isoformat()} for t in timers]
    data = to_json(runtime.current_data(wf))
    audit.record(uow, user, "view_case", instance_id=inst.id, details={"view": "instance"})
    return {
        "id": inst.id, "process_key": inst.process_key, "version": inst.version, "status": inst.status,
        "definition_id": inst.definition_id, "title": inst.title,
        "started_at": inst.started_at.isoformat(), "ended_at": inst.ended_at.isoformat() if inst.ended_at else None,
        "states": element_states(wf, inst.error_element),
        "diagram_xml": diagram_source(defn.sources, inst.process_key),
        "timers": found_timers,
        "data": data,
        "retry": _editable(runtime, defn, wf, inst.status),
        "service_retry": service_retries.view(uow, instance_id),
        "error": {"element_id": inst.error_element, "message": inst.error_message}
        if inst.error_message or inst.error_element else None,
    }
