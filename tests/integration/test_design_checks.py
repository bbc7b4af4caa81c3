"""`polku check` and the deploy's design rules (engine.design_checks, issue 11): each rule with a
small bad file beside its good twin, through the command a designer runs. Errors exit 1 and refuse
the deploy; warnings are listed, exit 0, and the file deploys. The project's own files pass."""
from __future__ import annotations

import json
import re

import pytest

from tests.scenarios.conftest import PROCESSES

FLOWS = {"f1": ("start", "review"), "f2": ("review", "decide"), "f3": ("decide", "done"), "f4": ("decide", "back")}
CONDITIONS = {"f4": "needs_more is True"}


def bpmn(nodes: dict[str, str] | None = None, flows: dict[str, tuple[str, str]] | None = None,
         conditions: dict[str, str] | None = None, undrawn: tuple[str, ...] = (), unlisted: tuple[str, ...] = (),
         groups: str | None = "official", default: str | None = "f3") -> str:
    """A small process as a modeler writes it (each element lists its flows, every element drawn),
    changed as a test asks: `nodes` {id: xml tag and attributes}, `flows`, `conditions`, elements
    left `undrawn`, flow references left `unlisted` (flow ids), the review task's `groups`."""
    group_attr = f' camunda:candidateGroups="{groups}"' if groups is not None else ""
    nodes = nodes if nodes is not None else {
        "start": 'startEvent name="Referral arrives"', "review": f'userTask name="Review"{group_attr}',
        "decide": 'exclusiveGateway name="Enough?"' + (f' default="{default}"' if default else ""),
        "done": 'endEvent name="Done"', "back": 'endEvent name="Sent back"'}
    flows = flows if flows is not None else FLOWS
    conditions = conditions if conditions is not None else CONDITIONS
    body = []
    for node, spec in nodes.items():
        tag = spec.split()[0]
        listed = {f: ends for f, ends in flows.items() if f not in unlisted}
        refs = [f"<bpmn:incoming>{f}</bpmn:incoming>" for f, (_s, t) in listed.items() if t == node]
        refs += [f"<bpmn:outgoing>{f}</bpmn:outgoing>" for f, (s, _t) in listed.items() if s == node]
        body.append(f'    <bpmn:{spec} id="{node}">{"".join(refs)}</bpmn:{tag}>')
    for flow, (source, target) in flows.items():
        cond = conditions.get(flow)
        inner = (f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{cond}</bpmn:conditionExpression>'
                 if cond else "")
        body.append(f'    <bpmn:sequenceFlow id="{flow}" sourceRef="{source}" targetRef="{target}">{inner}'
                    "</bpmn:sequenceFlow>")
    shapes = [f'<bpmndi:BPMNShape id="{n}_di" bpmnElement="{n}"><dc:Bounds x="{100 + 150 * i}" y="100" '
              'width="100" height="80"/></bpmndi:BPMNShape>' for i, n in enumerate(nodes) if n not in undrawn]
    shapes += [f'<bpmndi:BPMNEdge id="{f}_di" bpmnElement="{f}"><di:waypoint x="0" y="0"/><di:waypoint x="1" y="1"/>'
               "</bpmndi:BPMNEdge>" for f in flows if f not in undrawn]
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
    xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="defs" targetNamespace="http://polku.test/checks">
  <bpmn:process id="checked" name="Checked" isExecutable="true">
{chr(10).join(body)}
  </bpmn:process>
  <bpmndi:BPMNDiagram id="diagram"><bpmndi:BPMNPlane id="plane" bpmnElement="checked">
    {"".join(shapes)}
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


def check(polku, tmp_path, text: str, ok: bool):
    path = tmp_path / "checked.bpmn"
    path.write_text(text, encoding="utf-8")
    result = polku("check", path, ok=ok)
    return result, path


def test_the_good_file_passes_and_deploys(polku, tmp_path):
    result, path = check(polku, tmp_path, bpmn(), ok=True)
    assert result.stdout.strip() == "1 file(s) checked: 0 error(s), 0 warning(s)"
    assert "new" in polku("deploy", path).stdout


ERRORS = {
    "not connected": (dict(nodes={"start": 'startEvent name="S"', "review": 'userTask name="R" '
                                  'camunda:candidateGroups="official"', "decide": 'exclusiveGateway default="f3"',
                                  "done": 'endEvent name="D"', "back": 'endEvent name="B"',
                                  "lonely": 'task name="Forgotten"'}),
                      "lonely", "'lonely' is not connected", "connect it with sequence flows"),
    "implicit start": (dict(flows={**FLOWS, "f5": ("extra", "done")},
                            nodes={"start": 'startEvent name="S"', "review": 'userTask name="R" '
                                   'camunda:candidateGroups="official"', "decide": 'exclusiveGateway default="f3"',
                                   "done": 'endEvent name="D"', "back": 'endEvent name="B"', "extra": 'task name="X"'}),
                       "extra", "is an implicit start", "begin the scope with a start event"),
    "implicit end": (dict(flows={**FLOWS, "f4": ("decide", "dead_end")}, nodes={
                         "start": 'startEvent name="S"',
                         "review": 'userTask name="R" camunda:candidateGroups="official"',
                         "decide": 'exclusiveGateway default="f3"', "done": 'endEvent name="D"',
                         "dead_end": 'task name="Stuck"'}),
                     "dead_end", "is an implicit end", "end the path with an end event"),
    "unlisted flow": (dict(unlisted=("f2",)), "review",
                      "'review' does not list its outgoing flow(s) f2: Camunda Modeler shows it as not connected",
                      "add <bpmn:outgoing>f2</bpmn:outgoing> inside the element"),
    "gateway flow without condition": (dict(default=None), "f3", "leaves gateway 'decide' with no condition",
                                       "make it the gateway's default flow"),
    "duplicate flow": (dict(flows={**FLOWS, "f2b": ("review", "decide")}), "f2b",
                       "duplicates another flow from 'review' to 'decide'", "delete one of them"),
    "nobody may work": (dict(groups=None), "review", "has no candidate group and no lane: nobody could work on it",
                        "set camunda:candidateGroups to one of: admin, coach, designer, manager, official"),
    "unknown role": (dict(groups="official,clerk"), "review", "candidate group 'clerk' is not a role",
                     "use one of: admin, coach, designer, manager, official"),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_an_error_is_reported_with_line_element_and_fix_and_refuses_the_deploy(polku, tmp_path, name):
    changes, element, message, hint = ERRORS[name]
    text = bpmn(**changes)
    result, path = check(polku, tmp_path, text, ok=False)
    assert result.exit_code == 1
    line = next(i for i, row in enumerate(text.splitlines(), 1) if f'id="{element}"' in row)
    assert re.search(rf"checked\.bpmn:{line} \[{element}\]: [^\n]*{re.escape(message)}[^\n]* \(error\)\n"
                     rf"  fix: [^\n]*{re.escape(hint)}", result.stdout), result.stdout
    assert re.search(r"1 file\(s\) checked: [1-9]\d* error\(s\)", result.stdout)
    refused = polku("deploy", path, ok=False)
    assert refused.exit_code == 1 and "nothing was deployed" in refused.stderr
    assert polku.json("definitions") == []


WARNINGS = {
    "no shape in the diagram": (dict(undrawn=("review",)), "review", "has no shape in the diagram"),
    "no label": (dict(nodes={"start": "startEvent", "review": 'userTask name="R" camunda:candidateGroups="official"',
                             "decide": 'exclusiveGateway default="f3"', "done": 'endEvent name="D"',
                             "back": 'endEvent name="B"'}), "start", "'start' has no label"),
    "implicit join": (dict(flows={**FLOWS, "f4": ("decide", "review")}, conditions={"f4": "again is True"},
                           nodes={"start": 'startEvent name="S"', "review": 'userTask name="R" '
                                  'camunda:candidateGroups="official"', "decide": 'exclusiveGateway default="f3"',
                                  "done": 'endEvent name="D"'}), "review", "has 2 incoming flows that do not join"),
}


@pytest.mark.parametrize("name", list(WARNINGS))
def test_a_warning_is_listed_and_the_file_still_deploys(polku, tmp_path, name):
    changes, element, message = WARNINGS[name]
    result, path = check(polku, tmp_path, bpmn(**changes), ok=True)
    assert re.search(rf"\[{element}\]: [^\n]*{re.escape(message)}[^\n]* \(warning\)\n  fix: ", result.stdout)
    assert result.stdout.rstrip().endswith("0 error(s), 1 warning(s)")
    assert "new" in polku("deploy", path).stdout


def test_the_projects_processes_have_no_errors_and_their_implicit_joins_are_warned(polku):
    result = polku("check", PROCESSES, "--json")
    body = result.json
    assert body["errors"] == 0
    assert sorted(p["element_id"] for p in body["problems"]) == [
        "clear_notice", "closure", "next_period_check", "record_interruption"]
    assert {(p["severity"], bool(p["hint"]), p["file"]) for p in body["problems"]} == {
        ("warning", True, "tyohonvalmennus.bpmn")}


def test_check_with_json_lists_errors_and_exits_1(polku, tmp_path):
    path = tmp_path / "checked.bpmn"
    path.write_text(bpmn(groups="clerk"), encoding="utf-8")
    result = polku("check", path, "--json", ok=False)
    assert result.exit_code == 1
    assert (result.json["errors"], result.json["warnings"]) == (1, 0)
    [problem] = result.json["problems"]
    assert (problem["file"], problem["element_id"], problem["severity"]) == ("checked.bpmn", "review", "error")


def test_check_of_a_missing_path_is_one_line_and_exit_1(polku, tmp_path):
    result = polku("check", tmp_path / "nowhere.bpmn", ok=False)
    assert result.exit_code == 1 and result.stderr.count("\n") == 1 and "no such file or folder" in result.stderr


def dmn(cell: str, policy: str = "FIRST", aggregation: str = "") -> str:
    """A decision table with one input cell under test, and a catch-all rule."""
    extra = f' aggregation="{aggregation}"' if aggregation else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="defs_route" name="Route" namespace="http://polku.test">
  <decision id="route" name="Route">
    <decisionTable id="table_route" hitPolicy="{policy}"{extra}>
      <input id="input_kind" label="Kind">
        <inputExpression id="input_kind_expression" typeRef="string"><text>kind</text></inputExpression>
      </input>
      <output id="output_lane" label="Lane" name="lane" typeRef="string"/>
      <rule id="rule_1">
        <inputEntry id="rule_1_in"><text>{cell}</text></inputEntry>
        <outputEntry id="rule_1_out"><text>"fast"</text></outputEntry>
      </rule>
      <rule id="rule_2">
        <inputEntry id="rule_2_in"><text>-</text></inputEntry>
        <outputEntry id="rule_2_out"><text>"slow"</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
</definitions>
"""


DMN_ERRORS = {
    "FEEL list of values": ('"a","b"', {}, "rule_1", "is a FEEL list of values", 'write ? in ("a","b")'),
    "FEEL negation": ('not("a")', {}, "rule_1", "is a FEEL negation", 'write ? != "a"'),
    "FEEL range": ("[1..2]", {}, "rule_1", "is not a Python expression", "is written 1 &lt;= ? &lt;= 2"),
    "hit policy ANY": ('"a"', {"policy": "ANY"}, "table_route", "hit policy ANY is not one SpiffWorkflow evaluates",
                       "use UNIQUE or FIRST"),
    "an aggregation": ('"a"', {"policy": "COLLECT", "aggregation": "SUM"}, "table_route", "hit policy COLLECT SUM",
                       "COLLECT without an aggregation"),
}


@pytest.mark.parametrize("name", list(DMN_ERRORS))
def test_a_dmn_that_would_never_match_or_not_run_is_an_error_with_its_fix(polku, tmp_path, name):
    cell, options, element, message, hint = DMN_ERRORS[name]
    (tmp_path / "checked.bpmn").write_text(bpmn(), encoding="utf-8")
    (tmp_path / "route.dmn").write_text(dmn(cell.replace("<", "&lt;"), **options), encoding="utf-8")
    result = polku("check", tmp_path, ok=False)
    assert result.exit_code == 1
    assert re.search(rf"route\.dmn:\d+ \[{element}\]: [^\n]*{re.escape(message)}[^\n]* \(error\)\n"
                     rf"  fix: [^\n]*{re.escape(hint.replace('&lt;', '<'))}", result.stdout), result.stdout


@pytest.mark.parametrize("cell", ['"a"', '? in ("a", "b")', "1 &lt;= ? &lt;= 2", '&lt; "m"', '? != "a"'])
def test_python_cells_and_the_input_mark_pass(polku, tmp_path, cell):
    (tmp_path / "checked.bpmn").write_text(bpmn(), encoding="utf-8")
    (tmp_path / "route.dmn").write_text(dmn(cell), encoding="utf-8")
    assert polku("check", tmp_path, ok=True).stdout.rstrip().endswith("0 error(s), 0 warning(s)")


@pytest.mark.parametrize("condition,hint", [("${needs_more}", "this is JUEL (Camunda 7): expressions here are "
                                                                "Python, e.g. needs_more"),
                                            ("= needs_more", "this is FEEL (Camunda 8)")])
def test_a_condition_in_juel_or_feel_is_an_error_naming_the_language(polku, tmp_path, condition, hint):
    result, _path = check(polku, tmp_path, bpmn(conditions={"f4": condition}), ok=False)
    assert re.search(rf"\[f4\]: condition is not valid Python[^\n]*\(error\)\n  fix: {re.escape(hint)}",
                     result.stdout), result.stdout


@pytest.mark.parametrize("cell,kind,lane", [("1 &lt;= ? &lt;= 2", 1.5, "fast"), ("1 &lt;= ? &lt;= 2", 3, "slow"),
                                            ('? in ("a", "b")', "b", "fast"), ('? in ("a", "b")', "c", "slow"),
                                            ('? != "a"', "a", "slow")])
def test_the_cells_the_fixes_name_decide_as_they_say_at_run_time(polku, make_user, tmp_path, cell, kind, lane):
    nodes = {"start": 'startEvent name="S"', "rule": 'businessRuleTask name="Route" camunda:decisionRef="route"',
             "review": 'userTask name="R" camunda:candidateGroups="official"', "done": 'endEvent name="D"'}
    flows = {"f1": ("start", "rule"), "f2": ("rule", "review"), "f3": ("review", "done")}
    (tmp_path / "routed.bpmn").write_text(bpmn(nodes=nodes, flows=flows, conditions={}), encoding="utf-8")
    (tmp_path / "route.dmn").write_text(dmn(cell), encoding="utf-8")
    polku("deploy", tmp_path)
    make_user("off1", "official")
    started = polku.json("start", "checked", "--as", "off1", "--data", json.dumps({"kind": kind}))
    assert polku.json("show", started["id"], "--as", "off1")["data"]["lane"] == lane
