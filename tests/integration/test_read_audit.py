"""engine.read_audit: read-audit rows by group commit (issue 12): every row written, chains in the
order rows were handed in, the trail verifies, nothing left behind at close, and a page's read is in
the access log as soon as the page is answered."""
from __future__ import annotations

import threading
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from polku.engine import audit
from polku.engine.audit_verify import verify
from polku.engine.clock import Clock
from polku.engine.db import UnitOfWork
from polku.engine.models import AuditEvent
from polku.engine.read_audit import ReadAudit

AT = datetime(2025, 3, 3, 9, 0, tzinfo=timezone.utc)


def _row(actor: str, n: int) -> dict:
    return {"at": AT, "actor": actor, "role": None, "organisation": None, "origin": "127.0.0.1",
            "action": "list_tasks", "instance_id": None, "task_id": None, "details": {"n": n},
            "chain": audit.chain_of(actor, None)}


def _rows(db_engine, actor: str) -> list[tuple[int, int]]:
    with db_engine.connect() as conn:
        found = conn.execute(select(AuditEvent.seq, AuditEvent.details).where(AuditEvent.actor == actor)
                             .order_by(AuditEvent.seq)).all()
    return [(seq, details["n"]) for seq, details in found]


def test_rows_from_many_threads_are_all_written_in_order_and_the_trail_verifies(db_engine):
    writer = ReadAudit(db_engine, Clock())
    errors: list[BaseException] = []

    def page(actor: str) -> None:
        try:
            for n in range(0, 40, 2):  # two rows a page, as the inbox's fetch of a page past the end
                writer.submit([_row(actor, n), _row(actor, n + 1)])
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=page, args=(f"reader{i % 4}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    writer.close()
    assert not errors
    assert writer.rows == 8 * 40 and writer.batches <= 8 * 20
    for i in range(4):
        rows = _rows(db_engine, f"reader{i}")
        assert [seq for seq, _n in rows] == list(range(1, 81))
        # Each page's two rows stay adjacent and in order in the chain.
        for (_s1, first), (_s2, second) in zip(rows[::2], rows[1::2]):
            assert second == first + 1
    with UnitOfWork(db_engine, Clock(), write=False) as uow:
        report = verify(uow)
    assert report.ok, report.problems
    assert report.rows >= 320


def test_a_unit_of_work_hands_its_rows_over_only_when_it_commits(db_engine):
    writer = ReadAudit(db_engine, Clock())
    with UnitOfWork(db_engine, Clock(), write=False, read_audit=writer) as uow:
        audit.record(uow, "reader9", "list_tasks", details={"instances": [1]})
        assert _rows_count(db_engine, "reader9") == 0
    assert _rows_count(db_engine, "reader9") == 0  # rolled back: the page was never shown
    with UnitOfWork(db_engine, Clock(), write=False, read_audit=writer) as uow:
        audit.record(uow, "reader9", "list_tasks", details={"instances": [1]})
        uow.commit()
        assert _rows_count(db_engine, "reader9") == 1  # committed before commit() returns
    writer.close()


def test_close_writes_what_was_handed_in_and_then_refuses(db_engine):
    writer = ReadAudit(db_engine, Clock())
    done: list[int] = []
    refused: dict[int, BaseException] = {}

    def page(n: int) -> None:  # a submit after close raises in its own thread: caught, looked at below
        try:
            writer.submit([_row("closing", n)])
        except BaseException as exc:  # noqa: BLE001
            refused[n] = exc
        else:
            done.append(n)

    threads = [threading.Thread(target=page, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    writer.close()
    for t in threads:
        t.join()
    assert sorted(done + list(refused)) == list(range(20))
    # A submit that came after close was refused as such, and nothing else went wrong.
    assert all(type(exc) is RuntimeError and "closed" in str(exc) for exc in refused.values()), refused
    # Every submit that was accepted returned with its row written; none was dropped.
    assert sorted(n for _seq, n in _rows(db_engine, "closing")) == sorted(done)
    with pytest.raises(RuntimeError):
        writer.submit([_row("closing", 99)])


def test_a_failed_batch_fails_its_pages_and_the_next_one_writes(db_engine):
    writer = ReadAudit(db_engine, Clock())
    bad = dict(_row("broken", 0), at=None)  # audit_events.at is NOT NULL
    with pytest.raises(Exception):  # noqa: B017  (the database's own error, whatever its driver calls it)
        writer.submit([bad])
    writer.submit([_row("after", 1)])
    writer.close()
    assert _rows(db_engine, "after") == [(1, 1)] and _rows(db_engine, "broken") == []


def _rows_count(db_engine, actor: str) -> int:
    with db_engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.actor == actor))



class _Held:
    """A writer whose first batch waits until `go` is set, so that pages queue up behind it; every
    batch's rows are recorded (actor and n) in the order the batches were written."""

    def __init__(self, writer: ReadAudit, monkeypatch):
        self.writer, self.entered, self.go, self.batches = writer, threading.Event(), threading.Event(), []
        write = writer._write

        def held_write(rows):
            self.batches.append([(row["actor"], row["details"]["n"]) for row in rows])
            if len(self.batches) == 1:
                self.entered.set()
                assert self.go.wait(30)
            return write(rows)

        monkeypatch.setattr(writer, "_write", held_write)
        self.threads: list[threading.Thread] = []
        self.errors: dict[str, BaseException] = {}
        self.start("holder", [_row("holder", 0)])
        assert self.entered.wait(30)

    def start(self, name: str, rows: list[dict]) -> None:
        def page():
            try:
                self.writer.submit(rows)
            except BaseException as exc:  # noqa: BLE001  (looked at by the test)
                self.errors[name] = exc

        thread = threading.Thread(target=page, name=name)
        self.threads.append(thread)
        thread.start()

    def wait_queued(self, pages: int) -> None:
        for _ in range(3000):
            with self.writer._cond:
                if len({id(ticket) for _entry, ticket in self.writer._queue}) == pages:
                    return
            threading.Event().wait(0.01)
        raise AssertionError("the pages were not queued")

    def release(self) -> None:
        self.go.set()
        for t in self.threads:
            t.join(30)
        self.writer.close()


def test_a_batch_takes_whole_pages_never_splitting_one(db_engine, monkeypatch):
    monkeypatch.setattr("polku.engine.read_audit.MAX_BATCH", 3)
    held = _Held(ReadAudit(db_engine, Clock()), monkeypatch)
    held.start("a", [_row("pageA", 0), _row("pageA", 1)])
    held.wait_queued(1)
    held.start("b", [_row("pageB", 0), _row("pageB", 1)])
    held.wait_queued(2)
    held.start("big", [_row("big", n) for n in range(5)])  # more than a batch: alone, whole
    held.wait_queued(3)
    held.release()
    assert not held.errors
    # Three rows would fit a batch, but pageB's second row never goes without its first: a page is
    # answered only once all its rows are committed, and a failure of any of them is its own.
    assert held.batches == [[("holder", 0)], [("pageA", 0), ("pageA", 1)], [("pageB", 0), ("pageB", 1)],
                            [("big", n) for n in range(5)]]
    assert [n for _seq, n in _rows(db_engine, "pageB")] == [0, 1] and len(_rows(db_engine, "big")) == 5


def test_each_page_of_a_failed_batch_raises_its_own_exception_caused_by_the_batchs(db_engine, monkeypatch):
    held = _Held(ReadAudit(db_engine, Clock()), monkeypatch)
    held.start("a", [dict(_row("broken", 0), at=None)])  # audit_events.at is NOT NULL
    held.wait_queued(1)
    held.start("b", [_row("broken", 1)])
    held.wait_queued(2)
    held.release()
    first, second = held.errors["a"], held.errors["b"]
    assert first is not second and type(first) is type(second)
    assert first.__cause__ is second.__cause__ and first.__cause__ is not None
    assert _rows(db_engine, "broken") == [] and _rows(db_engine, "holder") == [(1, 0)]


def test_pages_queued_while_a_batch_is_written_go_in_one_transaction(db_engine, monkeypatch):
    writer = ReadAudit(db_engine, Clock())
    held = _Held(writer, monkeypatch)
    for n in range(10):  # one row a page, each page its own thread, all waiting behind the held batch
        held.start(f"p{n}", [_row("grouped", n)])
    held.wait_queued(10)
    held.release()
    assert not held.errors
    assert (writer.batches, writer.rows) == (2, 11)  # the held batch, then all ten pages at once
    assert len(held.batches) == 2 and sorted(n for _actor, n in held.batches[1]) == list(range(10))
    assert sorted(n for _seq, n in _rows(db_engine, "grouped")) == list(range(10))
