"""Behaviour of engine.forms: definitions from Camunda formData, conversion,
constraints, error collection, custom types and deploy-time checks."""
import datetime
import json

import pytest

from polku.engine.forms import (
    KNOWN_CONSTRAINTS,
    FieldError,
    FormDefinitionError,
    FormValidationError,
    to_json_value,
    validate_submission,
)
from tests.unit.form_support import error_of, fld, ok

# --- conversions -------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [("hello", "hello"), (" spaced ", " spaced ")])
def test_string_accepts_text(types, raw, expected):
    assert ok([fld("s")], {"s": raw}, types) == {"s": expected}


@pytest.mark.parametrize("raw", [5, 1.5, True, ["a"], {"a": 1}])
def test_string_rejects_non_text(types, raw):
    assert error_of([fld("s")], {"s": raw}, types, "s").code == "type"


@pytest.mark.parametrize("raw, expected", [
    ("42", 42), ("-7", -7), ("+3", 3), (" 12 ", 12), (5, 5), (0, 0),
    ("9223372036854775807", 2**63 - 1),
])
def test_long_accepts_whole_numbers(types, raw, expected):
    value = ok([fld("n", "long")], {"n": raw}, types)["n"]
    assert value == expected and type(value) is int


@pytest.mark.parametrize("raw", [
    "1.5", "abc", "1e3", "12abc", "--1", 1.5, 2.0, True, False, ["1"],
    "9223372036854775808", "1" * 40,
])
def test_long_rejects_non_integers(types, raw):
    error = error_of([fld("n", "long")], {"n": raw}, types, "n")
    assert error.code == "type"


@pytest.mark.parametrize("raw, expected", [
    (True, True), (False, False), ("true", True), ("TRUE", True), ("false", False), ("False", False),
    ("0", False), ("no", False), ("NO", False), ("off", False),
])
def test_boolean_accepts_known_spellings(types, raw, expected):
    value = ok([fld("b", "boolean")], {"b": raw}, types)["b"]
    assert value is expected


@pytest.mark.parametrize("raw", ["maybe", "2", "y", 1, 0, ["true"], "on", "1", "yes", "Yes"])  # never guessed as true
def test_boolean_rejects_other_values(types, raw):
    error = error_of([fld("b", "boolean")], {"b": raw}, types, "b")
    assert error == FieldError("type", "must be true or false")


@pytest.mark.parametrize("raw", ["2024-02-29", datetime.date(2024, 2, 29)])
def test_date_accepts_iso_string_and_date_and_returns_iso_string(types, raw):
    assert ok([fld("d", "date")], {"d": raw}, types) == {"d": "2024-02-29"}


@pytest.mark.parametrize("raw", [
    "2023-02-29", "2024-13-01", "29.02.2024", "20240229", "2024-2-9", "yesterday", 20240229,
    datetime.datetime(2024, 2, 29, 12, 0),
])
def test_date_rejects_invalid_dates(types, raw):
    assert error_of([fld("d", "date")], {"d": raw}, types, "d").code == "type"


def test_enum_returns_option_id(types):
    fields = [fld("e", "enum", options=["a", "b"])]
    assert ok(fields, {"e": "b"}, types) == {"e": "b"}


@pytest.mark.parametrize("raw", ["c", "A", "B "])
def test_enum_rejects_values_not_among_options(types, raw):
    error = error_of([fld("e", "enum", options=["a", "b"])], {"e": raw}, types, "e")
    assert error.code == "enum"
    assert error.params == {"options": ["a", "b"]}
    assert error.message == "must be one of: a, b"


def test_enum_rejects_non_string(types):
    assert error_of([fld("e", "enum", options=["1"])], {"e": 1}, types, "e").code == "type"


def test_values_have_python_types_usable_in_conditions_and_are_json(types):
    fields = [fld("n", "long"), fld("b", "boolean"), fld("d", "date"), fld("s")]
    result = ok(fields, {"n": "3", "b": "true", "d": "2024-05-01", "s": "x"}, types)
    assert result == {"n": 3, "b": True, "d": "2024-05-01", "s": "x"}
    assert eval("n > 2 and b", {}, result) is True  # noqa: S307 - what a gateway does
    assert json.loads(json.dumps(result)) == result


# --- missing values, defaults, required ----------------------------------------

@pytest.mark.parametrize("data", [{}, {"s": ""}, {"s": "   "}, {"s": None}])
def test_required_missing_or_empty(types, data):
    error = error_of([fld("s", required=True)], data, types, "s")
    assert error.code == "required"


def test_required_ignores_default_when_value_cleared(types):
    error = error_of([fld("n", "long", required=True, default="5")], {"n": ""}, types, "n")
    assert error.code == "required"


def test_missing_optional_field_gets_converted_default_or_none(types):
    fields = [fld("n", "long", default="5"), fld("d", "date", default="2024-01-31"),
              fld("e", "enum", default="b", options=["a", "b"]), fld("s")]
    assert ok(fields, {"n": ""}, types) == {"n": 5, "d": "2024-01-31", "e": "b", "s": None}


def test_boolean_missing_means_false_even_with_default(types):
    fields = [fld("b", "boolean"), fld("c", "boolean", default="true")]
    result = ok(fields, {"b": ""}, types)
    assert result == {"b": False, "c": False}
    assert result["b"] is False


def test_required_boolean_missing_is_an_error(types):
    assert error_of([fld("b", "boolean", required=True)], {}, types, "b").code == "required"


def test_required_boolean_false_is_a_value(types):
    assert ok([fld("b", "boolean", required=True)], {"b": "false"}, types) == {"b": False}


# --- constraints -----------------------------------------------------------------

@pytest.mark.parametrize("raw", ["1", "10", 5])
def test_long_min_max_boundaries_pass(types, raw):
    ok([fld("n", "long", min="1", max="10")], {"n": raw}, types)


@pytest.mark.parametrize("raw, code, message, params", [
    ("0", "min", "must be at least 1", {"min": 1}),
    ("11", "max", "must be at most 10", {"max": 10}),
])
def test_long_min_max_boundaries_fail(types, raw, code, message, params):
    error = error_of([fld("n", "long", min="1", max="10")], {"n": raw}, types, "n")
    assert error == FieldError(code, message, params)


def test_negative_long_bounds(types):
    fields = [fld("n", "long", min="-5", max="-1")]
    assert ok(fields, {"n": "-5"}, types) == {"n": -5}
    assert error_of(fields, {"n": "-6"}, types, "n").code == "min"
    assert error_of(fields, {"n": "0"}, types, "n").code == "max"


@pytest.mark.parametrize("raw", ["2024-01-01", "2024-12-31"])
def test_date_min_max_boundaries_pass(types, raw):
    ok([fld("d", "date", min="2024-01-01", max="2024-12-31")], {"d": raw}, types)


@pytest.mark.parametrize("raw, code, params", [
    ("2023-12-31", "min", {"min": "2024-01-01"}),
    ("2025-01-01", "max", {"max": "2024-12-31"}),
])
def test_date_min_max_boundaries_fail(types, raw, code, params):
    error = error_of([fld("d", "date", min="2024-01-01", max="2024-12-31")], {"d": raw}, types, "d")
    assert (error.code, error.params) == (code, params)
    assert params[code] in error.message


@pytest.mark.parametrize("raw", ["abc", "abcde"])
def test_string_length_boundaries_pass(types, raw):
    ok([fld("s", minlength="3", maxlength="5")], {"s": raw}, types)


@pytest.mark.parametrize("raw, code, params", [
    ("ab", "minlength", {"minlength": 3}), ("abcdef", "maxlength", {"maxlength": 5}),
])
def test_string_length_boundaries_fail(types, raw, code, params):
    error = error_of([fld("s", minlength="3", maxlength="5")], {"s": raw}, types, "s")
    assert (error.code, error.params) == (code, params)
    assert error.message.endswith("characters")


def test_constraints_do_not_apply_to_missing_optional_values(types):
    assert ok([fld("n", "long", min="1")], {}, types) == {"n": None}


def test_readonly_accepts_default_rejects_change_and_fills_when_absent(types):
    fields = [fld("n", "long", default="7", readonly=None)]
    assert ok(fields, {"n": "7"}, types) == {"n": 7}
    assert ok(fields, {}, types) == {"n": 7}  # disabled inputs are not submitted
    error = error_of(fields, {"n": "8"}, types, "n")
    assert error == FieldError("readonly", "cannot be changed", {"default": 7})


def test_readonly_boolean_absent_keeps_default(types):
    assert ok([fld("b", "boolean", default="true", readonly=None)], {}, types) == {"b": True}


def test_readonly_false_config_is_not_readonly(types):
    assert ok([fld("n", "long", default="7", readonly="false")], {"n": "8"}, types) == {"n": 8}


def test_unknown_constraint_is_ignored_at_validation(types):
    assert ok([fld("s", pattern="[a-z]+")], {"s": "123"}, types) == {"s": "123"}
    assert "pattern" not in KNOWN_CONSTRAINTS
    assert {"required", "min", "max", "minlength", "maxlength", "readonly"} <= KNOWN_CONSTRAINTS


def test_bad_constraint_config_at_validation_is_a_definition_error(types):
    with pytest.raises(FormDefinitionError):
        validate_submission([fld("n", "long", min="one")], {"n": "3"}, types)


# --- unknown fields and error collection -----------------------------------------

def test_unknown_field_is_an_error(types):
    error = error_of([fld("s")], {"s": "x", "extra": "y"}, types, "extra")
    assert error.code == "unknown_field"
    assert error.message == "unknown field"


def test_all_errors_are_reported_at_once(types):
    fields = [fld("name", required=True), fld("age", "long", min="18"),
              fld("start", "date"), fld("ok")]
    with pytest.raises(FormValidationError) as info:
        validate_submission(fields, {"age": "17", "start": "tomorrow", "ok": "fine"}, types)
    exc = info.value
    assert set(exc.errors) == {"name", "age", "start"}
    assert [e.code for e in exc.errors.values()] == ["required", "min", "type"]
    assert exc.as_dict() == {"name": "is required", "age": "must be at least 18",
                             "start": "must be a valid date (YYYY-MM-DD)"}
    for field_id in ("name", "age", "start"):
        assert field_id in str(exc)


def test_field_error_is_frozen():
    error = FieldError("required", "is required")
    with pytest.raises(AttributeError):
        error.code = "other"
    assert error.params == {}


def test_unknown_type_at_validation_is_a_definition_error(types):
    with pytest.raises(FormDefinitionError):
        validate_submission([fld("g", "goal_list")], {}, types)


def test_to_json_value():
    value = {"d": datetime.date(2024, 1, 2), "l": [datetime.date(2024, 1, 3), 1], "n": None}
    assert to_json_value(value) == {"d": "2024-01-02", "l": ["2024-01-03", 1], "n": None}
