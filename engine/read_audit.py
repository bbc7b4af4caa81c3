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
handed in and stops the thread. A batch takes whole pages: a page's rows are never split across
two batches (so a page goes on only once all its rows are committed, and a failure of any of them
is its own); a page with more than `MAX_BATCH` rows is a batch alone. If a batch fails, every page
in it gets the error, raised in each page's thread as a fresh exception of its own whose cause is
the batch's (no page is shown without its row); the next batch starts afresh.

The cost is one batch's wait at most: a page whose rows arrive while a batch is being written
waits for that one and its own (no timer: an idle flusher writes at once).
"""
from __future__ import annotations

import copy
import threading
from typing import Any

from sqlalchemy.engine import Engine

from . import audit
from .clock import Clock
from .db import UnitOfWork

MAX_BATCH = 500  # rows per write transaction (whole pages; a bigger page alone); more wait for the next
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
        self._queue: list[tuple[list[dict[str, Any]], _Ticket]] = []  # one entry a page, in order
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
            self._queue.append((list(rows), ticket))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="polku-read-audit", daemon=True)
                self._thread.start()
            self._cond.notify_all()
            while not ticket.done:
                self._cond.wait()
        if ticket.error is not None:
            # One exception object is shared by every page of the batch; each raises its own.
            raise _fresh(ticket.error) from ticket.error

    def _run(self) -> None:
        while True:
            with self._cond:
                if not self._queue and not self._closed:
                    self._cond.wait(IDLE_SECONDS)
                if not self._queue:  # idle (the next submit starts a thread again), or closed and drained
                    self._thread = None
                    return
                batch, self._queue = _whole_pages(self._queue)
            error = self._write([row for rows, _ticket in batch for row in rows])
            with self._cond:
                for _rows, ticket in batch:
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


def _whole_pages(queue: list[tuple[list[dict[str, Any]], _Ticket]]
                 ) -> tuple[list[tuple[list[dict[str, Any]], _Ticket]], list[tuple[list[dict[str, Any]], _Ticket]]]:
    """The next batch (whole pages, in order, up to `MAX_BATCH` rows; a first page bigger than
    that alone) and what waits for the next one."""
    taken, size = 0, 0
    for rows, _ticket in queue:
        if taken and size + len(rows) > MAX_BATCH:
            break
        taken, size = taken + 1, size + len(rows)
    return queue[:taken], queue[taken:]


def _fresh(error: BaseException) -> BaseException:
    """A new exception like `error` (its type, so the callers' handling of database errors still
    applies), for one page's thread to raise; a RuntimeError when it cannot be copied."""
    try:
        fresh = copy.copy(error)
    except Exception:  # noqa: BLE001  (an exception that cannot be rebuilt from its arguments)
        fresh = None
    if fresh is None or fresh is error or type(fresh) is not type(error):
        return RuntimeError(f"the read-audit batch failed: {error!r}")
    return fresh
