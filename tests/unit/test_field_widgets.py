"""The field-type object beyond conversion: messages (Msg, Invalid), widgets as data, the posted
form parser, registration of type objects, and the domain types' widgets."""
from __future__ import annotations

from pathlib import Path

import pytest
from werkzeug.datastructures import MultiDict

from polku.domain.codes import MEETING_KINDS, OUTCOME_CATEGORY_NAMES
from polku.domain.fieldtypes import FIELD_TYPES, register_field_types
from polku.domain.rules import OUTCOME_CATEGORIES
from polku.engine.fieldtypes import (
    MISSING,
    FieldType,
    Invalid,
    Msg,
    RowInput,
    Widget,
    parse_posted,
)
from polku.engine.forms import FieldError, FormValidationError, default_field_types, validate_submission
from tests.unit.form_support import fld

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def domain_types():
    types = default_field_types()
    register_field_types(types)
    return types


def widget(types, field, data=None, loaded=None) -> Widget:
    return types.get(field["type"]).widget(field, data=data or {}, loaded=loaded)


# --- messages -----------------------------------------------------------------------------

def test_a_message_is_english_text_and_json():
    msg = Msg("item %(item)s: %(key)s must be non-empty text", {"item": 2, "key": Msg("verification")})
    assert str(msg) == "item 2: verification must be non-empty text"
    assert msg.as_dict() == {"msgid": "item %(item)s: %(key)s must be non-empty text",
                             "params": {"item": 2, "key": {"msgid": "verification", "params": {}}}}
    assert str(Msg("100% sure")) == "100% sure"  # no parameters: no formatting


def test_an_invalid_value_carries_its_message_to_the_field_error(domain_types):
    with pytest.raises(FormValidationError) as info:
        validate_submission([fld("goals", "goal_list")], {"goals": [{"category": "x"}]}, domain_types)
    error = info.value.errors["goals"]
    # The item's own message inside the item wrapper: the web shows the inner one at the item's row.
    assert error == FieldError("type", "item 1: description is required", {"message": {
        "msgid": "item %(item)s: %(message)s", "params": {"item": 1, "message": {
            "msgid": "%(key)s is required", "params": {"key": {"msgid": "description", "params": {}}}}}}})
    assert isinstance(Invalid("x"), ValueError)


# --- the posted form ----------------------------------------------------------------------

ROWS = Widget("rows", initial_rows=2, filled_by=("text",), inputs=(
    RowInput("text", "text", Msg("Text")), RowInput("done", "checkbox", Msg("Done"))))


@pytest.mark.parametrize("form, expected", [
    ({"f-rows": "3", "f-0-text": " ", "f-1-text": "b", "f-1-done": "true", "f-2-text": "c"},
     [{"text": "b", "done": True}, {"text": "c", "done": False}]),
    ({"f-0-text": "a", "f-2-text": "beyond the rows shown"}, [{"text": "a", "done": False}]),
    ({"f-rows": "nine", "f-1-text": "b"}, [{"text": "b", "done": False}]),  # a bad count: the initial rows
    ({"f-rows": "-4", "f-0-text": "a"}, MISSING),
])
def test_rows_are_read_back_blank_rows_dropped(form, expected):
    assert parse_posted(ROWS, fld("f", "x", required=True), MultiDict(form)) == expected


def test_rows_given_by_the_data_carry_their_index():
    indexed = Widget("rows", index_key="n", filled_by=("done",), inputs=ROWS.inputs)
    form = MultiDict({"f-rows": "3", "f-2-done": "true"})
    assert parse_posted(indexed, fld("f", "x"), form) == [{"n": 2, "text": "", "done": True}]


@pytest.mark.parametrize("empty_list_ok, required, expected", [
    (True, False, []), (True, True, MISSING), (False, False, MISSING)])
def test_nothing_chosen_is_an_answer_only_where_the_type_says_so(empty_list_ok, required, expected):
    boxes = Widget("checkboxes", empty_list_ok=empty_list_ok)
    assert parse_posted(boxes, fld("c", "x", required=required), MultiDict()) == expected


def test_checkboxes_single_inputs_and_checkbox():
    form = MultiDict([("c", "a"), ("c", ""), ("c", "b"), ("c", "a"), ("t", "  "), ("n", " 5 "), ("b", "true")])
    assert parse_posted(Widget("checkboxes"), fld("c", "x"), form) == ["a", "b"]
    assert parse_posted(Widget("text"), fld("t"), form) is MISSING
    assert parse_posted(Widget("number"), fld("n", "long"), form) == " 5 "  # converting is the engine's job
    # What the box posted, for the type to convert: "true" is true, "false" is not (issue 9, finding 8).
    assert parse_posted(Widget("checkbox"), fld("b", "boolean"), form) == "true"
    assert parse_posted(Widget("checkbox"), fld("b", "boolean"), MultiDict([("b", "false")])) == "false"
    assert parse_posted(Widget("checkbox"), fld("z", "boolean"), form) is MISSING


# --- registration and built-in widgets --------------------------------------------------------

def test_a_type_object_is_registered_by_its_name(types):
    class Upper(FieldType):
        def convert(self, raw):
            return raw.upper()

    types.register(Upper("upper"))
    assert types.get("upper").convert("a") == "A"
    assert widget(types, fld("u", "upper", readonly=None)) == Widget("text", {"readonly": "readonly"})
    with pytest.raises(ValueError):
        types.register(Upper("upper"))
    with pytest.raises(ValueError):
        types.register("nothing")  # a name without a converter


def test_builtin_widgets(types):
    assert widget(types, fld("s", maxlength="201")).kind == "textarea"
    assert widget(types, {**fld("s"), "properties": {"multiline": "true"}}).attrs == {"rows": "5"}
    assert widget(types, fld("s", maxlength="20", readonly=None)).attrs == {"maxlength": "20", "readonly": "readonly"}
    assert widget(types, fld("n", "long", min="1", max="x")).attrs == {
        "type": "number", "inputmode": "numeric", "step": "1", "min": "1"}
    assert widget(types, fld("d", "date", min="2026-01-01", max="soon")).attrs == {"type": "date", "min": "2026-01-01"}
    assert widget(types, fld("b", "boolean")).kind == "checkbox"
    choice = widget(types, fld("e", "enum", options=["a", "b"]))
    assert (choice.kind, [(o.value, o.label, o.from_process) for o in choice.options]) == (
        "choice", [("a", "A", True), ("b", "B", True)])
    assert [types.get(n).invalid for n in ("long", "date", "boolean", "enum", "string")] == [
        "Enter a whole number.", "Enter a valid date.", "Choose yes or no.", "Choose one of the options.",
        "Enter text."]


# --- the domain's types ----------------------------------------------------------------------

def test_the_domain_codes_name_every_code_of_the_card():
    assert list(OUTCOME_CATEGORY_NAMES) == list(OUTCOME_CATEGORIES)
    assert set(MEETING_KINDS) == {"individual", "group"}


def test_domain_widgets(domain_types):
    goals = widget(domain_types, fld("goals", "goal_list"))
    assert (goals.kind, goals.initial_rows, goals.fixed_rows, [i.key for i in goals.inputs]) == (
        "rows", 5, None, ["category", "description", "verification"])
    assert [o.value for o in goals.inputs[0].options] == list(OUTCOME_CATEGORIES)
    meetings = widget(domain_types, fld("m", "meeting_list"))
    assert (meetings.filled_by, meetings.empty_list_ok, meetings.inputs[1].default) == (("date",), True, "individual")
    areas = widget(domain_types, fld("a", "category_list"))
    assert [str(o.label) for o in areas.options][0] == "Employment or starting education"
    assert widget(domain_types, fld("h", "hetu")).attrs["maxlength"] == "11"


def test_goal_results_show_one_row_per_goal_of_the_data(domain_types):
    data = {"goals": [{"category": "job_opportunities", "description": "Map", "verification": "List"}, "junk"]}
    results = widget(domain_types, fld("r", "goal_results"), data=data)
    [row] = results.fixed_rows
    assert (str(row.legend), str(row.hint)) == ("Goal 1: Map", "Mapping job opportunities. Verified by: List")
    assert row.hint.params["area"] == Msg("Mapping job opportunities")  # translated on its own
    assert widget(domain_types, fld("r", "goal_results")).fixed_rows == ()


def test_the_provider_widget_lists_what_it_loaded(domain_types):
    provider = domain_types.get("provider")
    assert provider.needs_context
    listed = provider.widget(fld("p", "provider"), data={}, loaded=["B Oy", "A Oy"])
    assert (listed.kind, listed.radios, [o.value for o in listed.options]) == ("choice", False, ["B Oy", "A Oy"])
    assert provider.widget(fld("p", "provider"), data={}, loaded=None).kind == "text"


def test_the_web_renderer_knows_no_domain_type_by_name():
    sources = [*ROOT.joinpath("web", "forms").glob("*.py"), *ROOT.joinpath("web", "templates", "forms").glob("*")]
    for path in sources:
        text = path.read_text(encoding="utf-8")
        for name in FIELD_TYPES:
            assert f'"{name}"' not in text and f"_{name}" not in text, (path.name, name)
        assert "polku.domain" not in text, path.name
