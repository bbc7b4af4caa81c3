"""The process's custom form field types (R5, R6, R13) and their registration."""
import json

import pytest

from polku.domain.fieldtypes import (
    CONVERTERS,
    category_list,
    goal_list,
    goal_results,
    hetu,
    meeting_list,
    register_field_types,
)
from polku.engine.forms import FormValidationError, default_field_types, validate_submission

GOALS = [
    {"category": "job_search_skills", "description": " CV updated ", "verification": "CV sent to 3 employers",
     "subitem": "job_search_documents"},
    {"category": "job_opportunities", "description": "Map openings", "verification": "List of 10 openings"},
]


def message(convert, raw):
    with pytest.raises(ValueError) as info:
        convert(raw)
    return str(info.value)


# --- hetu ----------------------------------------------------------------------

def test_hetu_returns_the_normalised_code():
    assert hetu(" 131052-308t ") == "131052-308T"
    assert hetu("020505a902p") == "020505A902P"   # temporary codes are accepted


@pytest.mark.parametrize("raw, reason", [
    ("131052-308U", "invalid checksum"), ("300200A002E", "no such date"),
    ("131052Z308T", "invalid century sign"), ("hello", "wrong format"), (131052, "must be text"),
])
def test_hetu_refusals(raw, reason):
    assert message(hetu, raw) == reason


# --- goal_list -------------------------------------------------------------------

def test_goal_list_normalises():
    expected = [
        {"category": "job_search_skills", "description": "CV updated",
         "verification": "CV sent to 3 employers", "subitem": "job_search_documents"},
        {"category": "job_opportunities", "description": "Map openings", "verification": "List of 10 openings"},
    ]
    assert goal_list(GOALS) == expected
    assert goal_list(json.dumps(GOALS)) == expected   # as an HTML form posts it
    assert goal_list([{**GOALS[1], "subitem": ""}, GOALS[1]])[0] == expected[1]


@pytest.mark.parametrize("raw, text", [
    ([GOALS[0]], "at least 2 goals"),
    ([], "at least 2 goals"),
    ("not json", "must be a list (JSON)"),
    ('{"a": 1}', "must be a list"),
    (5, "must be a list"),
    ([GOALS[0], "x"], "item 2: must be an object"),
    ([GOALS[0], {**GOALS[1], "category": "happiness"}], "item 2: unknown category 'happiness'"),
    ([GOALS[0], {**GOALS[1], "category": ["job_opportunities"]}], "unknown category"),
    ([GOALS[0], {**GOALS[1], "verification": "  "}], "item 2: verification must be non-empty text"),
    ([GOALS[0], {**GOALS[1], "description": 3}], "item 2: description must be non-empty text"),
    ([GOALS[0], {"category": "realistic_plan", "description": "x"}], "item 2: verification is required"),
    ([GOALS[0], {**GOALS[1], "owner": "me"}], "item 2: unknown key 'owner'"),
    ([{**GOALS[0], "subitem": "knitting"}, GOALS[1]], "item 1: unknown subitem 'knitting'"),
    ([GOALS[0], {**GOALS[1], "subitem": "network_mapping"}], "only job_search_skills goals have a subitem"),
    ([GOALS[0], {**GOALS[1], "description": "x" * 2001}], "at most 2000 characters"),
    ([GOALS[1]] * 51, "at most 50 items"),
])
def test_goal_list_refusals(raw, text):
    assert text in message(goal_list, raw)


# --- meeting_list -----------------------------------------------------------------

def test_meeting_list_may_be_empty_and_is_sorted():
    assert meeting_list([]) == [] and meeting_list("[]") == []
    raw = [{"date": "2026-01-14", "kind": "group"}, {"date": "2026-01-12", "kind": "individual"}]
    assert meeting_list(json.dumps(raw)) == [raw[1], raw[0]]


@pytest.mark.parametrize("item, text", [
    ({"date": "2026-02-30", "kind": "individual"}, "item 1: date must be a valid date"),
    ({"date": "20260112", "kind": "individual"}, "valid date"),
    ({"date": "2026-W03-1", "kind": "individual"}, "valid date"),
    ({"date": 20260112, "kind": "individual"}, "valid date"),
    ({"date": "2026-01-12T10:00", "kind": "individual"}, "valid date"),
    ({"date": "2026-01-12", "kind": "phone"}, "kind must be individual or group"),
    ({"date": "2026-01-12"}, "kind is required"),
])
def test_meeting_list_refusals(item, text):
    assert text in message(meeting_list, [item])


# --- goal_results -----------------------------------------------------------------

def test_goal_results_normalise():
    raw = [{"goal": "1", "reached": "false", "evidence": " no interviews yet "},
           {"goal": 0, "reached": True, "evidence": "CV sent"}]
    assert goal_results(raw) == [
        {"goal": 0, "reached": True, "evidence": "CV sent"},
        {"goal": 1, "reached": False, "evidence": "no interviews yet"},
    ]
    assert goal_results("[]") == []


@pytest.mark.parametrize("items, text", [
    ([{"goal": -1, "reached": True, "evidence": "x"}], "goal must be a goal index"),
    ([{"goal": True, "reached": True, "evidence": "x"}], "goal must be a goal index"),
    ([{"goal": 1.0, "reached": True, "evidence": "x"}], "goal must be a goal index"),
    ([{"goal": 0, "reached": "maybe", "evidence": "x"}], "reached must be true or false"),
    ([{"goal": 0, "reached": True, "evidence": ""}], "evidence must be non-empty text"),
    ([{"goal": 0, "reached": True}], "evidence is required"),
    ([{"goal": 0, "reached": True, "evidence": "x"}, {"goal": 0, "reached": False, "evidence": "y"}],
     "item 2: goal 0 has more than one result"),
])
def test_goal_results_refusals(items, text):
    assert text in message(goal_results, items)


# --- category_list ----------------------------------------------------------------

def test_category_list():
    assert category_list([]) == []
    assert category_list('["realistic_plan", "employment_or_education"]') == [
        "realistic_plan", "employment_or_education"]
    assert "listed twice" in message(category_list, ["realistic_plan", "realistic_plan"])
    assert "unknown category" in message(category_list, ["job_search_documents"])  # a sub-item
    assert "unknown category" in message(category_list, [{"id": "realistic_plan"}])


# --- registration and the engine's validation ------------------------------------

def test_register_on_the_engine_registry():
    types = default_field_types()
    register_field_types(types)
    # One registration for every domain type, the database-backed provider type included.
    assert all(name in types for name in [*CONVERTERS, "provider"])
    with pytest.raises(ValueError):
        register_field_types(types)   # no silent overrides

    fields = [{"id": fid, "type": ftype, "required": True, "constraints": {}}
              for fid, ftype in (("client_hetu", "hetu"), ("goals", "goal_list"),
                                 ("meetings", "meeting_list"))]
    data = {"client_hetu": "131052-308t", "goals": json.dumps(GOALS), "meetings": "[]"}
    result = validate_submission(fields, data, types)
    assert result["client_hetu"] == "131052-308T" and len(result["goals"]) == 2
    assert json.loads(json.dumps(result)) == result   # JSON-friendly for the task data

    with pytest.raises(FormValidationError) as info:
        validate_submission(fields, {**data, "client_hetu": "131052-308U"}, types)
    assert info.value.as_dict() == {"client_hetu": "invalid checksum"}
