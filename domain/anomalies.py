"""Reads of client data by users who had no task on the case (380/2023 §124: access limited to what
the task needs), listed for the authority to look into: `polku audit anomalies` and the managers'
page /audit/anomalies.

"Had a task" is what the database says, not the trail: a human_tasks row on the case that the
reader claimed, was assigned or completed, or the case's responsible official (its referral), or
a task of the case that was open to them when they read (`_candidates`: in their inbox then, as a
candidate, so they looked at the case before claiming it). The audit table is only the evidence
looked through, never what decides access (engine.audit).

Reads on one case (`view_case`, `view_task`, `show`) are found by one query. Lists that showed
the case (`list_cases`, `list_notices`) name their cases in a JSON column, which the two
databases read differently: those rows are expanded here, and the readers' tasks on the named
cases are one more query. The inbox (`list_tasks`) is left out: it shows only the tasks a user
may work on, which are by construction tasks of theirs.
"""
from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import Table, exists, or_, select
from sqlalchemy.orm import aliased

from polku.engine import audit
from polku.engine.access import ADMIN, ORG_MANAGER, Columns, Facts, HasRole, require
from polku.engine.models import AuditEvent, HumanTask, Instance, InstanceOrganisation, Organisation, User, UserRole
from polku.engine.users import Actor

from .deadlines import SERVICE_TZ
from .models import Referral

CASE_READS = ("view_case", "view_task", "show")
LIST_READS = ("list_cases", "list_notices")
# Who may see the report: the operator and admins (every organisation), managers (their
# organisation's cases).
REPORT_READERS = ADMIN | HasRole("manager")

_EVENTS: Table = AuditEvent.__table__  # type: ignore[assignment]


def day_start(day: date) -> datetime:
    """`--since DAY` and the page's `since`: from the start of that day in the service's time zone."""
    return datetime.combine(day, time(), SERVICE_TZ)


def _task_of(instance_id, username):
    """The reader had a task on the case, or is its responsible official."""
    task = exists().where(HumanTask.instance_id == instance_id,
                          or_(HumanTask.claimed_by == username, HumanTask.assignee == username,
                              HumanTask.completed_by == username))
    responsible = exists().where(Referral.instance_id == instance_id, Referral.responsible_official == username)
    return or_(task, responsible)


def _scope(reader: Actor | str, instance_id):
    """The cases the reader's report covers: all for the operator and admins, else their organisation's."""
    if isinstance(reader, str) or ADMIN.allows(reader, Facts()):
        return None
    return ORG_MANAGER.where(reader, Columns(instance_id=instance_id))


def _entry(r, case: int, listed: bool, task: tuple = (None, None, None)) -> dict[str, Any]:
    """`task`: the task page read (its element, Finnish name and process), for a `view_task` row."""
    return {"element_id": task[0], "step_name": task[1], "process_key": task[2], "_at": r.at,
            "at": r.at.isoformat(), "username": r.actor, "role": r.role, "organisation": r.organisation,
            "origin": r.origin, "action": r.action, "view": (r.details or {}).get("view"), "case": case,
            "listed": listed}


def _case_reads(uow, reader, since: datetime | None) -> list[dict[str, Any]]:
    read = aliased(HumanTask)  # the task page read (not the tasks `_task_of` looks through)
    query = (select(AuditEvent, read.element_id, read.name, Instance.process_key)
             .outerjoin(read, read.id == AuditEvent.task_id)
             .outerjoin(Instance, Instance.id == AuditEvent.instance_id)
             .where(AuditEvent.instance_id.is_not(None), AuditEvent.action.in_(CASE_READS),
                    ~_task_of(AuditEvent.instance_id, AuditEvent.actor)))
    scope = _scope(reader, _EVENTS.c.instance_id)
    if scope is not None:
        query = query.where(scope)
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    return [_entry(r, r.instance_id, False, tuple(task)) for r, *task in uow.session.execute(query)]


def _list_reads(uow, reader, since: datetime | None) -> list[dict[str, Any]]:
    query = select(AuditEvent).where(AuditEvent.instance_id.is_(None), AuditEvent.action.in_(LIST_READS))
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    named = [(r, case) for r in uow.session.scalars(query) for case in (r.details or {}).get("instances") or ()
             if isinstance(case, int)]
    if not named:
        return []
    cases = sorted({case for _r, case in named})
    wanted = select(Instance.id).where(Instance.id.in_(cases))
    scope = _scope(reader, Instance.__table__.c.id)
    if scope is not None:
        wanted = wanted.where(scope)
    in_scope = set(uow.session.scalars(wanted))
    worked = set(uow.session.execute(
        select(HumanTask.instance_id, HumanTask.claimed_by).where(HumanTask.instance_id.in_(cases))
        .union(select(HumanTask.instance_id, HumanTask.assignee).where(HumanTask.instance_id.in_(cases)),
               select(HumanTask.instance_id, HumanTask.completed_by).where(HumanTask.instance_id.in_(cases)),
               select(Referral.instance_id, Referral.responsible_official).where(Referral.instance_id.in_(cases))))
        )
    return [_entry(r, case, True) for r, case in named if case in in_scope and (case, r.actor) not in worked]


def _candidates(uow, found: list[dict[str, Any]]) -> set[int]:
    """The entries (by index) whose reader was then a candidate for a task of the case the inbox
    offered them (engine.access.OPEN_TO_CANDIDATE): one of its candidate groups among the roles
    and the organisation the row records, that organisation one of the case's, and the read while
    the task was open and unclaimed (created, not yet claimed nor ended; a task the process
    assigned is claimed as it is created, so it was never in a candidate's inbox). A task
    claimed and given back has no claim time left: open all its life, the reader's benefit."""
    cases = sorted({e["case"] for e in found if e["role"] and e["organisation"]})
    if not cases:
        return set()
    tasks: dict[int, list] = {}
    for t in uow.session.execute(select(HumanTask.instance_id, HumanTask.candidate_groups, HumanTask.created_at,
                                        HumanTask.claimed_at, HumanTask.completed_at)
                                 .where(HumanTask.instance_id.in_(cases))):
        tasks.setdefault(t.instance_id, []).append(t)
    orgs: dict[int, set[str]] = {}
    for case, name in uow.session.execute(
            select(InstanceOrganisation.instance_id, Organisation.name)
            .join(Organisation, Organisation.id == InstanceOrganisation.organisation_id)
            .where(InstanceOrganisation.instance_id.in_(cases))):
        orgs.setdefault(case, set()).add(name)

    def candidate(e: dict[str, Any]) -> bool:
        if not e["role"] or e["organisation"] not in orgs.get(e["case"], ()):
            return False
        roles, at = set(e["role"].split(",")), e["_at"]
        return any(roles.intersection(t.candidate_groups or ()) and t.created_at <= at
                   and (t.claimed_at is None or at < t.claimed_at) and (t.completed_at is None or at <= t.completed_at)
                   for t in tasks.get(e["case"], ()))

    return {i for i, e in enumerate(found) if candidate(e)}


def _supervising(entry: dict[str, Any], managers: set[str]) -> bool:
    """A manager's read of a case of their own organisation is their job (they monitor the cases
    and intervene): left out, or the report would mostly list its own readers. The role is the
    row's, as it was at the read; a row that names no role (written with a bare username) goes by
    the user's roles now. A manager of another organisation cannot reach a case (CASE_READERS)."""
    if entry["role"]:
        return "manager" in entry["role"].split(",")
    return entry["username"] in managers


def read_anomalies(uow, reader: Actor | str, since: datetime | None = None) -> list[dict[str, Any]]:
    """Every read of a case by someone with no task on it, oldest first. `reader`: a manager (their
    organisation's cases), an admin (all), or the operator's name (a string: all). Anyone else:
    Forbidden. The report names people and cases, so it is itself a read, recorded."""
    if not isinstance(reader, str):
        require(REPORT_READERS, reader, Facts(), "the report of unexplained reads is for managers and admins")
    found = _case_reads(uow, reader, since) + _list_reads(uow, reader, since)
    candidates = _candidates(uow, found)
    found = [e for i, e in enumerate(found) if i not in candidates]
    managers = set(uow.session.scalars(select(User.username).join(UserRole, UserRole.user_id == User.id)
                                       .where(UserRole.role == "manager",
                                              User.username.in_(sorted({e["username"] for e in found})))))
    entries = sorted((e for e in found if not _supervising(e, managers)), key=lambda e: (e["at"], e["case"]))
    usernames = sorted({e["username"] for e in entries})
    shown = dict(uow.session.execute(select(User.username, User.display_name)
                                     .where(User.username.in_(usernames))).all()) if usernames else {}
    for e in entries:
        e["name"] = shown.get(e["username"], e["username"])
        del e["_at"]
    audit.record(uow, reader, "list_anomalies", details={"instances": sorted({e["case"] for e in entries})})
    return entries
