"""Form validation through `polku complete`: every type and constraint of the sample review
form, all errors reported at once, and a rejected submission leaving no trace."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from polku.engine.models import AuditEvent, Instance
from tests.conftest import REVIEW_OK, task_of


@pytest.fixture
def sample_review(sample):
    """(polku, (instance id, review task)) of a fresh sample instance, the task as off1 sees it."""
    iid = sample.json("start", "sample_case", "--as", "off1")["id"]
    return sample, (iid, task_of(sample, "off1", "review", iid))


def _complete(polku, task_id, data, *extra, ok=True):
    return polku("complete", task_id, "--as", "off1", "--data", json.dumps(data), *extra, ok=ok)


def _refused_json(polku, task_id, data):
    result = polku.refused("complete", task_id, "--as", "off1", "--data", json.dumps(data), "--json")
    body = result.json
    assert body["code"] == "validation"
    assert isinstance(body["error"], str) and body["error"]
    return body


def _state(polku, db_engine, iid):
    """Everything a rejected submission must leave untouched."""
    with db_engine.connect() as conn:
        lock = conn.execute(select(Instance.lock_version).where(Instance.id == iid)).scalar_one()
        # Rows of what was done; `show` below writes a read row (view_instance) each time.
        audits = conn.execute(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.action.notlike("view_%"))).scalar_one()
    shown = polku.json("show", iid)
    ready = {t["id"]: t["assignee"] for t in shown["ready_tasks"]}
    return {"lock": lock, "audits": audits, "data": shown["data"], "status": shown["status"],
            "ready": ready, "history": len(shown["history"]), "timers": shown["timers"]}


BAD_VALUES = [
    ("amount", "abc", "must be a whole number"),
    ("amount", "1.5", "must be a whole number"),
    ("amount", 1.5, "must be a whole number"),
    ("amount", True, "must be a whole number"),
    ("amount", 0, "must be at least 1"),
    ("amount", "0", "must be at least 1"),
    ("amount", 101, "must be at most 100"),
    ("decision", "maybe", "must be one of: approve, reject"),
    ("start_date", "2026-13-01", "must be a valid date (YYYY-MM-DD)"),
    ("start_date", "tomorrow", "must be a valid date (YYYY-MM-DD)"),
    ("start_date", "20260110", "must be a valid date (YYYY-MM-DD)"),
    ("note", "x", "must be at least 2 characters"),
    ("note", "x" * 201, "must be at most 200 characters"),
    ("note", 12, "must be text"),
    ("urgent", "maybe", "must be true or false"),
    ("decision", None, "is required"),
    ("decision", "", "is required"),
    ("start_date", "   ", "is required"),
    ("colour", "blue", "unknown field"),
]


@pytest.mark.parametrize(("field", "value", "message"), BAD_VALUES)
def test_each_bad_value_is_refused_with_the_fields_message(sample_review, field, value, message):
    polku, (_iid, task) = sample_review
    body = _refused_json(polku, task["id"], {**REVIEW_OK, field: value})
    assert body["fields"] == {field: message}


def test_missing_required_fields_are_each_reported(sample_review):
    polku, (_iid, task) = sample_review
    body = _refused_json(polku, task["id"], {"amount": 5})
    assert body["fields"] == {"decision": "is required", "start_date": "is required"}


def test_all_errors_come_back_at_once(sample_review):
    polku, (_iid, task) = sample_review
    bad = {"decision": "maybe", "amount": 101, "note": "x", "start_date": "tomorrow", "urgent": "maybe",
           "colour": "blue"}
    body = _refused_json(polku, task["id"], bad)
    assert body["fields"] == {
        "decision": "must be one of: approve, reject",
        "amount": "must be at most 100",
        "note": "must be at least 2 characters",
        "start_date": "must be a valid date (YYYY-MM-DD)",
        "urgent": "must be true or false",
        "colour": "unknown field",
    }
    assert "6 error(s)" in body["error"]


def test_without_json_the_refusal_is_one_stderr_line_naming_every_bad_field(sample_review):
    polku, (_iid, task) = sample_review
    result = polku.refused("complete", task["id"], "--as", "off1", "--data",
                           json.dumps({"amount": "abc", "urgent": "maybe"}))
    assert result.stdout == ""
    for name in ("decision", "amount", "start_date", "urgent"):
        assert name in result.stderr


@pytest.mark.parametrize(
    "data",
    [
        {**REVIEW_OK, "amount": 0, "colour": "blue"},
        {"decision": "maybe", "amount": "abc", "start_date": "2026-13-01", "note": "x" * 201},
        {"amount": 5},
        {**REVIEW_OK, "urgent": "maybe"},
    ],
)
def test_a_rejected_submission_changes_nothing(sample_review, db_engine, data):
    polku, (iid, task) = sample_review
    before = _state(polku, db_engine, iid)
    _refused_json(polku, task["id"], data)
    after = _state(polku, db_engine, iid)
    assert after == before
    assert after["ready"] == {task["id"]: None}  # still ready, still unassigned
    assert task_of(polku, "off1", "review", iid)["id"] == task["id"]
    assert task_of(polku, "off2", "review", iid)["assignee"] is None
    # and the task can still be completed properly afterwards
    _complete(polku, task["id"], REVIEW_OK)
    assert polku.json("show", iid)["ready_tasks"][0]["element_id"] == "coach_work"


def test_a_non_object_data_is_refused_and_changes_nothing(sample_review, db_engine):
    polku, (iid, task) = sample_review
    before = _state(polku, db_engine, iid)
    body = polku.refused("complete", task["id"], "--as", "off1", "--data", "[1, 2]", "--json").json
    assert body["code"] == "validation"
    assert _state(polku, db_engine, iid) == before


@pytest.mark.parametrize(("raw", "expected"), [(1, 1), (100, 100), ("1", 1), ("100", 100), (" 42 ", 42)])
def test_amount_bounds_are_inclusive_and_numbers_in_text_are_converted(sample_review, raw, expected):
    polku, (iid, task) = sample_review
    _complete(polku, task["id"], {**REVIEW_OK, "amount": raw})
    amount = polku.json("show", iid)["data"]["amount"]
    assert amount == expected and type(amount) is int


@pytest.mark.parametrize("note", ["ab", "x" * 200])
def test_note_length_bounds_are_inclusive(sample_review, note):
    polku, (iid, task) = sample_review
    _complete(polku, task["id"], {**REVIEW_OK, "note": note})
    assert polku.json("show", iid)["data"]["note"] == note


def test_converted_values_reach_the_process_data(sample_review):
    polku, (iid, task) = sample_review
    data = {"decision": "approve", "amount": "42", "start_date": "2026-02-03", "urgent": "yes", "note": "hello"}
    out = polku.json("complete", task["id"], "--as", "off1", "--data", json.dumps(data))
    assert out == {"id": task["id"], "instance_status": "running"}
    shown = polku.json("show", iid)["data"]
    assert shown["amount"] == 42 and type(shown["amount"]) is int
    assert shown["urgent"] is True
    assert shown["start_date"] == "2026-02-03"
    assert shown["decision"] == "approve" and shown["note"] == "hello"
    assert shown["category"] == "small"  # the DMN compared the int, not the text "42"


@pytest.mark.parametrize(("raw", "expected"), [("false", False), ("on", True), (True, True), ("0", False)])
def test_boolean_text_is_converted(sample_review, raw, expected):
    polku, (iid, task) = sample_review
    _complete(polku, task["id"], {**REVIEW_OK, "urgent": raw})
    assert polku.json("show", iid)["data"]["urgent"] is expected


def test_omitted_optional_fields_get_defaults(sample_review):
    polku, (iid, task) = sample_review
    _complete(polku, task["id"], {"decision": "reject", "start_date": "2026-01-10"})
    data = polku.json("show", iid)["data"]
    assert data["urgent"] is False and data["note"] is None and data["amount"] is None
