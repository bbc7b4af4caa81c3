"""How units of work use their pooled connections (engine.db): a unit not committed keeps no
change, and on PostgreSQL one that only read ends with COMMIT so that psycopg keeps the statements
it has prepared (a ROLLBACK makes it forget them); a connection is pinged before reuse only after
being idle a while, and a dead one is replaced then without an error (issue 12: round trips per
step)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from polku.engine import db as dbmod
from polku.engine.clock import Clock
from polku.engine.db import UnitOfWork, is_unavailable, make_engine
from polku.engine.models import AuditHead


def _heads(engine) -> int:
    with UnitOfWork(engine, Clock(), write=False) as uow:
        return uow.session.scalar(select(func.count()).select_from(AuditHead))


@pytest.mark.parametrize("write", [True, False])
def test_a_unit_of_work_not_committed_keeps_no_change(db_engine, write):
    before = _heads(db_engine)
    with UnitOfWork(db_engine, Clock(), write=write) as uow:
        uow.session.execute(text("INSERT INTO audit_heads (chain, seq, hash) VALUES ('u:nobody', 1, 'x')"))
    with UnitOfWork(db_engine, Clock(), write=write) as uow:
        uow.session.add(AuditHead(chain="u:somebody", seq=1, hash="x"))  # added, never flushed
    assert _heads(db_engine) == before


@pytest.mark.postgres_only
def test_statements_stay_prepared_across_units_of_work_that_only_read(db_engine):
    for _ in range(8):  # psycopg prepares a statement on the server from its sixth run on
        _heads(db_engine)
    with UnitOfWork(db_engine, Clock(), write=False) as uow:
        names = uow.session.scalars(text("SELECT statement FROM pg_prepared_statements")).all()
    assert any("audit_heads" in s for s in names), names


def test_a_failed_unit_of_work_still_rolls_back(db_engine):
    before = _heads(db_engine)
    with pytest.raises(RuntimeError):
        with UnitOfWork(db_engine, Clock()) as uow:
            uow.session.execute(text("INSERT INTO audit_heads (chain, seq, hash) VALUES ('u:nobody', 1, 'x')"))
            raise RuntimeError("the command failed")
    assert _heads(db_engine) == before


@pytest.fixture
def own_engine(database_url):
    engine = make_engine(database_url)
    pings = []
    real_ping = engine.dialect.do_ping

    def counting_ping(dbapi_conn):
        pings.append(1)
        return real_ping(dbapi_conn)

    engine.dialect.do_ping = counting_ping
    yield engine, pings
    engine.dispose()


def _backend(engine) -> int:
    with UnitOfWork(engine, Clock(), write=False) as uow:
        return uow.session.scalar(text("SELECT pg_backend_pid()"))


def _kill(database_url, pid: int) -> None:
    other = make_engine(database_url)
    try:
        with other.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            conn.commit()
    finally:
        other.dispose()


@pytest.mark.postgres_only
def test_a_connection_in_use_moments_ago_is_not_pinged(own_engine):
    engine, pings = own_engine
    for _ in range(5):
        _backend(engine)
    assert pings == []


@pytest.mark.postgres_only
def test_a_dead_connection_idle_a_while_is_replaced_without_an_error(own_engine, database_url, monkeypatch):
    engine, pings = own_engine
    first = _backend(engine)
    _kill(database_url, first)
    monkeypatch.setattr(dbmod, "IDLE_BEFORE_PING", 0.0)  # as if it had been idle a while
    assert _backend(engine) != first
    assert pings == [1]


@pytest.mark.postgres_only
def test_a_dead_connection_in_use_moments_ago_fails_once_as_unavailable(own_engine, database_url):
    """What pinging at every checkout used to hide: the unit of work on the dead connection fails
    as an outage (the web's 503 page, a worker's next round), and the pool is renewed for the next."""
    engine, pings = own_engine
    first = _backend(engine)
    _kill(database_url, first)
    with pytest.raises(DBAPIError) as failed:
        _backend(engine)
    assert is_unavailable(failed.value)
    assert _backend(engine) != first
    assert pings == []
