"""Calendar arithmetic for the service's limits, and Finnish business days.

The service card gives durations in months without saying how to count them; the
project counts calendar months (../shared/domain.md): a period of 4 months starting
15 Jan may last until 14 May. Every function takes its dates from the caller: nothing
here reads the clock, so the rules are reproducible in tests and in replays.
"""
from __future__ import annotations

import calendar as _stdcal
from collections.abc import Mapping
from datetime import date, timedelta
from functools import lru_cache
from types import MappingProxyType

import holidays as _holidays

ONE_DAY = timedelta(days=1)


@lru_cache(maxsize=4096)  # the dashboard's rule breaches ask it thousands of times for the same days
def add_months(d: date, n: int) -> date:
    """``d`` moved by ``n`` calendar months (n may be negative). When the target month
    is shorter, the result is clamped to its last day: 31 Jan + 1 month = 28/29 Feb."""
    index = d.year * 12 + (d.month - 1) + n
    year, month = divmod(index, 12)
    last = _stdcal.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(d.day, last))


def period_end_limit(start: date, months: int) -> date:
    """The last allowed day of a period of ``months`` calendar months starting on
    ``start``: start + months, ending the day before (domain.md). With clamping,
    31 Oct + 4 months = 28 Feb, so such a period may last until 27 Feb."""
    return add_months(start, months) - ONE_DAY


def days_inclusive(start: date, end: date) -> int:
    """Days from ``start`` to ``end``, both counted; 0 or less when end is before start."""
    return (end - start).days + 1


def window_start(day: date, months: int) -> date:
    """First day of the rolling window of ``months`` months that ends on ``day``
    (inclusive). Mirrors period_end_limit: window_start(14 May, 4) = 15 Jan."""
    return add_months(day, -months) + ONE_DAY


@lru_cache(maxsize=64)
def _holidays_of(year: int) -> Mapping[date, str]:
    # Public category only; the package includes Midsummer Eve and Christmas Eve there,
    # which are de facto non-working days in Finnish public administration too.
    found = _holidays.country_holidays("FI", years=year, categories=("public",), language="fi")
    return MappingProxyType(dict(found))


def finnish_holidays(year: int) -> dict[date, str]:
    """Finnish public holidays of ``year`` as {date: Finnish name}."""
    return dict(_holidays_of(year))


def is_business_day(d: date) -> bool:
    """Monday to Friday and not a Finnish public holiday."""
    return d.weekday() < 5 and d not in _holidays_of(d.year)


def add_business_days(d: date, n: int) -> date:
    """The ``n``-th business day after ``d`` (before it when n < 0). ``d`` itself is
    never counted, so from Thu 2 Apr 2026, 1 business day is Tue 7 Apr (Easter).
    n == 0 returns ``d`` unchanged, business day or not."""
    step = ONE_DAY if n >= 0 else -ONE_DAY
    remaining = abs(n)
    while remaining:
        d += step
        if is_business_day(d):
            remaining -= 1
    return d


def business_days_between(a: date, b: date) -> int:
    """Business days after ``a`` up to and including ``b``, so that for n >= 0
    business_days_between(d, add_business_days(d, n)) == n. Negative (the same count
    with the roles swapped) when b is before a."""
    if b < a:
        return -business_days_between(b, a)
    # Counted from each year's running totals: the dashboard asks this for every period started.
    count = _business_days_so_far(b.year)[_day_of_year(b)] - _business_days_so_far(a.year)[_day_of_year(a)]
    return count + sum(_business_days_so_far(year)[-1] for year in range(a.year, b.year))


def _day_of_year(d: date) -> int:
    return d.toordinal() - date(d.year, 1, 1).toordinal()


@lru_cache(maxsize=64)
def _business_days_so_far(year: int) -> tuple[int, ...]:
    """Business days of ``year`` from 1 Jan up to and including each of its days (by day of year)."""
    totals, count, d = [], 0, date(year, 1, 1)
    while d.year == year:
        count += is_business_day(d)
        totals.append(count)
        d += ONE_DAY
    return tuple(totals)
