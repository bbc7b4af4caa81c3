"""The heat map of a process (kpis.md "where cases stand"): its diagram with how many running cases
wait at each element and the median days spent in each user task completed in the chosen range, and
the same figures in a table (the accessible alternative, and what a screen reader reads).

Managers and administrators (domain.heatmap decides); aggregates only, so no audit row.
"""
from __future__ import annotations

from datetime import date, timedelta

from flask import g, render_template, request
from markupsafe import Markup

from polku.domain.casefile import CASE_PROCESS
from polku.domain.deadlines import SERVICE_TZ
from polku.domain.heatmap import where_cases_stand
from polku.engine.diagram import render

from ..context import reading
from ..i18n import format_number, process_label
from ..i18n import gettext as _
from . import bp
from .instance_page import _model, natural_size

DEFAULT_DAYS = 90  # the range a manager looks at first: about a quarter


def _day(name: str, default: date) -> date:
    try:
        return date.fromisoformat(request.args.get(name, "")[:10])
    except ValueError:
        return default


@bp.get("/heatmap")
def heatmap():
    version = request.args.get("version", type=int)
    process_key = request.args.get("process", CASE_PROCESS)[:200]
    with reading() as uow:
        until = _day("to", uow.now.astimezone(SERVICE_TZ).date())
        since = min(_day("from", until - timedelta(days=DEFAULT_DAYS)), until)
        found = where_cases_stand(uow, g.user.username, process_key, version, since, until)
    diagram, rows = None, []
    names: dict[str, str] = {}
    if found["diagram_xml"]:
        model = _model(found["definition_id"], found["diagram_xml"])
        names = {i: process_label(process_key, i, e.name or e.text or i) for i, e in model.elements.items()}
        days = {k: _("%(days)s d", days=format_number(round(v, 1))) for k, v in found["median_days"].items()}
        drawn = render(model, counts=found["counts"], durations=days, title=_("Where cases stand"),
                       id_prefix="heat")
        diagram = Markup(natural_size(drawn.svg))  # built with lxml: text nodes, no markup from the file
    for element_id in sorted(set(found["counts"]) | set(found["median_days"]),
                             key=lambda i: (-found["counts"].get(i, 0), names.get(i, i))):
        rows.append({"element_id": element_id, "name": names.get(element_id, element_id),
                     "waiting": found["counts"].get(element_id, 0),
                     "median_days": found["median_days"].get(element_id),
                     "completed": found["completed"].get(element_id, 0),
                     "in_diagram": element_id in names})
    return render_template("cases/heatmap.html", found=found, diagram=diagram, rows=rows, since=since,
                           until=until, total=sum(found["counts"].values()))

