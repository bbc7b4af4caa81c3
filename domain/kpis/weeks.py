"""Weeks without meetings. Definition: ``../shared/kpis.md``.

A client-week is a calendar week (Monday to Sunday, ``weeks``) that ended in the range (its Sunday
is one of the range's days) and overlaps one of the client's periods there (``[actual_start,
actual_end or ∞)``); a client with two periods in one week has one client-week, in the column of
the provider of the period it starts in. It is without meetings when no meeting of the client's
periods was held on its days: meetings are recorded with the week's review, so a week with no
review at all has none either. Rows: client-weeks, those without meetings, and those per 100
client-weeks.
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from polku.engine.queries import among

from ..models import Meeting
from .support import Kpi, Row, Scope, count_rows, overlapping_periods


def _mondays(scope: Scope):
    """For a period [start, end]: the Mondays (as day ordinals: a client-week is counted, never
    shown) of the weeks ending in the range that overlap it."""
    # The first Monday whose week ends in the range: on or after the range's first day less six.
    six_before = scope.start - timedelta(days=6)
    earliest = six_before.toordinal() + (-six_before.weekday()) % 7
    latest = (scope.end - timedelta(days=6)).toordinal()

    def of(start: date, end: date | None) -> range:
        first = max(start.toordinal() - start.weekday(), earliest)
        return range(first, (latest if end is None else min(latest, end.toordinal())) + 1, 7)
    return of


def weeks_without_meetings(uow, scope: Scope, providers: list[int]) -> Kpi:
    """Every provider's periods are looked at before the chosen provider's weeks are kept, so that a
    week is in the same column (and sees the same meetings) whether one provider is chosen or not."""
    periods = overlapping_periods(uow, scope)
    mondays = _mondays(scope)
    weeks: dict[tuple[int, int], tuple[int, int]] = {}  # (client, Monday): (provider, case)
    for r in sorted(periods, key=lambda r: r.actual_start):
        client, column = r.client_id, (r.provider_organisation_id, r.instance_id)
        for monday in mondays(r.actual_start, r.actual_end):
            weeks.setdefault((client, monday), column)
    held: set[tuple[int, int]] = set()
    client_of = {r.id: r.client_id for r in periods}  # the periods' clients are known: no join back
    if client_of:
        # Only a meeting held on a week's days can make it one with meetings: those from 6 days
        # before the range (a week ending on its first day) to its end.
        meetings = (select(Meeting.period_id, Meeting.held_on)
                    .where(among(uow.session, Meeting.period_id, client_of),
                           Meeting.held_on >= scope.start - timedelta(days=6), Meeting.held_on <= scope.end))
        for period_id, held_on in uow.session.execute(meetings):  # thousands of rows: unpacked, not read by name
            held.add((client_of[period_id], held_on.toordinal() - held_on.weekday()))
    items = [(provider, "without" if key not in held else "held", key, case_id)
             for key, (provider, case_id) in weeks.items() if scope.provider_ok(provider)]
    all_weeks, silent = count_rows(items, providers, ("without",), total_code="client_weeks")
    rate = {k: 100 * silent.values[k] / n if n else None for k, n in all_weeks.values.items()}
    return Kpi("weeks", [all_weeks, silent, Row("per_100", "rate", rate, silent.cases)])
