"""Precompiled statements for the step's hot path.

A Core statement is compiled once per dialect; executing it then costs a tuple of parameters
and one cursor call. SQLAlchemy's own execution paths cost 2-4× more per statement here
(`exec_driver_sql` builds result metadata column by column for every select; Core `execute`
builds a cache key of the whole statement every time), which alone would push the step past
its budget (P1, see bench/step_overhead.py and docs/engine.md).

What makes this one way to the database rather than a second one:
- the cursor comes from the unit of work's SQLAlchemy connection, only while SQLAlchemy's
  transaction on it is active: after a failed flush the session raises PendingRollbackError
  instead, and on SQLite the driver is checked to be inside a transaction as well, so no
  statement can ever run in pysqlite's autocommit mode;
- SQLAlchemy's `before_cursor_execute` / `after_cursor_execute` events fire for every
  statement, as for its own, so listeners (statement counting, logging, tracing) see them all;
- a driver's error is raised as SQLAlchemy's, as from its own execution paths;
- values pass through each column type's own bind and result processors, so UTC datetimes and
  JSON behave exactly as in the ORM.

Only plain bind parameters are supported (no expanding IN lists): those statements stay Core.

Deferred writes (PostgreSQL). A write whose result nobody needs at once (`defer`) waits in the
unit of work and goes to the server in one pipeline (psycopg 3's pipeline mode) with the next
statement that needs an answer, or with the COMMIT: one round trip for several statements. Any
other statement on the connection, ORM or Core, first sends what waits (engine.db's
before_cursor_execute listener), so statements reach the server in the order the code issued
them. A deferred write may carry a check of its result (a row count, a compare-and-set's
outcome): checks run at the unit's next precompiled statement outside a savepoint, or before
its COMMIT, never inside an ORM statement or a service handler's savepoint (where the failure
would be taken for the handler's). A failed check or write stays failed until the unit ends:
its commit raises it again even if some code caught it, so the whole unit rolls back as if it
had been raised at once. On SQLite, where a statement is a function call and not a round trip,
`defer` runs the statement at once.
"""
from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import InvalidRequestError

if TYPE_CHECKING:
    from .db import UnitOfWork

_Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class Deferred:
    """A write waiting in its unit of work; `check` sees its result (row count, or rows for a
    statement that returns rows) and raises if it is not what the code expected."""

    prepared: Prepared
    values: Any
    many: bool
    check: Callable[[Any], None] | None


@dataclass(frozen=True)
class _Plan:
    sql: str
    names: tuple[str, ...]  # parameter names in placeholder order
    positional: bool
    bind: tuple[_Processor, ...]  # processor per name, or None
    defaults: tuple[Any, ...]  # literal values the statement carries (e.g. state = 'ready')
    result: tuple[_Processor, ...]  # processor per selected column, or None
    keys: tuple[str, ...]


class Row(dict[str, Any]):
    """A result row: mapping access and attribute access."""

    __getattr__ = dict.__getitem__


class Prepared:
    def __init__(self, statement: Any):
        self.statement = statement
        self._plans: dict[str, _Plan] = {}

    def _plan(self, dialect: Any) -> _Plan:
        plan = self._plans.get(dialect.name)
        if plan is None:
            compiled = self.statement.compile(dialect=dialect)
            names = tuple(compiled.positiontup) if compiled.positional else tuple(compiled.binds)
            bind = tuple(compiled.binds[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names)
            defaults = tuple(compiled.binds[n].effective_value for n in names)
            columns = list(getattr(self.statement, "selected_columns", ()))
            result = tuple(c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns)
            plan = _Plan(compiled.string, names, compiled.positional, bind, defaults, result,
                         tuple(c.key for c in columns))
            self._plans[dialect.name] = plan
        return plan

    @staticmethod
    def _params(plan: _Plan, values: dict[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        converted = [
            v if p is None else p(v)
            for v, p in zip([values.get(n, d) for n, d in zip(plan.names, plan.defaults)], plan.bind)
        ]
        return tuple(converted) if plan.positional else dict(zip(plan.names, converted))

    def _execute(self, uow: UnitOfWork, values: Any, many: bool = False) -> tuple[_Plan, Any]:
        """Run on the unit of work's connection, inside its transaction; returns the open cursor.
        What waits in the unit goes first, in the same pipeline."""
        conn = uow.connection()  # raises PendingRollbackError once the transaction is gone
        dialect = conn.dialect
        # The DBAPI connection: untyped, and None only once the connection has been closed.
        driver: Any = conn.connection.driver_connection
        if dialect.name == "sqlite" and not driver.in_transaction:
            # SQLAlchemy believes in a transaction the database no longer has (SQLite rolls
            # back by itself on some errors): writing now would commit on its own.
            raise InvalidRequestError("the unit of work's transaction was rolled back by the database")
        # Inside a savepoint (a service handler's) checks wait for the step itself: a failed one
        # must fail the command, not be caught as the handler's failure (engine.services).
        check = not conn.in_nested_transaction()
        if pending(conn):
            result: list[tuple[_Plan, Any]] = []
            try:
                send_waiting(conn, then=lambda: result.append(self._send(conn, driver, values, many)), check=check)
            except BaseException:
                if result:
                    result[0][1].close()
                raise
            return result[0]
        if check:
            settle(conn)  # writes sent before another statement: checked before this one's answer is used
        return self._send(conn, driver, values, many)

    def _send(self, conn: Any, driver: Any, values: Any, many: bool) -> tuple[_Plan, Any]:
        dialect = conn.dialect
        plan = self._plan(dialect)
        params = [self._params(plan, v) for v in values] if many else self._params(plan, values)
        cursor = driver.cursor()
        sql = plan.sql
        events = conn.dispatch
        if events.before_cursor_execute:
            # As SQLAlchemy does: each listener may return a rewritten statement and parameters
            # (listeners registered without retval=True are wrapped to hand them back as given).
            for listener in events.before_cursor_execute:
                sql, params = listener(conn, cursor, sql, params, None, many)
        try:
            if many:
                cursor.executemany(sql, params)
            else:
                cursor.execute(sql, params)
        except dialect.loaded_dbapi.Error as error:
            cursor.close()
            # As SQLAlchemy's own execution does: the driver's error becomes SQLAlchemy's
            # (OperationalError, IntegrityError...), a lost connection is invalidated, and error
            # events fire, so callers (the 503 page, the workers' retry of a database error)
            # see one kind of exception whichever path ran the statement.
            conn._handle_dbapi_exception(error, sql, params, cursor, None)
        except BaseException:
            cursor.close()
            raise
        if events.after_cursor_execute:
            events.after_cursor_execute(conn, cursor, sql, params, None, many)
        return plan, cursor

    def defer(self, uow: UnitOfWork, values: dict[str, Any] | list[dict[str, Any]],
              check: Callable[[Any], None] | None = None, *, many: bool = False) -> None:
        """A write sent with the unit's next statement or its COMMIT (PostgreSQL), or at once
        (SQLite); `check` gets its row count (or its rows, when it returns rows)."""
        if many and not values:
            return
        conn = uow.connection()
        if conn.dialect.name != "postgresql":
            _plan, cursor = self._execute(uow, values, many)
            try:
                outcome = self._outcome(conn.dialect, cursor)
            finally:
                cursor.close()
            if check is not None:
                check(outcome)
            return
        _WAITING.setdefault(conn, []).append(Deferred(self, values, many, check))

    def _outcome(self, dialect: Any, cursor: Any) -> Any:
        if cursor.description is None:
            return int(cursor.rowcount)
        return self._rows(self._plan(dialect), cursor.fetchall())

    @staticmethod
    def _rows(plan: _Plan, fetched: list[Any]) -> list[Row]:
        keys, processors = plan.keys, plan.result
        return [Row(zip(keys, (v if p is None else p(v) for v, p in zip(raw, processors)))) for raw in fetched]

    def run(self, uow: UnitOfWork, values: dict[str, Any] | None = None) -> int:
        """Execute; returns the row count."""
        _plan, cursor = self._execute(uow, values or {})
        try:
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def run_many(self, uow: UnitOfWork, rows: list[dict[str, Any]]) -> None:
        if rows:
            self._execute(uow, rows, many=True)[1].close()

    def all(self, uow: UnitOfWork, values: dict[str, Any] | None = None) -> list[Row]:
        plan, cursor = self._execute(uow, values or {})
        try:
            fetched = cursor.fetchall()
        finally:
            cursor.close()
        return self._rows(plan, fetched)

    def first(self, uow: UnitOfWork, values: dict[str, Any] | None = None) -> Row | None:
        rows = self.all(uow, values)
        return rows[0] if rows else None


# Per SQLAlchemy connection: the writes waiting; the checks of writes already sent whose outcome
# has not been checked yet; and the first failure of a check or of a waiting write, kept so that
# the unit can never commit once one has failed, even where the code that saw it caught it (a
# handler's savepoint turns whatever it meets into the handler's failure). A Connection object
# lives for one checkout from the pool, so nothing here can outlive its unit of work; keyed
# weakly, and never through the connection's own attributes (an invalidated one raises).
_WAITING: weakref.WeakKeyDictionary[Any, list[Deferred]] = weakref.WeakKeyDictionary()
_UNCHECKED: weakref.WeakKeyDictionary[Any, list[tuple[Callable[[Any], None], Any]]] = weakref.WeakKeyDictionary()
_FAILED: weakref.WeakKeyDictionary[Any, BaseException] = weakref.WeakKeyDictionary()


def pending(conn: Any) -> list[Deferred]:
    return _WAITING.get(conn) or []


def forget(conn: Any) -> None:
    _WAITING.pop(conn, None)
    _UNCHECKED.pop(conn, None)
    _FAILED.pop(conn, None)


def raise_failed(conn: Any) -> None:
    """Raise again the failure of a check or a waiting write on this connection, if one failed."""
    failed = _FAILED.get(conn)
    if failed is not None:
        raise failed


def settle(conn: Any) -> None:
    """Run the checks of writes already sent (see `send_waiting`); the first that fails raises,
    and stays raised (`raise_failed`)."""
    for check, outcome in _UNCHECKED.pop(conn, None) or []:
        try:
            check(outcome)
        except BaseException as exc:
            _FAILED.setdefault(conn, exc)
            raise


def send_waiting(conn: Any, then: Callable[[], None] | None = None, *, check: bool = True) -> None:
    """Send the connection's waiting writes in one pipeline, and `then` (the statement that
    needs its answer now, or the COMMIT) in the same one; then run the writes' checks.

    With `check=False` (another statement is about to run: an ORM or Core one, maybe a
    handler's inside its savepoint) the outcomes are kept and checked at the unit's next
    precompiled statement or its commit (`settle`): a failed check must fail the command, not
    be taken for the failure of whatever code happened to issue the next statement."""
    waiting = _WAITING.pop(conn, None) or []
    if not waiting:
        if then is not None:
            then()
        if check:
            settle(conn)
        return
    driver: Any = conn.connection.driver_connection
    sent: list[tuple[Deferred, Any]] = []
    try:
        with driver.pipeline():
            for item in waiting:
                sent.append((item, item.prepared._send(conn, driver, item.values, item.many)[1]))
            if then is not None:
                then()
        outcomes = _UNCHECKED.setdefault(conn, [])
        outcomes += [(item.check, item.prepared._outcome(conn.dialect, cursor))
                     for item, cursor in sent if item.check is not None]
    except conn.dialect.loaded_dbapi.Error as error:
        # Raised at the pipeline's sync: which statement failed, the driver does not say.
        try:
            conn._handle_dbapi_exception(error, "; ".join(i.prepared._plan(conn.dialect).sql for i in waiting),
                                         None, None, None)
        except BaseException as wrapped:
            _FAILED.setdefault(conn, wrapped)
            raise
    finally:
        for _item, cursor in sent:
            cursor.close()
    if check:
        settle(conn)
