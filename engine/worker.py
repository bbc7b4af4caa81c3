"""The timer worker: fires due timers, one instance per transaction, then runs the periodic
jobs the composition root gives it.

On PostgreSQL due rows are claimed with FOR UPDATE SKIP LOCKED, so several workers share the
work without ever firing one timer twice; the instance's optimistic lock backs that up (and
is all SQLite needs, where writers queue anyway).

A periodic job is what a service needs done every round besides its timers (the job-coaching
domain's deadline watch): a function of a unit of work and the runtime that returns how many
things it did. The engine knows jobs only by name, so it stays free of any domain; each job
runs in a transaction of its own, after the timers, and one that fails is logged under its
name and rolled back without keeping the others (or the next round) from running.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import Row, select
from sqlalchemy.engine import Engine

from . import audit
from .clock import Clock
from .db import UnitOfWork
from .errors import Conflict
from .models import Instance, Timer
from .persist import advance, load_instance, load_workflow

if TYPE_CHECKING:
    from .runtime import Runtime

PeriodicJob = Callable[[UnitOfWork, "Runtime"], int]
_log = logging.getLogger("polku.worker")


@dataclass(frozen=True)
class FiredTimer:
    instance_id: int
    element_id: str  # the timer event's id in the BPMN


@dataclass(frozen=True)
class RoundResult:
    fired: int  # instances advanced by their timers
    jobs: dict[str, int] = field(default_factory=dict)  # job name -> what it did (failed jobs are absent)
    timers: tuple[FiredTimer, ...] = ()  # the timers that fired, in the order they fired


def worker_round(engine: Engine, runtime: Runtime, clock: Clock,
                 jobs: Mapping[str, PeriodicJob] | None = None) -> RoundResult:
    """One round of the worker: the due timers, then each periodic job once."""
    timers: list[FiredTimer] = []
    fired = fire_due_timers(engine, runtime, clock, report=timers)
    done: dict[str, int] = {}
    for name, job in (jobs or {}).items():
        try:
            with UnitOfWork(engine, clock, origin="worker") as uow:
                done[name] = job(uow, runtime)
                uow.commit()
        except Exception:  # noqa: BLE001  (logged with its traceback; the other jobs still run)
            _log.exception("periodic job %s failed; it runs again next round", name)
    return RoundResult(fired, done, tuple(timers))


def fire_due_timers(engine: Engine, runtime: Runtime, clock: Clock, limit: int = 1000,
                    report: list[FiredTimer] | None = None) -> int:
    """Fire every timer due by `clock`; returns how many instances were advanced. `report`, when
    given, gets each timer that fired (a firing may fire others of the instance due with it, and
    cancel some: those are not reported), committed ones only."""
    fired, skipped = 0, set[str]()
    for _ in range(limit):
        with UnitOfWork(engine, clock, origin="worker") as uow:
            query = (
                select(Timer.id, Timer.instance_id, Timer.element_id)
                .join(Instance, Instance.id == Timer.instance_id)
                .where(Timer.due_at < uow.now, Instance.status == "running")
                .order_by(Timer.due_at, Timer.id)
                .limit(1)
                .with_for_update(of=Timer, skip_locked=True)
            )
            if skipped:
                query = query.where(Timer.id.not_in(skipped))
            row = uow.session.execute(query).first()
            if row is None:
                return fired
            try:
                changed = _fire(uow, runtime, row)
            except Conflict:
                skipped.add(row.id)  # another command got there first; it is someone else's now
                continue
            if not changed:
                skipped.add(row.id)
                continue
            uow.commit()
            fired += 1
            if report is not None:
                report.extend(FiredTimer(row.instance_id, element) for element in changed)
    return fired


def _fire(uow: UnitOfWork, runtime: Runtime, row: Row[str, int, str]) -> list[str]:
    """The element ids of the instance's timers that fired (empty: nothing did)."""
    inst = load_instance(uow, row.instance_id)
    defn, wf, before = load_workflow(uow, runtime, inst)
    if row.id not in before.timers:
        return []
    after = advance(uow, runtime, inst, defn, wf, before, action=lambda: runtime.refresh_timers(wf, uow.now))
    if row.id in after.timers and after.timers[row.id].due_at == before.timers[row.id].due_at:
        return []  # not actually due by SpiffWorkflow's reckoning; leave it
    audit.record(uow, "system", "timer", instance_id=inst.id, task_id=row.id,
                 details={"element_id": row.element_id, "status": after.status})
    fired = []
    for tid, timer in before.timers.items():  # due ones: moved on (a cycle) or run, not cancelled
        later = after.timers.get(tid)
        if timer.due_at >= uow.now or (later is not None and later.due_at == timer.due_at):
            continue
        if later is not None or tid == row.id or _completed(wf, tid):
            fired.append(timer.element_id)
    return fired


def _completed(wf: BpmnWorkflow, task_id: str) -> bool:
    """Whether the task ran to completion (a timer cancelled by another's firing did not)."""
    tid = UUID(task_id)
    task = next((w.tasks[tid] for w in (wf, *wf.subprocesses.values()) if tid in w.tasks), None)
    return task is not None and task.state == TaskState.COMPLETED

