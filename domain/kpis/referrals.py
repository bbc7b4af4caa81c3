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

from sqlalchemy import select

from polku.engine.models import HumanTask

from ..calendar import business_days_between
from ..models import Period, Referral
from .support import Kpi, Scope, count_rows, grouped, local_day, median, p90, stat_row

START_TASK = "accept_referral"  # its completion sends the start notification (handlers.record_start)
REFUSAL_CODES = ("R1_short", "R1_long", "R3_active", "R3_consecutive", "R4_window")


def referrals(uow, scope: Scope, providers: list[int]) -> Kpi:
    found = uow.session.execute(
        select(Referral.instance_id, Referral.provider_organisation_id, Referral.outcome, Referral.refusal_reason)
        .where(Referral.instance_id.in_(scope.cases()), Referral.submitted_at >= scope.start_at,
               Referral.submitted_at < scope.end_at)).all()
    items = [(r.provider_organisation_id, (r.refusal_reason or "other") if r.outcome == "refused" else "accepted",
              r.instance_id, r.instance_id) for r in found if scope.provider_ok(r.provider_organisation_id)]
    outcome = [(p, "accepted" if code == "accepted" else "refused", i, i) for p, code, i, _c in items]
    rows = count_rows(outcome, providers, ("accepted", "refused"), shares=True)
    # Shares of all referrals: the reasons are counted over every referral of the range.
    rows += count_rows(items, providers, (*REFUSAL_CODES, "other"), total_code=None, shares=True)
    return Kpi("referrals", rows)


def lead_time(uow, scope: Scope, providers: list[int]) -> Kpi:
    found = uow.session.execute(
        select(Period.instance_id, Period.provider_organisation_id, Period.actual_start, Referral.submitted_at)
        .join(Referral, Referral.instance_id == Period.instance_id)
        .where(Period.instance_id.in_(scope.cases()), Period.number == 1, Period.actual_start >= scope.start,
               Period.actual_start <= scope.end)).all()
    groups = grouped(((r.provider_organisation_id, business_days_between(local_day(r.submitted_at), r.actual_start),
                       r.instance_id) for r in found if scope.provider_ok(r.provider_organisation_id)), providers)
    return Kpi("lead_time", [stat_row("count", "count", groups, len), stat_row("median", "days", groups, median),
                             stat_row("p90", "days", groups, p90)])


def start_notifications(uow, scope: Scope, providers: list[int]) -> Kpi:
    end = scope.end_at
    found = uow.session.execute(
        select(Referral.instance_id, Referral.provider_organisation_id, HumanTask.due_at, HumanTask.completed_at,
               HumanTask.state)
        .outerjoin(HumanTask, (HumanTask.instance_id == Referral.instance_id) & (HumanTask.element_id == START_TASK))
        .where(Referral.instance_id.in_(scope.cases()), Referral.outcome == "accepted",
               Referral.submitted_at >= scope.start_at, Referral.submitted_at < end)).all()
    items = []
    for r in found:
        if not scope.provider_ok(r.provider_organisation_id):
            continue
        code = "on_time"
        if r.due_at is not None and r.completed_at is not None and r.completed_at > r.due_at:
            code = "late"
        elif (r.due_at is not None and r.due_at < end and r.state != "cancelled"
              and (r.completed_at is None or r.completed_at >= end)):
            code = "unsent_overdue"
        items.append((r.provider_organisation_id, code, r.instance_id, r.instance_id))
    return Kpi("start_notices", count_rows(items, providers, ("late", "unsent_overdue"), shares=True))
