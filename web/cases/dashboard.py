"""The managers' KPI dashboard (issue 10): ``GET /dashboard`` with ``from``, ``to`` (ISO days) and
``provider`` (an organisation id). The figures come from ``domain.kpis`` (managers: their area;
admins: every area; anyone else: the 404 page). Default range: the last full calendar month before
today (``snapshots.default_range``; that view is served from the worker's snapshot while fresh, and
the page says as of when); a reversed range is put the right way
round, and a longer one than ``MAX_DAYS`` is cut from its start.

Each figure is a table, per provider side by side and the area total (the primary form, stacking
on a phone), with a server-drawn SVG bar chart of its headline row per provider beside it. Every
number links to the instance list of the cases behind it (``domain.kpis.links``). At the top, "at a
glance": the figures a manager looks at first (``GLANCE``), each with its section and its cases.
"""
from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

from babel.numbers import format_decimal, format_percent
from flask import g, render_template, request, url_for
from markupsafe import Markup, escape

from polku.domain.casefile import CASE_PROCESS
from polku.domain.deadlines import SERVICE_TZ
from polku.domain.kpis import TOTAL, Kpi, dashboard
from polku.domain.kpis.links import MAX_DAYS, KpiLink
from polku.domain.kpis.snapshots import default_range

from ..codes import end_reason, language_name, refusal_reason, target_service, turn
from ..context import reading
from ..i18n import conventions, lazy_gettext, process_label
from ..i18n import gettext as _
from . import bp
from .bar_chart import bar_chart

TITLES = {
    "clients": lazy_gettext("Clients in service"), "referrals": lazy_gettext("Referrals"),
    "period_length": lazy_gettext("Period length"), "goals": lazy_gettext("Goal attainment"),
    "closures": lazy_gettext("Closures by rule"), "outcomes": lazy_gettext("Outcomes at the end"),
    "interruptions": lazy_gettext("Interruptions"), "overdue_steps": lazy_gettext("Overdue tasks by step"),
    "overdue_turns": lazy_gettext("Overdue tasks by whose turn"), "second_periods": lazy_gettext("Second periods"),
    "lead_time": lazy_gettext("Referral-to-start lead time (business days)"),
    "start_notices": lazy_gettext("Start notifications late"),
    "weeks": lazy_gettext("Weeks without meetings"), "capacity": lazy_gettext("Capacity used"),
    "breaches": lazy_gettext("Rule breaches"),
    "redirections": lazy_gettext("Redirections to other services"),
}
# The row each chart draws per provider.
HEADLINE = {"clients": "total", "referrals": "total", "period_length": "p1_mean", "goals": "reached_share",
            "closures": "two_areas_share", "outcomes": "employed_share", "interruptions": "total",
            "overdue_steps": "total", "overdue_turns": "official", "second_periods": "approved_share",
            "lead_time": "median", "start_notices": "late_share",
            "weeks": "per_100", "capacity": "used", "breaches": "total", "redirections": "total"}
ROWS = {
    "total": lazy_gettext("All"), "accepted": lazy_gettext("Accepted"), "refused": lazy_gettext("Refused"),
    "p1_count": lazy_gettext("First periods ended"), "p1_mean": lazy_gettext("First periods: mean (days)"),
    "p1_median": lazy_gettext("First periods: median (days)"), "p2_count": lazy_gettext("Second periods ended"),
    "p2_mean": lazy_gettext("Second periods: mean (days)"), "p2_median": lazy_gettext("Second periods: median (days)"),
    "set": lazy_gettext("Goals set"), "reached": lazy_gettext("Goals reached"),
    "two_areas": lazy_gettext("At least two outcome areas reached"),
    "next_steps_only": lazy_gettext("Fewer than two areas, next steps recorded"),
    "both": lazy_gettext("At least two areas and next steps"),
    "employed": lazy_gettext("Employed"), "education": lazy_gettext("Started education"),
    "jobseeker": lazy_gettext("Jobseeker"), "ended_first": lazy_gettext("First periods ended"),
    "approved": lazy_gettext("Followed by an approved second period"),
    "forbidden": lazy_gettext("Proposals not possible under the rules"),
    "count": lazy_gettext("Periods started"), "median": lazy_gettext("Median"),
    "p90": lazy_gettext("90th percentile"), "used": lazy_gettext("Clients in service ÷ declared places"),
    "r1_short": lazy_gettext("R1: a period shorter than 14 days"),
    "r1_long": lazy_gettext("R1: a period longer than 4 months"),
    "r3": lazy_gettext("R3: a third consecutive period"),
    "r4": lazy_gettext("R4: over 8 months of coaching within 12 months"),
    "late": lazy_gettext("Sent after the due date"), "unsent_overdue": lazy_gettext("Not sent, past due at the end"),
    "client_weeks": lazy_gettext("Client-weeks"), "without": lazy_gettext("Weeks without meetings"),
    "per_100": lazy_gettext("Per 100 client-weeks"),
}
# At a glance: (figure, row, what it is called there), the area total (or the chosen provider's).
GLANCE = (("clients", "total", lazy_gettext("Clients in service")),
          ("breaches", "total", lazy_gettext("Rule breaches")),
          ("start_notices", "late", lazy_gettext("Start notifications sent late")),
          ("start_notices", "unsent_overdue", lazy_gettext("Start notifications not sent, past due")),
          ("capacity", "used", lazy_gettext("Capacity used")),
          ("lead_time", "median", lazy_gettext("Referral-to-start lead time, median (business days)")))
# The official's decision on a redirection (domain.kpis.results.REDIRECTION_DECISIONS).
REDIRECTION_DECISIONS = {"continue": lazy_gettext("Decided: coaching continues"),
                         "pause": lazy_gettext("Decided: a pause"), "interrupt": lazy_gettext("Decided: interrupted"),
                         "undecided": lazy_gettext("Not decided yet")}


def row_label(kpi: Kpi, code: str) -> str:
    if code.endswith("_share"):
        return _("%(what)s, share", what=row_label(kpi, code[: -len("_share")]))
    if kpi.key == "clients" and code in ("fi", "sv"):
        return language_name(code)
    if kpi.key == "referrals" and code not in ROWS:
        return refusal_reason(CASE_PROCESS, code) if code != "other" else _("Other reason")
    if kpi.key == "interruptions" and code != "total":
        return end_reason(code)
    if kpi.key == "redirections" and code in REDIRECTION_DECISIONS:
        return str(REDIRECTION_DECISIONS[code])
    if kpi.key == "redirections" and code != "total":
        return target_service(code)
    if kpi.key == "overdue_turns":
        return turn(code)
    if kpi.key == "overdue_steps" and code != "total":
        return process_label(CASE_PROCESS, code, kpi.names.get(code)) or code
    if kpi.key == "start_notices" and code == "total":
        return _("Accepted referrals")
    if kpi.key == "outcomes" and code == "other":
        return _("Other situation")
    if kpi.key == "second_periods" and code == "refused":
        return _("Proposals refused by the official")
    return str(ROWS.get(code, code))


def shown(unit: str, value, locale: str | None = None) -> str:
    """`value` as text in the user's conventions (`locale`: theirs, found once by a caller of many)."""
    if value is None:
        return "–"
    return _formatted(unit, value, type(value), locale or conventions()[0])


@lru_cache(maxsize=4096)
def _formatted(unit: str, value, _kind: type, locale: str) -> str:
    """A number as the page shows it, kept: an area's page has 3,500 numbers, most of them repeats
    (small counts), and babel took 90 ms to format them one by one. ``_kind`` keeps 1 and 1.0
    apart (equal keys, not always the same text)."""
    if unit in ("share", "percent"):
        return format_percent(round(value, 3), locale=locale, decimal_quantization=False)  # to 0.1 %
    if unit in ("days", "rate"):
        return format_decimal(round(value, 1), locale=locale)
    return format_decimal(value, locale=locale)


def _day(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, "")[:10])
    except ValueError:
        return None


def _range(today: date) -> tuple[date, date]:
    default_start, default_end = default_range(today)
    start, end = _day("from") or default_start, _day("to") or default_end
    if end < start:
        start, end = end, start
    if (end - start).days >= MAX_DAYS:
        start = end - timedelta(days=MAX_DAYS - 1)
    return start, end


def cases_link(key: str, code: str, start: date, end: date, provider: int | None, value) -> str | None:
    """The instance list (web.cases.instance_list) of the cases behind a number (none behind "–")."""
    if value is None:
        return None
    return url_for("cases.instances", **KpiLink(key, code, start, end, provider).args())


def row_links(key: str, code: str, start: date, end: date, cells: list[tuple[int | None, object]]) -> list[str | None]:
    """``cases_link`` of each (provider, value) of a row: the list's address is built once and a
    column's provider added to it, as ``KpiLink.args`` puts it, last (url_for for each of the 3,500
    numbers of an area's page took 100 ms)."""
    total = cases_link(key, code, start, end, None, 0)
    return [None if value is None else total if provider is None else f"{total}&kpi_provider={int(provider)}"
            for provider, value in cells]


def value_cells(cells: list[tuple[str, str | None]], labels: list[Markup]) -> Markup:
    """A row's cells: each value, linked to its cases when it has a link, labelled with its column's
    (escaped) name for the stacked table on a phone. Made here, not in the template: an area's page
    has 3,500 of them, and a template loop took 35 ms to write them."""
    def cell(value: str, link: str | None, label: Markup) -> str:
        text = f'<a href="{escape(link)}">{escape(value)}</a>' if link else escape(value)
        return f'<td data-label="{label}">{text}</td>'
    return Markup("".join(cell(value, link, label) for (value, link), label in zip(cells, labels, strict=True)))


@bp.get("/dashboard")
def kpi_dashboard():
    provider = request.args.get("provider", "")
    chosen = int(provider) if provider.isdigit() and len(provider) < 10 else None
    with reading() as uow:  # only reads (no audit row: figures); Forbidden: the 404 page (web.errors)
        start, end = _range(uow.now.astimezone(SERVICE_TZ).date())
        found = dashboard(uow, g.user.username, start, end, chosen)
    columns = found["providers"]
    keys = [*(p for p, _n in columns), TOTAL]
    locale = conventions()[0]
    labels = [escape(name) for name in (*(name for _p, name in columns), _("Area total"))]
    tables = []
    for key in found["order"]:
        kpi = found["kpis"][key]
        rows = []
        for row in kpi.rows:
            links = row_links(key, row.code, start, end,
                              [(p if p is not None else chosen, row.values.get(p)) for p in keys])
            rows.append((row_label(kpi, row.code), value_cells(
                [(shown(row.unit, row.values.get(p), locale), link) for p, link in zip(keys, links, strict=True)],
                labels)))
        head = next((r for r in kpi.rows if r.code == HEADLINE.get(key)), None)
        chart = None
        if head is not None and columns:
            title = f"{TITLES[key]}: {row_label(kpi, head.code)}"
            chart = bar_chart(f"chart-{key}", title, [(name, value, shown(head.unit, value, locale))
                                                      for p, name in columns for value in (head.values.get(p),)])
        tables.append({"key": key, "title": TITLES[key], "rows": rows, "chart": chart, "cases": kpi.cases})
    glance = []
    for key, code, label in GLANCE:
        row = found["kpis"][key].row(code)
        value = row.values.get(TOTAL) if row is not None else None
        glance.append({"key": key, "label": label, "value": shown(row.unit if row else "count", value),
                       "link": cases_link(key, code, start, end, chosen, value)})
    return render_template("cases/dashboard.html", tables=tables, glance=glance, columns=columns,
                           start=start, end=end, provider=chosen, all_areas=found["all_areas"],
                           all_providers=found["all_providers"], as_of=found["as_of"],
                           may_open_cases="manager" in g.user.roles)
