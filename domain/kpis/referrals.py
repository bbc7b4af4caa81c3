"""KPIs of referrals: referrals made (refused ones by reason) and the referral-to-start lead time.
Definitions: ``../shared/kpis.md``.

- Referrals: cases whose referral was submitted in the range (``referrals.submitted_at``), by the
  provider named in the referral; of them refused, by refusal reason (R1 short/long, R3, R4), each
  also as a share of all referrals.
- Lead time: periods 1 whose ``actual_start`` is in the range: business days (Finnish calendar,
  ``calendar.business_days_between``) from the referral's day to the actual start; the median and
  the 90th percentile (``support``).
- Start notifications late: of the referrals accepted (by the eligibility check) in the range, those
  whose start notification (the coach's ``accept_referral`` task, whose due time is the
  notification's) was completed after its due time (``late``), and those not done at the range's end
  and past due then (``unsent_overdue``), each also as a share of the accepted referrals.
"""
from __future__ import annotations

from sqlalchemy import and_, case, or_, select

from polku.engine.models import HumanTask

from ..calendar import business_days_between
from ..models import Referral
from .support import Kpi, Scope, count_rows, grouped, local_day, median, once, p90, range_periods, stat_row

START_TASK = "accept_referral"  # its completion sends the start notification (handlers.record_start)
REFUSAL_CODES = ("R1_short", "R1_long", "R3_active", "R3_consecutive", "R4_window")


def _range_referrals(uow, scope: Scope):
    """The area's referrals submitted in the range, each with its start notification's code
    (``start_notifications``; worked out by the database: its due and done times need not come back
    for the thousands of referrals of a range)."""
    end = scope.end_at
    task = HumanTask
    code = case((and_(task.due_at.is_not(None), task.completed_at.is_not(None), task.completed_at > task.due_at),
                 "late"),
                (and_(task.due_at.is_not(None), task.due_at < end, task.state != "cancelled",
                      or_(task.completed_at.is_(None), task.completed_at >= end)), "unsent_overdue"),
                else_="on_time")
    return uow.session.execute(
        select(Referral.instance_id, Referral.provider_organisation_id, Referral.outcome, Referral.refusal_reason,
               code.label("notice"))
        .outerjoin(task, (task.instance_id == Referral.instance_id) & (task.element_id == START_TASK))
        .where(scope.owns(Referral.instance_id), Referral.submitted_at >= scope.start_at,
               Referral.submitted_at < end)).all()


def referrals(uow, scope: Scope, providers: list[int]) -> Kpi:
    found = once(uow, scope, "referrals", _range_referrals)
    items = [(r.provider_organisation_id, (r.refusal_reason or "other") if r.outcome == "refused" else "accepted",
              r.instance_id, r.instance_id) for r in found if scope.provider_ok(r.provider_organisation_id)]
    outcome = [(p, "accepted" if code == "accepted" else "refused", i, i) for p, code, i, _c in items]
    rows = count_rows(outcome, providers, ("accepted", "refused"), shares=True)
    # Shares of all referrals: the reasons are counted over every referral of the range.
    rows += count_rows(items, providers, (*REFUSAL_CODES, "other"), total_code=None, shares=True)
    return Kpi("referrals", rows)


def lead_time(uow, scope: Scope, providers: list[int]) -> Kpi:
    found = [r for r in range_periods(uow, scope) if r.number == 1 and r.actual_start is not None
             and scope.start <= r.actual_start <= scope.end and r.submitted_at is not None]
    groups = grouped(((r.provider_organisation_id, business_days_between(local_day(r.submitted_at), r.actual_start),
                       r.instance_id) for r in found if scope.provider_ok(r.provider_organisation_id)), providers)
    return Kpi("lead_time", [stat_row("count", "count", groups, len), stat_row("median", "days", groups, median),
                             stat_row("p90", "days", groups, p90)])


def start_notifications(uow, scope: Scope, providers: list[int]) -> Kpi:
    items = [(r.provider_organisation_id, r.notice, r.instance_id, r.instance_id)
             for r in once(uow, scope, "referrals", _range_referrals)
             if r.outcome == "accepted" and scope.provider_ok(r.provider_organisation_id)]
    return Kpi("start_notices", count_rows(items, providers, ("late", "unsent_overdue"), shares=True))
