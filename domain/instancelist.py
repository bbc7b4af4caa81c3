"""The managers' list of process instances: filter, sort, page and export (issue 10).

One SQL query over the materialised tables (instances, human_tasks, instance_organisations,
referrals, clients, notices), never a workflow load; the filters use indexed columns
(``instances.status``/``process_key``/``started_at``, the open tasks' count and next due time kept
on the instance row (``engine.task_summary``; ``(status, next_due_at)``), a step's open tasks
``human_tasks (state, element_id, instance_id)``,
``referrals.instance_id``/``responsible_official``/``provider_organisation_id``,
``notices.instance_id``, the primary key of ``instance_organisations``). The count and a page's
ids are read first, from the narrowest list (the step's open tasks, else the manager's
organisation's instances), and only the page's rows are read with their columns.

Who sees what (``docs/access-matrix.toml``): managers the instances of their organisations
(``engine.access.ORG_MANAGER``), with the client's name; admins (and the operator) every
organisation's instances but no client data: no name column (R15: admins run the system, not
cases). Anyone else: ``NotFound`` (the page does not exist for them). Every call that shows client
names writes one ``list_instances`` audit row naming the instances shown (R12), ``"export": true``
for the CSV; a call that shows nothing, or no names, writes nothing.

Statuses: the engine's (``running``, ``suspended``, ``error``, ``completed``, ``terminated``),
with ``running`` split in two: ``waiting`` when no human task is open (only timers or messages
can move the instance on), ``running`` when one is.

A rule breach: the instance has a notice (acknowledged or not) of a kind in
``notices.RULE_BREACH_KINDS``. The employment area is the instance's organisation of kind ``area``;
the provider, the referral's (as in the case list).

Order: ``newest``/``oldest`` by the instance number (the order they were made), ``started`` by the
start instant, newest first (an import or a bulk seed may start instances out of number order),
``status`` in the order of ``STATUSES``, ``due`` by the earliest deadline of an open task, none last;
ties newest first. The page size is ``caselist.PAGE_SIZE``, read when the request is parsed.

The cases behind a dashboard number (``kpi`` and its arguments, ``kpis.links``): the figure is
resolved once per call for the user's own scope and its case ids are one more filter (bound as
literal integers: a figure of a large area may hold more cases than a statement may have parameters).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import bindparam, case, exists, func, literal, select, true
from sqlalchemy.orm import aliased

from polku.engine import audit, org_links, queries
from polku.engine.access import ADMIN, ORG_MANAGER, Columns, Facts, organisation_instances
from polku.engine.errors import NotFound
from polku.engine.models import HumanTask, Instance, InstanceOrganisation, Organisation, ProcessDefinition, User
from polku.engine.queries import count_upto, distinct_values
from polku.engine.users import Actor, load_actor

from .casefile import _iso
from .caselist import MAX_PAGE, MAX_STEP, PAGE_SIZE, CasePage, open_steps, page_ids, positive_int
from .deadlines import SERVICE_TZ
from .kpis.links import FigureCases, KpiLink, figure_cases
from .models import Client, Notice, Referral
from .notices import RULE_BREACH_KINDS

STATUSES = ("running", "waiting", "suspended", "error", "completed", "terminated")
SORTS = ("newest", "oldest", "started", "status", "due")
MAX_KEY = 200  # the length of instances.process_key
_INSTANCES = Columns(instance_id=Instance.__table__.c.id)  # the access rule's SQL twin over instances
_NO_FACTS = Facts()  # the admin clause looks at the actor alone


@dataclass(frozen=True)
class InstanceSearch:
    """The list's filters, order and page (defaults: every instance the user may see, newest first)."""

    status: str = ""
    process: str = ""
    version: int | None = None
    step: str = ""
    provider: int | None = None
    area: int | None = None
    official: str = ""
    overdue: bool = False
    breach: bool = False
    started_from: date | None = None
    started_to: date | None = None
    sort: str = "newest"
    page: int = 1
    per_page: int = PAGE_SIZE
    kpi: KpiLink | None = None

    @classmethod
    def parse(cls, source) -> InstanceSearch:
        """From request arguments; anything unknown or malformed falls back to the default."""
        status, sort = str(source.get("status") or ""), str(source.get("sort") or "")
        return cls(status=status if status in STATUSES else "",
                   process=str(source.get("process") or "").strip()[:MAX_KEY],
                   version=positive_int(source.get("version")),
                   step=str(source.get("step") or "").strip()[:MAX_STEP],
                   provider=positive_int(source.get("provider")), area=positive_int(source.get("area")),
                   official=str(source.get("official") or "").strip()[:100],
                   overdue=_flag(source.get("overdue")), breach=_flag(source.get("breach")),
                   started_from=_day(source.get("from")), started_to=_day(source.get("to")),
                   sort=sort if sort in SORTS else "newest",
                   page=min(positive_int(source.get("page")) or 1, MAX_PAGE), per_page=PAGE_SIZE,
                   kpi=KpiLink.parse(source))

    def args(self) -> dict:
        """URL arguments, defaults left out (the page's links and the CSV link)."""
        values: dict[str, Any] = {}
        for name, value in (("status", self.status), ("process", self.process), ("version", self.version),
                            ("step", self.step), ("provider", self.provider), ("area", self.area),
                            ("official", self.official)):
            if value:
                values[name] = value
        if self.overdue:
            values["overdue"] = "1"
        if self.breach:
            values["breach"] = "1"
        if self.started_from:
            values["from"] = self.started_from.isoformat()
        if self.started_to:
            values["to"] = self.started_to.isoformat()
        if self.sort != "newest":
            values["sort"] = self.sort
        if self.kpi is not None:
            values.update(self.kpi.args())
        return values

    @property
    def narrowed(self) -> bool:
        return any(v for k, v in self.args().items() if k != "sort")


def _flag(value) -> bool:
    return str(value or "") in ("1", "true", "on")


def _day(value) -> date | None:
    try:
        return date.fromisoformat(str(value or "")[:10])
    except ValueError:
        return None


def _day_start(day: date) -> datetime:
    """A day of the service's calendar begins at its local midnight (as the other date filters)."""
    return datetime.combine(day, time(), SERVICE_TZ)


def shows_names(user: Actor) -> bool:
    """Managers see whose case it is; admins (and the operator) run the system and see no client data."""
    return "manager" in user.roles and not ADMIN.allows(user, _NO_FACTS)


def list_reader(uow, actor: str) -> Actor:
    """The actor, if the instance list (and what acts on its selection) exists for them; else NotFound."""
    user = load_actor(uow, actor)
    if not ("manager" in user.roles or ADMIN.allows(user, _NO_FACTS)):
        raise NotFound("no instance list")
    return user



def _columns(now):
    # The open tasks' count and next due time are kept on the instance row (engine.task_summary).
    ready = Instance.open_tasks > 0
    status = case((Instance.status == "running", case((ready, literal("running")), else_=literal("waiting"))),
                  else_=Instance.status)
    next_due = Instance.next_due_at
    overdue = Instance.next_due_at < now
    breach = exists().where(Notice.instance_id == Instance.id, Notice.kind.in_(sorted(RULE_BREACH_KINDS)))
    area_org = aliased(Organisation)
    area = (select(func.min(area_org.name))
            .join(InstanceOrganisation, InstanceOrganisation.organisation_id == area_org.id)
            .where(InstanceOrganisation.instance_id == Instance.id, area_org.kind == "area")
            .correlate(Instance).scalar_subquery())
    return {"ready": ready, "status": status, "next_due": next_due, "overdue": overdue, "breach": breach,
            "area": area, "name": func.coalesce(Client.name, Referral.name, Instance.title)}


class InstancePage(CasePage):
    """A page of the list, with the dashboard figure whose cases it lists (if it does)."""

    def __init__(self, page: CasePage, figure: FigureCases | None):
        super().__init__(page, page.total, page.page, page.pages, page.more)
        self.figure = figure


def _figure(uow, user: Actor, search: InstanceSearch) -> FigureCases | None:
    return figure_cases(uow, user, search.kpi) if search.kpi is not None else None


def _joined(provider):
    """The instances with their referral, client and provider (the columns' and filters' tables)."""
    return (select(Instance.id).select_from(Instance)
            .outerjoin(Referral, Referral.instance_id == Instance.id)
            .outerjoin(Client, Client.id == Referral.client_id)
            .outerjoin(provider, provider.id == Referral.provider_organisation_id))


def _filtered(user: Actor, search: InstanceSearch, cols: dict, provider, figure: FigureCases | None = None):
    """The ids matching `search` that `user` may see; with the referral, client and `provider`
    joined for the columns (None: only what the filters need, the referral for two of them: the
    count and a page's ids, where SQLite looked up every instance's referral and client for nothing)."""
    admin = ADMIN.allows(user, _NO_FACTS)
    may = true() if admin else ORG_MANAGER.where(user, _INSTANCES)
    if provider is not None:
        query = _joined(provider)
    elif search.provider is not None or search.official:
        query = select(Instance.id).select_from(Instance).join(Referral, Referral.instance_id == Instance.id)
    else:
        query = select(Instance.id)
    query = query.where(may)
    # The rule again, as a list to start from (from the rule's EXISTS alone: 400 ms at 100,000);
    # with a step, the step's open tasks of those instances (SQLite then starts from a few hundred
    # instead of the area's 12,500 instances: 28 ms against 3).
    start = (organisation_instances(user.organisation_id)
             if not admin and user.organisation_id is not None else None)
    if search.step:
        at_step = select(HumanTask.instance_id).where(HumanTask.state == "ready", HumanTask.element_id == search.step)
        query = query.where(Instance.id.in_(at_step if start is None else at_step.where(
            HumanTask.instance_id.in_(start))))
    elif start is not None:
        query = query.where(Instance.id.in_(start))
    if search.status == "running":
        query = query.where(Instance.status == "running", cols["ready"])
    elif search.status == "waiting":
        query = query.where(Instance.status == "running", ~cols["ready"])
    elif search.status:
        query = query.where(Instance.status == search.status)
    if search.process:
        query = query.where(Instance.process_key == search.process)
    if search.version is not None:
        query = query.where(Instance.version == search.version)
    if search.provider is not None:
        query = query.where(Referral.provider_organisation_id == search.provider)
    if search.area is not None:
        query = query.where(exists().where(InstanceOrganisation.instance_id == Instance.id,
                                           InstanceOrganisation.organisation_id == search.area))
    if search.official:
        query = query.where(Referral.responsible_official == search.official)
    if search.overdue:
        query = query.where(cols["overdue"])
    if search.breach:
        query = query.where(cols["breach"])
    if search.started_from:
        query = query.where(Instance.started_at >= _day_start(search.started_from))
    if search.started_to:
        query = query.where(Instance.started_at < _day_start(search.started_to + timedelta(days=1)))
    if figure is not None:
        query = query.where(Instance.id.in_(bindparam("kpi_cases", sorted(figure.cases), expanding=True,
                                                      literal_execute=True)))
    return query


_STATUS_ORDER = {s: i for i, s in enumerate(STATUSES)}


def _order(search: InstanceSearch, cols: dict) -> list:
    if search.sort == "oldest":
        return [Instance.id]
    if search.sort == "started":  # the start instant (an import or a bulk seed may start out of id order)
        return [Instance.started_at.desc(), Instance.id.desc()]
    if search.sort == "status":
        return [case(_STATUS_ORDER, value=cols["status"]), Instance.id.desc()]
    if search.sort == "due":
        return [cols["next_due"].is_(None), cols["next_due"], Instance.id.desc()]
    return [Instance.id.desc()]


def _rows(uow, user: Actor, search: InstanceSearch, ids: list[int] | None, figure: FigureCases | None):
    """The rows of one page (`ids`: the page's), or of every match (None: the export, the bulk selection)."""
    provider = aliased(Organisation)
    cols = _columns(uow.now)
    if ids is None:
        query = _filtered(user, search, cols, provider, figure)
    else:
        # The page's ids passed every filter and the access rule: its rows are read by id alone
        # (with the filters again, SQLite started from the area's whole instance list: 30 ms).
        query = _joined(provider).where(Instance.id.in_(ids))
    return uow.session.execute(query.outerjoin(ProcessDefinition, ProcessDefinition.id == Instance.definition_id)
                               .with_only_columns(
        Instance.id, Instance.process_key, ProcessDefinition.name.label("process_name"), Instance.version,
        Instance.started_at, Instance.ended_at,
        Instance.error_element, cols["status"].label("status"), cols["name"].label("name"),
        cols["next_due"].label("next_due"), cols["overdue"].label("overdue"), cols["breach"].label("breach"),
        cols["area"].label("area"), provider.name.label("provider"), Referral.responsible_official,
    ).order_by(*_order(search, cols))).all()


def _officials(uow, usernames) -> dict[str, str]:
    wanted = sorted({u for u in usernames if u})
    if not wanted:
        return {}
    return dict(uow.session.execute(select(User.username, User.display_name).where(User.username.in_(wanted))).all())


def _present(uow, user: Actor, rows, export: bool) -> list[dict]:
    names = shows_names(user)
    steps = open_steps(uow, [r.id for r in rows])
    officials = _officials(uow, (r.responsible_official for r in rows))
    found = [{
        "id": r.id, "process_key": r.process_key, "process_name": r.process_name, "version": r.version,
        "status": r.status,
        "name": r.name if names else None, "started_at": _iso(r.started_at), "ended_at": _iso(r.ended_at),
        "error_element": r.error_element, "next_due": _iso(r.next_due), "overdue": bool(r.overdue),
        "breach": bool(r.breach), "area": r.area, "provider": r.provider,
        "official": r.responsible_official, "official_name": officials.get(r.responsible_official or ""),
        "steps": steps[r.id],
    } for r in rows]
    if found and names:
        details: dict[str, Any] = {"instances": [i["id"] for i in found]}
        if export:
            details["export"] = True
        audit.record(uow, user, "list_instances", details=details)
    return found


def instance_list(uow, actor: str, search: InstanceSearch | None = None) -> InstancePage:
    """One page of the instances `actor` may manage that match `search`; a page past the end shows
    the last page. Writes the `list_instances` audit row when names are shown. A dashboard link
    naming no figure the user could see: NotFound."""
    search = search or InstanceSearch()
    user = list_reader(uow, actor)
    figure = _figure(uow, user, search)
    found = page_ids(uow, _matching(uow, user, search, figure), _order(search, _columns(uow.now)), search)
    rows = _rows(uow, user, search, found.ids, figure)
    return InstancePage(CasePage(_present(uow, user, rows, export=False), found.total, found.page, found.pages,
                                 found.more), figure)


def _matching(uow, user: Actor, search: InstanceSearch, figure: FigureCases | None):
    return _filtered(user, search, _columns(uow.now), None, figure)


def instance_export(uow, actor: str, search: InstanceSearch) -> list[dict]:
    """Every instance matching `search` (not a page), in the list's order: the CSV export."""
    user = list_reader(uow, actor)
    rows = _rows(uow, user, search, None, _figure(uow, user, search))
    return _present(uow, user, rows, export=True)


def instance_selection(uow, actor: str, search: InstanceSearch, cap: int) -> CasePage:
    """Every instance matching `search` (not a page), in the list's order, when at most `cap` match:
    what a bulk intervention would act on. When more match, no rows, only the total (the caller asks
    for a narrower filter). Writes the `list_instances` audit row when names are shown."""
    user = list_reader(uow, actor)
    figure = _figure(uow, user, search)
    total, more = count_upto(uow.session, _matching(uow, user, search, figure), max(cap, queries.COUNT_CAP))
    fits = 0 < total <= cap and not more
    rows = _present(uow, user, _rows(uow, user, search, None, figure), export=False) if fits else []
    return CasePage(rows, total, 1, 1, more)


def instance_choices(uow, actor: str) -> dict[str, list]:
    """The filters' choices: processes and versions, providers, areas, responsible officials of the
    instances `actor` may see. No client data."""
    user = list_reader(uow, actor)
    processes = [{"key": k, "version": v, "name": n} for k, v, n in uow.session.execute(
        select(ProcessDefinition.key, ProcessDefinition.version, ProcessDefinition.name)
        .order_by(ProcessDefinition.key, ProcessDefinition.version.desc()))]
    admin = ADMIN.allows(user, _NO_FACTS)
    # A manager sees the instances of their organisation: the providers and areas on them are among
    # the organisations theirs works with (org_links), a few dozen of hundreds.
    reach = None if admin else org_links.linked(uow.session, user.organisation_id)
    orgs = [o for o in uow.session.execute(select(Organisation.id, Organisation.name, Organisation.kind)
                                           .order_by(Organisation.name)) if reach is None or o.id in reach]
    may = true() if admin else ORG_MANAGER.where(user, _INSTANCES)
    # The responsible officials (a skip scan: a handful of values among 100,000 referrals): those of
    # the organisations in reach (or no longer users), each kept when one case of theirs is visible
    # (the first found ends the search; one of another area would read all of theirs to find none).
    named = distinct_values(uow.session, Referral.responsible_official)
    users = {u.username: u for u in uow.session.execute(
        select(User.username, User.display_name, User.organisation_id).where(User.username.in_(named)))}
    candidates = [u for u in named if reach is None or u not in users or users[u].organisation_id in reach]

    def probe(official) -> Any:
        return exists().where(Referral.responsible_official == official, Instance.id == Referral.instance_id, may)
    # The users among them in one statement with one probe, correlated (a round trip each was 20 ms
    # on PostgreSQL for an area's; a probe per name in one statement, 10 ms of planning); the rare
    # name that is no longer a user on its own.
    known = [u for u in candidates if u in users]
    visible = set(uow.session.scalars(select(User.username).where(User.username.in_(known), probe(User.username)))
                  ) if known else set()
    visible.update(u for u in candidates if u not in users and uow.session.scalar(select(probe(u))))
    officials = [u for u in candidates if u in visible]
    return {"processes": processes,
            "providers": [{"id": o.id, "name": o.name} for o in orgs if o.kind == "provider"],
            "areas": [{"id": o.id, "name": o.name} for o in orgs if o.kind == "area"],
            "officials": [{"username": u, "name": (u in users and users[u].display_name) or u} for u in officials]}
