"""The managers' instance list (/instances) and its CSV export (/instances.csv, the same query
string, every matching row), over `domain.instancelist`. A list showing client names is a use of
client data: its audit row is committed with the read (R12). Anyone but a manager or an admin
gets the 404 page (the domain's NotFound). Opened from a dashboard number (``kpi`` and its arguments,
``domain.kpis.links``), the list says in words which figure's cases it shows, with a way back.

A CSV cell a spreadsheet would read as a formula (starting with = + - @, or a tab or carriage
return) is prefixed with an apostrophe (OWASP: CSV injection).
"""
from __future__ import annotations

import csv
import io
from typing import Any

from flask import Response, g, render_template, request, url_for

from polku.domain.caselist import case_steps
from polku.domain.instancelist import (
    SORTS,
    STATUSES,
    InstancePage,
    InstanceSearch,
    instance_choices,
    instance_export,
    instance_list,
    shows_names,
)
from polku.domain.kpis import Kpi
from polku.domain.kpis.links import FigureCases
from polku.engine.task_admin import REASON_MAX
from polku.engine.users import load_actor

from ..codes import instance_status
from ..context import auditing_read
from ..deadline import deadline
from ..i18n import format_day, format_instant, process_label
from ..i18n import gettext as _
from . import bp
from .dashboard import TITLES, row_label, shown

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def status_word(code: str) -> str:
    """The list's statuses: the engine's words (web.codes), a running instance told apart by whether a
    task is open."""
    if code == "running":
        return _("In progress, a task open")
    if code == "waiting":
        return _("Waiting for a timer or message")
    return instance_status(code)


def sort_word(code: str) -> str:
    words = {"newest": _("newest first"), "oldest": _("oldest first"), "started": _("start time"),
             "status": _("status"), "due": _("next deadline")}
    return words.get(code, code)


def process_name(key: str, name: str | None) -> str:
    """A process by its name in the user's language (the BPMN's, translated), or its key."""
    return process_label(key, key, name) or key


def process_names(processes: list[dict]) -> dict[str, str]:
    """Each process key's name, from its newest version (the choices come newest first)."""
    found: dict[str, str] = {}
    for p in processes:
        found.setdefault(p["key"], process_name(p["key"], p["name"]))
    return found


def step_names(row: dict) -> str:
    return ", ".join(process_label(s["process_key"], s["element_id"], s["name"]) for s in row["steps"])


def _load(export: bool, source=None):
    search = InstanceSearch.parse(request.args if source is None else source)
    with auditing_read() as uow:  # reads, and its audit row at commit (on SQLite: never the write lock)
        names = shows_names(load_actor(uow, g.user.username))
        rows = instance_export(uow, g.user.username, search) if export \
            else instance_list(uow, g.user.username, search)
        choices = {} if export else instance_choices(uow, g.user.username)
        # The filter matches an open task's element in any process: each element once (the first process's label).
        steps: dict[str, dict] = {}
        for step in [] if export else case_steps(uow, None):
            steps.setdefault(step["element_id"], step)
        now = uow.now
        uow.commit()  # the list shows client names: its audit row (R12)
    return search, rows, names, choices, list(steps.values()), now


def figure_words(figure: FigureCases) -> dict[str, str]:
    """The dashboard number a list shows the cases of: what, when, whose, its value and the way back."""
    link = figure.link
    what = f"{TITLES[link.key]}: {row_label(Kpi(link.key, [], names=figure.names), link.code)}"
    back: dict[str, Any] = {"from": link.start.isoformat() if link.start else "",
                            "to": link.end.isoformat() if link.end else ""}
    if link.provider is not None:
        back["provider"] = str(link.provider)
    return {"what": what, "start": format_day(link.start), "end": format_day(link.end),
            "whose": figure.provider_name or _("the whole area"), "value": shown(figure.unit, figure.value),
            "back": url_for("cases.kpi_dashboard", **back, _anchor=f"kpi-{link.key}")}


@bp.get("/instances")
def instances():
    return instances_response()


def instances_response(source=None, errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
                       status: int = 200):
    """The page for the filters in `source` (the query string unless given); after a refused bulk
    form (web.cases.bulk), with its field errors and what was entered."""
    search, rows, names, choices, steps, now = _load(export=False, source=source)
    for row in rows:
        row["deadline"] = deadline(row["next_due"], now)
    figure = rows.figure if isinstance(rows, InstancePage) else None
    return render_template("cases/instances.html", rows=rows, search=search, names=names, steps=steps,
                           figure=figure_words(figure) if figure else None,
                           statuses=STATUSES, sorts=SORTS, status_word=status_word, sort_word=sort_word,
                           step_names=step_names, process_name=process_name,
                           process_names=process_names(choices["processes"]), errors=errors or {},
                           values=values or {}, bulk=bulk_form(names), reason_max=REASON_MAX, **choices), status


def safe_cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def csv_rows(rows: list[dict], names: bool) -> list[list[str]]:
    """The page's columns, header first, in the user's language."""
    header = [_("Number"), *([_("Client")] if names else []), _("Process"), _("Version"), _("Status"),
              _("Current step"), _("Service provider"), _("Employment area"), _("Responsible official"),
              _("Started"), _("Next deadline"), _("Overdue"), _("Rule breach")]
    body = [[str(r["id"]), *([r["name"] or ""] if names else []), process_name(r["process_key"], r["process_name"]),
             str(r["version"]), status_word(r["status"]), step_names(r), r["provider"] or "", r["area"] or "",
             r["official_name"] or r["official"] or "", format_instant(r["started_at"]),
             format_instant(r["next_due"]) if r["next_due"] else "", _("Yes") if r["overdue"] else _("No"),
             _("Yes") if r["breach"] else _("No")] for r in rows]
    return [header, *body]


@bp.get("/instances.csv")
def instances_csv():
    _search, rows, names, _c, _s, _now = _load(export=True)
    out = io.StringIO()
    writer = csv.writer(out)
    for line in csv_rows(rows, names):
        writer.writerow([safe_cell(cell) for cell in line])
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=instances.csv",
                             "Cache-Control": "no-store"})


# The bulk interventions' POST routes on this blueprint; `bulk_form` is what the list's form needs.
from .bulk import bulk_form  # noqa: E402
