"""The worker's claim on due timers: a batch at a time, under a lease on the timer rows.

One short transaction takes up to `n` due rows of running instances in (due_at, id) order
(the index ix_timers_due_at_id serves that order, so the scan stops after `n` rows instead
of sorting every due row) and writes the claiming worker's lease on them. On PostgreSQL the
rows are locked with FOR UPDATE SKIP LOCKED while the lease is written, so two workers
claiming at once take different rows; on SQLite the claim is one write under BEGIN IMMEDIATE
and writers queue. Each timer then fires in a transaction of its own (engine.worker): the
firing deletes the row (a cycle's comes back unclaimed with its next due time); a row that
did not fire is let go by `release`. A worker that dies holding a lease leaves its rows to
the others once `LEASE` has passed. The instance's optimistic lock still backs all this up:
a timer fires once even if two workers somehow held it at once.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Row, Table, or_, select, update

from .models import Instance, Timer

if TYPE_CHECKING:
    from .db import UnitOfWork

LEASE = timedelta(minutes=5)  # longer than any firing of a batch takes; a dead worker's rows wait this long

_T = cast(Table, Timer.__table__)
_I = cast(Table, Instance.__table__)


def claim(uow: UnitOfWork, worker: str, n: int) -> list[Row[Any]]:
    """Up to `n` due timers of running instances, none claimed by another worker whose lease is
    still on, now leased to `worker`; in due order. The caller commits."""
    now: datetime = uow.now
    due = (
        select(_T.c.id)
        .join(_I, _I.c.id == _T.c.instance_id)
        .where(_T.c.due_at < now, _I.c.status == "running",
               or_(_T.c.claimed_until.is_(None), _T.c.claimed_until <= now))
        .order_by(_T.c.due_at, _T.c.id)
        .limit(n)
        .with_for_update(of=_T, skip_locked=True)
    )
    rows = uow.execute(
        update(_T).where(_T.c.id.in_(due.scalar_subquery()))
        .values(claimed_by=worker, claimed_until=now + LEASE)
        .returning(_T.c.id, _T.c.instance_id, _T.c.element_id, _T.c.due_at)
    ).all()
    return sorted(rows, key=lambda r: (r.due_at, r.id))


def still_held(uow: UnitOfWork, worker: str, timer_id: str) -> bool:
    """Whether `worker` still holds its claim on the timer, checked in the firing transaction
    before anything fires: a batch slower than `LEASE` may have lost the rest of its rows to
    another worker's claim, and then only that worker fires them (handlers never run twice). On
    PostgreSQL the row is locked (FOR UPDATE) until the firing commits, so no claim can take it
    meanwhile; on SQLite the firing's write transaction already keeps every other writer out."""
    held = uow.execute(
        select(_T.c.id).where(_T.c.id == timer_id, _T.c.claimed_by == worker).with_for_update(of=_T)
    ).first()
    return held is not None


def reschedule(uow: UnitOfWork, timer_id: str, due_at: datetime) -> None:
    """Give a claimed timer's row the due time its workflow has, unclaimed."""
    uow.execute(update(_T).where(_T.c.id == timer_id).values(due_at=due_at, claimed_by=None, claimed_until=None))


def release(uow: UnitOfWork, worker: str, timer_ids: Sequence[str]) -> None:
    """Let go of timers `worker` claimed and did not fire (other workers may take them now)."""
    if timer_ids:
        uow.execute(update(_T).where(_T.c.id.in_(list(timer_ids)), _T.c.claimed_by == worker)
                    .values(claimed_by=None, claimed_until=None))
