"""One dashboard counted now: its provider columns and every figure for a scope. The live page
(``dashboard``) and the worker's snapshots (``snapshots.refresh``) both count through ``count``,
so a snapshot is what the page would have shown at that moment."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from sqlalchemy import exists, or_, select

from polku.engine import org_links
from polku.engine.models import Organisation

from ..models import Period, Referral
from .breaches import rule_breaches
from .referrals import lead_time, referrals, start_notifications
from .results import closures, goal_attainment, interruptions, outcomes, redirections
from .service import capacity_used, clients_in_service, period_length, second_periods
from .support import Kpi, Scope
from .tasks import overdue_tasks
from .weeks import weeks_without_meetings


def providers_of(uow, scope: Scope) -> list[tuple[int, str]]:
    """The providers named by the area's referrals or periods, by name: the dashboard's columns.
    An area's are a few dozen of hundreds, and the organisations it shares an instance with
    (``org_links``) hold them: each of those is probed for a referral or period of the area, a
    probe that stops at its first one (collecting them from the area's 12,500 cases' records took
    30 ms at 100,000 cases; a probe of every provider read every referral of other areas' providers,
    3 s). Every area's: a probe per provider, which stops at its first record."""
    query = select(Organisation.id, Organisation.name).where(Organisation.kind == "provider")
    if scope.area_id is not None:
        candidates = org_links.linked(uow.session, scope.area_id)
        if not candidates:
            return []
        query = query.where(Organisation.id.in_(sorted(candidates)))
    named = or_(exists().where(Referral.provider_organisation_id == Organisation.id, scope.holds(Referral.instance_id)),
                exists().where(Period.provider_organisation_id == Organisation.id, scope.holds(Period.instance_id)))
    return [(r.id, r.name) for r in uow.session.execute(query.where(named).order_by(Organisation.name))]


# Every figure by its key, in the dashboard's order; a function giving two figures is run once.
FIGURES: dict[str, Callable[..., Kpi | tuple[Kpi, ...]]] = {
    "clients": clients_in_service, "referrals": referrals, "period_length": period_length, "goals": goal_attainment,
    "closures": closures, "outcomes": outcomes, "interruptions": interruptions, "overdue_steps": overdue_tasks,
    "overdue_turns": overdue_tasks, "second_periods": second_periods, "lead_time": lead_time,
    "start_notices": start_notifications, "weeks": weeks_without_meetings, "capacity": capacity_used,
    "breaches": rule_breaches, "redirections": redirections,
}


def figures(uow, scope: Scope, providers: list[int], keys: Iterable[str]) -> dict[str, Kpi]:
    found: dict[str, Kpi] = {}
    for key in keys:
        if key not in found:
            result = FIGURES[key](uow, scope, providers)
            found.update((k.key, k) for k in (result if isinstance(result, tuple) else (result,)))
    return found


def count(uow, scope: Scope, provider: int | None = None) -> dict[str, Any]:
    """The dashboard of `scope` (optionally one provider's column), counted now."""
    columns = all_providers = providers_of(uow, scope)
    if provider is not None:
        columns = [c for c in columns if c[0] == provider]
        scope = replace(scope, provider_id=provider)
    kpis = figures(uow, scope, [c[0] for c in columns], FIGURES)
    return {"scope": scope, "providers": columns, "all_providers": all_providers, "all_areas": scope.area_id is None,
            "kpis": kpis, "order": list(FIGURES), "as_of": None}
