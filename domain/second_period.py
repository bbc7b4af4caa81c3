"""The second period as a proposal with dates (R1, R3, R4; issue 8).

The coach proposes the second period's end; its start is the day after the first period
ends (during the first period, the day after its planned end: the actual end is not known
before the period is over). R1 and R4 are evaluated for exactly that proposal:

- R1 (at least min_period_days, at most max_period_months) is a form error, in the
  ``second_period_proposal_rules`` validation decision: a date outside the range is a typing
  matter, corrected, never recorded.
- R4 (8 months in any 12) is a form error too, from the form rule below, naming the latest
  lawful end date, which the coach's form also shows up front. Why not the "not possible"
  way: a coach who asked for four months where three fit expects to be told "three fit" and
  to propose that, not to have a refusal recorded and sent to the official, who would then
  have to ask the coach for another proposal outside the system. The record and the
  official's notice stay for what no date can fix: R3 (a third consecutive period), or R4
  leaving less than the shortest lawful period. Those pass the form and the process takes
  the existing way (second_period_eligibility refuses, with the figures).

The eligibility decision on the process path is evaluated on the same proposal (handlers'
second_period_history), so the DMN stays the decision of record.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from polku.engine.fieldtypes import N_
from polku.engine.formrules import FormRules, RuleRefused

from . import rules
from .handler_support import limits_of
from .models import Client, Decision, Period

RULE = "lawful_second_period_end"
END_FIELD = "second_period_end"


def first_end(period: Period) -> date:
    """The day the first period ends: its actual end once known, else its planned (hard) end."""
    return period.actual_end or period.planned_end


def _history(session, period: Period) -> list[tuple[date, date]]:
    """The client's periods in every case, `period` ending on first_end()."""
    client = session.get(Client, period.client_id)
    others = session.scalars(select(Period).join(Client, Client.id == Period.client_id)
                             .where(Client.identity_code == client.identity_code, Period.id != period.id))
    periods = [(p.actual_start or p.planned_start, p.actual_end or p.planned_end) for p in others]
    periods.append((period.actual_start or period.planned_start, first_end(period)))
    return periods


def bounds(session, period: Period, limits: dict[str, int]) -> dict[str, Any]:
    """The start, the R1 range and the latest lawful end of a second period after `period`."""
    return rules.second_period_bounds(_history(session, period), first_end(period), limits)


def check(session, period: Period, proposed_end: date, limits: dict[str, int]) -> dict[str, Any]:
    """The R3/R4 figures of exactly the proposed second period (second_period_eligibility's inputs)."""
    return rules.check_second_period(_history(session, period), first_end(period), proposed_end, limits)


def approved_end(session, period: Period) -> date | None:
    """The end date of the second period the official approved after `period`, if any."""
    return session.scalar(select(Decision.period_end).where(
        Decision.period_id == period.id, Decision.kind == "second_period", Decision.decision == "approved")
        .order_by(Decision.id.desc()).limit(1))


def lawful_second_period_end(uow, values: dict[str, Any]) -> None:
    """Form rule of the coach's proposal: an end R4 does not allow is refused with the latest
    end it does allow, when there is one (see the module's docstring)."""
    end = values.get(END_FIELD)
    if values.get("second_period_needed") is not True or not isinstance(end, str) or not values.get("period_id"):
        return  # no proposal, or the field checks and the validation decision have spoken
    period = uow.session.get(Period, int(values["period_id"]))
    limits = limits_of(values)
    found = bounds(uow.session, period, limits)
    latest = found["sp_latest_end"]
    if latest is None or found["sp_consecutive"] >= limits["max_periods"]:
        return  # no date would do: the process records that a second period is not possible
    if date.fromisoformat(end) > date.fromisoformat(latest):
        raise RuleRefused(END_FIELD, N_("With the client's earlier coaching this end would exceed 8 months of "
                                        "coaching in 12 months. The latest possible end date is %(date)s."),
                          date=latest)


def register_form_rules(form_rules: FormRules) -> None:
    form_rules.register(RULE, lawful_second_period_end)
