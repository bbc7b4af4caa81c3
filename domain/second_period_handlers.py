"""Service-task handlers of the second period (issue 8): the coach's dated proposal recorded and
checked against R3/R4, the official's decision recorded, the approved period started."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from polku.engine.services import ServiceCall

from . import second_period
from .calendar import period_end_limit
from .decision_material import PROPOSAL
from .handler_support import as_day, current_period, limits_of, period_dates, raise_notice
from .models import Decision, Goal, Period


def second_period_history(call: ServiceCall) -> dict:
    """The coach proposed a second period: the proposal (its dates and justification) is
    recorded for the official's decision page and the case file, and R3/R4 are checked for
    exactly that proposal."""
    period = current_period(call)
    result = second_period.check(call.session, period, as_day(call.data["second_period_end"]), limits_of(call.data))
    call.session.add(Decision(instance_id=call.instance_id, period_id=period.id, kind=PROPOSAL, decision="proposed",
                              reason=call.data.get("justification") or None, decided_by=call.actor,
                              decided_at=call.now, period_start=as_day(result["sp_start"]),
                              period_end=as_day(result["sp_end"])))
    return {**result, "window_limit_days": result["sp_window_limit_days"]}


def record_second_period(call: ServiceCall) -> dict:
    period, data = current_period(call), call.data
    source = call.properties["decision"]  # which branch of the process this task records
    dates: dict = {}
    if source == "not_needed":
        decision, reason = "not_needed", data.get("justification")
    elif source == "forbidden":
        decision, reason = "forbidden", data.get("second_period_reason")
        raise_notice(call, "second_period_forbidden", "official", period.id, reason=reason)
    else:
        decision = "approved" if data.get("decision") == "approve" else "refused"
        reason = data.get("reason")
        # The official decides on the proposal: its dates are part of the decision.
        dates = {"period_start": as_day(data["sp_start"]), "period_end": as_day(data["sp_end"])}
    period.second_period_decision, period.second_period_reason = decision, reason
    call.session.add(Decision(instance_id=call.instance_id, period_id=period.id, kind="second_period",
                              decision=decision, reason=reason, decided_by=call.actor, decided_at=call.now, **dates))
    return {"reassessment_done": True, "reassessment_due": False}


def start_second_period(call: ServiceCall) -> dict:
    """The approved second period starts the day after the first one ends and ends on the approved
    end date: exactly the proposal when the first period ran to its planned end. When the coach ended
    the first early, the second follows at once (consecutive periods) and keeps the approved end, but
    never beyond max_period_months from its own start (R1); R4 is unaffected (the same days)."""
    first, data = current_period(call), call.data
    # The first period ends when it ended: at its hard end, or the day the coach closed it.
    first.actual_end = first.actual_end or min(call.now.date(), first.planned_end)
    first.status, first.end_reason = "ended", "second_period"
    start = first.actual_end + timedelta(days=1)
    end = period_end_limit(start, int(data["max_period_months"]))
    # The approved end from the record: the data of a period its hard-end timer cut off stays inside it.
    approved = second_period.approved_end(call.session, first)  # None: decided before proposals had dates
    end = min(end, approved) if approved is not None else end
    second = Period(client_id=first.client_id, provider_organisation_id=first.provider_organisation_id,
                    instance_id=call.instance_id, number=2, planned_start=start, planned_end=end, actual_start=start,
                    status="active", coaching_mode=first.coaching_mode, coaching_format=first.coaching_format,
                    meetings_per_week=first.meetings_per_week, created_at=call.now)
    call.session.add(second)
    call.session.flush()
    for goal in call.session.scalars(select(Goal).where(Goal.period_id == first.id)):
        goal.period_id = second.id  # the goals carry on into the second period
    return {"period_id": second.id, "period_number": 2, **period_dates(start, end, data),
            "review_count": 0, "absence_streak": 0, "notice_kind": None, "end_period": False,
            "second_period_approved": False}
