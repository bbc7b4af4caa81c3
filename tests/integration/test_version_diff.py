"""`polku diff KEY`: a new version against the one before it, element by element (engine.version_diff):
elements added and removed, and changed in name, lane, candidate groups, form fields, a condition,
a timer; an element renamed in the modeler keeps its id and shows as a new name."""
from __future__ import annotations

import shutil
from pathlib import Path

from tests.integration.test_design_checks import bpmn

SAMPLE = Path(__file__).parents[1] / "fixtures" / "bpmn" / "sample" / "sample_case.bpmn"


def deploy_text(polku, tmp_path, text: str) -> None:
    path = tmp_path / "checked.bpmn"
    path.write_text(text, encoding="utf-8")
    polku("deploy", path)


def test_the_first_version_is_all_added(polku, tmp_path):
    deploy_text(polku, tmp_path, bpmn())
    body = polku.json("diff", "checked")
    assert (body["from"], body["to"]) == (None, 1)
    assert {c["element_id"]: c["change"] for c in body["changes"]} == {
        e: "added" for e in ("start", "review", "decide", "done", "back", "f1", "f2", "f3", "f4")}


def test_a_new_version_lists_what_was_added_removed_and_changed(polku, tmp_path):
    deploy_text(polku, tmp_path, bpmn())
    changed = bpmn(groups="official,manager", conditions={"f4": "needs_more is True and urgent"},
                   nodes={"start": 'startEvent name="Referral arrives"',
                          "review": 'userTask name="Review the referral" camunda:candidateGroups="official,manager"',
                          "decide": 'exclusiveGateway name="Enough?" default="f3"', "done": 'endEvent name="Done"',
                          "extra": 'endEvent name="Sent elsewhere"'},
                   flows={"f1": ("start", "review"), "f2": ("review", "decide"), "f3": ("decide", "done"),
                          "f4": ("decide", "extra")})
    deploy_text(polku, tmp_path, changed)
    body = polku.json("diff", "checked")
    assert (body["from"], body["to"]) == (1, 2)
    found = {c["element_id"]: (c["change"], tuple(c["what"])) for c in body["changes"]}
    assert found == {"review": ("changed", ("name", "candidate groups")), "extra": ("added", ()),
                     "f4": ("changed", ("condition", "flow")), "back": ("removed", ())}
    text = polku("diff", "checked").stdout
    assert text.splitlines()[0] == "checked 1 -> 2: 4 change(s)"
    assert '~ review (userTask) "Review the referral": name, candidate groups' in text
    assert '+ extra (endEvent) "Sent elsewhere"' in text and '- back (endEvent) "Sent back"' in text
    assert polku.json("diff", "checked", "--version", "1")["from"] is None


def test_form_fields_lanes_and_timers_are_compared(polku, tmp_path):
    """The sample process (lanes, a form, a timer) against a copy with a field, a lane and a timer changed."""
    polku("deploy", SAMPLE.parent)
    copy = tmp_path / "sample"
    shutil.copytree(SAMPLE.parent, copy)
    edited = copy / SAMPLE.name
    text = edited.read_text(encoding="utf-8")
    for old, new in (('label="Note"', 'label="Notes"'), ('name="Coach">', 'name="Coaches">'),
                     ('"P3D"</bpmn:timeDuration>', '"P5D"</bpmn:timeDuration>')):
        assert old in text
        text = text.replace(old, new)
    edited.write_text(text, encoding="utf-8")
    polku("deploy", copy)
    changes = {c["element_id"]: set(c["what"]) for c in polku.json("diff", "sample_case")["changes"]}
    assert changes["review"] == {"form"} and changes["remind"] == {"lane", "timer"}
    # the rest: the renamed lane's elements
    assert len(changes) == 5 and all(what == {"lane"} for e, what in changes.items() if e not in ("review", "remind"))


def test_an_unknown_process_or_version_is_one_line_and_exit_1(polku, tmp_path):
    deploy_text(polku, tmp_path, bpmn())
    for args in (["diff", "nothing"], ["diff", "checked", "--version", "7"]):
        result = polku(*args, ok=False)
        assert result.exit_code == 1 and result.stderr.count("\n") == 1 and "no deployed" in result.stderr
