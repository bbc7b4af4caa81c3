"""Referral and eligibility (R1, R3, R4, R10, R13) and the start notification (R7)."""
from __future__ import annotations

import pytest

from polku.domain.models import Client, EligibilityDecision, Notice, Period
from polku.engine.models import OutboxMessage
from tests.scenarios.conftest import at, referral, rows


def test_an_eligible_referral_records_client_period_and_customer_information_system_entry(refer, db_engine):
    case = refer()
    assert case.ready() == ["accept_referral"]
    data = case.data
    assert data["eligible"] is True and data["period_number"] == 1
    assert data["case_organisations"] == ["Valmennus Oy"]
    [period] = rows(db_engine, Period, instance_id=case.id)
    assert (period.status, period.planned_start.isoformat(), period.planned_end.isoformat()) == \
        ("referred", "2026-01-12", "2026-04-30")
    [client] = rows(db_engine, Client)
    assert (client.identity_code, client.temporary_code, client.language) == ("131052-308T", False, "fi")
    [outbox] = rows(db_engine, OutboxMessage, instance_id=case.id, topic="customer_information_system")
    assert outbox.payload["event"] == "referral" and outbox.payload["client"] == "131052-308T"


@pytest.mark.parametrize(("planned_end", "reason"), [("2026-01-20", "R1_short"), ("2026-05-12", "R1_long")])
def test_a_period_shorter_than_two_weeks_or_longer_than_four_months_is_refused(refer, db_engine, planned_end, reason):
    case = refer(planned_end=planned_end)
    assert case.status == "completed"
    assert (case.data["eligible"], case.data["refusal_reason"]) == (False, reason)
    [decision] = rows(db_engine, EligibilityDecision, instance_id=case.id)
    assert (decision.eligible, decision.reason) == (False, reason)
    assert rows(db_engine, Period, instance_id=case.id) == []


def test_exactly_four_months_less_a_day_and_exactly_two_weeks_are_allowed(refer):
    assert refer(planned_end="2026-05-11").data["eligible"] is True
    assert refer(client_hetu="010594Y9021", planned_end="2026-01-25").data["eligible"] is True


def test_referral_refused_when_eight_months_in_twelve_are_used(refer, history):
    history("2025-03-01", "2025-06-30")
    history("2025-08-01", "2025-11-30")
    case = refer()
    assert (case.data["eligible"], case.data["refusal_reason"]) == (False, "R4_window")
    assert case.data["window_days_max"] > case.data["window_limit_days"]


def test_referral_refused_during_an_active_period_and_after_two_consecutive(refer, history):
    history("2026-01-01", "2026-02-28", status="active")
    assert refer().data["refusal_reason"] == "R3_active"


def test_referral_after_two_consecutive_periods_is_refused(refer, history):
    history("2025-07-01", "2025-09-30")
    history("2025-10-01", "2026-01-11")
    assert refer().data["refusal_reason"] == "R3_consecutive"  # checked before R4, which would also refuse
    assert refer(client_hetu="020505A902P").data["eligible"] is True  # someone else


@pytest.mark.parametrize("code", ["131052-308U", "300200A002E", "131052Z308T", "", "abc"])
def test_an_invalid_identity_code_is_refused_at_the_form_and_nothing_is_started(coaching, code):
    import json

    before = coaching.json("instances")
    refused = coaching.refused("start", "tyohonvalmennus", "--as", "off1", "--json",
                               "--data", json.dumps(referral(client_hetu=code)))
    assert "client_hetu" in refused.json["fields"]
    assert coaching.json("instances") == before


@pytest.mark.parametrize("code", ["010594Y9021", "010594-9021", "020505A902P", "020505F903R", "290200A904F",
                                  "311299U905D", "150357+9061", "131052-308t"])
def test_valid_and_temporary_identity_codes_are_accepted_and_temporary_ones_marked(refer, code):
    data = refer(client_hetu=code).data
    assert data["eligible"] is True
    assert data["client_hetu"] == code.upper()
    assert data["client_temporary_code"] is (int(code[7:10]) >= 900)


def test_health_information_without_written_consent_is_refused_at_the_form(coaching):
    import json

    refused = coaching.refused("start", "tyohonvalmennus", "--as", "off1", "--json", "--data",
                               json.dumps(referral(health_information="Diagnosis X")))
    assert list(refused.json["fields"]) == ["health_information"]
    assert coaching.json("instances") == []
    started = coaching.json("start", "tyohonvalmennus", "--as", "off1", "--data",
                            json.dumps(referral(health_information="Diagnosis X", health_consent=True)))
    assert started["id"]


def test_an_unknown_provider_is_refused_at_the_form(coaching):
    import json

    refused = coaching.refused("start", "tyohonvalmennus", "--as", "off1", "--json", "--data",
                               json.dumps(referral(provider="No Such Oy")))
    assert list(refused.json["fields"]) == ["provider"]


def test_start_notification_overdue_is_escalated_counting_business_days_over_a_holiday(refer, db_engine):
    case = refer(now=at("2026-01-05"))  # Monday; Tuesday 6 Jan is Epiphany, a public holiday
    # Five business days: 7, 8, 9, 12, 13 January; overdue from the start of the 14th.
    assert case.data["start_notice_due"] == "2026-01-14T00:00:00+00:00"
    assert "fired 0" in case.polku("worker", "--once", now=at("2026-01-13", "23:59")).stdout
    assert "fired 1" in case.polku("worker", "--once", now=at("2026-01-14", "00:01")).stdout
    assert sorted(case.ready()) == ["accept_referral", "follow_up_start_notice"]
    assert {n.recipient_role for n in rows(db_engine, Notice, instance_id=case.id, kind="start_notice_overdue")} == \
        {"official", "manager"}
    case.do("follow_up_start_notice", "boss", note="Called the provider")
    case.accept()  # the late start notification still goes through
    assert case.ready() == ["set_goals"]


def test_a_timely_start_notification_leaves_nothing_to_escalate(refer):
    case = refer()
    case.accept("2026-01-08", now=at("2026-01-08"))
    assert "fired 0" in case.polku("worker", "--once", now=at("2026-01-20")).stdout
    assert case.ready() == ["set_goals"]


def test_a_coach_of_another_provider_can_neither_see_nor_complete_the_case(refer):
    case = refer()
    assert case.polku.json("tasks", "--as", "coach2") == []
    task = case.task("accept_referral", "coach1")
    refused = case.polku.refused("complete", task["id"], "--as", "coach2", "--data", '{"actual_start": "2026-01-12"}')
    assert "no task" in refused.stderr
    assert case.polku.refused("show", case.id, "--as", "coach2").stderr.startswith("error: no instance")


def test_a_terminated_case_ends_its_period_that_day_and_the_client_can_be_referred_again(refer, db_engine):
    started = refer()
    started.accept()
    started.polku("terminate", started.id, "--as", "boss", "--reason", "client moved away", now=at("2026-02-02"))
    never_started = refer(client_hetu="010594Y9021")
    never_started.polku("terminate", never_started.id, "--as", "boss", "--reason", "withdrawn", now=at("2026-01-06"))
    [first] = rows(db_engine, Period, instance_id=started.id)
    [second] = rows(db_engine, Period, instance_id=never_started.id)
    assert (first.status, first.actual_end.isoformat(), first.end_reason) == ("ended", "2026-02-02", "terminated")
    # Never started: it ends on its planned start, never before it.
    assert (second.status, second.actual_end.isoformat()) == ("ended", "2026-01-12")
    # Inside the first referral's planned dates, yet no longer R3_active.
    again = refer(planned_start="2026-03-02", planned_end="2026-04-30", now=at("2026-02-20"))
    assert again.status == "running" and again.data["eligible"] is True
