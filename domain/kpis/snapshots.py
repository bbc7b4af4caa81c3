"""The dashboard's default view kept by the worker: at 100,000 cases counting an area's month
takes seconds, and the default view (the last full month, all providers) is the one opened most.

``refresh`` (the worker's job ``KpiSnapshots``, registered in polku/wiring.py) counts it for each
employment area and for every area together (``area_key`` 0, the admins' view) through the same
``board.count`` the live page uses, and stores the figures as JSON. ``fresh`` gives a stored
dashboard no older than ``MAX_AGE``; an older one is not shown (the page counts live instead), so a
stopped worker costs speed, never stale figures beyond that age.

What is stored is what the page shows: the columns and each row's values. The cases behind each
value (``Row.cases``) are not: they are as many as the figures' items, and a number's link to the
instance list counts its cases again then (``links``).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select

from polku.engine.db import upsert_insert
from polku.engine.models import Organisation

from ..models import KpiSnapshot
from .board import count
from .support import Kpi, Row, Scope, local_day

REFRESH = timedelta(minutes=10)  # a snapshot younger than this is not counted again
MAX_AGE = timedelta(minutes=30)  # an older one is not shown: three missed refreshes
ALL_AREAS = 0  # the area key of the admins' view


def default_range(today: date) -> tuple[date, date]:
    """The last full calendar month before `today` (a month is what providers and managers report by)."""
    last_month_end = today.replace(day=1) - timedelta(days=1)
    return last_month_end.replace(day=1), last_month_end


def area_key(scope: Scope) -> int | None:
    """The snapshot of a reader's scope: every area's, or their area's (a manager without one: none)."""
    if scope.area_id is None:
        return ALL_AREAS
    return scope.area_id if scope.area_id > 0 else None


def encode(found: dict[str, Any]) -> dict[str, Any]:
    """A dashboard as JSON: a row's values as [column, value] pairs (the total's column is null)."""
    return {"providers": found["providers"], "all_providers": found["all_providers"],
            "kpis": [{"key": k.key, "cases": k.cases, "names": k.names, "fixed_rows": k.fixed_rows,
                      "rows": [{"code": r.code, "unit": r.unit, "values": list(r.values.items())} for r in k.rows]}
                     for k in (found["kpis"][key] for key in found["order"])]}


def decode(data: dict[str, Any], scope: Scope, computed_at: datetime) -> dict[str, Any]:
    """The stored dashboard in the shape ``board.count`` gives, ``as_of`` its time."""
    kpis = {k["key"]: Kpi(k["key"], [Row(r["code"], r["unit"], {p: v for p, v in r["values"]}) for r in k["rows"]],
                          list(k["cases"]), dict(k["names"]), k["fixed_rows"]) for k in data["kpis"]}
    return {"scope": scope, "providers": [tuple(p) for p in data["providers"]],
            "all_providers": [tuple(p) for p in data["all_providers"]], "all_areas": scope.area_id is None,
            "kpis": kpis, "order": list(kpis), "as_of": computed_at}


def fresh(uow, key: int, start: date, end: date) -> dict[str, Any] | None:
    row = uow.session.execute(
        select(KpiSnapshot.figures, KpiSnapshot.computed_at)
        .where(KpiSnapshot.area_key == key, KpiSnapshot.range_start == start, KpiSnapshot.range_end == end,
               KpiSnapshot.computed_at >= uow.now - MAX_AGE)).first()
    if row is None:
        return None
    return decode(row.figures, Scope(start, end, area_id=None if key == ALL_AREAS else key), row.computed_at)


def refresh(uow, now: datetime, limit: int | None = None) -> int:
    """Counts the default view of each area (and of every area) whose snapshot is missing or older
    than ``REFRESH``, the stalest first, at most `limit` of them, and stores them; returns how many
    it counted. When nothing is due this is two small reads: the areas and the snapshots' times."""
    found = counted(uow, now, limit)
    stored(uow, now, found)
    return len(found)


def counted(uow, now: datetime, limit: int | None = None) -> list[tuple[int, date, date, dict[str, Any]]]:
    """`refresh`'s reading half: (area key, range, figures) of the areas due."""
    start, end = default_range(local_day(now))
    areas = uow.session.scalars(select(Organisation.id).where(Organisation.kind == "area")).all()
    counted_at = dict(uow.session.execute(
        select(KpiSnapshot.area_key, KpiSnapshot.computed_at)
        .where(KpiSnapshot.range_start == start, KpiSnapshot.range_end == end)).all())
    due = sorted((k for k in (ALL_AREAS, *areas) if k not in counted_at or counted_at[k] <= now - REFRESH),
                 key=lambda k: (k in counted_at, counted_at.get(k) or now, k))
    return [(key, start, end, encode(count(uow, Scope(start, end, area_id=None if key == ALL_AREAS else key))))
            for key in due[:limit]]


def stored(uow, now: datetime, found: list[tuple[int, date, date, dict[str, Any]]]) -> None:
    """`refresh`'s writing half: the snapshots `counted` made, as of `now` (when they were counted)."""
    for key, start, end, figures in found:
        _store(uow, key, start, end, now, figures)


def _store(uow, key: int, start: date, end: date, now: datetime, figures: dict[str, Any]) -> None:
    """Upserts the area's snapshot (a second worker counting the same area at once: the later count
    wins) and drops its snapshots of earlier months, which no page asks for any more."""
    uow.session.execute(delete(KpiSnapshot).where(
        KpiSnapshot.area_key == key, or_(KpiSnapshot.range_start != start, KpiSnapshot.range_end != end)))
    stmt = upsert_insert(uow.session, KpiSnapshot).values(area_key=key, range_start=start, range_end=end,
                                                           computed_at=now, figures=figures)
    # A count older than the stored one (two workers, the later one slower) does not replace it.
    uow.session.execute(stmt.on_conflict_do_update(index_elements=["area_key", "range_start", "range_end"],
                                                   set_={"computed_at": now, "figures": figures},
                                                   where=KpiSnapshot.computed_at < stmt.excluded.computed_at))


class KpiSnapshots:
    """The worker's periodic job: one stale area per round. Counting (seconds at 100,000 cases) is
    the job's reading half, run in a unit of work that only reads (engine.worker: on SQLite it holds
    no write lock, so the web's writers and read-audit rows do not wait on it, as they did for a
    second and more each round); storing the figures is its short writing half. A round counts the
    one area that waited longest rather than all of them; with a round every few seconds every area
    is still counted again within minutes of ``REFRESH``."""

    per_round = 1

    def __call__(self, uow, runtime) -> int:
        return refresh(uow, uow.now, limit=self.per_round)

    def read(self, uow, runtime) -> tuple[datetime, list[tuple[int, date, date, dict[str, Any]]]]:
        return uow.now, counted(uow, uow.now, limit=self.per_round)

    def write(self, uow, runtime, found: tuple[datetime, list[tuple[int, date, date, dict[str, Any]]]]) -> int:
        at, snapshots = found
        stored(uow, at, snapshots)
        return len(snapshots)
