"""KPIs of what the service achieved: goal attainment, closures by rule (R5), outcomes at the end,
interruptions by reason and redirections. Definitions: ``../shared/kpis.md``.

- Goal attainment: the goals of the periods with a closure recorded in the range: reached ÷ set.
- Closures by rule: closures in the range (``closed_at``): ≥ 2 outcome areas reached
  (``two_areas``); fewer than 2 but next steps recorded (``next_steps_only``); ≥ 2 areas and next
  steps too (``both``); each also as a share of the closures.
- Outcomes at the end: closures in the range by the employment status at the end.
- Interruptions: periods interrupted (status ``interrupted``) whose ``actual_end`` is in the range,
  by the ground (``end_reason``: absence R9, other service, goals, other).
- Redirections: redirection notices made in the range by target service, and by the official's
  decision on each (the first ``redirection`` decision on its period made at or after it: continue,
  pause, interrupt; ``undecided`` while there is none).
"""
from __future__ import annotations

from sqlalchemy import select

from polku.engine.queries import among

from ..models import Closure, Decision, Goal, Period, Redirection
from .support import Kpi, Row, Scope, count_rows, once, range_periods, share

EMPLOYMENT_STATUSES = ("employed", "education", "jobseeker", "other")
INTERRUPTION_GROUNDS = ("absence", "other_service", "goals", "other", "interrupted")
TARGET_SERVICES = ("health", "social", "rehabilitation", "other")
REDIRECTION_DECISIONS = ("continue", "pause", "interrupt", "undecided")


def _closures(uow, scope: Scope):
    return [r for r in once(uow, scope, "closures", _range_closures) if scope.provider_ok(r.provider_organisation_id)]


def _range_closures(uow, scope: Scope):
    return uow.session.execute(
        select(Closure.instance_id, Closure.period_id, Closure.employment_status, Closure.outcome_areas,
               Closure.next_steps, Period.provider_organisation_id)
        .join(Period, Period.id == Closure.period_id)
        .where(scope.owns(Closure.instance_id), Closure.closed_at >= scope.start_at,
               Closure.closed_at < scope.end_at)).all()


def goal_attainment(uow, scope: Scope, providers: list[int]) -> Kpi:
    closed = {r.period_id: (r.provider_organisation_id, r.instance_id) for r in _closures(uow, scope)}
    goals = uow.session.execute(select(Goal.id, Goal.period_id, Goal.reached)
                                .where(among(uow.session, Goal.period_id, closed))).all()
    items = [(*closed[g.period_id], g) for g in goals]
    rows = count_rows(((p, "reached" if g.reached is True else "open", g.id, case_id) for p, case_id, g in items),
                      providers, ("reached",), total_code="set")
    set_row, reached = rows
    rate = Row("reached_share", "share", {k: share(reached.values[k], v) for k, v in set_row.values.items()},
               reached.cases)
    return Kpi("goals", [set_row, reached, rate])


def _rule(areas: list | None, next_steps: str | None) -> str:
    two, steps = len(areas or []) >= 2, bool((next_steps or "").strip())
    if two and steps:
        return "both"
    if two:
        return "two_areas"
    return "next_steps_only" if steps else "neither"


def closures(uow, scope: Scope, providers: list[int]) -> Kpi:
    """``two_areas`` counts every closure with ≥ 2 areas (``both`` included)."""
    found = _closures(uow, scope)
    items = [(r.provider_organisation_id, _rule(r.outcome_areas, r.next_steps), r.instance_id, r.instance_id)
             for r in found]
    two = [(p, "two_areas", i, i) for p, code, i, _c in items if code == "both"]
    rows = count_rows(items + two, providers, ("two_areas", "next_steps_only", "both"), shares=True)
    return Kpi("closures", rows)


def outcomes(uow, scope: Scope, providers: list[int]) -> Kpi:
    items = [(r.provider_organisation_id, r.employment_status, r.instance_id, r.instance_id)
             for r in _closures(uow, scope)]
    return Kpi("outcomes", count_rows(items, providers, EMPLOYMENT_STATUSES, shares=True))


def interruptions(uow, scope: Scope, providers: list[int]) -> Kpi:
    found = [r for r in range_periods(uow, scope) if r.status == "interrupted" and r.actual_end is not None
             and scope.start <= r.actual_end <= scope.end]
    items = [(r.provider_organisation_id, r.end_reason if r.end_reason in INTERRUPTION_GROUNDS else "other", r.id,
              r.instance_id)
             for r in found if scope.provider_ok(r.provider_organisation_id)]
    return Kpi("interruptions", count_rows(items, providers, INTERRUPTION_GROUNDS, shares=True))


def redirections(uow, scope: Scope, providers: list[int]) -> Kpi:
    found = [r for r in uow.session.execute(
        select(Redirection.id, Redirection.instance_id, Redirection.period_id, Redirection.created_at,
               Redirection.target_service, Period.provider_organisation_id)
        .join(Period, Period.id == Redirection.period_id)
        .where(scope.owns(Redirection.instance_id), Redirection.created_at >= scope.start_at,
               Redirection.created_at < scope.end_at)).all() if scope.provider_ok(r.provider_organisation_id)]
    decisions = uow.session.execute(
        select(Decision.period_id, Decision.decision, Decision.decided_at)
        .where(Decision.kind == "redirection", among(uow.session, Decision.period_id, {r.period_id for r in found}))
        .order_by(Decision.decided_at, Decision.id)).all()

    def decided(r) -> str:
        code = next((d.decision for d in decisions if d.period_id == r.period_id and d.decided_at >= r.created_at),
                    "undecided")
        return code if code in REDIRECTION_DECISIONS else "undecided"

    targets = [(r.provider_organisation_id, r.target_service if r.target_service in TARGET_SERVICES else "other", r.id,
                r.instance_id) for r in found]
    by_decision = [(r.provider_organisation_id, decided(r), r.id, r.instance_id) for r in found]
    return Kpi("redirections", count_rows(targets, providers, TARGET_SERVICES)
               + count_rows(by_decision, providers, REDIRECTION_DECISIONS, total_code=None))
