"""Input that makes no sense is a field error, never a recorded outcome: a referral ending
before it starts or starting long ago, an actual start in the future, meeting dates outside the
period. Each is refused with the field named, and nothing is created or changed."""
from __future__ import annotations

import json

import pytest

from polku.domain.models import Client, Meeting, Period, Referral, WeeklyReview
from tests.scenarios.conftest import at, referral, rows


def refused_start(coaching, **overrides):
    return coaching.refused("start", "tyohonvalmennus", "--as", "off1", "--json", "--data",
                            json.dumps(referral(**overrides)))


def assert_nothing_created(coaching, db_engine):
    assert coaching.json("instances") == []
    assert (rows(db_engine, Referral), rows(db_engine, Client), rows(db_engine, Period)) == ([], [], [])


def test_an_end_before_the_start_is_a_field_error_not_a_refused_referral(coaching, db_engine):
    refused = refused_start(coaching, planned_start="2026-01-12", planned_end="2026-01-06")
    assert list(refused.json["fields"]) == ["planned_end"]
    assert refused.json["fields"]["planned_end"] == "Päättymispäivä ei voi olla ennen alkamispäivää"
    assert_nothing_created(coaching, db_engine)
    # Without --json the one error line names the field too.
    plain = coaching.refused("start", "tyohonvalmennus", "--as", "off1", "--data",
                             json.dumps(referral(planned_end="2026-01-06")))
    assert "planned_end" in plain.stderr
    assert_nothing_created(coaching, db_engine)


@pytest.mark.parametrize("planned_start, ok", [("2025-12-06", True), ("2025-12-05", False)])
def test_a_planned_start_more_than_30_days_ago_is_a_field_error(coaching, db_engine, planned_start, ok):
    # The clock says 5 January 2026; 6 December 2025 is 30 days before it, the limit in the rules table.
    overrides = {"planned_start": planned_start, "planned_end": "2026-02-28"}
    if ok:
        started = coaching.json("start", "tyohonvalmennus", "--as", "off1", "--data", json.dumps(referral(**overrides)))
        assert coaching.json("show", started["id"])["data"]["eligible"] is True
        return
    refused = refused_start(coaching, **overrides)
    assert list(refused.json["fields"]) == ["planned_start"]
    assert_nothing_created(coaching, db_engine)


def test_an_actual_start_in_the_future_is_a_field_error(refer, db_engine):
    case = refer()  # referred on 5 January for a start on the 12th
    refused = case.refused("accept_referral", "coach1", actual_start="2026-01-06", now=at("2026-01-05", "23:59"))
    assert list(refused["fields"]) == ["actual_start"]
    assert case.ready() == ["accept_referral"]
    [period] = rows(db_engine, Period, instance_id=case.id)
    assert (period.status, period.actual_start) == ("referred", None)
    case.accept("2026-01-05", now=at("2026-01-05", "23:59"))  # today is not the future
    assert case.ready() == ["set_goals"]


@pytest.mark.parametrize("day", ["2026-01-11", "2026-05-01"])  # the day before the start, after the planned end
def test_meeting_dates_outside_the_period_are_field_errors(refer, db_engine, day):
    case = refer()
    case.accept("2026-01-12")  # the period runs from 12 January to 30 April
    case.set_goals()
    meetings = [{"date": "2026-01-13", "kind": "individual"}, {"date": day, "kind": "individual"}]
    refused = case.refused("weekly_review", "coach1", now=at("2026-01-16"), meetings=meetings, absence_days=0)
    assert list(refused["fields"]) == ["meetings"]
    assert case.ready() == ["weekly_review"]
    assert (rows(db_engine, WeeklyReview), rows(db_engine, Meeting)) == ([], [])
    case.week("2026-01-12")  # the first day of the period is in it
    assert [m.held_on.isoformat() for m in rows(db_engine, Meeting)] == ["2026-01-12"]


def test_control_characters_are_field_errors_before_any_lookup(coaching, db_engine):
    """The fuzz test's find: a NUL in the provider reached its lookup, which PostgreSQL cannot even
    compare (a 500 on the web). Any field, in a list's rows too, refuses control characters first."""
    refused = refused_start(coaching, provider="Valmennus Oy\x07", client_name="Matti\x1bMeikäläinen",
                            service_need="Line one\nline two\ttabbed")  # line breaks and tabs are text
    assert refused.json["fields"] == {"provider": "must not contain control characters",
                                      "client_name": "must not contain control characters"}
    # NUL (which no database stores) is refused by the CLI before the form, like a lone surrogate (issue 12).
    refused = refused_start(coaching, provider="Valmennus Oy\x00")
    assert refused.json["fields"] == {"provider": "contains a character that is not allowed"}
    assert_nothing_created(coaching, db_engine)
