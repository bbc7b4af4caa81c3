"""A manager's interventions on one instance's open tasks (issue 10): change a task's due date, and
who could be handed a task (the choices of `tasks.assign`).

`set_due` follows the other instance commands: load, check access (the managers of the instance's
organisations, and admins: ``MANAGES_INSTANCE``), work, one audit row, and the caller commits. The
due date is the human_tasks row's `due_at`, which is what the inbox, the case page and the deadline
watch (domain.deadline_watch) read; the workflow never rewrites it for a task already open.
"""
from __future__ import annotations

from datetime import date, datetime, time, timezone
from typing import TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import CursorResult, select, update

from . import audit, locks, task_summary
from .access import instance_org_ids, require_instance_manager
from .errors import Conflict, NotFound, ValidationFailed
from .models import HumanTask, User, UserRole
from .tasks import _context
from .users import load_actor

if TYPE_CHECKING:
    from .db import UnitOfWork

# The service's days are Finland's: "not in the past" is against today there.
SERVICE_TZ = ZoneInfo("Europe/Helsinki")
REASON_MAX = 1000  # an intervention's reason: a few sentences, the length of a statement's comment


def checked_reason(reason: str | None) -> str:
    """A reason is required for an intervention the next reader must understand."""
    text = (reason or "").strip()
    if not text:
        raise ValidationFailed("a reason is required", {"reason": "is required"})
    if len(text) > REASON_MAX:
        raise ValidationFailed(f"the reason must be at most {REASON_MAX} characters",
                               {"reason": f"must be at most {REASON_MAX} characters"})
    return text


def set_due(uow: UnitOfWork, actor: str, task_id: str, due: date, reason: str | None) -> datetime:
    """Move an open task's due date to the day `due` (today or later, Finnish time). Returns the new
    `due_at`: the last second of that day in Finland, as the process's own due dates are
    (domain.deadlines.end_of_day), so that the task is overdue from the next day on."""
    user, task, _inst, facts = _context(uow, actor, task_id, all_orgs=True)
    require_instance_manager(user, facts.org_ids)
    if task.state != "ready":
        raise Conflict(f"task {task.id} is no longer open ({task.state})", "handled")
    text = checked_reason(reason)
    today = uow.now.astimezone(SERVICE_TZ).date()
    if due < today:
        raise ValidationFailed(f"the due date {due.isoformat()} is in the past", {"due": "is in the past"})
    due_at = datetime.combine(due, time(23, 59, 59), SERVICE_TZ).astimezone(timezone.utc)
    # The instance's row first, as a step takes it: a step running meanwhile has then committed
    # (this task may be done) and one starting waits, so the next due time worked out below is
    # the one the committed tasks give.
    locks.instance(uow, task.instance_id)
    # Session.execute is typed as returning any Result; an UPDATE's is a CursorResult.
    result = cast(CursorResult[Any], uow.session.execute(
        update(HumanTask).where(HumanTask.id == task.id, HumanTask.state == "ready")
        .values(due_at=due_at).execution_options(synchronize_session=False)))
    if result.rowcount != 1:
        raise Conflict(f"task {task.id} was handled meanwhile", "handled")
    task_summary.refresh(uow, task.instance_id)
    # As suspend/resume/terminate do: the reason in the details (the audit trail is where it is read).
    audit.record(uow, user, "set_due", instance_id=task.instance_id, task_id=task.id,
                 details={"fields": ["due_at"], "reason": text})
    return due_at


def require_task_of(uow: UnitOfWork, task_id: str, instance_id: int) -> None:
    """The task named in a page's address belongs to the instance named there (else: not found)."""
    found = uow.session.scalar(select(HumanTask.instance_id).where(HumanTask.id == task_id))
    if found != instance_id:
        raise NotFound(f"no task {task_id} in instance {instance_id}")


def open_tasks(uow: UnitOfWork, actor: str, instance_id: int) -> list[dict[str, Any]]:
    """The instance's open human tasks, each with the users it could be handed to (a role among its
    candidate groups, in one of the instance's organisations: ``access.CANDIDATE``). For its managers."""
    user = load_actor(uow, actor)
    orgs = instance_org_ids(uow.session, instance_id)
    require_instance_manager(user, orgs)
    tasks = uow.session.execute(
        select(HumanTask.id, HumanTask.element_id, HumanTask.name, HumanTask.assignee,
               HumanTask.candidate_groups, HumanTask.due_at)
        .where(HumanTask.instance_id == instance_id, HumanTask.state == "ready")
        .order_by(HumanTask.created_at, HumanTask.id)).all()
    groups = sorted({g for t in tasks for g in (t.candidate_groups or ())})
    people: dict[str, tuple[str, set[str]]] = {}
    if groups and orgs:
        for username, display_name, role in uow.session.execute(
                select(User.username, User.display_name, UserRole.role)
                .join(UserRole, UserRole.user_id == User.id)
                .where(User.organisation_id.in_(sorted(orgs)), UserRole.role.in_(groups))):
            people.setdefault(username, (display_name, set()))[1].add(role)
    holders = {t.assignee for t in tasks if t.assignee}
    shown = {r.username: r.display_name for r in uow.session.execute(
        select(User.username, User.display_name).where(User.username.in_(sorted(holders))))} if holders else {}
    return [{"id": t.id, "element_id": t.element_id, "name": t.name, "assignee": t.assignee,
             "assignee_name": shown.get(t.assignee, t.assignee) if t.assignee else None, "due_at": t.due_at,
             "candidates": sorted(((u, d) for u, (d, roles) in people.items()
                                   if roles & set(t.candidate_groups or ())), key=lambda p: (p[1], p[0]))}
            for t in tasks]
