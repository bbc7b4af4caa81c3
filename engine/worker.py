"""The timer worker: fires due timers, one instance per transaction, then runs the periodic
jobs the composition root gives it.

Due timers are claimed in batches under a lease (engine.timer_claims: FOR UPDATE SKIP LOCKED on
PostgreSQL), so several workers share the work without ever firing one timer twice; the
instance's optimistic lock backs that up (and is all SQLite needs, where writers queue anyway).
Each timer fires in a transaction of its own; one whose firing fails puts its instance in error
(an incident a manager retries) and never holds back the others.

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
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable
from uuid import UUID, uuid4

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import Row
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from . import audit, locks, timer_claims
from .clock import Clock
from .db import UnitOfWork
from .errors import Conflict
from .incidents import put_in_error
from .persist import advance, load_instance, load_workflow
from .retry_worker import run_due_retries

if TYPE_CHECKING:
    from .runtime import Runtime

PeriodicJob = Callable[[UnitOfWork, "Runtime"], int]
_log = logging.getLogger("polku.worker")


@runtime_checkable
class TwoPhaseJob(Protocol):
    """A periodic job whose heavy part only reads (engine.worker._run_job)."""

    def read(self, uow: UnitOfWork, runtime: Runtime) -> Any: ...

    def write(self, uow: UnitOfWork, runtime: Runtime, found: Any) -> int: ...


@dataclass(frozen=True)
class FiredTimer:
    instance_id: int
    element_id: str  # the timer event's id in the BPMN


@dataclass(frozen=True)
class RoundResult:
    fired: int  # instances advanced by their timers
    jobs: dict[str, int] = field(default_factory=dict)  # job name -> what it did (failed jobs are absent)
    timers: tuple[FiredTimer, ...] = ()  # the timers that fired, in the order they fired
    retried: int = 0  # service-task retries run (engine.retry_worker)


def worker_round(engine: Engine, runtime: Runtime, clock: Clock,
                 jobs: Mapping[str, PeriodicJob] | None = None) -> RoundResult:
    """One round of the worker: the due timers, the due service-task retries, then each periodic
    job once."""
    timers: list[FiredTimer] = []
    fired = fire_due_timers(engine, runtime, clock, report=timers)
    try:
        retried = run_due_retries(engine, runtime, clock)
    except Exception:  # noqa: BLE001  (a claim that failed: logged; the jobs still run, the next round tries again)
        _log.exception("service retries failed this round; tried again next round")
        retried = 0
    done: dict[str, int] = {}
    for name, job in (jobs or {}).items():
        try:
            done[name] = _run_job(engine, runtime, clock, job)
        except Exception:  # noqa: BLE001  (logged with its traceback; the other jobs still run)
            _log.exception("periodic job %s failed; it runs again next round", name)
    return RoundResult(fired, done, tuple(timers), retried)


def _run_job(engine: Engine, runtime: Runtime, clock: Clock, job: PeriodicJob | TwoPhaseJob) -> int:
    """A job in a transaction of its own. A job with a reading half (`read`, then `write` with what
    it read: a TwoPhaseJob) reads in a unit of work that only reads, which on SQLite holds no write
    lock, so a long count keeps no writer (a user's step, a page's read-audit rows) waiting."""
    if isinstance(job, TwoPhaseJob):
        with UnitOfWork(engine, clock, write=False, origin="worker") as reading:
            found = job.read(reading, runtime)
        with UnitOfWork(engine, clock, origin="worker") as uow:
            done = job.write(uow, runtime, found)
            uow.commit()
        return done
    with UnitOfWork(engine, clock, origin="worker") as uow:
        done = job(uow, runtime)
        uow.commit()
    return done


def fire_due_timers(engine: Engine, runtime: Runtime, clock: Clock, batch: int = 100,
                    report: list[FiredTimer] | None = None) -> int:
    """Fire every timer due by `clock`, however many, claimed `batch` at a time; returns how many
    instances were advanced. `report`, when given, gets each timer that fired (a firing may fire
    others of the instance due with it, and cancel some: those are not reported), committed ones
    only. A timer whose firing fails puts its instance in error (`_fail`) and the round goes on."""
    worker, fired, held = uuid4().hex, 0, list[str]()
    try:
        while True:
            with UnitOfWork(engine, clock, origin="worker") as uow:
                rows = timer_claims.claim(uow, worker, batch)
                uow.commit()
            if not rows:
                return fired
            for row in rows:
                changed = _fire_own(engine, runtime, clock, row, worker)
                if not changed:
                    held.append(row.id)  # stays ours until the end, so this call takes it no more
                    continue
                fired += 1
                if report is not None:
                    report.extend(FiredTimer(row.instance_id, element) for element in changed)
    finally:
        _let_go(engine, clock, worker, held)


def _fire_own(engine: Engine, runtime: Runtime, clock: Clock, row: Row[Any], worker: str) -> list[str]:
    """Fire one claimed timer in a transaction of its own, if `worker` still holds its claim (a
    lease lost to another worker during a slow batch is that worker's to fire); what fired
    (empty: nothing did)."""
    try:
        with UnitOfWork(engine, clock, origin="worker") as uow:
            locks.instance(uow, row.instance_id)  # before the timer row (engine.locks: one order)
            if not timer_claims.still_held(uow, worker, row.id):
                return []
            changed = _fire(uow, runtime, row)
            if changed is None:
                return []  # rolled back
            uow.commit()  # what fired, or a row put right
            return changed
    except Conflict:
        return []  # another command changed the instance meanwhile; the next round sees it afresh
    except OperationalError:
        # The database failed, not the step (a lost connection, a restart): the next round tries again.
        _log.exception("timer %s of instance %s: database error; tried again next round", row.id, row.instance_id)
        return []
    except Exception as exc:  # noqa: BLE001  (logged with its traceback; the instance goes to error)
        _log.exception("timer %s (%s) of instance %s failed; the instance goes to error",
                       row.id, row.element_id, row.instance_id)
        _fail(engine, clock, row, exc)
        return []


def _fail(engine: Engine, clock: Clock, row: Row[Any], exc: BaseException) -> None:
    """The instance in error at the timer's element; the timer row stays (a retry makes the instance
    running, and the timer is due again)."""
    def record(uow: UnitOfWork, message: str) -> None:
        audit.record(uow, "system", "timer", instance_id=row.instance_id, task_id=row.id,
                     details={"element_id": row.element_id, "status": "error", "error": message})

    put_in_error(engine, clock, row.instance_id, row.element_id, exc, record)


def _let_go(engine: Engine, clock: Clock, worker: str, held: list[str]) -> None:
    if not held:
        return
    try:
        with UnitOfWork(engine, clock, origin="worker") as uow:
            timer_claims.release(uow, worker, held)
            uow.commit()
    except Exception:  # noqa: BLE001  (the leases run out by themselves: LEASE)
        _log.exception("could not let go of %d claimed timer(s); their leases run out by themselves", len(held))


def _fire(uow: UnitOfWork, runtime: Runtime, row: Row[Any]) -> list[str] | None:
    """The element ids of the instance's timers that fired (empty: nothing did; None: nothing did and
    what the step wrote is to be rolled back)."""
    inst = load_instance(uow, row.instance_id)
    defn, wf, before = load_workflow(uow, runtime, inst)
    if row.id not in before.timers:
        return []
    due = before.timers[row.id].due_at
    if due > uow.now:
        # The row's time is not the workflow's, which is still to come: the row is put right (and
        # let go), nothing runs; else every round would claim it and load its instance in vain.
        timer_claims.reschedule(uow, row.id, due)
        return []
    after = advance(uow, runtime, inst, defn, wf, before, action=lambda: runtime.refresh_timers(wf, uow.now))
    if row.id in after.timers and after.timers[row.id].due_at == due:
        return None  # not due by SpiffWorkflow's reckoning: nothing of this step may stay
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

