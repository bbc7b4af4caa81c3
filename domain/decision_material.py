"""What a decision needs, shown beside its form: read from the domain tables only (a task
page never deserialises a workflow). The task's `material` camunda:property names which
material a page shows; the process data is never read here.

No access check: callers load the task through the engine first, which checks it.
"""
from __future__ import annotations

from sqlalchemy import select

from polku.engine.models import Organisation

from . import second_period
from .models import Decision, Notice, Period, Redirection, Referral, WeeklyReview
from .weeks import open_week_of, period_start, period_week

MATERIALS = ("second_period", "second_period_proposal", "interruption", "redirection", "goals", "referral", "week")
PROPOSAL = "second_period_proposal"  # the Decision kind of the coach's proposal
# The limits the second-period figures need; the referral record keeps the instance's limits
# (coaching_limits is evaluated once per instance, at its start).
SECOND_PERIOD_LIMITS = ("min_period_days", "max_period_months", "window_months", "window_limit_months")


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _current_period(session, instance_id: int) -> Period | None:
    return session.scalars(select(Period).where(Period.instance_id == instance_id)
                           .order_by(Period.number.desc()).limit(1)).first()


def _limits(session, instance_id: int) -> tuple[dict, dict | None]:
    """(the referral's figures, the second-period limits among them or None when missing)."""
    referral = session.scalar(select(Referral).where(Referral.instance_id == instance_id))
    figures = dict(referral.figures or {}) if referral is not None else {}
    if not all(figures.get(k) is not None for k in SECOND_PERIOD_LIMITS):
        return figures, None
    return figures, {k: int(figures[k]) for k in SECOND_PERIOD_LIMITS}


def _second_period(session, instance_id: int) -> dict | None:
    """For the official: the coach's proposal (justification, dates) and the 8-in-12 figures of
    exactly that proposal."""
    period = _current_period(session, instance_id)
    if period is None:
        return None
    proposal = session.scalars(select(Decision).where(Decision.period_id == period.id, Decision.kind == PROPOSAL)
                               .order_by(Decision.id.desc()).limit(1)).first()
    figures, limits = _limits(session, instance_id)
    check = None
    if limits is not None and proposal is not None and proposal.period_end is not None:
        check = second_period.check(session, period, proposal.period_end, limits)
    return {
        "justification": proposal.reason if proposal else None,
        "proposed_by": proposal.decided_by if proposal else None,
        "first_start": _iso(period.actual_start or period.planned_start),
        "first_end": _iso(second_period.first_end(period)),
        "proposed_start": check["sp_start"] if check else None, "proposed_end": check["sp_end"] if check else None,
        "proposed_days": check["sp_days"] if check else None,
        "window_days": check["sp_window_days_max"] if check else None,
        "window_limit_days": check["sp_window_limit_days"] if check else None,
        "days_left": (check["sp_window_limit_days"] - check["sp_window_days_max"]) if check else None,
        "window_months": figures.get("window_months"), "window_limit_months": figures.get("window_limit_months"),
    }


def _second_period_proposal(session, instance_id: int) -> dict | None:
    """For the coach, before proposing: the first period, the second's start, and the range of
    lawful end dates (R1, and R4 with the client's history)."""
    period = _current_period(session, instance_id)
    figures, limits = _limits(session, instance_id)
    if period is None or limits is None:
        return None
    found = second_period.bounds(session, period, limits)
    return {
        "first_start": _iso(period.actual_start or period.planned_start),
        "first_end": _iso(second_period.first_end(period)),
        "proposed_start": found["sp_start"], "earliest_end": found["sp_earliest_end"],
        "end_limit": found["sp_end_limit"], "latest_end": found["sp_latest_end"],
        "window_months": figures.get("window_months"), "window_limit_months": figures.get("window_limit_months"),
        "max_period_months": figures.get("max_period_months"),
    }


def _latest_review(session, period: Period | None) -> WeeklyReview | None:
    if period is None:
        return None
    return session.scalars(select(WeeklyReview).where(WeeklyReview.period_id == period.id)
                           .order_by(WeeklyReview.id.desc()).limit(1)).first()


def _review(review: WeeklyReview | None, period: Period | None = None) -> dict | None:
    return None if review is None else {
        **(period_week(period_start(period), review.week_number).details() if period is not None else {}),
        "week": review.week_number, "reviewed_at": _iso(review.reviewed_at), "absence_days": review.absence_days,
        "absence_streak": review.absence_streak, "notes": review.notes,
        "interruption_justified": review.interruption_justified}


def _interruption(session, instance_id: int) -> dict:
    period = _current_period(session, instance_id)
    return {"review": _review(_latest_review(session, period), period)}


def _redirection(session, instance_id: int) -> dict | None:
    row = session.scalars(select(Redirection).where(Redirection.instance_id == instance_id)
                          .order_by(Redirection.id.desc()).limit(1)).first()
    return None if row is None else {"target_service": row.target_service, "description": row.description,
                                     "created_at": _iso(row.created_at)}


def _goals(session, instance_id: int) -> dict:
    """The notice that asks for the decision and the coach's notes of that week (the current
    goals are in the case summary beside it)."""
    notice = session.scalars(select(Notice).where(Notice.instance_id == instance_id, Notice.kind == "goals_unrealistic")
                             .order_by(Notice.id.desc()).limit(1)).first()
    period = _current_period(session, instance_id)
    return {"notice": None if notice is None else {"kind": notice.kind, "created_at": _iso(notice.created_at),
                                                   "week": (notice.details or {}).get("week")},
            "review": _review(_latest_review(session, period), period)}


def _week(session, instance_id: int) -> dict | None:
    """The calendar week the open weekly review is for (domain.weeks), for the coach's form."""
    period = _current_period(session, instance_id)
    return None if period is None else {"period": period.number, **open_week_of(session, period).details()}


def _referral(session, instance_id: int) -> dict | None:
    """What the official wrote in the referral, for the coach who accepts it. Health
    information is never part of it (R10: shown on the case page only, with consent)."""
    row = session.execute(select(Referral, Organisation.name)
                          .outerjoin(Organisation, Organisation.id == Referral.provider_organisation_id)
                          .where(Referral.instance_id == instance_id)).first()
    if row is None:
        return None
    referral, provider = row
    return {"service_need": referral.service_need, "other_services": referral.other_services, "provider": provider,
            "municipality": referral.municipality, "language": referral.language,
            "planned_start": _iso(referral.planned_start), "planned_end": _iso(referral.planned_end)}


_READERS = {"second_period": _second_period, "second_period_proposal": _second_period_proposal,
            "interruption": _interruption, "redirection": _redirection,
            "goals": _goals, "referral": _referral, "week": _week}


def decision_material(uow, instance_id: int, material: str | None) -> dict | None:
    """{"kind": material, **what it needs}, or None when the task names no material (or
    the case has none of it yet). An unknown name is an error in the process package
    (tests/unit/test_decision_material.py checks processes/ names only known ones)."""
    if not material:
        return None
    if material not in _READERS:
        raise ValueError(f"unknown decision material {material!r}")
    found = _READERS[material](uow.session, instance_id)
    return None if found is None else {"kind": material, **found}
