"""What every KPI module shares: the scope (area, range, provider), the case set as SQL, and the
shape of a figure (``Row``: one line of a table, one value per provider column and the area total).

Days are Europe/Helsinki days (``deadlines.SERVICE_TZ``); an instant is in the range when it falls
on one of its days: ``[start of from, start of the day after to)``.

Statistics, fixed here so that a hand count gives the same number: the median of an even count is
the mean of the two middle values; the 90th percentile is the nearest rank (the value at position
``ceil(0.9 n)`` of the sorted values); a share is ``None`` when its denominator is 0.
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
    unit: str  # count | share | days | percent
    values: dict[int | None, Any] = field(default_factory=dict)


@dataclass
class Kpi:
    key: str
    rows: list[Row]
    cases: list[int] = field(default_factory=list)  # listed with the figure (rule breaches)
    names: dict[str, str] = field(default_factory=dict)  # row codes' names as recorded (task steps)


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


def grouped(items: Iterable[tuple[int | None, Any]], providers: list[int]) -> dict[int | None, list[Any]]:
    """Values by provider column, and all of them under TOTAL."""
    out: dict[int | None, list[Any]] = {p: [] for p in providers}
    out[TOTAL] = []
    for provider, value in items:
        if provider in out:
            out[provider].append(value)
        out[TOTAL].append(value)
    return out


def stat_row(code: str, unit: str, groups: dict[int | None, list[Any]],
             fn: Callable[[list[Any]], Any]) -> Row:
    return Row(code, unit, {key: fn(values) for key, values in groups.items()})


def count_rows(items: Iterable[tuple[int | None, str, Hashable]], providers: list[int], codes: Iterable[str],
               total_code: str | None = "total", shares: bool = False) -> list[Row]:
    """Distinct things counted per code: items are (provider, code, thing). With ``total_code``
    a first row counts the distinct things over all codes; with ``shares`` each code also gets a
    share-of-the-total row (``<code>_share``)."""
    found = list(items)
    codes = list(codes)

    def distinct(code: str | None) -> dict[int | None, int]:
        sets: dict[int | None, set] = {p: set() for p in providers}
        sets[TOTAL] = set()
        for provider, item_code, thing in found:
            if code is None or item_code == code:
                if provider in sets:
                    sets[provider].add(thing)
                sets[TOTAL].add(thing)
        return {key: len(s) for key, s in sets.items()}

    whole = distinct(None)
    rows = [Row(total_code, "count", whole)] if total_code else []
    for code in codes:
        counts = distinct(code)
        rows.append(Row(code, "count", counts))
        if shares:
            rows.append(Row(f"{code}_share", "share", {k: share(v, whole[k]) for k, v in counts.items()}))
    return rows


def overlapping_periods(uow, scope: Scope) -> list[Any]:
    """The area's periods whose ``[actual_start, actual_end or ∞)`` overlaps the range, with the
    client's language (every provider: callers keep the chosen one)."""
    return list(uow.session.execute(
        select(Period.id, Period.instance_id, Period.client_id, Period.provider_organisation_id, Period.actual_start,
               Period.actual_end, Client.language)
        .join(Client, Client.id == Period.client_id)
        .where(Period.instance_id.in_(scope.cases()), Period.actual_start.is_not(None),
               Period.actual_start <= scope.end,
               or_(Period.actual_end.is_(None), Period.actual_end >= scope.start))).all())
