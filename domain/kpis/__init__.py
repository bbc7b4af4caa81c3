"""The managers' KPI dashboard (issue 10): the figures of ``../shared/kpis.md`` for one employment
area, a range of days and optionally one provider, per provider side by side and for the area.

Pure SQL over the domain tables and ``human_tasks`` (never a workflow load); one module per group
of figures. ``dashboard(uow, actor, start, end, provider)``: for managers (their organisation is
their area) and admins (every area: the figures are aggregates, and the one list, the cases of
rule breaches, names case numbers only, no client data). Anyone else: ``Forbidden`` (the 404 page).
Nothing is changed and no client data is shown, so nothing is audited. The default view (the last
full month, all providers) is served from the worker's snapshot while it is fresh (``snapshots``);
any other is counted now (``board``).
"""
from __future__ import annotations

from datetime import date
from typing import Any

from polku.engine.access import ADMIN, Facts, HasRole, require
from polku.engine.users import Actor, load_actor

from . import snapshots
from .board import FIGURES, figures, providers_of
from .board import count as _count
from .support import TOTAL, Kpi, Row, Scope, local_day

__all__ = ["FIGURES", "TOTAL", "Kpi", "Row", "Scope", "dashboard", "figures", "providers_of", "reader_scope"]

DASHBOARD_READERS = ADMIN | HasRole("manager")


def reader_scope(uow, actor: Actor | str, start: date, end: date) -> tuple[Actor, Scope]:
    """The dashboard's scope for `actor`: a manager's area is their organisation (a manager without
    one has none: nothing), an admin's every area; anyone else is refused (the 404 page). The area
    always comes from the user, never from a request."""
    user = load_actor(uow, actor) if isinstance(actor, str) else actor
    require(DASHBOARD_READERS, user, Facts(), "the dashboard is for managers and admins")
    if ADMIN.allows(user, Facts()):
        return user, Scope(start, end)
    return user, Scope(start, end, area_id=user.organisation_id if user.organisation_id is not None else -1)


def dashboard(uow, actor: Actor | str, start: date, end: date, provider: int | None = None) -> dict[str, Any]:
    """The figures, with ``as_of``: when the worker counted them (the default view, served from its
    snapshot while fresh: ``snapshots``), or None (counted now)."""
    _user, scope = reader_scope(uow, actor, start, end)
    if provider is None and (start, end) == snapshots.default_range(local_day(uow.now)):
        key = snapshots.area_key(scope)
        stored = snapshots.fresh(uow, key, start, end) if key is not None else None
        if stored is not None:
            return stored
    return _count(uow, scope, provider)
