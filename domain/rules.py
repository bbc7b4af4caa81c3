"""The service card's rules as pure functions over plain data.

Periods are ``(start, end)`` tuples of dates, both days included. A period whose end is
before its start has no days and is ignored. The limits themselves (4 months, 8 of 12
months, ...) are never constants here: they come from the ``coaching_limits`` DMN table
through the ``limits`` dict, because they belong to a service card that changes.
The functions compute the DMN inputs; the DMN tables make the decisions.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date

from polku.domain.calendar import (
    ONE_DAY,
    add_months,
    days_inclusive,
    period_end_limit,
    window_start,
)

Period = tuple[date, date]

# The card's outcome catalogue (R5): id -> Finnish name as written on the card.
OUTCOME_CATEGORIES: dict[str, str] = {
    "employment_or_education": "työllistyminen tai koulutuksen aloittaminen",
    "job_search_skills": "työnhakutaitojen kehittyminen",
    "job_opportunities": "työmahdollisuuksien kartoittaminen",
    "working_life_readiness": "työelämävalmiuksien parantuminen",
    "employment_support": "tuki työsuhteen solmimiseen ja vakiintumiseen",
    "realistic_plan": "realistinen päätös ja suunnitelma koulutukseen tai työhön hakeutumisesta",
}

# The sub-items the card lists under job_search_skills.
JOB_SEARCH_SUBITEMS: dict[str, str] = {
    "job_search_documents": "työnhakuasiakirjojen laatiminen / päivittäminen / lähettäminen",
    "job_search_channels": "työnhakukanaviin tutustuminen ja niiden käyttäminen",
    "digital_job_search": "digitaalisten työnhakutaitojen kehittyminen",
    "interview_readiness": "haastatteluvalmiuksien kehittyminen / haastatteluihin osallistuminen",
    "competence_articulation": "osaamisen tunnistaminen ja sanoittaminen",
    "network_mapping": "verkostojen kartoittaminen",
    "ai_in_job_search": "tekoälyn hyödyntäminen työnhaussa",
}


def _merged(periods: Iterable[Period]) -> list[Period]:
    """Disjoint, sorted periods covering the same days (overlaps counted once)."""
    result: list[list[date]] = []
    for start, end in sorted(p for p in periods if p[1] >= p[0]):
        if result and start <= result[-1][1]:
            result[-1][1] = max(result[-1][1], end)
        else:
            result.append([start, end])
    return [(s, e) for s, e in result]


def _days_between(merged: Sequence[Period], first: date, last: date) -> int:
    total = 0
    for start, end in merged:
        total += max(0, days_inclusive(max(start, first), min(end, last)))
    return total


def days_in_window(periods: Iterable[Period], day: date, window_months: int) -> int:
    """Coaching days in the rolling window of ``window_months`` months ending on ``day``."""
    return _days_between(_merged(periods), window_start(day, window_months), day)


def window_limit_days(day: date, limit_months: int) -> int:
    """The R4 limit for the window ending on ``day``: the length in days of
    ``limit_months`` calendar months counted back from ``day``, i.e. the days of
    window_start(day, limit_months)..day. Counting the limit the same way as the window
    means "exactly 8 calendar months" ending on ``day`` is allowed and one day more is
    not, whichever months (and leap days) they cover. Hence the limit depends on the
    day: 243 days for a window ending 31 Aug 2025, 245 for one ending 31 Dec 2025."""
    return days_inclusive(window_start(day, limit_months), day)


def _window_days(periods: Iterable[Period], new_period: Period, window_months: int):
    """(day, coaching days in its window) for every window that ends on a coaching day
    and holds a day of ``new_period``: those ending on its days and, should the history
    hold later periods, those ending on their days while still reaching back into it.
    Windows end on coaching days only: the limit is counted back from the window's end
    (window_limit_days), and measuring 8 months back from a day with no coaching would
    wrongly refuse, say, exactly 1 Jan-31 Aug judged from 1 Oct (242 days, as the 8
    months back from 1 Oct include February)."""
    start, end = new_period
    merged = _merged([*periods, new_period])
    if end < start:  # no new days: only the window ending on the planned start matters
        yield start, _days_between(merged, window_start(start, window_months), start)
        return
    last = add_months(end, window_months)
    for p_start, p_end in merged:
        day = max(p_start, start)
        while day <= min(p_end, last) and window_start(day, window_months) <= end:
            yield day, _days_between(merged, window_start(day, window_months), day)
            day += ONE_DAY


def max_days_in_any_window(periods: Iterable[Period], new_period: Period, window_months: int) -> int:
    """R4: the most coaching days (new_period included) in any rolling window of
    ``window_months`` months that ends on a day of ``new_period`` (or, when the history
    holds later periods, on one of their days while still holding a new day)."""
    return max(days for _, days in _window_days(list(periods), new_period, window_months))


def worst_window(periods: Iterable[Period], new_period: Period, window_months: int,
                 limit_months: int) -> tuple[int, int, date]:
    """(days, limit, day) of the window closest to, or furthest over, its R4 limit.
    Because the limit varies by a day or two with the window's end (window_limit_days),
    the DMN's single comparison ``days > limit`` is only exact when both numbers come
    from the same window: this one. Ties go to the window with more days."""
    best: tuple[int, int, date] | None = None
    for day, days in _window_days(list(periods), new_period, window_months):
        limit = window_limit_days(day, limit_months)
        if best is None or (days - limit, days) > (best[0] - best[1], best[0]):
            best = (days, limit, day)
    assert best is not None  # _window_days always yields at least one window
    return best


def consecutive_chain(periods: Iterable[Period], start: date) -> int:
    """R3: how many periods form an unbroken chain reaching the day before ``start``.
    A period continues the chain when it starts no later than the day after the
    previous one ends; a single free day breaks it. Only periods starting before
    ``start`` are considered."""
    count, block_end = 0, None
    for p_start, p_end in sorted(p for p in periods if p[0] < start and p[1] >= p[0]):
        if block_end is not None and p_start <= block_end + ONE_DAY:
            count, block_end = count + 1, max(block_end, p_end)
        else:
            count, block_end = 1, p_end
    return count if block_end is not None and block_end >= start - ONE_DAY else 0


def _overlaps(periods: Iterable[Period], first: date, last: date) -> bool:
    return any(start <= last and first <= end for start, end in periods if end >= start)


def check_referral(periods: Iterable[Period], planned_start: date, planned_end: date,
                   limits: Mapping[str, int]) -> dict:
    """The inputs of the ``referral_eligibility`` DMN for a new period.

    ``periods`` is the client's history. history_active is true when any of it
    overlaps the planned period (not only its first day): two periods of one client
    must never run at the same time."""
    periods = list(periods)
    limit = period_end_limit(planned_start, int(limits["max_period_months"]))
    days, window_limit, _ = worst_window(periods, (planned_start, planned_end),
                                         int(limits["window_months"]),
                                         int(limits["window_limit_months"]))
    return {
        "planned_days": days_inclusive(planned_start, planned_end),
        "planned_end_limit": limit.isoformat(),
        "planned_end_ok": planned_end <= limit,
        "history_active": _overlaps(periods, planned_start, max(planned_start, planned_end)),
        "history_consecutive": consecutive_chain(periods, planned_start),
        "window_days_max": days,
        "window_limit_days": window_limit,
    }


def _lawful(periods: list[Period], new_period: Period, limits: Mapping[str, int]) -> bool:
    days, limit, _ = worst_window(periods, new_period, int(limits["window_months"]),
                                  int(limits["window_limit_months"]))
    return days <= limit


def latest_lawful_end(periods: Iterable[Period], start: date, limits: Mapping[str, int]) -> date | None:
    """R1 and R4 together: the latest end of a period starting on ``start`` that lasts at
    least min_period_days, at most max_period_months, and keeps every window within its R4
    limit; None when not even the shortest period does. A later end only adds coaching days
    to windows (never removes any), so lawfulness is monotone in the end and a binary
    search over the R1 range finds the answer in a handful of window checks."""
    periods = list(periods)
    shortest = start + (int(limits["min_period_days"]) - 1) * ONE_DAY
    longest = period_end_limit(start, int(limits["max_period_months"]))
    if not _lawful(periods, (start, shortest), limits):
        return None
    low, high = 0, (longest - shortest).days  # shortest + low days is lawful
    while low < high:
        middle = (low + high + 1) // 2
        if _lawful(periods, (start, shortest + middle * ONE_DAY), limits):
            low = middle
        else:
            high = middle - 1
    return shortest + low * ONE_DAY


def second_period_bounds(periods: Iterable[Period], first_end: date, limits: Mapping[str, int]) -> dict:
    """What the coach needs before proposing a second period: its start (the day after the
    first period ends), the R1 range of its end, the latest end R4 allows as well
    (sp_latest_end, None when no second period fits), and the R3 chain it would extend.
    ``periods`` must include the first period, ending on ``first_end``."""
    periods = list(periods)
    sp_start = first_end + ONE_DAY
    return {
        "sp_start": sp_start.isoformat(),
        "sp_earliest_end": (sp_start + (int(limits["min_period_days"]) - 1) * ONE_DAY).isoformat(),
        "sp_end_limit": period_end_limit(sp_start, int(limits["max_period_months"])).isoformat(),
        "sp_latest_end": _iso(latest_lawful_end(periods, sp_start, limits)),
        "sp_consecutive": consecutive_chain(periods, sp_start),
    }


def check_second_period(periods: Iterable[Period], first_end: date, proposed_end: date,
                        limits: Mapping[str, int]) -> dict:
    """The inputs of the ``second_period_eligibility`` DMN for exactly the proposed second
    period: from the day after ``first_end`` to ``proposed_end``. ``periods`` must include
    the current (first) period. sp_consecutive counts the chain the second period would
    extend (the first period included, the second not). sp_window_limit_days is the R4
    limit of the same window as sp_window_days_max."""
    periods = list(periods)
    sp_start = first_end + ONE_DAY
    days, window_limit, _ = worst_window(periods, (sp_start, proposed_end),
                                         int(limits["window_months"]),
                                         int(limits["window_limit_months"]))
    return {
        "sp_start": sp_start.isoformat(),
        "sp_end": proposed_end.isoformat(),
        "sp_days": days_inclusive(sp_start, proposed_end),
        "sp_consecutive": consecutive_chain(periods, sp_start),
        "sp_window_days_max": days,
        "sp_window_limit_days": window_limit,
    }


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def week_review(previous_streak: int, meetings, absence_days: int, absence_limit: int,
                flags: Mapping[str, object]) -> dict:
    """One weekly review (R2, R8, R9). ``meetings`` is the week's meeting list (or a
    count). Unexcused absence accumulates across weeks until a meeting is held: a held
    meeting shows the client was reached, so the streak restarts from this week's days.
    Only one notice is raised per review, the gravest first: interruption (flagged, or
    the absence streak reaches the limit, 380/2023 §59) > other service need >
    unrealistic goals."""
    held = meetings if isinstance(meetings, int) else len(meetings or [])
    streak = absence_days if held else previous_streak + absence_days
    if flags.get("interruption_justified") or streak >= absence_limit:
        kind = "interruption"
    elif flags.get("other_service_need"):
        kind = "other_service"
    elif flags.get("goals_unrealistic"):
        kind = "goals_unrealistic"
    else:
        kind = None
    return {"absence_streak": streak, "week_without_meeting": held == 0, "notice_kind": kind}
