"""Prepared statements for the step's hot path, run straight on the DBAPI cursor.

A Core statement is compiled once per dialect; executing it then costs a tuple of parameters
and one cursor call, instead of SQLAlchemy's per-execution machinery (≈4× the cost per
statement, see bench/step_overhead.py). Values still pass through each column type's own
bind and result processors, so UTC datetimes and JSON behave exactly as in the ORM. It runs on
the unit of work's own connection, inside its transaction.

Only plain bind parameters are supported (no expanding IN lists): those statements stay Core.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class _Plan:
    sql: str
    names: tuple[str, ...]  # parameter names in placeholder order
    positional: bool
    bind: tuple  # processor per name, or None
    defaults: tuple  # literal values the statement carries (e.g. state = 'ready')
    result: tuple  # processor per selected column, or None
    keys: tuple[str, ...]


class Row(dict):
    """A result row: mapping access and attribute access."""

    __getattr__ = dict.__getitem__


class Prepared:
    def __init__(self, statement):
        self.statement = statement
        self._plans: dict[str, _Plan] = {}

    def _plan(self, dialect) -> _Plan:
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

    def _params(self, plan: _Plan, values: dict):
        raw = [values.get(n, d) for n, d in zip(plan.names, plan.defaults)]
        converted = [v if p is None else p(v) for v, p in zip(raw, plan.bind)]
        return tuple(converted) if plan.positional else dict(zip(plan.names, converted))

    def _cursor(self, uow):
        conn = uow.connection()
        return conn.dialect, conn.connection.driver_connection.cursor()

    def run(self, uow, values: dict | None = None) -> int:
        """Execute; returns the row count."""
        dialect, cursor = self._cursor(uow)
        plan = self._plan(dialect)
        try:
            cursor.execute(plan.sql, self._params(plan, values or {}))
            return cursor.rowcount
        finally:
            cursor.close()

    def run_many(self, uow, rows: list[dict]) -> None:
        dialect, cursor = self._cursor(uow)
        plan = self._plan(dialect)
        try:
            cursor.executemany(plan.sql, [self._params(plan, r) for r in rows])
        finally:
            cursor.close()

    def all(self, uow, values: dict | None = None) -> list[Row]:
        dialect, cursor = self._cursor(uow)
        plan = self._plan(dialect)
        try:
            cursor.execute(plan.sql, self._params(plan, values or {}))
            fetched = cursor.fetchall()
        finally:
            cursor.close()
        return [
            Row(zip(plan.keys, (v if p is None else p(v) for v, p in zip(raw, plan.result))))
            for raw in fetched
        ]

    def first(self, uow, values: dict | None = None) -> Row | None:
        rows = self.all(uow, values)
        return rows[0] if rows else None
