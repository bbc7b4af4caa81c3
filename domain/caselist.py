"""The list of cases: find a client's case by name or identity code, filter, sort and page.

One SQL query over the domain tables and the engine's materialised rows (instances, human
tasks, the referral record), never a workflow load. It uses client data, so each call that shows
a case writes one ``list_cases`` audit row naming the cases shown (R12):
``{"instances": [3, 2, 1]}``, with ``"search": "mat"`` when the user searched; a call that shows
nothing writes nothing.

Access is ``casefile.CASE_READERS`` (its SQL twin), the rule a single case file checks: another
provider's client is never found, by name or by code.

Search: text shaped like an identity code (``131052-308t``, spaces around it allowed) is matched
exactly against the normalised code (R13); anything else is names: every word of it must be the
beginning of some part of the client's name, case- and accent-insensitively ("mät" and "MAT" find
"Matti Meikäläinen", so does "mei"). The names are matched through ``name_search`` columns filled
when the name is written (``domain.names``): the same SQL on SQLite and PostgreSQL.

Identity codes in the list: officials see them whole (they refer the client and decide on the
case, and identify the person by the code); coaches and managers see only the birth date and
century sign (``131052-****``). The list is where many clients are shown at once, and neither the
coach (who picks a case by name; the case file shows the whole code to the case's own coach, who
needs it for the notifications and the statement) nor the manager (who monitors) needs whole codes
there (380/2023 §124, R15: what the person's task needs). The domain card says nothing more
specific, so this is a choice, made here in one place.

Case statuses, as officials speak of cases: ``refused`` (the referral was refused; there is no
period), ``interrupted`` (a period was interrupted, whether or not the closure is done),
``closed`` (the process ended otherwise, terminated included) and ``running`` (everything else:
in progress, suspended, stopped by an error).

Whose turn: the roles among the candidate groups of the case's open (ready) tasks, ``nobody``
when it has none; the current step filter names an open task's element. "My cases" of an
official (``scope="mine"``) are those whose referral names them the responsible official.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, case, exists, func, literal, or_, select, union
from sqlalchemy.orm import aliased

from polku.engine import audit, org_links, queries
from polku.engine.access import Facts, organisation_instances
from polku.engine.models import (
    HumanTask,
    Instance,
    Organisation,
    ProcessDefinition,
    TaskCandidateGroup,
    User,
)
from polku.engine.queries import count_upto, unindexed
from polku.engine.users import Actor, load_actor

from .casefile import _CASES, CASE_PROCESS, CASE_READERS, _iso, mask
from .identity import normalise
from .models import Client, Period, Referral
from .names import name_parts

STATUSES = ("running", "refused", "closed", "interrupted")
SORTS = ("newest", "name", "deadline")
SCOPES = ("mine", "area")  # the official's own cases (their default), all cases they may see
TURNS = ("coach", "official", "manager", "nobody")
MAX_STEP = 200  # the length of human_tasks.element_id
PAGE_SIZE = 25
MAX_PAGE = 100_000  # keeps OFFSET within what every database accepts
MAX_SEARCH = 200
# A provider's organisation has a few hundred cases, an area's thousands: up to this many, the list
# is driven from the organisation's cases and sorts them; beyond, it reads cases newest first.
FEW_CASES = 2000
SEES_WHOLE_CODES = frozenset({"official"})
# The identity code's shape (domain.identity), loosely: lets "131052-308t" mean a code, not a name.
_CODE = re.compile(r"[0-9]{6}[-+A-Z][0-9]{3}[0-9A-Z]")


@dataclass(frozen=True)
class CaseSearch:
    """What the list shows: search text, filters, order and page (defaults: everything, newest first)."""

    text: str = ""
    status: str = ""
    provider: int | None = None
    overdue: bool = False
    sort: str = "newest"
    page: int = 1
    per_page: int = PAGE_SIZE
    scope: str = ""  # "mine", "area" or "" (no choice: everything the user may see)
    step: str = ""
    turn: str = ""

    @classmethod
    def parse(cls, source, scope: str = "") -> CaseSearch:
        """From request arguments; anything unknown falls back to the default (`scope`: the
        user's default scope, when they have a choice)."""
        status, sort = str(source.get("status") or ""), str(source.get("sort") or "")
        chosen, turn = str(source.get("scope") or ""), str(source.get("turn") or "")
        return cls(text=" ".join(str(source.get("q") or "").split())[:MAX_SEARCH],
                   status=status if status in STATUSES else "",
                   provider=positive_int(source.get("provider")),
                   overdue=str(source.get("overdue") or "") in ("1", "true", "on"),
                   scope=(chosen if chosen in SCOPES else scope) if scope else "",
                   step=str(source.get("step") or "").strip()[:MAX_STEP],
                   turn=turn if turn in TURNS else "",
                   sort=sort if sort in SORTS else "newest",
                   page=min(positive_int(source.get("page")) or 1, MAX_PAGE), per_page=PAGE_SIZE)

    def args(self) -> dict:
        """URL arguments, defaults left out (the page's links)."""
        values: dict[str, Any] = {}
        if self.scope == "area":  # "mine" is the default wherever there is a choice
            values["scope"] = self.scope
        if self.text:
            values["q"] = self.text
        if self.status:
            values["status"] = self.status
        if self.provider is not None:
            values["provider"] = self.provider
        if self.overdue:
            values["overdue"] = "1"
        if self.step:
            values["step"] = self.step
        if self.turn:
            values["turn"] = self.turn
        if self.sort != "newest":
            values["sort"] = self.sort
        return values

    @property
    def narrowed(self) -> bool:
        return bool(self.text or self.status or self.provider is not None or self.overdue or self.step or self.turn)


def positive_int(value) -> int | None:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


class CasePage(list):
    """One page of cases (a list of row dicts) with the page's place in the whole result."""

    def __init__(self, rows: list[dict], total: int, page: int, pages: int, more: bool = False):
        super().__init__(rows)
        self.total, self.page, self.pages, self.more = total, page, pages, more


@dataclass(frozen=True)
class PageIds:
    """The ids of the page shown, in order, and the page's place: the matching rows counted no further
    than ``queries.COUNT_CAP`` or the page asked for (``more``: there are more), a page past the end
    (when the count is whole) being the last page."""

    ids: list[int]
    total: int
    page: int
    pages: int
    more: bool


def page_ids(uow, ids: Select, order: list, search, few: bool = False) -> PageIds:
    """The page of the list whose matching ids `ids` selects, ordered by `order`: a count to the cap
    (or to the page asked for), then the page's ids, ordered and cut before any per-row column is
    worked out (a database computes a select list's subqueries for every row it sorts). Both stop
    early where there are many matches (the count at the cap, the page through an index in the
    list's order). With `few` (a search: a name, an identity code), the count would go through
    every match and the ordered page too: within the cap, one ordered read of the cap's ids gives
    both (a name searched among an area's 12,500 cases took 29 ms and 44, now 44 in all)."""
    cap, size = queries.COUNT_CAP, search.per_page
    within = few and search.page * size <= cap
    if within:
        found = list(uow.session.scalars(ids.order_by(*order).limit(cap + 1)))
        total, more = min(len(found), cap), len(found) > cap
    else:
        total, more = count_upto(uow.session, ids, max(cap, search.page * size))
    pages = max(1, -(-total // size))
    page = min(max(search.page, 1), pages)
    start = (page - 1) * size
    if within:
        return PageIds(found[start:start + size], total, page, pages, more)
    return PageIds(list(uow.session.scalars(ids.order_by(*order).limit(size).offset(start))), total, page, pages, more)


def _columns(now):
    """The list's computed columns over instances, the referral and the client."""
    # The open tasks' next due time is kept on the instance row (engine.task_summary).
    ready_due = Instance.next_due_at
    overdue = Instance.next_due_at < now
    refused = Referral.outcome == "refused"
    not_refused = or_(Referral.outcome.is_(None), Referral.outcome != "refused")  # no referral: not refused
    interrupted = exists().where(Period.instance_id == Instance.id, Period.status == "interrupted")
    ended = Instance.status.in_(("completed", "terminated"))
    status = case((refused, literal("refused")), (interrupted, literal("interrupted")), (ended, literal("closed")),
                  else_=literal("running"))
    # The same statuses as conditions, for the status filter: the CASE compared with a status was
    # worked out in full for each of an area's 12,500 cases (its referral read, its periods probed;
    # and PostgreSQL, misjudging how many, hashed all 100,000 referrals), where the instance's own
    # status, read first, leaves a running list 2,300 of them.
    is_status = {"refused": refused, "interrupted": and_(not_refused, interrupted),
                 "closed": and_(ended, not_refused, ~interrupted), "running": and_(~ended, not_refused, ~interrupted)}
    return {
        "name": func.coalesce(Client.name, Referral.name, Instance.title),
        "name_search": func.coalesce(Client.name_search, Referral.name_search, ""),
        "code": func.coalesce(Client.identity_code, Referral.identity_code),
        "next_due": ready_due, "overdue": overdue, "status": status, "is_status": is_status,
    }


def _joined(provider):
    """Instances with the referral, the client and the provider organisation the list shows."""
    return (select(Instance.id).select_from(Instance)
            .outerjoin(Referral, Referral.instance_id == Instance.id)
            .outerjoin(Client, Client.id == Referral.client_id)
            .outerjoin(provider, provider.id == Referral.provider_organisation_id))


def _driver(uow, user: Actor, search: CaseSearch) -> Select | None:
    """The ids the list is read from: those of its most selective indexed condition (a superset of
    the matching cases; every condition is still applied to them), or None: every case, read newest
    first (an area's unfiltered list, whose first page is at the top). SQLite keeps no statistics,
    so the choice is made here: an identity code (one client), a provider (a few hundred cases),
    the official's own cases (as many), the user's organisation when it has few (a provider's few
    hundred), the interrupted periods, or the organisation's thousands (an area's) when other
    conditions or another order would have SQLite read every case in the list's order."""
    text = normalise(search.text)
    if _CODE.fullmatch(text):
        return union(select(Referral.instance_id).where(Referral.identity_code == text),
                     select(Referral.instance_id).join(Client, Client.id == Referral.client_id)
                     .where(Client.identity_code == text))
    if search.provider is not None:
        return select(Referral.instance_id).where(Referral.provider_organisation_id == search.provider)
    if search.scope == "mine":
        return select(Referral.instance_id).where(Referral.responsible_official == user.username)
    if user.organisation_id is None:
        return None
    own = organisation_instances(user.organisation_id)
    if not count_upto(uow.session, own, FEW_CASES)[1]:
        return own
    if search.status == "interrupted":  # a few of an area's thousands, a few more of all areas'
        return select(Period.instance_id).where(Period.status == "interrupted")
    if search.narrowed or search.sort != "newest":
        return own
    return None


def _filtered(uow, user: Actor, search: CaseSearch, cols: dict, provider):
    driver = _driver(uow, user, search)
    process = Instance.process_key if driver is None else unindexed(Instance.process_key)
    query = _joined(provider).where(process == CASE_PROCESS, CASE_READERS.where(user, _CASES))
    if driver is not None:
        query = query.where(Instance.id.in_(driver))
    text = normalise(search.text)
    if _CODE.fullmatch(text):
        query = query.where(cols["code"] == text)
    elif search.text:
        words = name_parts(search.text)
        query = query.where(and_(*(cols["name_search"].contains(" " + w, autoescape=True) for w in words))
                            if words else literal(False))
    if search.status:
        query = query.where(cols["is_status"][search.status])
    if search.provider is not None:
        query = query.where(Referral.provider_organisation_id == search.provider)
    if search.overdue:
        query = query.where(cols["overdue"])
    if search.scope == "mine":
        query = query.where(Referral.responsible_official == user.username)
    open_task = exists().where(HumanTask.instance_id == Instance.id, HumanTask.state == "ready")
    if search.step:
        query = query.where(open_task.where(HumanTask.element_id == search.step))
    if search.turn == "nobody":
        query = query.where(~open_task)
    elif search.turn:
        query = query.where(open_task.where(TaskCandidateGroup.task_id == HumanTask.id,
                                            TaskCandidateGroup.group_name == search.turn))
    return query


def _order(search: CaseSearch, cols: dict) -> list:
    if search.sort == "name":
        return [cols["name_search"], Instance.id]
    if search.sort == "deadline":
        return [cols["next_due"].is_(None), cols["next_due"], Instance.id.desc()]
    return [Instance.started_at.desc(), Instance.id.desc()]


def open_steps(uow, ids: list[int]) -> dict[int, list[dict]]:
    """The ready tasks of each case: its current steps, with the version's Finnish labels."""
    found: dict[int, list[dict]] = {i: [] for i in ids}
    if not ids:
        return found
    rows = uow.session.execute(
        select(HumanTask.instance_id, HumanTask.element_id, HumanTask.name, HumanTask.due_at, Instance.process_key,
               ProcessDefinition.labels, HumanTask.candidate_groups, HumanTask.assignee, User.display_name)
        .join(Instance, Instance.id == HumanTask.instance_id)
        .join(ProcessDefinition, ProcessDefinition.id == Instance.definition_id)
        .outerjoin(User, User.username == HumanTask.assignee)
        .where(HumanTask.instance_id.in_(ids), HumanTask.state == "ready")
        .order_by(HumanTask.instance_id, HumanTask.created_at, HumanTask.id))
    for r in rows:
        found[r.instance_id].append({"element_id": r.element_id, "process_key": r.process_key,
                                     "name": (r.labels or {}).get(r.element_id) or r.name or r.element_id,
                                     "due_at": _iso(r.due_at), "turn": turn_of(r.candidate_groups),
                                     "assignee_name": r.display_name or r.assignee})
    return found


def turn_of(groups) -> str:
    """Whose turn an open task is: the first of its candidate groups that is a turn."""
    return next((g for g in groups or () if g in TURNS), "nobody")


def turns(steps: list[dict]) -> list[str]:
    """Whose turn a case is, from its open tasks: each role once, "nobody" when none."""
    return list(dict.fromkeys(step["turn"] for step in steps)) or ["nobody"]


def case_steps(uow, process_key: str | None = CASE_PROCESS) -> list[dict]:
    """The user tasks of the job-coaching process (the current step filter's choices): those of
    the newest version first, in the order of its file, then any that only older versions have;
    each with the Finnish label of the newest version that has it. No client data.
    `process_key=None`: those of every process, process by process (the instance list's choices)."""
    found: dict[tuple[str, str], dict] = {}
    query = select(ProcessDefinition.key, ProcessDefinition.extensions, ProcessDefinition.labels)
    if process_key is not None:
        query = query.where(ProcessDefinition.key == process_key)
    for key, extensions, labels in uow.session.execute(
            query.order_by(ProcessDefinition.key, ProcessDefinition.version.desc())):
        for element_id, entry in (extensions or {}).items():
            if "candidate_groups" in (entry or {}) and (key, element_id) not in found:
                found[key, element_id] = {"element_id": element_id, "process_key": key,
                                          "name": (labels or {}).get(element_id) or element_id}
    return list(found.values())


def case_providers(uow, actor: str) -> list[dict]:
    """The providers of the cases `actor` may see (the provider filter's choices): no client data.
    A case is seen through one of its organisations, and the provider its referral names is one of
    them: the providers the user's organisation shares an instance with (``org_links``, a few dozen
    among hundreds). Probing each for a visible case cost more than the whole page (SQLite drove every
    probe from the area's cases); a provider whose shared cases were all purged may stay offered."""
    user = load_actor(uow, actor)
    if not CASE_READERS.allows(user, Facts(org_ids=frozenset({user.organisation_id} - {None}))):
        return []
    ids = org_links.linked(uow.session, user.organisation_id)
    rows = uow.session.execute(select(Organisation.id, Organisation.name)
                               .where(Organisation.id.in_(ids), Organisation.kind == "provider")
                               .order_by(Organisation.name)) if ids else []
    return [{"id": r.id, "name": r.name} for r in rows]


def case_list(uow, actor: str, search: CaseSearch | None = None) -> CasePage:
    """One page of the job-coaching cases `actor` may see that match `search` (default: all,
    newest first); writes one `list_cases` audit row naming the cases shown (R12), or none when
    there is nothing to show. A page past the end shows the last page."""
    search = search or CaseSearch()
    user = load_actor(uow, actor)
    provider = aliased(Organisation)
    cols = _columns(uow.now)
    base = _filtered(uow, user, search, cols, provider)
    found = page_ids(uow, base, _order(search, cols), search, few=bool(search.text))
    ids = found.ids
    # The page's rows by id alone: with the filters again, SQLite read them through the list's index.
    query = (_joined(provider).where(Instance.id.in_(ids)).with_only_columns(
        Instance.id, Instance.title, Instance.status, Instance.started_at, Instance.ended_at, Instance.process_key,
        cols["name"].label("name"), cols["code"].label("code"), cols["status"].label("case_status"),
        cols["next_due"].label("next_due"), cols["overdue"].label("overdue"), provider.name.label("provider"),
        Referral.refusal_reason)
        .order_by(*_order(search, cols)))
    whole = bool(user.roles & SEES_WHOLE_CODES)
    rows = uow.session.execute(query).all()
    steps = open_steps(uow, [r.id for r in rows])
    cases = [{
        "id": r.id, "title": r.title, "status": r.status, "started_at": _iso(r.started_at),
        "ended_at": _iso(r.ended_at), "process_key": r.process_key, "name": r.name,
        "identity_code": (r.code or "") if whole else mask(r.code), "identity_code_masked": not whole,
        "case_status": r.case_status, "refusal_reason": r.refusal_reason if r.case_status == "refused" else None,
        "provider": r.provider, "steps": steps[r.id], "turns": turns(steps[r.id]),
        "next_due": _iso(r.next_due), "overdue": bool(r.overdue),
    } for r in rows]
    if cases:
        details: dict[str, Any] = {"instances": [c["id"] for c in cases]}
        if search.text:
            details["search"] = True  # what was typed may be an identity code: not kept
        audit.record(uow, user, "list_cases", details=details)
    return CasePage(cases, found.total, found.page, found.pages, found.more)
