"""engine.forms: custom field types, deploy-time checks of form definitions, and field
definitions read from a parsed BPMN."""
import json

import pytest
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser

from polku.engine.form_definitions import check_form_definition
from polku.engine.forms import (
    FieldError,
    FieldType,
    FieldTypes,
    FormValidationError,
    default_field_types,
    field_definitions,
    validate_submission,
)
from tests.unit.form_support import error_of, fld, ok

# --- custom types ------------------------------------------------------------------

def goal_list(raw):
    if not isinstance(raw, list) or len(raw) < 2:
        raise ValueError("must list at least 2 goals")
    for item in raw:
        if not isinstance(item, dict) or not {"category", "description"} <= item.keys():
            raise ValueError("each goal needs a category and a description")
    return [{"category": g["category"], "description": g["description"]} for g in raw]


@pytest.fixture
def goal_types():
    registry = default_field_types()
    registry.register("goal_list", goal_list)
    return registry


def test_custom_type_converts_valid_value(goal_types):
    goals = [{"category": "work", "description": "apply"},
             {"category": "study", "description": "course", "extra": 1}]
    result = ok([fld("goals", "goal_list", required=True)], {"goals": goals}, goal_types)
    assert result == {"goals": [{"category": "work", "description": "apply"},
                                {"category": "study", "description": "course"}]}


@pytest.mark.parametrize("raw, message", [
    ([{"category": "work", "description": "apply"}], "must list at least 2 goals"),
    ("two goals", "must list at least 2 goals"),
    ([{"category": "a"}, {"category": "b", "description": "c"}],
     "each goal needs a category and a description"),
])
def test_custom_type_rejects_invalid_value(goal_types, raw, message):
    error = error_of([fld("goals", "goal_list")], {"goals": raw}, goal_types, "goals")
    assert error == FieldError("type", message)


def test_custom_type_missing_required(goal_types):
    assert error_of([fld("goals", "goal_list", required=True)], {}, goal_types,
                    "goals").code == "required"


def test_custom_type_as_field_type_subclass():
    class Upper(FieldType):
        def convert(self, raw):
            if not isinstance(raw, str):
                raise ValueError("must be text")
            return raw.upper()

    registry = FieldTypes()
    registry.register("upper", Upper("upper"))
    assert registry.get("upper").name == "upper"
    assert ok([fld("u", "upper")], {"u": "abc"}, registry) == {"u": "ABC"}


def test_registries_are_independent_and_builtins_fixed(goal_types):
    assert "goal_list" in goal_types
    assert "goal_list" not in default_field_types()
    for name in ("string", "long", "boolean", "date", "enum", "goal_list"):
        with pytest.raises(ValueError):
            goal_types.register(name, str)
    with pytest.raises(KeyError):
        default_field_types().get("goal_list")


# --- deploy-time checks --------------------------------------------------------------

def test_check_form_definition_accepts_good_definition(goal_types):
    fields = [fld("n", "long", min="1", max="10", default="5"),
              fld("d", "date", min="2024-01-01", readonly=None),
              fld("s", minlength="0", maxlength="200", required=True),
              fld("e", "enum", options=["a"], default="a"), fld("g", "goal_list"),
              fld("x", pattern="anything", maxlength="9")]  # unknown names are the deploy step's call
    assert check_form_definition(fields, goal_types) == []


@pytest.mark.parametrize("field, fragment", [
    (fld("g", "goal_list"), "unknown type 'goal_list'"),
    (fld("t", None), "unknown type None"),
    (fld("e", "enum"), "enum has no options"),
    (fld("n", "long", min="1.5"), "min '1.5'"),
    (fld("n", "long", max="ten"), "max 'ten'"),
    (fld("n", "long", min=None), "min None"),
    (fld("d", "date", min="01.01.2024"), "min '01.01.2024'"),
    (fld("d", "date", max="2024-02-30"), "max '2024-02-30'"),
    (fld("s", minlength="-1", maxlength="9"), "minlength '-1'"),
    (fld("s", maxlength="abc"), "maxlength 'abc'"),
    (fld("s", maxlength="2.5"), "maxlength '2.5'"),
    (fld("s", min="1", maxlength="9"), "constraint 'min' does not apply to type 'string'"),
    (fld("s"), "a string field needs a maxlength constraint"),
    (fld("n", "long", maxlength="3"), "constraint 'maxlength' does not apply"),
    (fld("n", "long", min="10", max="1"), "min is greater than max"),
    (fld("n", "long", default="many"), "default 'many'"),
    (fld("e", "enum", options=["a"], default="z"), "default 'z' is not an option"),
])
def test_check_form_definition_findings(types, field, fragment):
    problems = [str(p) for p in check_form_definition([field], types)]  # each a Msg: its English
    assert len(problems) == 1, problems
    assert f"field {field['id']!r}" in problems[0]
    assert fragment in problems[0]


def test_check_form_definition_duplicate_id(types):
    problems = check_form_definition([fld("a", maxlength="9"), fld("a", "long")], types)
    assert [str(p) for p in problems] == ["field 'a': duplicate id"]


# --- definitions from a parsed BPMN ----------------------------------------------

BPMN = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="coaching" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="intake" name="Intake" camunda:formKey="intake_form">
      <bpmn:extensionElements>
        <camunda:formData>
          <camunda:formField id="full_name" label="Full name" type="string">
            <camunda:validation>
              <camunda:constraint name="required" />
              <camunda:constraint name="maxlength" config="100" />
            </camunda:validation>
          </camunda:formField>
          <camunda:formField id="hours" label="Hours per week" type="long" defaultValue="20">
            <camunda:properties>
              <camunda:property id="unit" value="h" />
            </camunda:properties>
            <camunda:validation>
              <camunda:constraint name="min" config="1" />
              <camunda:constraint name="max" config="40" />
              <camunda:constraint name="required" config="false" />
            </camunda:validation>
          </camunda:formField>
          <camunda:formField id="track" label="Track" type="enum" defaultValue="work">
            <camunda:value id="work" name="Work" />
            <camunda:value id="study" name="Study" />
          </camunda:formField>
          <camunda:formField id="consent" label="Consent" type="boolean" />
          <camunda:formField id="client_id" label="Client" type="string" defaultValue="C-1">
            <camunda:validation>
              <camunda:constraint name="readonly" /><camunda:constraint name="maxlength" config="10" />
            </camunda:validation>
          </camunda:formField>
        </camunda:formData>
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="intake" />
    <bpmn:sequenceFlow id="f2" sourceRef="intake" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""


@pytest.fixture
def parsed_fields():
    parser = CamundaParser()
    parser.add_bpmn_str(BPMN)
    return field_definitions(parser.get_spec("coaching").task_specs["intake"].form)


def test_field_definitions_none_form():
    assert field_definitions(None) == []


def test_field_definitions_from_parsed_bpmn(parsed_fields):
    assert [f["id"] for f in parsed_fields] == ["full_name", "hours", "track", "consent", "client_id"]
    full_name, hours, track, consent, client_id = parsed_fields
    assert full_name == {"id": "full_name", "type": "string", "label": "Full name",
                         "default": None, "required": True, "options": [],
                         "constraints": {"maxlength": "100"}, "properties": {}}
    assert hours["default"] == "20"
    assert hours["required"] is False  # config="false"
    assert hours["constraints"] == {"min": "1", "max": "40"}
    assert hours["properties"] == {"unit": "h"}
    assert track["options"] == [{"id": "work", "label": "Work"}, {"id": "study", "label": "Study"}]
    assert track["default"] == "work"
    assert consent["type"] == "boolean" and consent["options"] == []
    assert client_id["constraints"] == {"readonly": None, "maxlength": "10"}
    assert json.loads(json.dumps(parsed_fields)) == parsed_fields  # stored as JSON


def test_parsed_definitions_validate_submissions(parsed_fields, types):
    assert check_form_definition(parsed_fields, types) == []
    stored = json.loads(json.dumps(parsed_fields))
    assert validate_submission(stored, {"full_name": "Aino", "consent": "true"}, types) == {
        "full_name": "Aino", "hours": 20, "track": "work", "consent": True, "client_id": "C-1"}
    with pytest.raises(FormValidationError) as info:
        validate_submission(stored, {"hours": "41", "track": "leisure", "client_id": "C-2"}, types)
    assert {k: e.code for k, e in info.value.errors.items()} == {
        "full_name": "required", "hours": "max", "track": "enum", "client_id": "readonly"}
