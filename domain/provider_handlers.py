"""Service-task handlers of the provider follow-up process: a provider's register entry and its
follow-up meetings (the job-coaching process's handlers are in `domain.handlers`)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from polku.engine.models import Organisation
from polku.engine.services import ServiceCall

from .models import FollowUpMeeting, Provider


def register_provider(call: ServiceCall) -> dict:
    data = call.data
    org = call.session.scalar(select(Organisation).where(Organisation.name == data["provider"]))
    provider = call.session.scalar(select(Provider).where(Provider.organisation_id == org.id))
    if provider is None:
        provider = Provider(organisation_id=org.id, methods="", municipalities="", updated_at=call.now)
        call.session.add(provider)
    for key in ("methods", "municipalities", "start_dates", "non_stop", "places_at_once", "places_per_year",
                "target_group"):
        setattr(provider, key, data.get(key))
    provider.non_stop = data.get("non_stop") is True
    provider.updated_at = call.now
    call.session.flush()
    return {"provider_id": provider.id, "case_organisations": [org.name], "case_title": org.name}


def record_follow_up(call: ServiceCall) -> dict:
    data = call.data
    call.session.add(FollowUpMeeting(provider_id=int(data["provider_id"]), instance_id=call.instance_id,
                                     held_on=date.fromisoformat(str(data["held_on"])[:10]), notes=data["notes"],
                                     actions=data.get("actions"),
                                     recorded_by=call.actor, recorded_at=call.now))
    return {}


PROVIDER_HANDLERS = {"register_provider": register_provider, "record_follow_up": record_follow_up}
