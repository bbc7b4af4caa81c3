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
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import InvalidRequestError

if TYPE_CHECKING:
    from .db import UnitOfWork

_Processor = Callable[[Any], Any] | None


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
        """Run on the unit of work's connection, inside its transaction; returns the open cursor."""
        conn = uow.connection()  # raises PendingRollbackError once the transaction is gone
        dialect = conn.dialect
        # The DBAPI connection: untyped, and None only once the connection has been closed.
        driver: Any = conn.connection.driver_connection
        if dialect.name == "sqlite" and not driver.in_transaction:
            # SQLAlchemy believes in a transaction the database no longer has (SQLite rolls
            # back by itself on some errors): writing now would commit on its own.
            raise InvalidRequestError("the unit of work's transaction was rolled back by the database")
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
        keys, processors = plan.keys, plan.result
        return [Row(zip(keys, (v if p is None else p(v) for v, p in zip(raw, processors)))) for raw in fetched]

    def first(self, uow: UnitOfWork, values: dict[str, Any] | None = None) -> Row | None:
        rows = self.all(uow, values)
        return rows[0] if rows else None
