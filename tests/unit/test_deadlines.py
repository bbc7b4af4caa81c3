"""The calendar functions the process models call in `camunda:dueDate` (domain/deadlines.py),
through the sandbox as a model calls them."""
from __future__ import annotations

import pytest

from polku.domain.deadlines import add_business_days, end_of_day, week_end
from polku.engine.clock import FixedClock, parse_instant
from polku.engine.sandbox import SandboxedEnvironment
from polku.engine.timers import bound_clock
from polku.wiring import script_functions


@pytest.mark.parametrize("day, expected", [
    ("2026-01-13", "2026-01-13T21:59:59+00:00"),  # EET, UTC+2
    ("2026-06-01", "2026-06-01T20:59:59+00:00"),  # EEST, UTC+3
    ("2026-03-29", "2026-03-29T20:59:59+00:00"),  # the day summer time begins
    ("2026-01-13T23:30:00+00:00", "2026-01-13T21:59:59+00:00"),  # a date-time counts as its date
])
def test_a_deadline_is_the_last_second_of_the_day_in_helsinki(day, expected):
    assert end_of_day(day) == expected


@pytest.mark.parametrize("day, n, expected", [
    ("2026-01-05", 5, "2026-01-13"),  # Epiphany (Tue 6 Jan) skipped
    ("2026-04-02", 1, "2026-04-07"),  # Good Friday and Easter Monday
    ("2026-05-05", 10, "2026-05-20"),  # Ascension Day (Thu 14 May)
    ("2026-01-09", 0, "2026-01-09"),
])
def test_business_days_skip_weekends_and_finnish_holidays(day, n, expected):
    assert add_business_days(day, n) == expected


@pytest.mark.parametrize("day, expected", [
    ("2026-01-12", "2026-01-18"),  # Monday
    ("2026-01-18", "2026-01-18"),  # Sunday ends its own week
    ("2026-04-25", "2026-04-26"),  # Saturday
    ("2026-12-31", "2027-01-03"),  # across the year
])
def test_the_week_ends_on_its_sunday(day, expected):
    assert week_end(day) == expected


def test_not_a_date_is_refused():
    with pytest.raises(ValueError):
        end_of_day("soon")
    with pytest.raises(ValueError):
        add_business_days("2026-01-05", "five")


def test_models_call_them_with_the_command_clock():
    env = SandboxedEnvironment(functions=script_functions())
    expression = "end_of_day(add_business_days(today(), limit))"
    with bound_clock(FixedClock(parse_instant("2026-01-05T09:00:00+00:00"))):
        assert env.evaluate(expression, {"limit": 5}) == "2026-01-13T21:59:59+00:00"
    with bound_clock(FixedClock(parse_instant("2026-01-07T09:00:00+00:00"))):
        assert env.evaluate(expression, {"limit": 5}) == "2026-01-14T21:59:59+00:00"
        with pytest.raises(NameError, match="limit"):  # a limit missing from the data
            env.evaluate(expression, {})
