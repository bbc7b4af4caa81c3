"""The timer worker's heartbeat: each finished round is recorded, so /healthz can tell how long
ago a worker last did its job. One row per worker name, updated in place (the table stays small
however long the workers run)."""
from __future__ import annotations

import socket
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Engine

from .clock import Clock
from .db import UnitOfWork, upsert_insert
from .models import WorkerRound


@dataclass(frozen=True)
class Round:
    worker: str
    finished_at: datetime
    fired: int


def default_worker_name() -> str:
    """The host by default: a restarted worker takes over its own row instead of adding one."""
    return socket.gethostname()


def record_round(engine: Engine, clock: Clock, worker_name: str, fired: int = 0) -> None:
    """Record that `worker_name` finished a round now (by `clock`), in a transaction of its own."""
    with UnitOfWork(engine, clock) as uow:
        stmt = upsert_insert(engine, WorkerRound).values(worker=worker_name, finished_at=uow.now, fired=fired)
        # An upsert: two workers' first rounds under one name must not fail on the primary key.
        stmt = stmt.on_conflict_do_update(index_elements=[WorkerRound.worker],
                                          set_={"finished_at": uow.now, "fired": fired})
        uow.session.execute(stmt)
        uow.commit()


def last_round(engine: Engine, clock: Clock) -> Round | None:
    """The newest round any worker finished, or None when no worker has run against this database."""
    with UnitOfWork(engine, clock, write=False) as uow:
        row = uow.session.execute(
            select(WorkerRound.worker, WorkerRound.finished_at, WorkerRound.fired)
            .order_by(WorkerRound.finished_at.desc(), WorkerRound.worker)
            .limit(1)
        ).first()
    return None if row is None else Round(row.worker, row.finished_at, row.fired)
