"""The case file: one client's job-coaching case as a person reads it, and the list of cases.

Both are *uses of client data* and so both write the audit trail (R12; 906/2019 §17 access logs,
380/2023 §124: who read whose data, when). They are therefore commands, not plain queries: run
them in a write unit of work and commit once.

- ``case_file(uow, actor, instance_id)`` writes one ``view_case`` event on the instance (the case
  names its client; no identity code is copied into the trail): ``{"view": "case"}`` (``view`` says
  which page showed it: ``case``, ``statement`` or ``access_log``; ``"health_information": true``
  when the page showed the referral's health information). Its timeline is the story of the case
  (``domain.casefile_story``): what was recorded, never the reads.
- ``case_access_log(uow, actor, instance_id)``: the reads of one case, for its managers only.
- ``domain.caselist.case_list(uow, actor, search)`` (the list, its search and filters) shows
  client names, so it writes one ``list_cases`` event per call, not tied to an instance, listing
  the ids of the cases shown: ``{"instances": [3, 2, 1]}``. A call that shows no case writes
  nothing (no client data used). One row per request keeps the trail readable; "who saw client X
  in a list" is answered by the instance ids in the details.

Access (``CASE_READERS``, built from the clauses of ``engine.access``, so the list's SQL and the
single case's check are one rule): an official, coach or manager sees the cases whose instance
organisations include their own organisation (a coach: their provider's cases; an official or a
manager: their area's). A case the user may not see reads exactly like one that does not exist
(``NotFound("no case N")``).

Only the job-coaching process has case files (``CASE_PROCESS``); other instances are "not found"
here. Instants are ISO 8601 strings and days ISO dates, as in ``engine.queries``.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select

from polku.engine import audit, ids, queries
from polku.engine.access import DATA_READER, IN_ORGANISATION, Columns, HasRole, instance_facts
from polku.engine.errors import NotFound
from polku.engine.models import (
    HumanTask,
    Instance,
    Organisation,
    ProcessDefinition,
    User,
)
from polku.engine.users import SYSTEM, load_actor

from .casefile_story import Records, access_log, read_records, story
from .models import (
    Client,
    Period,
    Referral,
)
from .referrals import referral_record
from .weeks import period_start, period_week, week_fields

CASE_PROCESS = "tyohonvalmennus"

_INSTANCE = (
    select(Instance.id, Instance.status, Instance.title, Instance.process_key, Instance.started_at,
           Instance.ended_at, Instance.definition_id)
    .where(Instance.id == bindparam("id"))
)


def _iso(value):
    return value.isoformat() if value is not None else None


# --- labels of the deployed version ---------------------------------------------------
def _definition_labels(uow, definition_id: int) -> dict[str, str]:
    """The Finnish labels stored with the version at deploy time (engine.bundle)."""
    labels = uow.session.scalar(select(ProcessDefinition.labels).where(ProcessDefinition.id == definition_id))
    return dict(labels or {})


# --- the case file ---------------------------------------------------------------------
# Client data is for the people who work on cases (380/2023 §124, 906/2019 §16): not for
# designers or administrators, even of the same organisation.
CASE_READERS = DATA_READER
# The access log (who read the case) is for the managers of the case's organisations.
LOG_READERS = HasRole("manager") & IN_ORGANISATION
# Health information (R10, given with the client's consent) is for the people who work on the case.
HEALTH_ROLES = frozenset({"official", "coach"})
# A case page shows the whole identity code to those who deal with the client (380/2023 §124);
# a manager supervises the case and sees it masked (``mask``), as the case list shows it.
WHOLE_CODE_ROLES = frozenset({"official", "coach"})


def mask(code: str | None) -> str:
    """``131052-308T`` -> ``131052-****``: the birth date and century sign, not the person."""
    if not code:
        return ""
    return code[:7] + "****" if len(code) > 7 else "****"
_CASES = Columns(instance_id=Instance.__table__.c.id)  # the rule's SQL twin over instances


def _load_case(uow, user, instance_id: int):
    row = uow.session.execute(_INSTANCE, {"id": ids.instance_id(instance_id)}).first()
    if row is None or row.process_key != CASE_PROCESS \
            or not CASE_READERS.allows(user, instance_facts(uow.session, instance_id)):
        raise NotFound(f"no case {instance_id}")
    return row


def _client(uow, periods: list[Period], instance_id: int) -> dict | None:
    """The client row; for a refused referral (no client row was made) what the referral said."""
    client = uow.session.get(Client, periods[0].client_id) if periods else None
    referral = None
    if client is None:
        referral = uow.session.scalar(select(Referral).where(Referral.instance_id == instance_id))
        if referral is not None and referral.client_id is not None:
            client = uow.session.get(Client, referral.client_id)
    if client is not None:
        return {"name": client.name, "identity_code": client.identity_code, "temporary": client.temporary_code,
                "language": client.language, "municipality": client.municipality}
    if referral is None:
        return None
    return {"name": referral.name, "identity_code": referral.identity_code, "temporary": referral.temporary_code,
            "language": referral.language, "municipality": referral.municipality}


def _period_dict(p: Period, providers: dict[int, str]) -> dict:
    return {
        "id": p.id, "number": p.number, "provider": providers.get(p.provider_organisation_id),
        "planned_start": _iso(p.planned_start), "planned_end": _iso(p.planned_end),
        "actual_start": _iso(p.actual_start), "actual_end": _iso(p.actual_end), "status": p.status,
        "end_reason": p.end_reason, "coaching_mode": p.coaching_mode, "coaching_format": p.coaching_format,
        "meetings_per_week": p.meetings_per_week, "second_period_decision": p.second_period_decision,
        "second_period_reason": p.second_period_reason,
    }


def goal_status(reached: bool | None) -> str:
    return "open" if reached is None else ("reached" if reached else "not_reached")


def _weeks(records: Records, periods: list[Period], numbers: dict[int, int]) -> list[dict]:
    """One row per (period, week): meetings from Meeting, absence days from WeeklyReview; each
    names its calendar week (domain.weeks)."""
    weeks: dict[tuple[int, int], dict] = {}
    starts = {p.id: period_start(p) for p in periods}

    def row(period_id: int, week: int) -> dict:
        key = (numbers[period_id], week)
        if key not in weeks:
            weeks[key] = {"period": key[0], **period_week(starts[period_id], week).details(), "meetings": 0,
                          "dates": [], "kinds": [], "absence_days": 0, "reviewed_at": None}
        return weeks[key]

    for review in sorted(records.reviews, key=lambda r: (r.period_id, r.week_number)):
        r = row(review.period_id, review.week_number)
        r["absence_days"] += review.absence_days or 0
        r["reviewed_at"] = _iso(review.reviewed_at)
    for m in records.meetings:  # by held_on, id
        r = row(m.period_id, m.week_number)
        r["meetings"] += 1
        r["dates"].append(_iso(m.held_on))
        r["kinds"].append(m.kind)
    return [weeks[k] for k in sorted(weeks)]


def _names(uow, usernames: set[str]) -> dict[str, str]:
    names = {SYSTEM.username: SYSTEM.display_name}
    wanted = sorted(u for u in usernames if u and u not in names)
    if wanted:
        names.update(uow.session.execute(select(User.username, User.display_name)
                                         .where(User.username.in_(wanted))).all())
    return names


def works_on_case(uow, user, instance_id: int, referral: dict | None) -> bool:
    """The case's official and coach: its responsible official (who made the referral), and the officials and
    coaches who hold or completed one of the case's tasks (a coach becomes the case's coach by
    accepting the referral; an official by taking a task over). Not managers, not colleagues."""
    roles = user.roles & HEALTH_ROLES
    if not roles:
        return False
    if referral is not None and referral["responsible_official"] == user.username and "official" in roles:
        return True
    tasks = uow.session.execute(select(HumanTask.candidate_groups, HumanTask.assignee, HumanTask.completed_by)
                                .where(HumanTask.instance_id == instance_id)).all()
    return any(user.username in (t.assignee, t.completed_by) and roles & set(t.candidate_groups or [])
               for t in tasks)


def case_file(uow, actor: str, instance_id: int, view: str = "case") -> dict:
    """Everything recorded about one case, for a user who may see it; writes the `view_case`
    audit row (R12). Raises NotFound("no case N") for a missing or hidden case (nothing written).
    The referral's health information is included only on the case page (view "case"), when the
    client consented and the reader works on the case; the audit row then says it was shown."""
    user = load_actor(uow, actor)
    inst = _load_case(uow, user, instance_id)
    periods = uow.session.scalars(select(Period).where(Period.instance_id == instance_id)
                                  .order_by(Period.number)).all()
    client = _client(uow, periods, instance_id)
    referral = referral_record(uow, instance_id)
    details: dict[str, Any] = {"view": view}  # the case names its client: no identity code in the trail
    if referral is not None:
        shown = view == "case" and bool(referral["health_information"]) \
            and works_on_case(uow, user, instance_id, referral)
        if shown:
            details["health_information"] = True
        else:
            referral["health_information"] = None
    audit.record(uow, user, "view_case", instance_id=instance_id, details=details)
    if client is not None and not user.roles & WHOLE_CODE_ROLES:
        client["identity_code"] = mask(client["identity_code"])

    numbers = {p.id: p.number for p in periods}
    period_ids = list(numbers)
    session = uow.session
    labels = _definition_labels(uow, inst.definition_id)

    # Each table once, for the page's sections and its story alike.
    records = read_records(session, instance_id, period_ids)
    goals, notices, decisions = records.goals, records.notices, records.decisions
    notifications, redirections = records.notifications, records.redirections
    # The latest of each (ORDER BY time DESC, id DESC LIMIT 1 as it was read before).
    statement = max(records.statements, key=lambda s: (s.sent_at, s.id), default=None)
    closure = max(records.closures, key=lambda c: (c.closed_at, c.id), default=None)
    refusal = records.refusals[-1] if records.refusals else None
    responsible = referral["responsible_official"] if referral else None
    deciders = _names(uow, {d.decided_by for d in decisions} | {responsible})
    org_ids = {p.provider_organisation_id for p in periods}
    providers = dict(session.execute(select(Organisation.id, Organisation.name)
                                     .where(Organisation.id.in_(org_ids))).all()) if org_ids else {}

    return {
        "instance": {"id": inst.id, "status": inst.status, "title": inst.title, "process_key": inst.process_key,
                     "started_at": _iso(inst.started_at), "ended_at": _iso(inst.ended_at)},
        "client": client,
        "referral": referral,
        "responsible_official": deciders.get(responsible, responsible) if responsible else None,
        "open_tasks": queries.instance_tasks(uow, user.username, instance_id),
        "periods": [_period_dict(p, providers) for p in periods],
        "current_period": _period_dict(periods[-1], providers) if periods else None,
        "goals": [{"period": numbers.get(g.period_id), "position": g.position, "category": g.category,
                   "description": g.description, "verification": g.verification, "reached": g.reached,
                   "status": goal_status(g.reached), "evidence": g.evidence, "revised": g.revised} for g in goals],
        "weeks": _weeks(records, list(periods), numbers),
        "notices": [{"kind": n.kind, "recipient": n.recipient_role, "at": _iso(n.created_at),
                     "period": numbers.get(n.period_id), **week_fields(n.details)} for n in notices],
        "decisions": [{"kind": d.kind, "decision": d.decision, "reason": d.reason,
                       "by": deciders.get(d.decided_by, d.decided_by), "at": _iso(d.decided_at),
                       "period": numbers.get(d.period_id)} for d in decisions],
        "notifications": [{"kind": n.kind, "sent_at": _iso(n.sent_at), "period": numbers.get(n.period_id),
                           "actual_start": (n.details or {}).get("actual_start"),
                           "status": (n.details or {}).get("status"),
                           "end_reason": (n.details or {}).get("end_reason")} for n in notifications],
        "redirections": [{"target_service": r.target_service, "description": r.description,
                          "at": _iso(r.created_at), "period": numbers.get(r.period_id)} for r in redirections],
        "statement": None if statement is None else {
            "kind": statement.kind, "text": statement.text, "reviewed": statement.reviewed_with_client,
            "not_reviewed_reason": statement.not_reviewed_reason,
            "sent_at": _iso(statement.sent_at), "period": numbers.get(statement.period_id)},
        "closure": None if closure is None else {
            "employment_status": closure.employment_status, "outcome_areas": list(closure.outcome_areas or []),
            "next_steps": closure.next_steps, "closed_at": _iso(closure.closed_at),
            "period": numbers.get(closure.period_id)},
        "refusal": None if refusal is None else {
            "reason": refusal.reason, "at": _iso(refusal.decided_at), "details": dict(refusal.details or {})},
        "timeline": story(uow, instance_id, list(periods), referral, lambda wanted: _names(uow, wanted), records),
        "labels": labels,
    }


# --- the access log ----------------------------------------------------------------------
def case_access_log(uow, actor: str, instance_id: int) -> dict:
    """Who read the case, when and how, for a manager of the case's organisation; itself a read
    of the case (a `view_case` row with view "access_log"). Anyone else: NotFound, as for a case
    they may not see (nothing written)."""
    user = load_actor(uow, actor)
    inst = _load_case(uow, user, instance_id)
    if not LOG_READERS.allows(user, instance_facts(uow.session, instance_id)):
        raise NotFound(f"no case {instance_id}")
    periods = uow.session.scalars(select(Period).where(Period.instance_id == instance_id)
                                  .order_by(Period.number)).all()
    client = _client(uow, periods, instance_id)
    entries = access_log(uow, instance_id, inst.started_at)
    audit.record(uow, user, "view_case", instance_id=instance_id, details={"view": "access_log"})
    names = _names(uow, {e["username"] for e in entries})
    for e in entries:
        e["actor"] = names.get(e["username"], e["username"])
    return {"instance": {"id": inst.id, "title": inst.title, "process_key": inst.process_key},
            "client": client, "entries": entries, "labels": _definition_labels(uow, inst.definition_id)}

