"""A short summary of one case for the side of a task page: who the client is, the current
period, its goals and the latest notices. No access check here: callers load the task (or
the instance) through the engine first, which checks it."""
from __future__ import annotations

from sqlalchemy import select

from polku.engine import audit
from polku.engine.models import Organisation

from .models import Client, Goal, Notice, Period

LATEST_NOTICES = 5


def _iso(value):
    return value.isoformat() if value is not None else None


def case_summary(uow, instance_id: int, viewer: str | None = None, task_id: str | None = None) -> dict:
    """{client_name, client_language, municipality, period: {...} | None, goals: [...], notices: [...]}.
    A case refused at referral has no period (and no client row): the summary is then empty.
    With a `viewer`, the read is logged (R12: who saw whose data) in the caller's unit of work."""
    session = uow.session
    if viewer is not None:
        audit.record(uow, viewer, "view_task", instance_id=instance_id, task_id=task_id)
    period = session.scalars(
        select(Period).where(Period.instance_id == instance_id).order_by(Period.number.desc()).limit(1)
    ).first()
    client = session.get(Client, period.client_id) if period is not None else None
    provider = session.get(Organisation, period.provider_organisation_id) if period is not None else None
    goals = [] if period is None else session.scalars(
        select(Goal).where(Goal.period_id == period.id).order_by(Goal.position)).all()
    notices = session.scalars(
        select(Notice).where(Notice.instance_id == instance_id)
        .order_by(Notice.created_at.desc(), Notice.id.desc()).limit(LATEST_NOTICES)).all()
    return {
        "instance_id": instance_id,
        "client_name": client.name if client else None,
        "client_language": client.language if client else None,
        "municipality": client.municipality if client else None,
        "period": None if period is None else {
            "number": period.number, "status": period.status, "provider": provider.name if provider else None,
            "planned_start": _iso(period.planned_start), "planned_end": _iso(period.planned_end),
            "actual_start": _iso(period.actual_start), "actual_end": _iso(period.actual_end),
            "coaching_mode": period.coaching_mode, "coaching_format": period.coaching_format,
            "meetings_per_week": period.meetings_per_week,
        },
        "goals": [{"position": g.position, "category": g.category, "description": g.description,
                   "verification": g.verification, "reached": g.reached} for g in goals],
        "notices": [{"kind": n.kind, "recipient_role": n.recipient_role, "created_at": _iso(n.created_at),
                     "details": dict(n.details or {})} for n in notices],
    }
