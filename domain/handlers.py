"""Service-task handlers of the job-coaching processes: they write the domain records and
give the process what its gateways and DMN tables need. Each receives an
`engine.services.ServiceCall` (the step's own session, so writes join its transaction) and
returns the values to merge into the process data.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select

from polku.engine import audit, org_links
from polku.engine.access import instance_org_ids
from polku.engine.models import Organisation, OutboxMessage
from polku.engine.services import ServiceCall, ServiceRegistry

from . import rules
from .calendar import add_business_days
from .clientname import CONFIRM_FIELD, RENAME_ACTION, same_name
from .handler_support import (
    PERIOD_DATE_KEYS,
    as_day,
    current_period,
    limits_of,
    midnight_after,
    period_dates,
    raise_notice,
)
from .identity import validate as validate_identity
from .models import (
    Client,
    Closure,
    Decision,
    EligibilityDecision,
    Goal,
    Meeting,
    Notification,
    Period,
    Redirection,
    Referral,
    Statement,
    WeeklyReview,
)
from .provider_handlers import PROVIDER_HANDLERS
from .second_period_handlers import record_second_period, second_period_history, start_second_period
from .weeks import WEEK_HANDLERS, WEEK_KEYS, period_start, period_week

CIS_TOPIC = "customer_information_system"


def _client_periods(session, identity_code: str) -> list[tuple[date, date]]:
    rows = session.scalars(select(Period).join(Client, Client.id == Period.client_id)
                           .where(Client.identity_code == identity_code))
    return [(p.actual_start or p.planned_start, p.actual_end or p.planned_end) for p in rows]


def _outbox(call: ServiceCall, topic: str, payload: dict) -> None:
    call.session.add(OutboxMessage(instance_id=call.instance_id, topic=topic, payload=payload, created_at=call.now))


def _rename(call: ServiceCall, client: Client, name: str) -> None:
    """A new client gets the name; a known one keeps its name when the referral wrote the same
    name otherwise (case, spaces), and a changed name (the start form's rule made the official
    confirm it) is recorded as a change: which field, who and when. Not the names: the trail is
    never erased (domain.retention), and both names are on the referrals that wrote them."""
    if not client.name:
        client.name = name
    elif not same_name(client.name, name):
        call.session.flush()  # the client's id
        audit.record_in_session(call.session, call.now, call.actor, RENAME_ACTION, instance_id=call.instance_id,
                                details={"client_id": client.id, "fields": ["name"],
                                         "confirmed": call.data.get(CONFIRM_FIELD) is True})
        client.name = name


# --- referral --------------------------------------------------------------------------
def coaching_history(call: ServiceCall) -> dict:
    data = call.data
    periods = _client_periods(call.session, data["client_hetu"])
    return rules.check_referral(periods, as_day(data["planned_start"]), as_day(data["planned_end"]), limits_of(data))


# What the eligibility decision was based on: kept with the referral (the refusal page and
# the case file show them).
REFERRAL_FIGURES = ("planned_days", "planned_end_limit", "min_period_days", "max_period_months", "max_periods",
                    "history_active", "history_consecutive", "window_months", "window_limit_months",
                    "window_days_max", "window_limit_days")


def _referral(call: ServiceCall, outcome: str, client: Client | None, provider: Organisation | None) -> None:
    """The referral as submitted, with its outcome (a domain record, not the audit trail)."""
    data = call.data
    try:
        code = validate_identity(data["client_hetu"])
        identity_code, temporary = code.code, code.temporary
    except ValueError:  # the start form validates it; a process started otherwise may not have
        identity_code, temporary = str(data["client_hetu"]), False
    consent = data.get("health_consent") is True  # a converted boolean; a stray text is not consent
    call.session.add(Referral(
        instance_id=call.instance_id, client_id=client.id if client else None, identity_code=identity_code,
        temporary_code=temporary, name=data.get("client_name") or "", language=data.get("client_language"),
        municipality=data.get("municipality"), service_need=data.get("service_need"),
        other_services=data.get("other_services") or None, health_consent=consent,
        health_information=(data.get("health_information") or None) if consent else None,  # R10
        planned_start=as_day(data["planned_start"]), planned_end=as_day(data["planned_end"]),
        provider_organisation_id=provider.id if provider else None, outcome=outcome,
        refusal_reason=data.get("refusal_reason") if outcome == "refused" else None,
        figures={k: data.get(k) for k in REFERRAL_FIGURES if k in data},
        submitted_by=call.actor, submitted_at=call.now,
        responsible_official=data.get("responsible_official") or call.actor))
    call.session.flush()  # visible to reads later in the same unit of work (autoflush is off)


def refusal_links(org_ids: Iterable[int], provider_id: int | None) -> set[tuple[int, int]]:
    """The pairs that record that a refused referral's organisations (the referring area) named its
    provider (``org_links``). The provider is not among the case's organisations, so it is never shown
    the case; yet the area worked with it, and its dashboard column and the lists' provider choices,
    which start from the pairs, show the refusal."""
    return org_links.pairs({*org_ids, provider_id}) if provider_id is not None else set()


def record_refusal(call: ServiceCall) -> dict:
    client = call.session.scalar(select(Client).where(Client.identity_code == call.data["client_hetu"]))
    call.session.add(EligibilityDecision(
        instance_id=call.instance_id, client_id=client.id if client else None, decided_at=call.now, eligible=False,
        reason=call.data.get("refusal_reason"), details={k: call.data.get(k) for k in (
            "planned_days", "planned_end_limit", "history_consecutive", "window_days_max", "window_limit_days")}))
    provider = call.session.scalar(select(Organisation).where(Organisation.name == call.data.get("provider")))
    _referral(call, "refused", client, provider)
    org_links.link(call.session, refusal_links(instance_org_ids(call.session, call.instance_id),
                                               provider.id if provider else None))
    return {}


def record_referral(call: ServiceCall) -> dict:
    data, session = call.data, call.session
    code = validate_identity(data["client_hetu"])
    client = session.scalar(select(Client).where(Client.identity_code == code.code))
    if client is None:
        client = Client(identity_code=code.code, temporary_code=code.temporary, created_at=call.now,
                        name="", language="fi", municipality="")
        session.add(client)
    _rename(call, client, data["client_name"])
    client.language, client.municipality = data["client_language"], data["municipality"]
    provider = session.scalar(select(Organisation).where(Organisation.name == data["provider"]))
    start, end = as_day(data["planned_start"]), as_day(data["planned_end"])
    session.flush()
    period = Period(client_id=client.id, provider_organisation_id=provider.id, instance_id=call.instance_id, number=1,
                    planned_start=start, planned_end=end, status="referred", created_at=call.now)
    session.add(period)
    session.add(EligibilityDecision(instance_id=call.instance_id, client_id=client.id, decided_at=call.now,
                                    eligible=True, reason=None, details={}))
    _referral(call, "accepted", client, provider)
    _outbox(call, CIS_TOPIC, {"event": "referral", "client": code.code, "provider": provider.name,
                              "planned_start": start.isoformat(), "planned_end": end.isoformat(),
                              "service_need": data.get("service_need"), "other_services": data.get("other_services")})
    due = add_business_days(call.now.date(), int(data["start_notice_business_days"]))
    return {
        "client_id": client.id, "client_temporary_code": code.temporary, "period_id": period.id, "period_number": 1,
        **period_dates(start, end, data),
        "start_notice_due": midnight_after(due),
        "case_organisations": [provider.name],
        "case_title": client.name,
        "review_count": 0, "absence_streak": 0, "notice_kind": None, "reassessment_done": False,
    }


# --- start, goals, weeks ---------------------------------------------------------------
def record_start(call: ServiceCall) -> dict:
    period = current_period(call)
    period.actual_start = as_day(call.data["actual_start"])
    period.coaching_mode, period.coaching_format = call.data.get("coaching_mode"), call.data.get("coaching_format")
    period.status = "active"
    call.session.add(Notification(instance_id=call.instance_id, period_id=period.id, kind="start", sent_at=call.now,
                                  details={"actual_start": period.actual_start.isoformat(), "by": call.actor}))
    _outbox(call, "start_notification", {"period_id": period.id, "actual_start": period.actual_start.isoformat()})
    return {"start_notified": True}


def escalate_start_notice(call: ServiceCall) -> dict:
    for recipient in ("official", "manager"):
        raise_notice(call, "start_notice_overdue", recipient, call.data.get("period_id"),
                due=call.data.get("start_notice_due"))
    return {}


def record_goals(call: ServiceCall) -> dict:
    period = current_period(call)
    revised = call.properties["revised"] == "true"  # the first goals, or a revision (BPMN property)
    for old in call.session.scalars(select(Goal).where(Goal.period_id == period.id)):
        call.session.delete(old)
    for i, goal in enumerate(call.data["goals"]):
        call.session.add(Goal(period_id=period.id, position=i, category=goal["category"],
                              description=goal["description"], verification=goal["verification"], revised=revised))
    if call.data.get("meetings_per_week"):
        period.meetings_per_week = int(call.data["meetings_per_week"])
    return {}


def record_week(call: ServiceCall) -> dict:
    data, period = call.data, current_period(call)
    number = int(data.get("review_count") or 0) + 1
    meetings = data.get("meetings") or []
    flags = {k: data.get(k) is True for k in ("other_service_need", "goals_unrealistic", "interruption_justified")}
    result = rules.week_review(int(data.get("absence_streak") or 0), meetings, int(data.get("absence_days") or 0),
                               int(data["absence_limit_days"]), flags)
    call.session.add(WeeklyReview(period_id=period.id, week_number=number, reviewed_at=call.now,
                                  absence_days=int(data.get("absence_days") or 0),
                                  absence_streak=result["absence_streak"], notes=data.get("notes"), **flags))
    for m in meetings:
        call.session.add(Meeting(period_id=period.id, held_on=as_day(m["date"]), kind=m["kind"], week_number=number))
    week = period_week(period_start(period), number).details()  # notices name the calendar week
    if result["week_without_meeting"]:
        raise_notice(call, "week_without_meeting", "manager", period.id, **week)  # R2
    if result["notice_kind"]:  # R8, R9
        kind = "absence" if result["notice_kind"] == "interruption" and not flags["interruption_justified"] \
            else result["notice_kind"]
        raise_notice(call, kind, "official", period.id, **week, absence_streak=result["absence_streak"])
    due = (period.number == 1 and not data.get("reassessment_done")
           and call.now.date() >= as_day(data["reassessment_at"]))
    return {**result, "review_count": number, "reassessment_due": bool(due)}




def load_period_state(call: ServiceCall) -> dict:
    period = current_period(call)
    return {"period_number": period.number, "second_period_approved": period.second_period_decision == "approved"}


# --- notices and decisions -------------------------------------------------------------
def record_redirection(call: ServiceCall) -> dict:
    call.session.add(Redirection(instance_id=call.instance_id, period_id=int(call.data["period_id"]),
                                 target_service=call.data["target_service"], description=call.data["description"],
                                 created_at=call.now))
    return {}


def record_decision(call: ServiceCall) -> dict:
    kind = call.properties["kind"]
    data = call.data
    call.session.add(Decision(instance_id=call.instance_id, period_id=data.get("period_id"), kind=kind,
                              decision=data["decision"], reason=data.get("reason") or data.get("ground"),
                              decided_by=call.actor, decided_at=call.now))
    return {}


def _end_day(period: Period, today: date) -> date:
    """A period never ends before it starts (a second period closed on the day it was created)."""
    start = period.actual_start or period.planned_start
    return max(today, start)


def record_interruption(call: ServiceCall) -> dict:
    period = current_period(call)
    period.status, period.actual_end = "interrupted", _end_day(period, call.now.date())
    period.end_reason = call.data.get("ground") or call.data.get("reason") or "interrupted"
    return {"interrupted": True}


def record_hard_end(call: ServiceCall) -> dict:
    period = current_period(call)
    period.status, period.actual_end, period.end_reason = "ended", period.planned_end, "max_duration"
    return {"notice_kind": None}


def end_on_termination(call: ServiceCall) -> None:
    """A manager terminated the case: its open period ends that day (the referral's dates would
    otherwise count as coaching still to come, and R3 would refuse the client's next referral)."""
    for period in call.session.scalars(select(Period).where(Period.instance_id == call.instance_id,
                                                            Period.status.in_(("referred", "active")))):
        period.status, period.actual_end = "ended", _end_day(period, call.now.date())
        period.end_reason = "terminated"


# --- closure ---------------------------------------------------------------------------
def record_closure(call: ServiceCall) -> dict:
    period, data = current_period(call), call.data
    goals = {g.position: g for g in call.session.scalars(select(Goal).where(Goal.period_id == period.id))}
    for result in data.get("goal_results") or []:
        goal = goals.get(int(result["goal"]))
        if goal is not None:
            goal.reached, goal.evidence = result["reached"] is True, result.get("evidence")
    if period.status in ("referred", "active"):
        period.status, period.actual_end = "ended", _end_day(period, call.now.date())
        period.end_reason = period.end_reason or "closed"
    call.session.add(Closure(instance_id=call.instance_id, period_id=period.id,
                             employment_status=data["employment_status"], outcome_areas=data.get("outcome_areas") or [],
                             next_steps=data.get("next_steps"), closed_at=call.now))
    return {}


def send_statement(call: ServiceCall) -> dict:
    data, reviewed = call.data, call.data.get("reviewed_with_client") is True
    reason = None if reviewed else (data.get("not_reviewed_reason") or "").strip() or None  # why not (client gone)
    call.session.add(Statement(instance_id=call.instance_id, period_id=int(data["period_id"]), sent_at=call.now,
                               kind=data["statement_kind"], text=data["statement_text"],
                               reviewed_with_client=reviewed, not_reviewed_reason=reason))
    for to in ("client", "official"):
        _outbox(call, "final_statement", {"to": to, "kind": data["statement_kind"], "period_id": data["period_id"]})
    return {}


def send_end_notification(call: ServiceCall) -> dict:
    period = current_period(call)
    call.session.add(Notification(instance_id=call.instance_id, period_id=period.id, kind="end", sent_at=call.now,
                                  details={"status": period.status, "end_reason": period.end_reason}))
    _outbox(call, "end_notification", {"period_id": period.id, "status": period.status})
    return {"end_notified": True}


def record_feedback(call: ServiceCall) -> dict:
    call.session.add(Decision(instance_id=call.instance_id, period_id=call.data.get("period_id"),
                              kind="feedback_discussion", decision="held", reason=call.data.get("notes"),
                              decided_by=call.actor, decided_at=call.now))
    return {}


HANDLERS = {
    "coaching_history": coaching_history, "record_refusal": record_refusal, "record_referral": record_referral,
    "record_start": record_start, "escalate_start_notice": escalate_start_notice, "record_goals": record_goals,
    "record_week": record_week, "second_period_history": second_period_history,
    "record_second_period": record_second_period, "load_period_state": load_period_state,
    "start_second_period": start_second_period, "record_redirection": record_redirection,
    "record_decision": record_decision, "record_interruption": record_interruption,
    "record_hard_end": record_hard_end, "record_closure": record_closure, "send_statement": send_statement,
    "send_end_notification": send_end_notification, "record_feedback": record_feedback,
    **PROVIDER_HANDLERS, **WEEK_HANDLERS,
}


# What handlers read from their task's camunda:properties (deploy refuses a task without it).
REQUIRES = {
    "record_goals": {"revised": ("false", "true")},
    "record_second_period": {"decision": ("not_needed", "forbidden", "by_official")},
    "record_decision": {"kind": None},
}


# What each handler returns into the process data (engine.services: a name it does not declare fails
# the call; engine.dmn_inputs counts these as set for the decisions the process runs).
PROVIDES: dict[str, tuple[str, ...]] = {
    "coaching_history": ("planned_days", "planned_end_limit", "planned_end_ok", "history_active",
                         "history_consecutive", "window_days_max", "window_limit_days"),  # rules.check_referral
    "record_refusal": (),
    "record_referral": ("client_id", "client_temporary_code", "period_id", "period_number", *PERIOD_DATE_KEYS,
                        "start_notice_due", "case_organisations", "case_title", "review_count", "absence_streak",
                        "notice_kind", "reassessment_done"),
    "record_start": ("start_notified",),
    "escalate_start_notice": (),
    "record_goals": (),
    "record_week": ("absence_streak", "week_without_meeting", "notice_kind",  # rules.week_review
                    "review_count", "reassessment_due"),
    "second_period_history": ("sp_start", "sp_end", "sp_days", "sp_consecutive", "sp_window_days_max",
                              "sp_window_limit_days", "window_limit_days"),  # rules.check_second_period
    "record_second_period": ("reassessment_done", "reassessment_due"),
    "load_period_state": ("period_number", "second_period_approved"),
    "start_second_period": ("period_id", "period_number", *PERIOD_DATE_KEYS, "review_count", "absence_streak",
                            "notice_kind", "end_period", "second_period_approved"),
    "record_redirection": (), "record_decision": (), "record_interruption": ("interrupted",),
    "record_hard_end": ("notice_kind",), "record_closure": (), "send_statement": (),
    "send_end_notification": ("end_notified",), "record_feedback": (),
    "register_provider": ("provider_id", "case_organisations", "case_title"), "record_follow_up": (),
    "open_week": (*WEEK_KEYS, "week_due_at", "week_flag_cycle"), "flag_silent_weeks": (),
}


def register_handlers(registry: ServiceRegistry) -> None:
    registry.on_terminate(end_on_termination)
    for name, handler in HANDLERS.items():
        registry.register(name, handler, requires=REQUIRES.get(name), provides=PROVIDES[name])
