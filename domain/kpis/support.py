"""What every KPI module shares: the scope (area, range, provider), the case set as SQL, and the
shape of a figure (``Row``: one line of a table, one value per provider column and the area total).

Days are Europe/Helsinki days (``deadlines.SERVICE_TZ``); an instant is in the range when it falls
on one of its days: ``[start of from, start of the day after to)``.

Statistics, fixed here so that a hand count gives the same number: the median of an even count is
the mean of the two middle values; the 90th percentile is the nearest rank (the value at position
``ceil(0.9 n)`` of the sorted values); a share is ``None`` when its denominator is 0.

The cases behind a number (``Row.cases``, per column): every figure is built from items that carry
their case, and the cases are collected from the very items the number was counted from, so the
list of cases a number links to (``links``) cannot drift from the number. The page shows numbers
only and a link resolves one row, so a row keeps its items and collects its cases on first use
(``CaseSets``): the page does not build a set per row and column that nobody reads. What each
row's cases are:

- a count: the cases of the things counted. Where the thing is the case (referrals, closures,
  outcomes, second periods, start notifications, rule breaches, period counts: a case has one first
  and one second period) the list's total is the number; where it is something else (clients, goals,
  client-weeks, interrupted periods, tasks, redirection notices) it is the cases those belong to;
- a share or a rate: its numerator's cases (what makes it more than 0; the denominator is the row
  counting it, with its own link);
- a mean, median, percentile or capacity used: the cases whose values it is computed from.

What several figures read (the periods around the range, its closures, its referrals) is read once
per unit of work, range and area (``once``): the dashboard's unit of work changes nothing, and each
figure keeps what its definition says from the shared rows.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import and_, exists, or_, select, true
from sqlalchemy.sql import ColumnElement

from polku.engine.access import organisation_instances
from polku.engine.models import InstanceOrganisation

from ..deadlines import SERVICE_TZ
from ..models import Client, Period, Referral

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

    def owns(self, instance_id: ColumnElement[int]) -> ColumnElement[bool]:
        """Whether a case's own record (a period, referral, closure or redirection: rows that only
        the job-coaching case's handlers write, so their instance is a case) is the area's. Asked
        of the area's instance list alone (``instance_organisations`` by organisation, read from
        its index), never of the instances: their rows are kilobytes, and checking the process of
        the area's 12,500 cases at 100,000 was most of each read. Every area: every record."""
        if self.area_id is None:
            return true()
        return instance_id.in_(organisation_instances(self.area_id))

    def holds(self, instance_id: ColumnElement[int]) -> ColumnElement[bool]:
        """Whether the row's instance is the area's, asked row by row: for rows found through
        another index (human tasks open at the range's end), where the area's whole case list would
        cost more than the rows. That it is a job-coaching case the caller asks by joining the
        case's referral (a record only the case's handlers write): never through ``instances``,
        whose kilobyte rows PostgreSQL then hashed for the whole area (40 ms at 100,000 cases)."""
        if self.area_id is None:
            return true()
        return exists().where(InstanceOrganisation.instance_id == instance_id,
                              InstanceOrganisation.organisation_id == self.area_id)

    def provider_ok(self, provider_id: int | None) -> bool:
        return self.provider_id is None or provider_id == self.provider_id


class CaseSets(Mapping[int | None, frozenset[int]]):
    """A row's cases per column, collected by `collect` when first asked for."""

    def __init__(self, collect: Callable[[], dict[int | None, frozenset[int]]]):
        self._collect: Callable[[], dict[int | None, frozenset[int]]] | None = collect
        self._sets: dict[int | None, frozenset[int]] = {}

    def _found(self) -> dict[int | None, frozenset[int]]:
        if self._collect is not None:
            self._sets, self._collect = self._collect(), None
        return self._sets

    def __getitem__(self, column: int | None) -> frozenset[int]:
        return self._found()[column]

    def __iter__(self) -> Iterator[int | None]:
        return iter(self._found())

    def __len__(self) -> int:
        return len(self._found())


@dataclass
class Row:
    """One figure: ``values`` per provider id, and ``TOTAL`` (None) for the area."""

    code: str
    unit: str  # count | share | days | percent | rate
    values: dict[int | None, Any] = field(default_factory=dict)
    cases: Mapping[int | None, frozenset[int]] = field(default_factory=dict)  # the cases behind each value


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
    cases: Mapping[int | None, frozenset[int]]


def _columns(providers: list[int]) -> list[int | None]:
    return [*providers, TOTAL]


def _columns_of(providers: list[int]) -> Callable[[int | None], tuple[int | None, ...]]:
    """An item's columns by its provider: its provider's (if shown) and TOTAL."""
    shown: dict[int | None, tuple[int | None, ...]] = {p: (p, TOTAL) for p in providers}
    total: tuple[int | None, ...] = (TOTAL,)
    return lambda provider: shown.get(provider, total)


def grouped(items: Iterable[tuple[int | None, Any, int]], providers: list[int]) -> Groups:
    """Items are (provider, value, case): each value in its provider's column (if shown) and in TOTAL."""
    items = list(items)
    columns_of = _columns_of(providers)
    values: dict[int | None, list[Any]] = {p: [] for p in _columns(providers)}
    for provider, value, _case in items:
        for column in columns_of(provider):
            values[column].append(value)

    def cases() -> dict[int | None, frozenset[int]]:
        found: dict[int | None, set[int]] = {p: set() for p in values}
        for provider, _value, case_id in items:
            for column in columns_of(provider):
                found[column].add(case_id)
        return {k: frozenset(v) for k, v in found.items()}
    return Groups(values, CaseSets(cases))


def stat_row(code: str, unit: str, groups: Groups, fn: Callable[[list[Any]], Any]) -> Row:
    return Row(code, unit, {key: fn(values) for key, values in groups.values.items()}, groups.cases)


def count_rows(items: Iterable[tuple[int | None, str, Hashable, int]], providers: list[int], codes: Iterable[str],
               total_code: str | None = "total", shares: bool = False) -> list[Row]:
    """Distinct things counted per code: items are (provider, code, thing, case). With ``total_code``
    a first row counts the distinct things over all codes; with ``shares`` each code also gets a
    share-of-the-total row (``<code>_share``, behind it the code's cases)."""
    items, codes = list(items), list(codes)
    columns = _columns(providers)
    things = _Distinct(items, 2)
    cases = cache(lambda: _Distinct(items, 3))  # the cases, when a link first asks

    def distinct(code: str | None) -> tuple[dict[int | None, int], CaseSets]:
        return ({p: len(things.get(code, p)) for p in columns},
                CaseSets(lambda: {p: frozenset(cases().get(code, p)) for p in columns}))

    whole, _all = distinct(None)
    rows = [Row(total_code, "count", whole, _all)] if total_code else []
    for code in codes:
        counts, behind = distinct(code)
        rows.append(Row(code, "count", counts, behind))
        if shares:
            rows.append(Row(f"{code}_share", "share", {k: share(v, whole[k]) for k, v in counts.items()}, behind))
    return rows


class _Distinct:
    """The distinct values at `index` of the items, per (code or None: every code; provider column or
    TOTAL: every provider). One pass sorts each item into its (code, provider) set; a code's or a
    column's set over all the others is then a union of those sets (an area's month holds 100,000
    items: adding each to its four sets one by one was most of the dashboard's Python time)."""

    def __init__(self, items: list[tuple[int | None, str, Hashable, int]], index: int):
        self._sets: dict[tuple[str, int | None], set[Hashable]] = {}
        for item in items:
            key = (item[1], item[0])
            found = self._sets.get(key)
            if found is None:
                found = self._sets[key] = set()
            found.add(item[index])
        self._made: dict[tuple[str | None, int | None], set[Hashable]] = {}
        self._parts: dict[tuple[str | None, int | None], list[set[Hashable]]] = {}
        for (code, provider), values in self._sets.items():  # what each wider set is the union of
            for key in ((code, TOTAL), (None, provider), (None, TOTAL)):
                self._parts.setdefault(key, []).append(values)

    def get(self, code: str | None, column: int | None) -> set[Hashable]:
        if code is not None and column is not TOTAL:
            return self._sets.get((code, column), _NOTHING)
        key = (code, column)
        if key not in self._made:
            self._made[key] = set().union(*self._parts.get(key, ()))
        return self._made[key]


_NOTHING: set[Hashable] = set()


Read = TypeVar("Read")


def once(uow, scope: Scope, name: str, read: Callable[[Any, Scope], Read]) -> Read:
    """``read(uow, scope)`` once per unit of work, range and area (every provider: callers keep the
    chosen one); several figures share it."""
    memo = uow.session.info.setdefault("kpi_reads", {})
    key = (name, scope.start, scope.end, scope.area_id)
    if key not in memo:
        memo[key] = read(uow, scope)
    return memo[key]


def range_periods(uow, scope: Scope) -> list[Any]:
    """The area's periods around the range, each with its client's language and its referral's
    submission time (None without a referral): those overlapping it (``overlapping_periods``), and
    those that ended or started in it whatever their other day; each figure keeps its own."""
    return once(uow, scope, "periods", _range_periods)


def _range_periods(uow, scope: Scope) -> list[Any]:
    start, end = Period.actual_start, Period.actual_end
    return list(uow.session.execute(
        select(Period.id, Period.instance_id, Period.number, Period.client_id, Period.provider_organisation_id,
               Period.status, Period.end_reason, Period.second_period_decision, start, end, Client.language,
               Referral.submitted_at)
        .join(Client, Client.id == Period.client_id)
        .outerjoin(Referral, Referral.instance_id == Period.instance_id)
        .where(scope.owns(Period.instance_id),
               or_(and_(start.is_not(None), start <= scope.end, or_(end.is_(None), end >= scope.start)),
                   and_(end >= scope.start, end <= scope.end), and_(start >= scope.start, start <= scope.end))))
        .all())


def overlapping_periods(uow, scope: Scope) -> list[Any]:
    """The area's periods whose ``[actual_start, actual_end or ∞)`` overlaps the range, with the
    client's language (every provider: callers keep the chosen one)."""
    return once(uow, scope, "overlapping", lambda uow, scope: [
        r for r in range_periods(uow, scope) if r.actual_start is not None and r.actual_start <= scope.end
        and (r.actual_end is None or r.actual_end >= scope.start)])
