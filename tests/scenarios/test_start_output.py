"""`polku start` of a referral the rules refuse: exit 0 (the instance ran and recorded the
decision), the id on the first line, then the reason with its figures; `--json` carries them."""
from __future__ import annotations

import json

from tests.scenarios.conftest import referral


def start(polku, *extra, **overrides):
    return polku("start", "tyohonvalmennus", "--as", "off1", "--data", json.dumps(referral(**overrides)), *extra)


def test_a_refused_referral_prints_its_id_then_the_reason_in_one_line(coaching):
    result = start(coaching, planned_end="2026-01-20")
    assert result.exit_code == 0
    first, second = result.stdout.splitlines()
    assert coaching.json("show", int(first))["status"] == "completed"
    assert second == "refused: R1_short: the planned period is 9 days; at least 14 days are required"


def test_json_carries_the_reason_and_the_figures(coaching):
    out = start(coaching, "--json", planned_end="2026-05-12").json
    assert out["status"] == "completed"
    refusal = out["refusal"]
    assert (refusal["reason"], refusal["planned_start"], refusal["planned_end"]) == ("R1_long", "2026-01-12",
                                                                                     "2026-05-12")
    assert refusal["planned_end_limit"] == "2026-05-11" and refusal["max_period_months"] == 4
    text = start(coaching, planned_end="2026-05-12", client_hetu="010594Y9021").stdout.splitlines()[1]
    assert text == ("refused: R1_long: the planned period ends 2026-05-12; at most 4 months allowed, "
                    "so it must end by 2026-05-11")


def test_the_eight_in_twelve_refusal_names_its_figures(coaching, history):
    history("2025-03-01", "2025-06-30")
    history("2025-08-01", "2025-11-30")
    out = start(coaching, "--json").json
    refusal = out["refusal"]
    assert refusal["reason"] == "R4_window"
    assert refusal["window_days_max"] > refusal["window_limit_days"]
    line = start(coaching).stdout.splitlines()[1]
    assert line == (f"refused: R4_window: with this period the client would get {refusal['window_days_max']} days "
                    f"of coaching within {refusal['window_months']} months; the limit is "
                    f"{refusal['window_limit_days']} days")


def test_an_accepted_referral_prints_only_its_id(coaching):
    result = start(coaching)
    [line] = result.stdout.splitlines()
    assert coaching.json("show", int(line))["status"] == "running"
    out = start(coaching, "--json", client_hetu="010594Y9021").json
    assert set(out) == {"id", "status"} and out["status"] == "running"


def test_a_form_error_is_still_a_refused_command_not_a_refused_referral(coaching):
    refused = coaching.refused("start", "tyohonvalmennus", "--as", "off1", "--json", "--data",
                               json.dumps(referral(client_hetu="not-a-code")))
    assert "refusal" not in refused.json and "client_hetu" in refused.json["fields"]


def test_an_overlapping_period_and_too_many_consecutive_periods_are_worded(coaching, history):
    history("2026-01-01", "2026-02-28", status="active")
    assert start(coaching).stdout.splitlines()[1] == (
        "refused: R3_active: the client already has a coaching period at the same time")
    history("2025-07-01", "2025-09-30", hetu="020505A902P")
    history("2025-10-01", "2026-01-11", hetu="020505A902P")
    result = start(coaching, client_hetu="020505A902P")
    assert result.stdout.splitlines()[1] == (
        "refused: R3_consecutive: the client has already had 2 consecutive periods (at most 2 in a row)")
