"""The managers' KPI dashboard: every implemented figure against the hand-computed set of cases
in tests/web/kpi_cases.py (March 2026, providers A and B, one case of another area)."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from polku.domain.kpis import TOTAL, dashboard
from polku.engine.errors import Forbidden
from tests.conftest import add_user
from tests.web.kpi_cases import build

MARCH = (date(2026, 3, 1), date(2026, 3, 31))


@pytest.fixture
def kpi_cases(coaching, db_engine):
    with Session(db_engine) as session:
        return build(session)


@pytest.fixture
def march(kpi_cases, uow_factory):
    with uow_factory("2026-04-10T09:00:00+00:00", write=False) as uow:
        found = dashboard(uow, "boss", *MARCH)
    return found, kpi_cases


def table(found, key: str) -> dict[str, tuple]:
    """{row code: (A, B, total)}"""
    ids = [p for p, _name in found["providers"]]
    return {row.code: tuple(row.values[k] for k in (*ids, TOTAL)) for row in found["kpis"][key].rows}


def test_columns_are_the_area_providers(march):
    found, c = march
    assert [p for p, _name in found["providers"]] == [c["B"], c["A"]]  # by name: "Toinen..." < "Valmennus..."


def ab(found, c, key):
    """Rows as (A, B, total), whatever the column order."""
    ids = [p for p, _name in found["providers"]]
    return {code: (v[ids.index(c["A"])], v[ids.index(c["B"])], v[-1]) for code, v in table(found, key).items()}


def test_clients_in_service_by_language(march):
    found, c = march
    assert ab(found, c, "clients") == {"total": (3, 1, 4), "fi": (2, 1, 3), "sv": (1, 0, 1)}


def test_referrals_and_refusals_by_reason(march):
    found, c = march
    rows = ab(found, c, "referrals")
    assert rows["total"] == (2, 3, 5)
    assert rows["accepted"] == (1, 2, 3) and rows["refused"] == (1, 1, 2)
    assert rows["refused_share"] == (0.5, pytest.approx(1 / 3), 0.4)
    assert rows["R1_short"] == (0, 1, 1) and rows["R1_short_share"] == (0, pytest.approx(1 / 3), 0.2)
    assert rows["R4_window"] == (1, 0, 1) and rows["R3_active"] == (0, 0, 0)


def test_start_notifications_late_or_unsent(march):
    found, c = march
    rows = ab(found, c, "start_notices")
    assert rows["total"] == (1, 2, 3)
    assert rows["late"] == (1, 0, 1) and rows["late_share"] == (1, 0, pytest.approx(1 / 3))
    assert rows["unsent_overdue"] == (0, 1, 1) and rows["unsent_overdue_share"] == (0, 0.5, pytest.approx(1 / 3))


def test_weeks_without_meetings(march):
    found, c = march
    rows = ab(found, c, "weeks")
    assert rows["client_weeks"] == (13, 3, 16) and rows["without"] == (8, 2, 10)
    assert rows["per_100"] == (pytest.approx(800 / 13), pytest.approx(200 / 3), 62.5)


def test_period_length_first_and_second_apart(march):
    found, c = march
    rows = ab(found, c, "period_length")
    assert rows["p1_count"] == (2, 1, 3)
    assert rows["p1_mean"] == (29.5, 12, pytest.approx(71 / 3))
    assert rows["p1_median"] == (29.5, 12, 19)
    assert rows["p2_count"] == (0, 0, 0) and rows["p2_mean"] == (None, None, None)


def test_goal_attainment(march):
    found, c = march
    assert ab(found, c, "goals") == {"set": (3, 2, 5), "reached": (2, 0, 2), "reached_share": (2 / 3, 0, 0.4)}


def test_closures_by_rule_and_outcomes(march):
    found, c = march
    rows = ab(found, c, "closures")
    assert rows["total"] == (1, 1, 2)
    assert rows["two_areas"] == (1, 0, 1) and rows["two_areas_share"] == (1, 0, 0.5)
    assert rows["next_steps_only"] == (0, 1, 1) and rows["both"] == (0, 0, 0)
    out = ab(found, c, "outcomes")
    assert out["employed"] == (1, 0, 1) and out["jobseeker"] == (0, 1, 1) and out["education"] == (0, 0, 0)
    assert out["employed_share"] == (1, 0, 0.5)


def test_interruptions_and_redirections(march):
    found, c = march
    rows = ab(found, c, "interruptions")
    assert rows["total"] == (0, 1, 1) and rows["absence"] == (0, 1, 1) and rows["absence_share"] == (None, 1, 1)
    assert rows["other_service"] == (0, 0, 0)
    redirected = ab(found, c, "redirections")
    assert redirected["health"] == (0, 1, 1) and redirected["social"] == (0, 0, 0)
    assert redirected["continue"] == (0, 1, 1) and redirected["undecided"] == (0, 0, 0)


def test_overdue_tasks_by_step_and_turn(march):
    found, c = march
    steps = ab(found, c, "overdue_steps")
    assert steps == {"total": (2, 1, 3), "accept_referral": (0, 1, 1), "decide_second_period": (1, 0, 1),
                     "weekly_review": (1, 0, 1)}
    assert ab(found, c, "overdue_turns") == {"official": (1, 0, 1), "coach": (1, 1, 2), "manager": (0, 0, 0)}


def test_second_periods(march):
    found, c = march
    rows = ab(found, c, "second_periods")
    assert rows["ended_first"] == (2, 1, 3) and rows["approved"] == (1, 0, 1)
    assert rows["approved_share"] == (0.5, 0, pytest.approx(1 / 3))
    assert rows["refused"] == (1, 0, 1) and rows["forbidden"] == (0, 0, 0)


def test_lead_time_in_business_days(march):
    found, c = march
    rows = ab(found, c, "lead_time")
    assert rows == {"count": (1, 1, 2), "median": (5, 2, 3.5), "p90": (5, 2, 5)}


def test_capacity_used(march):
    found, c = march
    rows = ab(found, c, "capacity")
    assert rows["used"] == (pytest.approx(81 / 31 / 2), pytest.approx(12 / 31 / 4), 0.5)


def test_rule_breaches_listed_with_their_cases(march):
    found, c = march
    assert ab(found, c, "breaches") == {"total": (2, 1, 3), "r1_short": (0, 1, 1), "r1_long": (1, 0, 1),
                                        "r3": (1, 0, 1), "r4": (1, 0, 1)}
    assert found["kpis"]["breaches"].cases == sorted([c["c1"], c["c3"], c["c6"]])


def test_one_provider_only(kpi_cases, uow_factory):
    with uow_factory("2026-04-10T09:00:00+00:00", write=False) as uow:
        found = dashboard(uow, "boss", *MARCH, provider=kpi_cases["B"])
    assert [p for p, _ in found["providers"]] == [kpi_cases["B"]]
    assert table(found, "clients")["total"] == (1, 1)
    assert table(found, "referrals")["total"] == (3, 3)


def test_admins_see_every_area(kpi_cases, coaching, uow_factory):
    """Aggregates only (case numbers at most): admins see every area's, c7 of the other area included."""
    add_user(coaching, "admin1", "admin", org="Muu työllisyysalue")
    with uow_factory("2026-04-10T09:00:00+00:00", write=False) as uow:
        found = dashboard(uow, "admin1", *MARCH)
    assert found["all_areas"] and table(found, "clients")["total"][-1] == 5


def test_officials_are_refused(kpi_cases, uow_factory):
    with uow_factory("2026-04-10T09:00:00+00:00", write=False) as uow, pytest.raises(Forbidden):
        dashboard(uow, "off1", *MARCH)


def test_weeks_of_a_range_starting_midweek(kpi_cases, uow_factory):
    """From Wednesday 4 March: the weeks ending on 8, 15, 22 and 29 March, each from its Monday (the
    week ending 1 March, c1's and c6's of A without meetings, is out; B's are c3's three, as in March).
    A week counted from another weekday would miss every meeting (c6's on 26 March among them)."""
    with uow_factory("2026-04-10T09:00:00+00:00", write=False) as uow:
        found = dashboard(uow, "boss", date(2026, 3, 4), date(2026, 3, 31))
    rows = ab(found, kpi_cases, "weeks")
    assert rows["client_weeks"] == (11, 3, 14) and rows["without"] == (6, 2, 8)
