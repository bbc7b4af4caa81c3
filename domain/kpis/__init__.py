"""The managers' KPI dashboard (issue 10): the figures of ``../shared/kpis.md`` for one employment
area, a range of days and optionally one provider, per provider side by side and for the area.

Pure SQL over the domain tables and ``human_tasks`` (never a workflow load); one module per group
of figures. ``dashboard(uow, actor, start, end, provider)``: for managers (their organisation is
their area) and admins (every area: the figures are aggregates, and the one list, the cases of
rule breaches, names case numbers only, no client data). Anyone else: ``Forbidden`` (the 404 page).
Nothing is changed and no client data is shown, so nothing is audited.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import or_, select

from polku.engine.access import ADMIN, Facts, HasRole, require
from polku.engine.models import Organisation
from polku.engine.users import Actor, load_actor

from ..models import Period, Referral
from .breaches import rule_breaches
from .referrals import lead_time, referrals, start_notifications
from .results import closures, goal_attainment, interruptions, outcomes, redirections
from .service import capacity_used, clients_in_service, period_length, second_periods
from .support import TOTAL, Kpi, Row, Scope
from .tasks import overdue_tasks
from .weeks import weeks_without_meetings

__all__ = ["FIGURES", "TOTAL", "Kpi", "Row", "Scope", "dashboard", "figures", "providers_of", "reader_scope"]

DASHBOARD_READERS = ADMIN | HasRole("manager")


def providers_of(uow, scope: Scope) -> list[tuple[int, str]]:
    """The providers named by the area's referrals or periods, by name: the dashboard's columns."""
    cases = scope.cases()
    query = (select(Organisation.id, Organisation.name)
             .where(Organisation.kind == "provider",
                    or_(Organisation.id.in_(select(Referral.provider_organisation_id)
                                            .where(Referral.instance_id.in_(cases))),
                        Organisation.id.in_(select(Period.provider_organisation_id)
                                            .where(Period.instance_id.in_(cases)))))
             .order_by(Organisation.name))
    return [(r.id, r.name) for r in uow.session.execute(query)]


# Every figure by its key, in the dashboard's order; a function giving two figures is run once.
FIGURES: dict[str, Callable[..., Kpi | tuple[Kpi, ...]]] = {
    "clients": clients_in_service, "referrals": referrals, "period_length": period_length, "goals": goal_attainment,
    "closures": closures, "outcomes": outcomes, "interruptions": interruptions, "overdue_steps": overdue_tasks,
    "overdue_turns": overdue_tasks, "second_periods": second_periods, "lead_time": lead_time,
    "start_notices": start_notifications, "weeks": weeks_without_meetings, "capacity": capacity_used,
    "breaches": rule_breaches, "redirections": redirections,
}


def reader_scope(uow, actor: Actor | str, start: date, end: date) -> tuple[Actor, Scope]:
    """The dashboard's scope for `actor`: a manager's area is their organisation (a manager without
    one has none: nothing), an admin's every area; anyone else is refused (the 404 page). The area
    always comes from the user, never from a request."""
    user = load_actor(uow, actor) if isinstance(actor, str) else actor
    require(DASHBOARD_READERS, user, Facts(), "the dashboard is for managers and admins")
    if ADMIN.allows(user, Facts()):
        return user, Scope(start, end)
    return user, Scope(start, end, area_id=user.organisation_id if user.organisation_id is not None else -1)


def figures(uow, scope: Scope, providers: list[int], keys: Iterable[str]) -> dict[str, Kpi]:
    found: dict[str, Kpi] = {}
    for key in keys:
        if key not in found:
            result = FIGURES[key](uow, scope, providers)
            found.update((k.key, k) for k in (result if isinstance(result, tuple) else (result,)))
    return found


def dashboard(uow, actor: Actor | str, start: date, end: date, provider: int | None = None) -> dict[str, Any]:
    _user, scope = reader_scope(uow, actor, start, end)
    columns = all_providers = providers_of(uow, scope)
    if provider is not None:
        columns = [c for c in columns if c[0] == provider]
        scope = replace(scope, provider_id=provider)
    kpis = figures(uow, scope, [c[0] for c in columns], FIGURES)
    return {"scope": scope, "providers": columns, "all_providers": all_providers, "all_areas": scope.area_id is None,
            "kpis": kpis, "order": list(FIGURES)}
