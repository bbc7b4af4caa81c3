"""`polku check` on what would fail only at run time or read in Finnish in another language (issue 11):
an automatic loop with no counter (engine.design_loops) beside its good twins, a form's duplicate
field ids, unknown types and enums without options (engine.form_definitions), and labels the
translations beside the files lack (engine.design_labels). The project's own files stay clean."""
from __future__ import annotations

import json

import pytest

from tests.integration.test_design_checks import bpmn
from tests.scenarios.conftest import PROCESSES

# start -> merge -> step -> decide -> done, and decide -> merge again while the condition holds
LOOP = {"f1": ("start", "merge"), "f2": ("merge", "step"), "f3": ("step", "decide"), "f4": ("decide", "done"),
        "f5": ("decide", "merge")}


def loop(step: str, script: str | None = None, condition: str = "again is True", extra: str = "") -> str:
    """A process whose `step` (an xml tag and attributes) runs in a loop; a script task gets `script`."""
    text = bpmn(nodes={"start": 'startEvent name="Start"', "merge": 'exclusiveGateway name="Round"',
                       "step": step, "decide": 'exclusiveGateway name="Again?" default="f4"',
                       "done": 'endEvent name="Done"'},
                flows=LOOP, conditions={"f5": condition}, default=None)
    if script is not None:
        text = text.replace("</bpmn:scriptTask>", f"<bpmn:script>{script}</bpmn:script></bpmn:scriptTask>")
    return text.replace("  </bpmn:process>", f"{extra}  </bpmn:process>")


def checked(polku, tmp_path, text: str, ok: bool, name: str = "checked.bpmn") -> dict:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return polku.json("check", path, ok=ok)


def line_of(text: str, element: str) -> int:
    return next(i for i, row in enumerate(text.splitlines(), 1) if f'id="{element}"' in row)


def test_an_automatic_loop_without_a_counter_is_an_error_at_its_gateway(polku, tmp_path):
    text = loop('scriptTask name="Note"', 'note = "again"')
    report = checked(polku, tmp_path, text, ok=False)
    [problem] = [p for p in report["problems"] if p["severity"] == "error"]
    where = (problem["file"], problem["element_id"], problem["line"])
    assert where == ("checked.bpmn", "merge", line_of(text, "merge"))
    assert problem["message"] == ("an automatic loop with no counter through merge, step, decide: it would run "
                                  "until SpiffWorkflow's depth limit stops the instance")
    assert "rounds = rounds + 1" in problem["hint"] and "a user task or timer" in problem["hint"]
    path = tmp_path / "checked.bpmn"
    assert "nothing was deployed" in polku("deploy", path, ok=False).stderr


@pytest.mark.parametrize("script, condition", [
    ("rounds = rounds + 1", "3 > rounds"), ("rounds += 1", "3 > rounds"), ("left -= 1", "left > 0"),
    ("left = left - 1", "left > 0"), ("rounds = 1 + rounds", "3 >= rounds and again is True"),
])
def test_a_loop_with_a_counter_its_condition_reads_passes(polku, tmp_path, script, condition):
    report = checked(polku, tmp_path, loop('scriptTask name="Count"', script, condition), ok=True)
    assert report["errors"] == 0 and report["warnings"] == 0, report


def test_a_counter_the_condition_does_not_read_is_no_counter(polku, tmp_path):
    report = checked(polku, tmp_path, loop('scriptTask name="Count"', "rounds += 1", "again is True"), ok=False)
    assert [p["element_id"] for p in report["problems"]] == ["merge"]


@pytest.mark.parametrize("step", ['userTask name="Review" camunda:candidateGroups="official"',
                                  'manualTask name="Phone the client"'])
def test_a_loop_that_waits_for_a_person_passes(polku, tmp_path, step):
    report = checked(polku, tmp_path, loop(step), ok=True)
    assert report["errors"] == 0 and report["warnings"] == 0, report


def test_a_loop_with_a_timer_on_its_step_passes(polku, tmp_path):
    timer = ('    <bpmn:boundaryEvent id="late" name="Late" attachedToRef="step"><bpmn:outgoing>f6</bpmn:outgoing>'
             '<bpmn:timerEventDefinition><bpmn:timeDuration>"P1D"</bpmn:timeDuration></bpmn:timerEventDefinition>'
             '</bpmn:boundaryEvent>\n    <bpmn:endEvent id="gave_up" name="Gave up"><bpmn:incoming>f6</bpmn:incoming>'
             '</bpmn:endEvent>\n    <bpmn:sequenceFlow id="f6" sourceRef="late" targetRef="gave_up"/>\n')
    report = checked(polku, tmp_path, loop('scriptTask name="Note"', 'note = "again"', extra=timer), ok=True)
    assert report["errors"] == 0, report


def test_a_condition_that_reads_the_counter_only_as_its_own_loop_variable_is_no_counter(polku, tmp_path):
    # `rounds` in the condition is the comprehension's own variable, not the script's counter.
    text = loop('scriptTask name="Count"', "rounds += 1", "any(rounds &gt; 3 for rounds in [1, 2])")
    report = checked(polku, tmp_path, text, ok=False)
    assert [p["element_id"] for p in report["problems"] if p["severity"] == "error"] == ["merge"]


def called(step: str = 'userTask name="Answer" camunda:candidateGroups="official"') -> str:
    """A process `asked` (start -> answer -> end) that a call activity calls; `step` is its answer."""
    text = bpmn(nodes={"start": 'startEvent name="Start"', "answer": step, "done": 'endEvent name="Done"'},
                flows={"f1": ("start", "answer"), "f2": ("answer", "done")}, conditions={}, default=None)
    return text.replace('id="checked" name="Checked"', 'id="asked" name="Asked"').replace(
        'bpmnElement="checked"', 'bpmnElement="asked"').replace("</bpmn:scriptTask>",
                                                                "<bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>")


CALL = 'callActivity name="Ask" calledElement="asked"'


def test_a_loop_through_a_call_to_a_process_that_waits_passes(polku, tmp_path):
    (tmp_path / "asked.bpmn").write_text(called(), encoding="utf-8")
    (tmp_path / "checked.bpmn").write_text(loop(CALL), encoding="utf-8")
    report = polku.json("check", tmp_path)
    assert report["errors"] == 0, report


def test_a_loop_through_a_call_to_a_process_that_never_waits_is_an_error(polku, tmp_path):
    (tmp_path / "asked.bpmn").write_text(called('scriptTask name="Answer"'), encoding="utf-8")
    (tmp_path / "checked.bpmn").write_text(loop(CALL), encoding="utf-8")
    report = polku.json("check", tmp_path, ok=False)
    [problem] = [p for p in report["problems"] if p["severity"] == "error"]
    assert (problem["file"], problem["element_id"]) == ("checked.bpmn", "merge")
    assert "automatic loop with no counter through merge, step, decide" in problem["message"]


def test_a_loop_through_a_call_to_a_process_outside_the_bundle_is_not_reported(polku, tmp_path):
    report = checked(polku, tmp_path, loop(CALL), ok=False)  # the deploy refuses the call on its own...
    assert [p["message"] for p in report["problems"] if p["severity"] == "error"] == [
        "SpiffWorkflow's parser refused it: The process 'asked' was not found. Did you mean one of the following: "
        "checked?"]  # ... and the loop is no error of its own: the process called may wait


def test_a_standard_loop_without_a_maximum_is_a_warning(polku, tmp_path):
    text = bpmn().replace('<bpmn:userTask name="Review" camunda:candidateGroups="official" id="review">',
                        '<bpmn:scriptTask name="Review" id="review">').replace(
        "</bpmn:userTask>", '<bpmn:standardLoopCharacteristics><bpmn:loopCondition>again is True</bpmn:loopCondition>'
                            "</bpmn:standardLoopCharacteristics><bpmn:script>again = False</bpmn:script>"
                            "</bpmn:scriptTask>")
    report = checked(polku, tmp_path, text, ok=True)
    [problem] = report["problems"]
    assert (problem["severity"], problem["element_id"]) == ("warning", "review")
    assert "no loopMaximum" in problem["message"] and "set loopMaximum" in problem["hint"]
    bounded = text.replace("<bpmn:standardLoopCharacteristics>", '<bpmn:standardLoopCharacteristics loopMaximum="5">')
    assert checked(polku, tmp_path, bounded, ok=True)["problems"] == []


# --- forms ----------------------------------------------------------------------------

def with_form(fields: str, text: str | None = None) -> str:
    """bpmn() with `fields` (camunda:formField elements) as the review task's form."""
    return (text or bpmn()).replace(
        'id="review">', f'id="review"><bpmn:extensionElements><camunda:formData>{fields}</camunda:formData>'
                        "</bpmn:extensionElements>", 1)


NOTE = ('<camunda:formField id="note" label="Note" type="string"><camunda:validation>'
        '<camunda:constraint name="maxlength" config="200"/></camunda:validation></camunda:formField>')
CHOICE = ('<camunda:formField id="choice" label="Choice" type="enum"><camunda:value id="a" name="A"/>'
          "</camunda:formField>")
FORMS = {
    "duplicate field id": (NOTE + NOTE.replace('label="Note"', 'label="Again"'),
                           NOTE + NOTE.replace('"note"', '"other"'), "form: field 'note': duplicate id"),
    "unknown field type": (CHOICE.replace('type="enum"', 'type="colour"'), CHOICE,
                           "form: field 'choice': unknown type 'colour'"),
    "enum without options": (CHOICE.replace('<camunda:value id="a" name="A"/>', ""), CHOICE,
                             "form: field 'choice': enum has no options"),
}


@pytest.mark.parametrize("name", list(FORMS))
def test_a_broken_form_is_an_error_and_its_good_twin_passes(polku, tmp_path, name):
    bad, good, message = FORMS[name]
    text = with_form(bad)
    report = checked(polku, tmp_path, text, ok=False)
    [problem] = report["problems"]
    assert (problem["element_id"], problem["line"], problem["message"]) == ("review", line_of(text, "review"), message)
    assert checked(polku, tmp_path, with_form(good), ok=True)["problems"] == []


# --- translations of labels -------------------------------------------------------------

def catalogs(tmp_path, sv: dict, en: dict) -> None:
    (tmp_path / "translations").mkdir(exist_ok=True)
    for language, catalog in (("sv", sv), ("en", en)):
        (tmp_path / "translations" / f"{language}.json").write_text(json.dumps({"checked": catalog}), "utf-8")


NAMES = {"start": "S", "review": "R", "decide": "D", "done": "D", "back": "B", "checked": "C"}


def test_a_form_field_without_its_translation_is_a_warning_and_the_file_deploys(polku, tmp_path):
    catalogs(tmp_path, sv={**NAMES, "review.note": "Anteckning"}, en=NAMES)
    text = with_form(NOTE)
    report = checked(polku, tmp_path, text, ok=True)
    [problem] = report["problems"]
    assert problem == {
        "file": "checked.bpmn", "element_id": "review", "line": line_of(text, "review"), "severity": "warning",
        "message": "the form field note of review has no English translation",
        "hint": 'add "review.note" under "checked" in translations/en.json, the English for "Note"'}
    assert "new" in polku("deploy", tmp_path / "checked.bpmn").stdout


def test_names_options_and_both_languages_are_looked_for(polku, tmp_path):
    unnamed = {k: v for k, v in NAMES.items() if k != "review"}
    catalogs(tmp_path, sv={**NAMES, "review.choice": "Val"},
             en={**unnamed, "review.choice": "C", "review.choice.a": "A"})
    report = checked(polku, tmp_path, with_form(CHOICE), ok=True)
    assert sorted(p["message"] for p in report["problems"]) == [
        "the name of review has no English translation",
        "the option a of the form field choice of review has no Swedish translation"]


def test_a_translation_that_is_not_a_text_is_a_warning_not_a_crash(polku, tmp_path):
    catalogs(tmp_path, sv={**NAMES, "review": 5}, en=NAMES)
    text = bpmn()
    report = checked(polku, tmp_path, text, ok=True)
    [problem] = report["problems"]
    assert problem == {
        "file": "checked.bpmn", "element_id": "review", "line": line_of(text, "review"), "severity": "warning",
        "message": 'the Swedish translation of review ("review" under "checked" in translations/sv.json) is not a '
                   "text: it shows in Finnish",
        "hint": 'write it as a text in quotes: "review": "…", the Swedish for "Review"'}


@pytest.mark.parametrize("content, message", [
    ('{"checked": {', "translations/sv.json is not valid JSON (Expecting property name enclosed in double quotes: "
                      "line 1 column 14 (char 13)): none of its Swedish translations can be read"),
    ("[1, 2]", "translations/sv.json does not hold an object (process key, label key, text): none of its Swedish "
               "translations can be read"),
])
def test_a_catalog_file_that_cannot_be_read_is_one_warning_naming_it(polku, tmp_path, content, message):
    catalogs(tmp_path, sv=NAMES, en={k: v for k, v in NAMES.items() if k != "review"})
    (tmp_path / "translations" / "sv.json").write_text(content, encoding="utf-8")
    report = checked(polku, tmp_path, bpmn(), ok=True)
    assert [(p["file"], p["message"]) for p in report["problems"]] == [
        ("checked.bpmn", message), ("checked.bpmn", "the name of review has no English translation")]
    assert report["problems"][0]["hint"].startswith("fix the file")


def test_without_a_translations_folder_nothing_is_looked_for(polku, tmp_path):
    assert checked(polku, tmp_path, with_form(NOTE), ok=True)["problems"] == []


def test_the_projects_processes_have_no_errors_and_every_label_translated(polku):
    report = polku.json("check", PROCESSES)
    assert report["errors"] == 0
    assert not [p for p in report["problems"] if "translation" in p["message"] or "loop" in p["message"]]
