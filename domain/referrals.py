"""What became of a referral, read from the referral record the process's handlers wrote
(the audit trail is evidence, never read back as state)."""
from __future__ import annotations

from sqlalchemy import select

from polku.engine.models import Organisation

from .models import Referral


def referral_outcome(uow, instance_id: int) -> dict | None:
    """{outcome: accepted | refused, refusal_reason, provider, client_name, planned_start,
    planned_end, **figures} of the referral that started `instance_id`; None when its process
    recorded none (e.g. it stopped with an error before deciding). No access check: callers
    started the instance themselves in the same unit of work."""
    row = uow.session.execute(
        select(Referral, Organisation.name)
        .outerjoin(Organisation, Organisation.id == Referral.provider_organisation_id)
        .where(Referral.instance_id == instance_id)).first()
    if row is None:
        return None
    referral, provider = row
    return {**dict(referral.figures or {}), "outcome": referral.outcome, "refusal_reason": referral.refusal_reason,
            "provider": provider, "client_name": referral.name, "planned_start": referral.planned_start.isoformat(),
            "planned_end": referral.planned_end.isoformat()}
