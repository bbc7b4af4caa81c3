"""Database engine and the unit of work: one transaction, one commit, per command."""
from __future__ import annotations

import sqlite3
import time
import weakref
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

from sqlalchemy import create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, CursorResult, Engine
from sqlalchemy.exc import ArgumentError, DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from . import prepared
from .clock import Clock
from .errors import Conflict, ValidationFailed

URL_FORMS = "sqlite:///PATH or postgresql+psycopg://USER@HOST/DATABASE"


def make_engine(url: str) -> Engine:
    """An Engine configured for how Polku uses each database.

    SQLite: WAL (readers do not block the writer), a busy timeout, and BEGIN IMMEDIATE for
    write units of work, so that two writers queue instead of failing to upgrade a read lock.
    """
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme not in ("sqlite", "postgresql") and not scheme.startswith("postgresql+"):
        # Only the scheme is quoted: the rest of a URL may hold a password.
        raise ValidationFailed(f"database URL: unsupported scheme {scheme!r}: use {URL_FORMS}"
                               if scheme else f"database URL: not a URL: use {URL_FORMS}",
                               {"database_url": "unsupported scheme"})
    try:
        if scheme == "sqlite":
            path = url.split("///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
            _configure_sqlite(engine)
            return engine
        engine = create_engine(url)
        _ping_when_idle(engine)
        event.listen(engine, "before_cursor_execute", _before_statement)
        return engine
    except (ArgumentError, ImportError, ValueError) as exc:  # a driver not installed, a malformed URL
        raise ValidationFailed(f"database URL: {scheme}:// cannot be used: {type(exc).__name__}",
                               {"database_url": "unusable"}) from exc
    except OSError as exc:  # the SQLite file's folder cannot be made
        raise ValidationFailed(f"database URL: cannot make the folder of the SQLite file: {exc.strerror}",
                               {"database_url": "unusable"}) from exc


# A pooled connection unused for this long is pinged before it is handed out again.
IDLE_BEFORE_PING = 2.0  # seconds


def _ping_when_idle(engine: Engine) -> None:
    """SQLAlchemy's pool_pre_ping, but only for a connection that has been idle a while.

    A ping is a round trip (";" in autocommit on psycopg): pinging at every checkout cost a busy
    process one more round trip per unit of work, about a tenth of a step. Under load every
    connection is back in use within moments, and a server restarted in between is still
    noticed: the first statement on a dead connection fails as a disconnect, which invalidates
    the whole pool, and that request answers 503 (web.errors) like any other outage. After a
    quiet while, when a restart is likelier to have happened unseen, the ping finds a dead
    connection first and the pool replaces it without anyone seeing an error."""

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_conn: Any, record: Any) -> None:
        record.info["polku_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("polku_idle_since")
        if since is None or time.monotonic() - since < IDLE_BEFORE_PING:
            return  # a new connection, or one in use moments ago
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as exc:
            # The pool invalidates this connection and checks out a fresh one (up to three times).
            raise DisconnectionError("a pooled connection no longer answers") from exc


def _before_statement(conn: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
    if prepared.pending(conn):
        # Writes deferred by engine.prepared go first, in order; their checks wait (see there).
        prepared.send_waiting(conn, check=False)
    if not statement.startswith("SELECT"):
        _WROTE.add(conn)


# The connections (one per unit of work's checkout) whose transaction sent anything but a SELECT.
_WROTE: weakref.WeakSet[Connection] = weakref.WeakSet()


def sent_writes(conn: Connection) -> bool:
    """Whether the transaction on this PostgreSQL connection sent anything but a SELECT."""
    return conn in _WROTE


# SQLite reports "no such table", "no such column" and syntax errors as OperationalError too: those
# are bugs or a deploy that skipped init-db, not an outage. Only these mean the file cannot be used now.
_SQLITE_UNAVAILABLE = ("database is locked", "database table is locked", "disk i/o error",
                       "unable to open database file")


def is_unavailable(exc: BaseException) -> bool:
    """Whether a database error means the database cannot be reached (or used) right now: refused
    connections, a server gone away mid-request, an SQLite file that is locked or cannot be opened
    or read, a full pool. Nothing of the request was committed; trying again later may work. The one
    classification of connection-level errors: the web's 503 page (web.errors) and a service
    handler's transient failure (engine.services.transient) both use it. A missing table or column
    is not one of them: a bug, or a deploy that skipped init-db (a 500, logged)."""
    if isinstance(exc, SQLAlchemyTimeoutError) or (isinstance(exc, DBAPIError) and exc.connection_invalidated):
        return True
    if not isinstance(exc, (OperationalError, InterfaceError)):
        return False
    if isinstance(exc.orig, sqlite3.Error):  # on PostgreSQL every OperationalError is connection-level
        message = str(exc.orig).lower()
        return any(m in message for m in _SQLITE_UNAVAILABLE)
    return True


def make_memory_engine() -> Engine:
    """A private SQLite database in memory, configured as `make_engine` configures a file's: one
    connection for the engine's life, since every new connection to `sqlite://` is a new, empty
    database (scenario runs: engine/scenario_run.py)."""
    engine = create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
    _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control from pysqlite so BEGIN can be IMMEDIATE when we write.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("polku_write") and "IMMEDIATE" or "DEFERRED"
        # Straight to the driver: this runs once per unit of work, on the hot path.
        conn.connection.driver_connection.execute(f"BEGIN {mode}")  # type: ignore[union-attr]


class ReadAuditSink(Protocol):
    """Where a reading unit's audit rows go (engine.read_audit.ReadAudit)."""

    def submit(self, rows: list[dict[str, Any]]) -> None: ...


class UnitOfWork:
    """A context manager around one Session; rolls back unless `commit()` was called (on
    PostgreSQL a unit that sent only SELECTs ends with COMMIT instead: see __exit__).

    Inner code only flushes. `now` is the command's one instant, read from the clock the entry
    point passes in: every row the command writes carries the same time. `origin` (where the
    command came from) travels with it for the audit trail; nothing else does:
    commands that run workflows take the runtime as an argument of their own.
    """

    def __init__(self, engine: Engine, clock: Clock, write: bool = True, origin: str = "",
                 read_audit: ReadAuditSink | None = None):
        self._engine = engine
        # With a sink (engine.read_audit), audit.record keeps this unit's rows and `commit` hands
        # them over after the unit's own commit: a page that only reads then never writes itself.
        self._read_audit = read_audit
        self.pending_reads: list[dict[str, Any]] | None = [] if read_audit is not None else None
        self.clock = clock
        self.write = write
        # Where the command came from, for its audit rows: the client address, "cli", "worker".
        self.origin = origin
        # A Session connects only when first used: making it here costs nothing.
        self.session = Session(bind=engine, expire_on_commit=False, autoflush=False)
        self._conn: Connection | None = None
        self.now: datetime = clock.now()

    def __enter__(self) -> UnitOfWork:
        if self.write:
            # Procure the connection now, flagged, so SQLite's BEGIN is IMMEDIATE.
            self._conn = self.session.connection(execution_options={"polku_write": True})
        # One instant per command: every row this command writes carries the same time.
        self.now = self.clock.now()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            conn = self._conn
            if conn is not None:
                prepared.forget(conn)  # writes deferred and not sent go with the rollback
            if exc is None and self._only_read():
                # COMMIT, not ROLLBACK: psycopg forgets every statement it has prepared on the
                # connection at a ROLLBACK (and deallocates them: one more round trip), so a
                # rolled-back read on every request left the server parsing and planning each
                # statement of the next step afresh. Nothing was written: it ends the same.
                self.session.commit()
            else:
                self.session.rollback()
        finally:
            self.session.close()
        if isinstance(exc, OperationalError) and _is_lock_error(exc):
            raise Conflict("the database is busy with another change to the same data; try again") from exc

    def _only_read(self) -> bool:
        """Whether this unit's transaction, on PostgreSQL, sent only SELECTs (conservatively: a
        WITH or a SAVEPOINT counts as a write) and its session holds no change it would flush."""
        session = self.session
        transaction = session.get_transaction()
        if self._engine.dialect.name != "postgresql" or transaction is None or not transaction.is_active:
            return False  # SQLite; no transaction; or one a failed flush has already rolled back
        if session.new or session.dirty or session.deleted:
            return False
        return not sent_writes(session.connection())

    def connection(self) -> Connection:
        """The session's connection, inside this unit's transaction. Once that transaction is
        gone (a failed flush rolls it back) the session is asked again and raises
        PendingRollbackError: a statement must never start a transaction of its own, let alone
        run in the driver's autocommit mode."""
        conn = self._conn
        if conn is None or not conn.in_transaction():
            conn = self._conn = self.session.connection()
        return conn

    def execute(self, statement: Any, params: Any = None) -> CursorResult[Any]:
        """Core execution on this unit's connection. Prebuilt statements with bind
        parameters: building and ORM-executing a statement each time costs ~5x more."""
        return self.connection().execute(statement, params)

    def commit(self) -> None:
        try:
            self._send_waiting_with_commit()
            self.session.commit()
        except OperationalError as exc:
            if _is_lock_error(exc):
                raise Conflict("the database is busy with another change to the same data; try again") from exc
            raise
        if self._read_audit is not None and self.pending_reads:
            rows, self.pending_reads = self.pending_reads, []
            self._read_audit.submit(rows)  # returns once they are committed

    def _send_waiting_with_commit(self) -> None:
        """The writes still waiting (engine.prepared.Deferred) and the COMMIT in one round trip,
        when none of them has a check that must pass before committing; every check of a
        write sent earlier runs first. The session's own changes go first, as its commit would
        send them; SQLAlchemy's commit that follows then finds the driver's transaction ended
        and sends nothing."""
        if self._engine.dialect.name != "postgresql" or not self.session.in_transaction():
            return
        # The session's connection, whichever path procured it (a handler's audit rows come
        # through the session: engine.audit.record_in_session).
        conn = self.session.connection()
        prepared.raise_failed(conn)
        prepared.settle(conn)
        if not prepared.pending(conn):
            return
        self.session.flush()
        prepared.raise_failed(conn)
        prepared.settle(conn)  # the flush may have sent them, unchecked
        waiting = prepared.pending(conn)
        if not waiting:
            return
        if any(item.check is not None for item in waiting):
            prepared.send_waiting(conn)
            return
        driver: Any = conn.connection.driver_connection
        prepared.send_waiting(conn, then=driver.commit)


def _is_lock_error(exc: OperationalError) -> bool:
    text = str(exc.orig).lower()
    return "database is locked" in text or "deadlock detected" in text or "could not serialize" in text


def upsert_insert(bind: Engine | Connection | Session, table: Any) -> Any:
    """An INSERT of the database's own dialect, the one that has ``on_conflict_do_update`` and
    ``on_conflict_do_nothing`` (both SQLite and PostgreSQL have them, under one name each)."""
    engine = bind.get_bind() if isinstance(bind, Session) else bind
    return (postgresql if engine.dialect.name == "postgresql" else sqlite).insert(table)
