"""Read-audit rows by group commit: pages that only read never hold SQLite's write lock.

A page that shows client data writes an audit row (R12). Written in the page's own transaction,
that transaction must take SQLite's one write lock (BEGIN IMMEDIATE) before it reads anything,
so every reader waited behind every other (10 sessions: p95 820 ms, issue 12). Here a reading
page runs in a plain read transaction and hands its rows, when it commits, to this process's
`ReadAudit`; one flusher thread writes everything handed in meanwhile in one short write
transaction (each row through `audit.append`, so chains grow in the order rows were handed in,
with their numbers and hashes), commits, and only then lets the pages go on. The write lock is
held for the inserts only, once per batch, however many pages are waiting.

Nothing is lost, and the crash window is empty: `submit` returns only once the rows are
committed, so a page is never sent before its read is in the trail; a process killed meanwhile
had sent nothing either (the same guarantee as a row in the page's own transaction). The page
that shows the trail (the access log) therefore sees every read whose page was answered: the
reader's own and everyone's. `close` (at exit, and by the app's owner) writes what is still
handed in and stops the thread. If a batch fails, every page in it gets the error (no page is
shown without its row); the next batch starts afresh.

The cost is one batch's wait at most: a page whose rows arrive while a batch is being written
waits for that one and its own (no timer: an idle flusher writes at once).
"""
from __future__ import annotations

import threading
from typing import Any

from sqlalchemy.engine import Engine

from . import audit
from .clock import Clock
from .db import UnitOfWork

MAX_BATCH = 500  # rows per write transaction; more wait for the next
IDLE_SECONDS = 5.0  # a flusher with nothing to write for this long ends (apps made and dropped leave no thread)


class _Ticket:
    __slots__ = ("done", "error")

    def __init__(self) -> None:
        self.done = False
        self.error: BaseException | None = None


class ReadAudit:
    """One per process (per app): the queue of read-audit rows and its flusher thread."""

    def __init__(self, engine: Engine, clock: Clock | None = None):
        self._engine = engine
        self._clock = clock or Clock()
        self._cond = threading.Condition()
        self._queue: list[tuple[dict[str, Any], _Ticket]] = []
        self._closed = False
        self._thread: threading.Thread | None = None
        self.batches = 0  # batches written (tests, benches)
        self.rows = 0

    def submit(self, rows: list[dict[str, Any]]) -> None:
        """Queue `rows` (audit.record's values, in order) and return once they are committed."""
        if not rows:
            return
        ticket = _Ticket()
        with self._cond:
            if self._closed:
                raise RuntimeError("the read-audit writer is closed")
            self._queue.extend((row, ticket) for row in rows)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="polku-read-audit", daemon=True)
                self._thread.start()
            self._cond.notify_all()
            while not ticket.done:
                self._cond.wait()
        if ticket.error is not None:
            raise ticket.error

    def _run(self) -> None:
        while True:
            with self._cond:
                if not self._queue and not self._closed:
                    self._cond.wait(IDLE_SECONDS)
                if not self._queue:  # idle (the next submit starts a thread again), or closed and drained
                    self._thread = None
                    return
                batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            error = self._write([row for row, _ticket in batch])
            with self._cond:
                for _row, ticket in batch:
                    ticket.done, ticket.error = True, error
                self._cond.notify_all()

    def _write(self, rows: list[dict[str, Any]]) -> BaseException | None:
        try:
            with UnitOfWork(self._engine, self._clock, write=True, origin="") as uow:
                for row in rows:
                    audit.append(uow, row)
                uow.commit()
        except BaseException as exc:  # handed to every page of the batch, which raises it
            return exc
        self.batches += 1
        self.rows += len(rows)
        return None

    def close(self, timeout: float = 30.0) -> None:
        """Write what was handed in and stop the thread (idempotent)."""
        with self._cond:
            self._closed = True
            thread = self._thread
            self._cond.notify_all()
        if thread is not None:
            thread.join(timeout)
