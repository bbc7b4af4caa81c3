"""The cases behind a dashboard number: a link from a figure's cell to the instance list.

A link names the figure and its row (``kpi``, ``row``), the dashboard's range (``kpi_from``,
``kpi_to``) and the column (``kpi_provider``; none: the area total). They are not the list's own
``from``/``to``/``provider``, which mean "started between" and "the referral's provider": a
figure's range and column mean what its definition says (``support``), and the list's other filters
may narrow its cases further.

The list resolves the link with ``figure_cases``: the same figure function that made the number is
run again for the user's own scope (``reader_scope``: the manager's area, never one from the URL),
and the row's case set is the filter. A column's cases are the cases of the total with that provider
chosen (each figure keeps a provider's things in its column whether one is chosen or not). A link
that does not name a figure the user could see (an unknown figure or row, a missing or reversed day,
a range longer than the dashboard allows) is not found; a step with no overdue task in the
column (the steps' rows are those found in any column) has none behind it.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import select

from polku.engine.errors import NotFound
from polku.engine.models import Organisation
from polku.engine.users import Actor

from . import FIGURES, figures, providers_of, reader_scope
from .support import TOTAL, Row

MAX_DAYS = 3 * 366  # the longest range the dashboard shows
MAX_CODE = 100  # a row's code: a figure's own words or a task's element id


@dataclass(frozen=True)
class KpiLink:
    key: str
    code: str
    start: date | None
    end: date | None
    provider: int | None = None

    @classmethod
    def parse(cls, source) -> KpiLink | None:
        """From request arguments: None without ``kpi``; a malformed link is kept to be refused."""
        if not source.get("kpi"):
            return None
        provider = str(source.get("kpi_provider") or "")
        return cls(str(source.get("kpi"))[:MAX_CODE], str(source.get("row") or "")[:MAX_CODE],
                   _day(source.get("kpi_from")), _day(source.get("kpi_to")),
                   int(provider) if provider.isdigit() and len(provider) < 10 else None)

    def args(self) -> dict[str, Any]:
        values: dict[str, Any] = {"kpi": self.key, "row": self.code}
        if self.start and self.end:
            values.update(kpi_from=self.start.isoformat(), kpi_to=self.end.isoformat())
        if self.provider is not None:
            values["kpi_provider"] = self.provider
        return values


@dataclass(frozen=True)
class FigureCases:
    """A resolved link: what it shows (for the list's heading) and the case ids behind it."""

    link: KpiLink
    provider_name: str | None
    unit: str
    value: Any
    cases: frozenset[int]
    names: dict[str, str]  # the figure's row names as recorded (task steps)


def _day(value) -> date | None:
    try:
        return date.fromisoformat(str(value or "")[:10])
    except ValueError:
        return None


def figure_cases(uow, actor: Actor | str, link: KpiLink) -> FigureCases:
    if link.start is None or link.end is None or link.end < link.start or (link.end - link.start).days >= MAX_DAYS \
            or link.key not in FIGURES:
        raise NotFound("no such figure")
    _user, scope = reader_scope(uow, actor, link.start, link.end)
    if link.provider is not None:
        scope, providers = replace(scope, provider_id=link.provider), [link.provider]
    else:  # the area total of capacity is over the columns' declared places: the dashboard's columns
        providers = [p for p, _name in providers_of(uow, scope)]
    kpi = figures(uow, scope, providers, [link.key])[link.key]
    row = kpi.row(link.code) or (None if kpi.fixed_rows else Row(link.code, "count", {TOTAL: 0}))
    if row is None:
        raise NotFound("no such figure")
    name = uow.session.scalar(select(Organisation.name).where(Organisation.id == link.provider,
                                                          Organisation.kind == "provider")) \
        if link.provider is not None else None
    return FigureCases(link, name, row.unit, row.values.get(TOTAL), row.cases.get(TOTAL, frozenset()), kpi.names)
