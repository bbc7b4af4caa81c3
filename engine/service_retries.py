"""Service-task retries: a handler that failed for a passing reason is run again with back-off.

A step whose service handler fails transiently (engine.services.transient: the handler raised
HandlerFailed itself, a lost connection, a database that cannot be used right now) does not put its instance
in error. The step is saved as it stands, the instance stays `running` with the failed service
task waiting (STARTED, as SpiffWorkflow leaves it) and one `service_retries` row says how many
attempts failed, the last error and when the worker runs the task again (the registry's
RetryPolicy: back-off doubling from its base). No other step runs the waiting task before it is
due (`held`); the worker's round runs the due ones (engine.retry_worker), claimed under a lease like
timers (FOR UPDATE SKIP LOCKED on PostgreSQL), so two workers never run one retry twice.

A step that runs the task to completion, or fails on something else, drops the row. After the
last retry fails the instance goes to `error` as an incident, its message ending "(after N
attempts)", and the row stays without a next attempt: the count and last error stay visible
until a manager's retry (engine.instances.retry, which also runs a pending retry at once)
drops it. Suspending leaves a pending row alone (the worker takes running instances only), so
resuming resumes the retries; terminating drops it.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

from SpiffWorkflow.bpmn.specs.mixins.service_task import ServiceTask as ServiceTaskMixin
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import Row, Table, delete, insert, or_, select, update

from . import audit
from .models import Instance, ServiceRetry
from .timer_claims import LEASE

if TYPE_CHECKING:
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow

    from .db import UnitOfWork
    from .runtime import StepError
    from .services import RetryPolicy

_R = cast(Table, ServiceRetry.__table__)
_I = cast(Table, Instance.__table__)


@dataclass(frozen=True)
class Failure:
    """A transient failure of a step's service task, counted."""

    element_id: str
    attempts: int  # failed attempts so far, this one included
    message: str
    next_attempt_at: datetime | None  # None: no retry is left, the instance goes to error

    def incident(self) -> str:
        """The instance's error message once no retry is left."""
        return f"{self.message} (after {self.attempts} attempts)"


def waiting(wf: BpmnWorkflow) -> bool:
    """Whether a service task waits to be run again (a retry row may exist to drop after the step)."""
    return bool(_waiting_tasks(wf))


def _waiting_tasks(wf: BpmnWorkflow) -> list[Any]:
    return [t for w in (wf, *wf.subprocesses.values()) for t in w.tasks.values()
            if t.state == TaskState.STARTED and isinstance(t.task_spec, ServiceTaskMixin)]


def held(uow: UnitOfWork, instance_id: int, wf: BpmnWorkflow) -> frozenset[UUID]:
    """The waiting service tasks a step must leave waiting: those of the instance's pending retry
    while its back-off runs (next attempt after now). Only the worker's run, once it is due, and a
    manager's retry (which drops the row first) run the task again, so no other step (a user's
    completion, a timer, a migration) calls the failing system early or uses up an attempt."""
    row = uow.session.execute(select(_R.c.element_id).where(
        _R.c.instance_id == instance_id, _R.c.next_attempt_at > uow.now)).first()
    if row is None:
        return frozenset()
    return frozenset(t.id for t in _waiting_tasks(wf) if t.task_spec.bpmn_id == row.element_id)


@dataclass(frozen=True)
class Found:
    """What a step found of its instance's retry before it ran."""

    hold: frozenset[UUID]  # the waiting service tasks the step must leave waiting (`held`)
    row_possible: bool  # whether a row may exist, for `settle` to drop


def before_step(uow: UnitOfWork, instance_id: int, status: str, wf: BpmnWorkflow) -> Found:
    """`held`, read only when a row can exist. A row lives while its service task waits, or, its
    retries used up, on an instance in error (`settle` keeps nothing else), so most steps (no
    service task waiting, the instance running) read and drop nothing: two statements less a step."""
    if not _waiting_tasks(wf):
        return Found(frozenset(), row_possible=status == "error")
    return Found(held(uow, instance_id, wf), row_possible=True)


def settle(uow: UnitOfWork, instance_id: int, wf: BpmnWorkflow, failure: Failure | None,
           errored: bool = False, row_possible: bool = True) -> None:
    """After a step's write (which holds the instance's lock): record its transient failure, or drop
    a row no waiting service task needs any more (the task ran, or is gone from a migrated
    instance's new version) or that the step's own error (`errored`, not transient) ends. A row
    whose task still waits stays. Every step, the retry worker's run and a migration end here;
    `row_possible` False (engine.service_retries.before_step found none could exist) skips the drop."""
    if failure is not None:
        record(uow, instance_id, failure)
    elif row_possible and (errored or not waiting(wf)):
        clear(uow, instance_id)


def failed(uow: UnitOfWork, policy: RetryPolicy, instance_id: int, error: StepError) -> Failure | None:
    """Count a transient failure of `error.element_id`: the attempts before it on the same task,
    plus one; the next attempt's time by `policy`, or None when the retries are used up. None
    when the policy retries nothing (the failure is an error like any other)."""
    if not policy.retries:
        return None
    before = uow.session.execute(select(_R.c.element_id, _R.c.attempts)
                                 .where(_R.c.instance_id == instance_id)).first()
    element = error.element_id or ""
    attempts = 1 + (before.attempts if before is not None and before.element_id == element else 0)
    next_at = uow.now + policy.delay(attempts) if attempts <= policy.retries else None
    return Failure(element, attempts, error.message, next_at)


def record(uow: UnitOfWork, instance_id: int, failure: Failure) -> None:
    """Write the failure's row (after the step's own write, which holds the instance's lock) and
    its audit row."""
    clear(uow, instance_id)
    uow.execute(insert(_R).values(
            instance_id=instance_id, element_id=failure.element_id, attempts=failure.attempts,
            last_error=failure.message, failed_at=uow.now, next_attempt_at=failure.next_attempt_at))
    audit.record(uow, "system", "service_failed", instance_id=instance_id,
                 details={"element_id": failure.element_id, "attempt": failure.attempts, "error": failure.message,
                          "next_attempt_at": _iso(failure.next_attempt_at),
                          "status": "running" if failure.next_attempt_at is not None else "error"})


def clear(uow: UnitOfWork, instance_id: int) -> None:
    uow.execute(delete(_R).where(_R.c.instance_id == instance_id))


def stop(uow: UnitOfWork, instance_id: int) -> None:
    """No further attempt (the instance went to error another way); the count and error stay."""
    uow.execute(update(_R).where(_R.c.instance_id == instance_id)
                .values(next_attempt_at=None, claimed_by=None, claimed_until=None))


def pending(uow: UnitOfWork, instance_id: int) -> bool:
    """Whether a retry of the instance is scheduled."""
    return uow.session.execute(select(_R.c.instance_id).where(
        _R.c.instance_id == instance_id, _R.c.next_attempt_at.is_not(None))).first() is not None


def view(uow: UnitOfWork, instance_id: int) -> dict[str, Any] | None:
    """The instance's retry as pages and `polku show` present it (None: there is none)."""
    row = uow.session.execute(select(_R).where(_R.c.instance_id == instance_id)).first()
    if row is None:
        return None
    return {"element_id": row.element_id, "attempts": row.attempts, "last_error": row.last_error,
            "failed_at": _iso(row.failed_at), "next_attempt_at": _iso(row.next_attempt_at)}


def claim(uow: UnitOfWork, worker: str, n: int) -> list[Row[Any]]:
    """Up to `n` due retries of running instances that no other worker holds under a live lease,
    now leased to `worker`, in due order (engine.timer_claims does the same for timers). The
    caller commits."""
    now: datetime = uow.now
    due = (
        select(_R.c.instance_id)
        .join(_I, _I.c.id == _R.c.instance_id)
        .where(_R.c.next_attempt_at <= now, _I.c.status == "running",
               or_(_R.c.claimed_until.is_(None), _R.c.claimed_until <= now))
        .order_by(_R.c.next_attempt_at, _R.c.instance_id)
        .limit(n)
        .with_for_update(of=_R, skip_locked=True)
    )
    rows = uow.execute(
        update(_R).where(_R.c.instance_id.in_(due.scalar_subquery()))
        .values(claimed_by=worker, claimed_until=now + LEASE)
        .returning(_R.c.instance_id, _R.c.element_id, _R.c.attempts, _R.c.next_attempt_at)
    ).all()
    return sorted(rows, key=lambda r: (r.next_attempt_at, r.instance_id))


def still_claimed(uow: UnitOfWork, worker: str, instance_id: int) -> bool:
    """Whether `worker`'s claim stands (no step, manual retry or other worker has replaced, dropped
    or taken over the row), checked in the firing transaction by a write that keeps the row locked
    until it commits: the lease renewed from now, the row locked on PostgreSQL (another worker's
    claim skips it) and the database's write lock held on SQLite. So a lease that ran out while the
    handler is slow is never taken over and run a second time."""
    return uow.execute(
        update(_R).where(_R.c.instance_id == instance_id, _R.c.claimed_by == worker,
                         _R.c.next_attempt_at.is_not(None))
        .values(claimed_until=uow.now + LEASE).returning(_R.c.instance_id)).first() is not None


def release(uow: UnitOfWork, worker: str, instance_ids: Sequence[int]) -> None:
    """Let go of retries `worker` claimed and did not run."""
    if instance_ids:
        uow.execute(update(_R).where(_R.c.instance_id.in_(list(instance_ids)), _R.c.claimed_by == worker)
                    .values(claimed_by=None, claimed_until=None))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
