"""The data subject's right of access (GDPR art. 15; 380/2023 §124): everything the audit trail
holds about one person's cases, as JSON, found by their identity code.

The trail keeps no identity codes (engine.audit): a person's cases are found through the
referrals and client rows, and the rows are those on the cases plus the lists and refused
attempts that named them. The export is itself a use of the person's data, and audited.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select

from polku.engine import audit
from polku.engine.access import require_admin
from polku.engine.models import AuditEvent
from polku.engine.users import Actor

from .identity import normalise
from .models import Client, Period, Referral

# Rows not on one case that name cases in their details ("instances").
MANY_CASES = ("list_cases", "list_notices", "list_tasks", "refused", "export_access_log", "list_anomalies")


def cases_of(uow, identity_code: str) -> list[int]:
    code = normalise(identity_code)
    clients = select(Client.id).where(Client.identity_code == code)
    referred = select(Referral.instance_id).where(or_(Referral.identity_code == code, Referral.client_id.in_(clients)))
    periods = select(Period.instance_id).where(Period.client_id.in_(clients))
    return sorted(set(uow.session.scalars(referred)) | set(uow.session.scalars(periods)))


def client_access_log(uow, reader: Actor | str, identity_code: str) -> dict[str, Any]:
    """`reader`: a named user (an admin, or `system`), or the operator's name (a string) when the
    command line names no one. The export spans every organisation's cases of the person, so a
    manager's reach (the access-log page of their organisation's cases) is not enough."""
    if not isinstance(reader, str):
        require_admin(reader, "a person's access log is exported by an administrator")
    cases = cases_of(uow, identity_code)
    wanted = set(cases)
    rows = [] if not cases else uow.session.execute(
        select(AuditEvent).where(or_(AuditEvent.instance_id.in_(cases),
                                     AuditEvent.action.in_(MANY_CASES) & AuditEvent.instance_id.is_(None)))
        .order_by(AuditEvent.at, AuditEvent.id)).scalars().all()
    events = []
    for r in rows:
        listed = (r.details or {}).get("instances") or ()
        named = wanted.intersection(listed) if r.instance_id is None else {r.instance_id}
        if not named:
            continue
        events.append({"at": r.at.isoformat(), "actor": r.actor, "role": r.role, "organisation": r.organisation,
                       "origin": r.origin, "action": r.action, "cases": sorted(named),
                       "view": (r.details or {}).get("view"), "fields": (r.details or {}).get("fields")})
    audit.record(uow, reader, "export_access_log", details={"instances": cases})
    return {"cases": cases, "events": events}
