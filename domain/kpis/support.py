"""What every KPI module shares: the scope (area, range, provider), the case set as SQL, and the
shape of a figure (``Row``: one line of a table, one value per provider column and the area total).

Days are Europe/Helsinki days (``deadlines.SERVICE_TZ``); an instant is in the range when it falls
on one of its days: ``[start of from, start of the day after to)``.

Statistics, fixed here so that a hand count gives the same number: the median of an even count is
the mean of the two middle values; the 90th percentile is the nearest rank (the value at position
``ceil(0.9 n)`` of the sorted values); a share is ``None`` when its denominator is 0.

The cases behind a number (``Row.cases``, per column): every figure is built from items that carry
their case, and the same pass that counts them collects their cases, so the list of cases a number
links to (``links``) cannot drift from the number. What each row's cases are:

- a count: the cases of the things counted. Where the thing is the case (referrals, closures,
  outcomes, second periods, start notifications, rule breaches, period counts: a case has one first
  and one second period) the list's total is the number; where it is something else (clients, goals,
  client-weeks, interrupted periods, tasks, redirection notices) it is the cases those belong to;
- a share or a rate: its numerator's cases (what makes it more than 0; the denominator is the row
  counting it, with its own link);
- a mean, median, percentile or capacity used: the cases whose values it is computed from.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.sql import Select

from polku.engine.models import Instance, InstanceOrganisation

from ..casefile import CASE_PROCESS
from ..deadlines import SERVICE_TZ
from ..models import Client, Period

TOTAL = None  # the key of the area total among a row's values


@dataclass(frozen=True)
class Scope:
    """One dashboard: an employment area (None: every area, for admins), a range of days, and
    optionally one provider (then the only column, and the total is that provider's)."""

    start: date
    end: date
    area_id: int | None = None
    provider_id: int | None = None

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time(), SERVICE_TZ)

    @property
    def end_at(self) -> datetime:
        """The first instant after the range."""
        return datetime.combine(self.end + timedelta(days=1), time(), SERVICE_TZ)

    def days(self) -> int:
        return (self.end - self.start).days + 1

    def cases(self) -> Select:
        """The ids of the area's job-coaching cases (a subquery for ``in_``)."""
        query = select(Instance.id).where(Instance.process_key == CASE_PROCESS)
        if self.area_id is not None:
            query = query.where(exists().where(InstanceOrganisation.instance_id == Instance.id,
                                               InstanceOrganisation.organisation_id == self.area_id))
        return query

    def provider_ok(self, provider_id: int | None) -> bool:
        return self.provider_id is None or provider_id == self.provider_id


@dataclass
class Row:
    """One figure: ``values`` per provider id, and ``TOTAL`` (None) for the area."""

    code: str
    unit: str  # count | share | days | percent | rate
    values: dict[int | None, Any] = field(default_factory=dict)
    cases: dict[int | None, frozenset[int]] = field(default_factory=dict)  # the cases behind each value


@dataclass
class Kpi:
    key: str
    rows: list[Row]
    cases: list[int] = field(default_factory=list)  # listed with the figure (rule breaches)
    names: dict[str, str] = field(default_factory=dict)  # row codes' names as recorded (task steps)
    fixed_rows: bool = True  # False: rows named by what was found (steps), a row not there counts nothing

    def row(self, code: str) -> Row | None:
        return next((r for r in self.rows if r.code == code), None)


def local_day(at: datetime) -> date:
    return at.astimezone(SERVICE_TZ).date()


def median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered, n = sorted(values), len(values)
    middle = n // 2
    return float(ordered[middle]) if n % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def p90(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return float(ordered[math.ceil(0.9 * len(ordered)) - 1])


def mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def share(part: int | None, whole: int | None) -> float | None:
    return part / whole if part is not None and whole else None


@dataclass
class Groups:
    """Values by provider column and all of them under TOTAL, with the cases they come from."""

    values: dict[int | None, list[Any]]
    cases: dict[int | None, frozenset[int]]


def _columns(providers: list[int]) -> list[int | None]:
    return [*providers, TOTAL]


def grouped(items: Iterable[tuple[int | None, Any, int]], providers: list[int]) -> Groups:
    """Items are (provider, value, case): each value in its provider's column (if shown) and in TOTAL."""
    values: dict[int | None, list[Any]] = {p: [] for p in _columns(providers)}
    cases: dict[int | None, set[int]] = {p: set() for p in _columns(providers)}
    for provider, value, case_id in items:
        for column in {provider, TOTAL}:
            if column in values:
                values[column].append(value)
                cases[column].add(case_id)
    return Groups(values, {k: frozenset(v) for k, v in cases.items()})


def stat_row(code: str, unit: str, groups: Groups, fn: Callable[[list[Any]], Any]) -> Row:
    return Row(code, unit, {key: fn(values) for key, values in groups.values.items()}, groups.cases)


def count_rows(items: Iterable[tuple[int | None, str, Hashable, int]], providers: list[int], codes: Iterable[str],
               total_code: str | None = "total", shares: bool = False) -> list[Row]:
    """Distinct things counted per code: items are (provider, code, thing, case). With ``total_code``
    a first row counts the distinct things over all codes; with ``shares`` each code also gets a
    share-of-the-total row (``<code>_share``, behind it the code's cases)."""
    codes = list(codes)
    columns = _columns(providers)
    keys = [None, *codes]  # None: every code (the total)
    things = {k: {p: set() for p in columns} for k in keys}
    cases: dict[str | None, dict[int | None, set[int]]] = {k: {p: set() for p in columns} for k in keys}
    for provider, item_code, thing, case_id in items:  # one pass: an area's month holds 100,000 items
        for column in {provider, TOTAL}:
            if column in things[None]:
                for key in (None, item_code) if item_code in things else (None,):
                    things[key][column].add(thing)
                    cases[key][column].add(case_id)

    def distinct(code: str | None) -> tuple[dict[int | None, int], dict[int | None, frozenset[int]]]:
        return {k: len(s) for k, s in things[code].items()}, {k: frozenset(s) for k, s in cases[code].items()}

    whole, _all = distinct(None)
    rows = [Row(total_code, "count", whole, _all)] if total_code else []
    for code in codes:
        counts, behind = distinct(code)
        rows.append(Row(code, "count", counts, behind))
        if shares:
            rows.append(Row(f"{code}_share", "share", {k: share(v, whole[k]) for k, v in counts.items()}, behind))
    return rows


def overlapping_periods(uow, scope: Scope) -> list[Any]:
    """The area's periods whose ``[actual_start, actual_end or ∞)`` overlaps the range, with the
    client's language (every provider: callers keep the chosen one). Read once per unit of work and
    range: four figures use them, and the dashboard's unit of work changes nothing."""
    memo = uow.session.info.setdefault("kpi_periods", {})
    key = (scope.start, scope.end, scope.area_id)
    if key not in memo:
        memo[key] = _overlapping_periods(uow, scope)
    return memo[key]


def _overlapping_periods(uow, scope: Scope) -> list[Any]:
    return list(uow.session.execute(
        select(Period.id, Period.instance_id, Period.client_id, Period.provider_organisation_id, Period.actual_start,
               Period.actual_end, Client.language)
        .join(Client, Client.id == Period.client_id)
        .where(Period.instance_id.in_(scope.cases()), Period.actual_start.is_not(None),
               Period.actual_start <= scope.end,
               or_(Period.actual_end.is_(None), Period.actual_end >= scope.start))).all())
