"""Deferred writes (engine.prepared.Prepared.defer): on PostgreSQL a write whose answer is not
needed at once waits and goes in one pipeline with the next statement or the COMMIT; on SQLite it
runs at once. Either way the unit of work behaves as if every statement had run when issued:
later reads see the write, a failed check or a failed write rolls the whole unit back, and a
write left waiting by a failed unit never reaches the next unit on the same connection."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from polku.engine.clock import Clock
from polku.engine.db import UnitOfWork
from polku.engine.errors import Conflict
from polku.engine.models import AuditHead
from polku.engine.prepared import Prepared

_HEADS: Table = AuditHead.__table__  # type: ignore[assignment]
_ADD = Prepared(insert(_HEADS).values(chain=bindparam("chain"), seq=1, hash=bindparam("hash")))
_SET = Prepared(update(_HEADS).where(_HEADS.c.chain == bindparam("b_chain")).values(hash=bindparam("hash")))


def _exactly_one(count: int) -> None:
    if count != 1:
        raise Conflict("the row was not there")


def _commit_first_row(engine) -> None:
    """Chain t:a's head, committed: a later insert of it is a duplicate key."""
    with UnitOfWork(engine, Clock()) as uow:
        _ADD.defer(uow, {"chain": "t:a", "hash": "first"})
        uow.commit()


def _hashes(engine) -> dict[str, str]:
    with UnitOfWork(engine, Clock(), write=False) as uow:
        return dict(uow.session.execute(select(AuditHead.chain, AuditHead.hash)
                                        .where(AuditHead.chain.like("t:%"))).all())


def test_a_later_read_sees_a_deferred_write(db_engine):
    with UnitOfWork(db_engine, Clock()) as uow:
        _ADD.defer(uow, {"chain": "t:a", "hash": "one"})
        _SET.defer(uow, {"b_chain": "t:a", "hash": "two"}, _exactly_one)
        # An ORM read: the waiting writes go first, in their order.
        assert uow.session.scalar(select(AuditHead.hash).where(AuditHead.chain == "t:a")) == "two"
        uow.commit()
    assert _hashes(db_engine) == {"t:a": "two"}


def test_deferred_writes_are_committed_with_the_unit(db_engine):
    with UnitOfWork(db_engine, Clock()) as uow:
        _ADD.defer(uow, [{"chain": "t:a", "hash": "1"}, {"chain": "t:b", "hash": "2"}], many=True)
        _SET.defer(uow, {"b_chain": "t:a", "hash": "3"})
        uow.commit()
    assert _hashes(db_engine) == {"t:a": "3", "t:b": "2"}


def test_a_failed_check_rolls_the_whole_unit_back(db_engine):
    with pytest.raises(Conflict, match="the row was not there"):
        with UnitOfWork(db_engine, Clock()) as uow:
            _ADD.defer(uow, {"chain": "t:a", "hash": "kept only if all is"})
            _SET.defer(uow, {"b_chain": "t:missing", "hash": "x"}, _exactly_one)
            uow.commit()
    assert _hashes(db_engine) == {}


def test_a_failed_deferred_write_fails_the_unit_and_leaves_the_connection_usable(db_engine):
    _commit_first_row(db_engine)
    with pytest.raises(IntegrityError):
        with UnitOfWork(db_engine, Clock()) as uow:
            _SET.defer(uow, {"b_chain": "t:a", "hash": "changed"})
            _ADD.defer(uow, {"chain": "t:a", "hash": "a duplicate"})
            uow.commit()
    assert _hashes(db_engine) == {"t:a": "first"}
    with UnitOfWork(db_engine, Clock()) as uow:
        _ADD.defer(uow, {"chain": "t:b", "hash": "after"})
        uow.commit()
    assert _hashes(db_engine) == {"t:a": "first", "t:b": "after"}


def test_a_write_left_waiting_by_a_failed_unit_never_reaches_the_next(db_engine):
    with pytest.raises(RuntimeError):
        with UnitOfWork(db_engine, Clock()) as uow:
            _ADD.defer(uow, {"chain": "t:a", "hash": "never"})
            raise RuntimeError("the command failed before its commit")
    with UnitOfWork(db_engine, Clock()) as uow:  # most likely the same pooled connection
        _ADD.defer(uow, {"chain": "t:b", "hash": "this one"})
        uow.commit()
    assert _hashes(db_engine) == {"t:b": "this one"}


def test_a_check_sees_the_rows_of_a_statement_that_returns_rows(db_engine):
    seen: list[Any] = []
    counted = Prepared(select(func.count().label("n")).select_from(_HEADS).where(_HEADS.c.chain.like("t:%")))
    with UnitOfWork(db_engine, Clock()) as uow:
        _ADD.defer(uow, {"chain": "t:a", "hash": "1"})
        counted.defer(uow, {}, seen.append)
        uow.commit()
    assert seen == [[{"n": 1}]]


def test_a_failed_check_fails_the_command_not_the_code_that_ran_the_next_statement(db_engine):
    """An ORM statement sends what waits first but leaves its checks for the unit's next
    precompiled statement or its commit: a handler whose savepoint happens to come next must not
    take the failure for its own (engine.services turns a handler's exception into an incident)."""
    with pytest.raises(Conflict, match="the row was not there"):
        with UnitOfWork(db_engine, Clock()) as uow:
            _ADD.defer(uow, {"chain": "t:a", "hash": "1"})
            _SET.defer(uow, {"b_chain": "t:missing", "hash": "x"}, _exactly_one)
            with uow.session.begin_nested():  # a handler's savepoint
                assert uow.session.scalar(select(func.count()).select_from(AuditHead)
                                          .where(AuditHead.chain == "t:a")) == 1
            uow.commit()
    assert _hashes(db_engine) == {}


def test_a_failed_check_caught_inside_a_savepoint_still_fails_the_commit(db_engine):
    """Whatever catches it (a handler's savepoint turns anything into the handler's failure), a
    unit whose check has failed never commits: the commit raises that failure again."""
    from polku.engine import audit

    with pytest.raises(Conflict, match="the row was not there"):
        with UnitOfWork(db_engine, Clock()) as uow:
            _ADD.defer(uow, {"chain": "t:a", "hash": "1"})
            _SET.defer(uow, {"b_chain": "t:missing", "hash": "x"}, _exactly_one)
            try:
                with uow.session.begin_nested():
                    audit.record_in_session(uow.session, uow.now, "system", "inside")  # a precompiled read
                    uow.session.scalar(select(func.count()).select_from(AuditHead))
            except Conflict:
                pass  # as engine.services would, turning it into a HandlerFailed
            audit.record(uow, "system", "after")
            uow.commit()
    assert _hashes(db_engine) == {}


def test_a_failed_deferred_write_caught_inside_a_savepoint_still_fails_the_commit(db_engine):
    _commit_first_row(db_engine)
    with pytest.raises(IntegrityError):
        with UnitOfWork(db_engine, Clock()) as uow:
            _ADD.defer(uow, {"chain": "t:b", "hash": "new"})
            _ADD.defer(uow, {"chain": "t:a", "hash": "a duplicate"})
            try:
                with uow.session.begin_nested():  # its SAVEPOINT sends what waits first
                    uow.session.scalar(select(func.count()).select_from(AuditHead))
            except IntegrityError:
                pass
            uow.commit()
    assert _hashes(db_engine) == {"t:a": "first"}


def test_a_service_handler_runs_only_after_the_steps_waiting_writes_passed_their_checks(db_engine):
    """A lost compare-and-set fails the step as itself, before the handler runs (a handler may act
    on another system), not as the handler's failure."""
    from polku.engine.services import ServiceCall, ServiceRegistry

    ran = []
    registry = ServiceRegistry()
    registry.register("probe", lambda call: ran.append(call.element_id) or {})
    with pytest.raises(Conflict, match="the row was not there"):
        with UnitOfWork(db_engine, Clock()) as uow:
            _SET.defer(uow, {"b_chain": "t:missing", "hash": "x"}, _exactly_one)
            registry.call("probe", ServiceCall(1, "probe_task", "probe", {}, uow.now, uow.session))
    assert ran == []
