"""What must hold of every instance in a database, whatever was killed or raced before: `check(url)`
returns the violations as readable lines (an empty list: all holds). The fault tests assert it empty.

Each rule follows from how a step is written (engine/persist.py: the state under the optimistic lock,
then the task rows, the derived columns, the queue and the timers, all in one transaction):

- the stored state loads with the runtime (engine/state.py);
- the READY user tasks of the loaded workflow are the instance's `human_tasks` rows in state ready
  (same ids, same elements). An instance in `error` may hold ready tasks its failed step never
  materialised (persist._failed: "nothing new is materialised from a failed step"): there the rows
  are a subset;
- the waiting timer events of the workflow are the instance's `timers` rows (id, element, due time);
- a completed or terminated instance has no ready task rows and no timers, and `completed` is what
  the workflow says;
- `open_tasks` and `next_due_at` are the count and earliest due time of its ready task rows
  (engine/task_summary.py);
- `work_queue` holds exactly one row per ready, unassigned task × candidate group × organisation of
  its instance (engine/work_queue.py), and `task_candidate_groups` mirrors each ready task's groups;
- the audit trail verifies (engine/audit_verify.verify, what `polku audit verify` runs);
- lock_version: an instance starts at 1 and every write of its row moves it by exactly one, in the
  same transaction as exactly one audit row on its chain whose action is one of STEP_ACTIONS
  (start, complete, a timer's firing or failure, suspend, resume, terminate, retry, migrate, a
  service retry). Other rows about an instance (claim, assign, show, view_case, set_due, a service
  failure recorded beside its step, ...) leave the lock alone. So lock_version = 1 + those rows.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import func, select

from polku.engine.audit_verify import verify
from polku.engine.clock import Clock
from polku.engine.db import UnitOfWork, make_engine
from polku.engine.models import (
    AuditEvent,
    HumanTask,
    Instance,
    InstanceOrganisation,
    TaskCandidateGroup,
    Timer,
    WorkQueueEntry,
)
from polku.engine.persist import load_definition
from polku.engine.runtime import Runtime
from polku.wiring import build_runtime

FINAL = ("completed", "terminated")
# The audit actions written with a write of the instance row (each moves lock_version by one).
STEP_ACTIONS = ("start", "complete", "timer", "suspend", "resume", "terminate", "retry", "migrate",
                "service_retry")


def check(url: str, runtime: Runtime | None = None) -> list[str]:
    """Every violation found in the database at `url`, one readable line each."""
    engine = make_engine(url)
    try:
        with UnitOfWork(engine, Clock(), write=False) as uow:
            return _check(uow, runtime or build_runtime())
    finally:
        engine.dispose()


def _check(uow: UnitOfWork, runtime: Runtime) -> list[str]:
    session = uow.session
    found: list[str] = []
    report = verify(uow)
    found += [f"audit: {p.kind} in chain {p.chain} at row {p.seq}: {p.detail}" for p in report.problems]

    ready: dict[int, dict[str, Any]] = defaultdict(dict)  # instance -> task id -> row
    for row in session.execute(select(HumanTask.id, HumanTask.instance_id, HumanTask.element_id, HumanTask.due_at,
                                      HumanTask.assignee, HumanTask.candidate_groups)
                               .where(HumanTask.state == "ready")):
        ready[row.instance_id][row.id] = row
    timers: dict[int, dict[str, Any]] = defaultdict(dict)
    for row in session.execute(select(Timer.id, Timer.instance_id, Timer.element_id, Timer.kind, Timer.due_at)):
        timers[row.instance_id][row.id] = row
    steps = dict(session.execute(select(AuditEvent.instance_id, func.count())
                                 .where(AuditEvent.action.in_(STEP_ACTIONS), AuditEvent.instance_id.is_not(None))
                                 .group_by(AuditEvent.instance_id)).all())
    found += _queue_problems(session, ready)

    for inst in session.execute(select(Instance.id, Instance.definition_id, Instance.status, Instance.lock_version,
                                       Instance.state, Instance.open_tasks, Instance.next_due_at)
                                .order_by(Instance.id)):
        found += [f"instance {inst.id} ({inst.status}): {p}"
                  for p in _instance_problems(uow, runtime, inst, ready.pop(inst.id, {}), timers.pop(inst.id, {}),
                                              steps.get(inst.id, 0))]
    return found


def _instance_problems(uow: UnitOfWork, runtime: Runtime, inst: Any, rows: dict[str, Any],
                       timer_rows: dict[str, Any], steps: int) -> list[str]:
    found = []
    if inst.lock_version != 1 + steps:
        found.append(f"lock_version {inst.lock_version}, but {steps} audit rows of steps (expected 1 + that)")
    if inst.open_tasks != len(rows):
        found.append(f"open_tasks {inst.open_tasks}, but {len(rows)} ready task rows")
    due = min((r.due_at for r in rows.values() if r.due_at is not None), default=None)
    if inst.next_due_at != due:
        found.append(f"next_due_at {inst.next_due_at}, but the ready tasks' earliest is {due}")
    if inst.status in FINAL and (rows or timer_rows):
        found.append(f"ready task rows {sorted(rows)} and timer rows {sorted(timer_rows)} remain")
    try:
        defn = load_definition(uow, runtime, inst.definition_id)
        wf = runtime.load(defn, inst.state)
        snap = runtime.snapshot(wf, defn, uow.now)
    except Exception as exc:  # noqa: BLE001  (what fails to load is the violation, reported by its type)
        return [*found, f"state does not load: {type(exc).__name__}: {exc}"]
    if (inst.status == "completed") != (snap.status == "completed"):
        found.append(f"the workflow is {'' if snap.status == 'completed' else 'not '}completed")
    if inst.status in FINAL:
        return found
    in_wf = {tid: task.task_spec.bpmn_id for tid, task in snap.human_tasks.items()}
    in_rows = {tid: r.element_id for tid, r in rows.items()}
    if inst.status == "error":  # a failed step's new tasks are not materialised (persist._failed)
        extra = {tid: e for tid, e in in_rows.items() if in_wf.get(tid) != e}
        if extra:
            found.append(f"ready task rows not ready in the workflow: {extra}")
    elif in_rows != in_wf:
        found.append(f"ready task rows {in_rows} != the workflow's ready user tasks {in_wf}")
    want = {tid: (t.element_id, t.kind, t.due_at) for tid, t in snap.timers.items()}
    have = {tid: (t.element_id, t.kind, t.due_at) for tid, t in timer_rows.items()}
    if want != have:
        found.append(f"timer rows {have} != the workflow's waiting timers {want}")
    return found


def _queue_problems(session: Any, ready: dict[int, dict[str, Any]]) -> list[str]:
    found = []
    orgs: dict[int, set[int]] = defaultdict(set)
    for instance_id, org in session.execute(select(InstanceOrganisation.instance_id,
                                                   InstanceOrganisation.organisation_id)):
        orgs[instance_id].add(org)
    groups: dict[str, set[str]] = defaultdict(set)
    for task_id, group in session.execute(select(TaskCandidateGroup.task_id, TaskCandidateGroup.group_name)
                                          .join(HumanTask, HumanTask.id == TaskCandidateGroup.task_id)
                                          .where(HumanTask.state == "ready")):
        groups[task_id].add(group)
    want = set()
    for instance_id, rows in ready.items():
        for tid, row in rows.items():
            if groups[tid] != set(row.candidate_groups or []):
                found.append(f"task {tid}: candidate group rows {sorted(groups[tid])} != {row.candidate_groups}")
            if row.assignee is None:
                want |= {(org, group, tid) for org in orgs[instance_id] for group in groups[tid]}
    have = {tuple(r) for r in session.execute(select(WorkQueueEntry.organisation_id, WorkQueueEntry.group_name,
                                                     WorkQueueEntry.task_id))}
    for org, group, tid in sorted(have - want):
        found.append(f"work_queue row ({org}, {group}, {tid}) for a task not ready and unassigned in it")
    for org, group, tid in sorted(want - have):
        found.append(f"work_queue row ({org}, {group}, {tid}) missing for a ready, unassigned task")
    return found
