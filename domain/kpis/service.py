"""KPIs of the coaching periods themselves: clients in service (by language), period length,
second periods and capacity used (rule breaches: ``breaches``). Definitions: ``../shared/kpis.md``.

- Clients in service: distinct clients with a period whose ``[actual_start, actual_end or ∞)``
  overlaps the range (a period ending on ``from`` counts).
- Period length: periods whose ``actual_end`` is in the range, ``actual_end − actual_start + 1``.
- Second periods: periods 1 ended in the range; followed by an approved second period when the
  period's ``second_period_decision`` is ``approved``. Proposals refused or forbidden: those
  periods' decisions, by decision.
- Capacity used: per provider, the mean over the range's days of clients in service that day ÷ the
  provider's declared ``places_at_once`` (None when not declared); the area total uses the sum of the
  columns' places.
"""
from __future__ import annotations

from sqlalchemy import select

from ..calendar import days_inclusive
from ..models import Provider
from .support import (
    TOTAL,
    Kpi,
    Row,
    Scope,
    count_rows,
    grouped,
    mean,
    median,
    overlapping_periods,
    range_periods,
    share,
    stat_row,
)


def clients_in_service(uow, scope: Scope, providers: list[int]) -> Kpi:
    rows = [r for r in overlapping_periods(uow, scope) if scope.provider_ok(r.provider_organisation_id)]
    items = [(r.provider_organisation_id, r.language, r.client_id, r.instance_id) for r in rows]
    return Kpi("clients", count_rows(items, providers, ("fi", "sv")))


def _ended(uow, scope: Scope):
    return [r for r in range_periods(uow, scope) if r.actual_start is not None and r.actual_end is not None
            and scope.start <= r.actual_end <= scope.end and scope.provider_ok(r.provider_organisation_id)]


def period_length(uow, scope: Scope, providers: list[int]) -> Kpi:
    ended = _ended(uow, scope)
    rows = []
    for number in (1, 2):
        groups = grouped(((r.provider_organisation_id, days_inclusive(r.actual_start, r.actual_end), r.instance_id)
                          for r in ended if r.number == number), providers)
        rows += [stat_row(f"p{number}_count", "count", groups, len),
                 stat_row(f"p{number}_mean", "days", groups, mean),
                 stat_row(f"p{number}_median", "days", groups, median)]
    return Kpi("period_length", rows)


def second_periods(uow, scope: Scope, providers: list[int]) -> Kpi:
    firsts = [r for r in _ended(uow, scope) if r.number == 1]
    items = [(r.provider_organisation_id, r.second_period_decision or "none", r.instance_id, r.instance_id)
             for r in firsts]
    rows = count_rows(items, providers, ("approved",), total_code="ended_first", shares=True)
    refused = count_rows(items, providers, ("refused", "forbidden"), total_code=None)
    return Kpi("second_periods", rows + refused)


def capacity_used(uow, scope: Scope, providers: list[int]) -> Kpi:
    places = dict(uow.session.execute(select(Provider.organisation_id, Provider.places_at_once)
                                      .where(Provider.organisation_id.in_(providers or [-1]))).all())
    client_days: dict[int | None, int] = {p: 0 for p in providers}
    cases: dict[int | None, set[int]] = {p: set() for p in [*providers, TOTAL]}
    for r in overlapping_periods(uow, scope):
        if r.provider_organisation_id not in client_days:
            continue
        first = max(r.actual_start, scope.start)
        last = min(r.actual_end or scope.end, scope.end)
        client_days[r.provider_organisation_id] += max(0, (last - first).days + 1)
        cases[r.provider_organisation_id].add(r.instance_id)
        if places.get(r.provider_organisation_id):
            cases[TOTAL].add(r.instance_id)
    values: dict[int | None, float | None] = {}
    for p in providers:
        declared = places.get(p)
        values[p] = client_days[p] / scope.days() / declared if declared else None
    declared_total = sum(places.get(p) or 0 for p in providers if places.get(p))
    used_total = sum(client_days[p] for p in providers if places.get(p))
    values[TOTAL] = share(used_total, declared_total * scope.days()) if declared_total else None
    return Kpi("capacity", [Row("used", "percent", values, {k: frozenset(v) for k, v in cases.items()})])
