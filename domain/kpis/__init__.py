"""The managers' KPI dashboard (issue 10): the figures of ``../shared/kpis.md`` for one employment
area, a range of days and optionally one provider, per provider side by side and for the area.

Pure SQL over the domain tables and ``human_tasks`` (never a workflow load); one module per group
of figures. ``dashboard(uow, actor, start, end, provider)``: for managers (their organisation is
their area) and admins (every area: the figures are aggregates, and the one list, the cases of
rule breaches, names case numbers only, no client data). Anyone else: ``Forbidden`` (the 404 page).
Nothing is changed and no client data is shown, so nothing is audited.
"""
from __future__ import annotations

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

__all__ = ["TOTAL", "Kpi", "Row", "Scope", "dashboard", "providers_of"]

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


def dashboard(uow, actor: Actor | str, start: date, end: date, provider: int | None = None) -> dict[str, Any]:
    user = load_actor(uow, actor) if isinstance(actor, str) else actor
    require(DASHBOARD_READERS, user, Facts(), "the dashboard is for managers and admins")
    area = None if ADMIN.allows(user, Facts()) else user.organisation_id
    if area is None and not ADMIN.allows(user, Facts()):
        area = -1  # a manager without an organisation has no area: nothing
    scope = Scope(start, end, area_id=area)
    columns = all_providers = providers_of(uow, scope)
    if provider is not None:
        columns = [c for c in columns if c[0] == provider]
        scope = Scope(start, end, area_id=area, provider_id=provider)
    ids = [c[0] for c in columns]
    kpis: list[Kpi] = [clients_in_service(uow, scope, ids), referrals(uow, scope, ids),
                       period_length(uow, scope, ids), goal_attainment(uow, scope, ids),
                       closures(uow, scope, ids), outcomes(uow, scope, ids), interruptions(uow, scope, ids),
                       *overdue_tasks(uow, scope, ids), second_periods(uow, scope, ids),
                       lead_time(uow, scope, ids), start_notifications(uow, scope, ids),
                       weeks_without_meetings(uow, scope, ids), capacity_used(uow, scope, ids),
                       rule_breaches(uow, scope, ids),
                       redirections(uow, scope, ids)]
    return {"scope": scope, "providers": columns, "all_providers": all_providers, "all_areas": area is None,
            "kpis": {k.key: k for k in kpis}, "order": [k.key for k in kpis]}
