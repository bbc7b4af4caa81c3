"""Notices as inbox items: what an official, a manager or a coach has been told about a case and
has not yet acknowledged.

A notice (``models.Notice``, raised by the process's service tasks: R2, R7, R8) is addressed to a
role. A user sees the open notices addressed to one of their roles on the cases they may read
(``casefile.CASE_READERS``, its SQL twin: the same rule as the case list, so another area's
notices are never shown), until someone acknowledges it.

- ``open_count(uow, actor)`` (``count_for(uow, user)``): how many there are (the navigation's
  figure). Shows no client data, so it is a plain read and writes nothing.
- ``open_notices(uow, actor)``: the list, newest first, with each case's client name. That is a
  use of client data (R12), logged like the case list: one ``list_notices`` audit row per call,
  not tied to an instance, naming the cases shown (``{"instances": [3, 1], "notices": [7, 5]}``);
  a call that shows nothing writes nothing.
- ``acknowledge(uow, actor, notice_id)``: records who and when on the notice and writes an
  ``acknowledge_notice`` audit row on its case. A notice the user may not see (another role's,
  another area's, none at all) is ``NotFound``; one already acknowledged is ``Conflict``
  (reason ``acknowledged``), also when two users acknowledge it at the same moment.

One acknowledgement closes the notice for everyone it was addressed to: a notice to "the official"
asks for one official's attention, not each one's.
"""
from __future__ import annotations

from sqlalchemy import func, select, update

from polku.engine import audit
from polku.engine.access import Columns, instance_facts
from polku.engine.errors import Conflict, NotFound
from polku.engine.models import Instance
from polku.engine.users import Actor, load_actor

from .casefile import CASE_PROCESS, CASE_READERS, _iso
from .models import Client, Notice, Referral
from .weeks import SILENT_WEEK

# A coach is told of their own tasks' deadlines (domain.deadline_watch) and of silent weeks
# (domain.weeks); CASE_READERS keeps a coach to their provider's cases, so another provider's coach
# never sees the notice.
RECIPIENT_ROLES = frozenset({"official", "manager", "coach"})
# The notices that say a service rule was broken (the instance list's "rule breach" filter, the
# dashboard's breaches): R2 a week without the agreed meetings (escalated to the manager), R7 the start
# notification overdue (escalated), R3 a second period the rules forbid, and a week that ended with
# no weekly review (domain.weeks.SILENT_WEEK). Deadline reminders and the coach's own flags
# (absence, other service need, unrealistic goals) are not breaches.
RULE_BREACH_KINDS = frozenset({"week_without_meeting", "start_notice_overdue", "second_period_forbidden",
                               SILENT_WEEK})
_NOTICES = Columns(instance_id=Notice.__table__.c.instance_id)  # the access rule's SQL twin over notices


def _open(user):
    """The conditions of `user`'s open notices."""
    return (Notice.recipient_role.in_(sorted(user.roles & RECIPIENT_ROLES)), Notice.acknowledged_at.is_(None),
            Instance.process_key == CASE_PROCESS, CASE_READERS.where(user, _NOTICES))


def open_count(uow, actor: str) -> int:
    return count_for(uow, load_actor(uow, actor))


def count_for(uow, user: Actor) -> int:
    """`open_count` for an actor already loaded (the web app's per-request user)."""
    if not user.roles & RECIPIENT_ROLES:
        return 0
    query = select(func.count(Notice.id)).join(Instance, Instance.id == Notice.instance_id).where(*_open(user))
    return uow.session.scalar(query) or 0


def open_notices(uow, actor: str) -> list[dict]:
    """`actor`'s open notices, newest first; logs the read of the cases they name (R12)."""
    user = load_actor(uow, actor)
    if not user.roles & RECIPIENT_ROLES:
        return []
    rows = uow.session.execute(
        select(Notice.id, Notice.instance_id, Notice.kind, Notice.recipient_role, Notice.created_at,
               Notice.details, func.coalesce(Client.name, Referral.name, Instance.title).label("name"))
        .join(Instance, Instance.id == Notice.instance_id)
        .outerjoin(Referral, Referral.instance_id == Notice.instance_id)
        .outerjoin(Client, Client.id == Referral.client_id)
        .where(*_open(user))
        .order_by(Notice.created_at.desc(), Notice.id.desc())).all()
    notices = [{"id": r.id, "instance_id": r.instance_id, "kind": r.kind, "recipient_role": r.recipient_role,
                "created_at": _iso(r.created_at), "details": dict(r.details or {}), "name": r.name} for r in rows]
    if notices:
        cases = list(dict.fromkeys(n["instance_id"] for n in notices))
        audit.record(uow, user, "list_notices",
                     details={"instances": cases, "notices": [n["id"] for n in notices]})
    return notices


def acknowledge(uow, actor: str, notice_id: int) -> dict:
    """Marks the notice acknowledged by `actor` now; it leaves everyone's list."""
    user = load_actor(uow, actor)
    notice = uow.session.get(Notice, notice_id)
    if notice is None or notice.recipient_role not in user.roles & RECIPIENT_ROLES \
            or not CASE_READERS.allows(user, instance_facts(uow.session, notice.instance_id)):
        raise NotFound(f"no notice {notice_id}")
    # Conditional on still being open, so a concurrent acknowledgement cannot be overwritten.
    done = uow.session.execute(
        update(Notice).where(Notice.id == notice_id, Notice.acknowledged_at.is_(None))
        .values(acknowledged_at=uow.now, acknowledged_by=user.username)
        .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise Conflict(f"notice {notice_id} was already acknowledged", reason="acknowledged")
    audit.record(uow, user, "acknowledge_notice", instance_id=notice.instance_id,
                 details={"notice": notice_id, "kind": notice.kind})
    return {"id": notice_id, "instance_id": notice.instance_id, "kind": notice.kind,
            "acknowledged_at": _iso(uow.now), "acknowledged_by": user.username}
