"""What became of a referral, read from the referral record the process's handlers wrote
(the audit trail is evidence, never read back as state)."""
from __future__ import annotations

from sqlalchemy import select

from polku.engine.models import Organisation

from .models import Referral


def _with_provider(uow, instance_id: int):
    """The referral that started `instance_id` and its provider's name, or None."""
    return uow.session.execute(
        select(Referral, Organisation.name)
        .outerjoin(Organisation, Organisation.id == Referral.provider_organisation_id)
        .where(Referral.instance_id == instance_id)).first()


def _iso(value):
    return value.isoformat() if value is not None and not isinstance(value, str) else value


def referral_record(uow, instance_id: int) -> dict | None:
    """What the official wrote in the referral, with the provider's name; health information
    included only when the client consented (callers decide whether it may be shown)."""
    row = _with_provider(uow, instance_id)
    if row is None:
        return None
    r, provider = row
    return {"submitted_by": r.submitted_by, "responsible_official": r.responsible_official,
            "submitted_at": _iso(r.submitted_at), "provider": provider,
            "service_need": r.service_need, "other_services": r.other_services, "municipality": r.municipality,
            "language": r.language, "planned_start": _iso(r.planned_start), "planned_end": _iso(r.planned_end),
            "outcome": r.outcome, "refusal_reason": r.refusal_reason, "health_consent": r.health_consent,
            "health_information": r.health_information if r.health_consent else None}


def referral_outcome(uow, instance_id: int) -> dict | None:
    """{outcome: accepted | refused, refusal_reason, provider, client_name, planned_start,
    planned_end, **figures} of the referral that started `instance_id`; None when its process
    recorded none (e.g. it stopped with an error before deciding). No access check: callers
    started the instance themselves in the same unit of work."""
    row = _with_provider(uow, instance_id)
    if row is None:
        return None
    referral, provider = row
    return {**dict(referral.figures or {}), "outcome": referral.outcome, "refusal_reason": referral.refusal_reason,
            "provider": provider, "client_name": referral.name, "planned_start": referral.planned_start.isoformat(),
            "planned_end": referral.planned_end.isoformat()}
