"""Rule breaches (should all be 0; each one found is listed with its case). Definition:
``../shared/kpis.md``. The periods looked at are those whose actual dates overlap the range (a
running period runs until the range's end); the client's other periods count for R3 and R4.

- R1: a period that ended lasting under 14 days, or one past the 4-month limit
  (``calendar.period_end_limit``; a running one once the range's end is past its limit).
- R3: a period that is the third of an unbroken chain (``rules.consecutive_chain`` ≥ 2 before it).
- R4: the client's coaching days in the 12-month window ending on the period's last day in the range
  over the 8-month limit (``rules.days_in_window``, ``rules.window_limit_days``). Coaching days rise
  by one a day during a period and fall by at most one, so the window ending on that last day is
  the period's fullest.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import select

from polku.engine.queries import among

from ..calendar import days_inclusive, period_end_limit
from ..models import Period
from ..rules import consecutive_chain, days_in_window, window_limit_days
from .support import Kpi, Scope, count_rows, overlapping_periods

MIN_DAYS, MAX_MONTHS, WINDOW_MONTHS, WINDOW_LIMIT_MONTHS = 14, 4, 12, 8
CODES = ("r1_short", "r1_long", "r3", "r4")


def _client_periods(uow, scope: Scope, clients: set[int]) -> dict[int, list[tuple[date, date]]]:
    found: dict[int, list[tuple[date, date]]] = defaultdict(list)
    if not clients:
        return found
    for r in uow.session.execute(select(Period.client_id, Period.actual_start, Period.actual_end)
                                 .where(among(uow.session, Period.client_id, clients), Period.actual_start.is_not(None),
                                        Period.actual_start <= scope.end)):
        found[r.client_id].append((r.actual_start, min(r.actual_end or scope.end, scope.end)))
    return found


def rule_breaches(uow, scope: Scope, providers: list[int]) -> Kpi:
    periods = [r for r in overlapping_periods(uow, scope) if scope.provider_ok(r.provider_organisation_id)]
    history = _client_periods(uow, scope, {r.client_id for r in periods})
    items, cases = [], set()
    for r in periods:
        last = min(r.actual_end or scope.end, scope.end)
        breached = {
            "r1_short": r.actual_end is not None and days_inclusive(r.actual_start, r.actual_end) < MIN_DAYS,
            "r1_long": (r.actual_end or scope.end) > period_end_limit(r.actual_start, MAX_MONTHS),
            "r3": consecutive_chain(history[r.client_id], r.actual_start) >= 2,
            "r4": days_in_window(history[r.client_id], last, WINDOW_MONTHS)
            > window_limit_days(last, WINDOW_LIMIT_MONTHS),
        }
        for code in CODES:
            if breached[code]:
                items.append((r.provider_organisation_id, code, r.instance_id, r.instance_id))
                cases.add(r.instance_id)
    return Kpi("breaches", count_rows(items, providers, CODES), sorted(cases))
