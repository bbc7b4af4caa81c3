"""The server-rendered BPMN diagram (engine/diagram, docs/diagram.md): every flow node and flow of
each process file is drawn, markers and icons say what an element is, labels are text (never
markup), and a file with a DOCTYPE is refused."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest
from lxml import etree

from polku.engine.diagram import DiagramRefused, parse, render
from polku.engine.diagram.parse import FLOW_NODES
from tests.unit.diagram_sample import NS, classes, group, marker_classes, sample, svg_tree

ROOT = Path(__file__).resolve().parents[2]
PROCESS_FILES = sorted((ROOT / "processes").glob("*.bpmn"))
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"


def test_there_are_process_files_to_draw():
    assert len(PROCESS_FILES) >= 2


@pytest.mark.parametrize("path", PROCESS_FILES, ids=lambda p: p.name)
def test_every_flow_node_and_flow_of_a_process_file_is_drawn(path):
    data = path.read_bytes()
    source = etree.fromstring(data)
    nodes = {el.get("id"): etree.QName(el).localname for el in source.iter(f"{{{BPMN}}}*")
             if etree.QName(el).localname in FLOW_NODES}
    flows = {el.get("id") for el in source.iter(f"{{{BPMN}}}sequenceFlow", f"{{{BPMN}}}messageFlow")}
    assert nodes and flows

    rendered = render(parse(data))

    root = svg_tree(rendered.svg)
    assert rendered.not_drawn == []
    for node_id, kind in nodes.items():
        g = group(root, node_id)
        assert f"bpmn-{kind}" in classes(g)
        assert g.xpath("./s:rect|./s:circle|./s:path", namespaces=NS), node_id
    for flow_id in flows:
        g = group(root, flow_id)
        line = g.xpath("./s:path[contains(@class, 'flow-line')]", namespaces=NS)
        assert len(line) == 1 and line[0].get("marker-end"), flow_id
    lanes = source.iter(f"{{{BPMN}}}lane", f"{{{BPMN}}}participant")
    assert all(group(root, lane.get("id")) is not None for lane in lanes)


def test_the_main_process_shows_its_timers_gateways_and_task_types():
    root = svg_tree(render(parse((ROOT / "processes" / "tyohonvalmennus.bpmn").read_bytes())).svg)

    assert "event-timer" in marker_classes(group(root, "start_notice_overdue"))
    assert "gateway-x" in marker_classes(group(root, "eligible_gw"))
    assert "icon-userTask" in marker_classes(group(root, "accept_referral"))
    assert "icon-businessRuleTask" in marker_classes(group(root, "eligibility"))
    assert "icon-serviceTask" in marker_classes(group(root, "record_referral"))
    # the non-interrupting boundary timer is dashed, its two rings both
    rings = group(root, "start_notice_overdue").xpath("./s:circle[contains(@class, 'outline')]", namespaces=NS)
    assert len(rings) == 2 and all(r.get("stroke-dasharray") for r in rings)


def test_each_kind_of_element_gets_its_own_marker():
    root = svg_tree(render(parse(sample())).svg)

    expected = {
        "start": "event-message", "wait": "event-timer", "boom": "event-error", "end": "event-terminate",
        "user": "icon-userTask", "service": "icon-serviceTask", "script": "icon-scriptTask",
        "rule": "icon-businessRuleTask", "send": "icon-sendTask", "receive": "icon-receiveTask",
        "manual": "icon-manualTask", "xor": "gateway-x", "and": "gateway-plus", "or": "gateway-o",
        "evt": "gateway-event", "sub": "collapsed",
    }
    for element_id, marker in expected.items():
        assert marker in marker_classes(group(root, element_id)), element_id
    assert "icon-userTask" not in marker_classes(group(root, "service"))


def test_event_rings_thin_double_thick_and_a_thick_call_activity():
    root = svg_tree(render(parse(sample())).svg)

    def rings(element_id):
        return group(root, element_id).xpath("./s:circle[contains(@class, 'outline')]", namespaces=NS)

    assert [float(r.get("stroke-width")) for r in rings("start")] == [2.0]
    assert len(rings("wait")) == 2
    assert [float(r.get("stroke-width")) for r in rings("end")] == [4.0]
    assert not any(r.get("stroke-dasharray") for r in rings("boom"))  # interrupting
    assert all(r.get("stroke-dasharray") for r in rings("late"))  # non-interrupting
    call = group(root, "call").xpath("./s:rect[contains(@class, 'outline')]", namespaces=NS)[0]
    user = group(root, "user").xpath("./s:rect[contains(@class, 'outline')]", namespaces=NS)[0]
    assert float(call.get("stroke-width")) > float(user.get("stroke-width"))


def test_flows_message_flows_annotations_and_the_default_mark():
    root = svg_tree(render(parse(sample()), id_prefix="d1").svg)

    message = group(root, "msg").xpath("./s:path", namespaces=NS)[0]
    assert message.get("stroke-dasharray")
    assert message.get("marker-start") == "url(#d1-msg-start)" and message.get("marker-end") == "url(#d1-msg-end)"
    assert root.xpath("//s:marker[@id='d1-msg-start']/s:circle", namespaces=NS)
    sequence = group(root, "flow_user_service").xpath("./s:path", namespaces=NS)[0]
    assert sequence.get("marker-end") == "url(#d1-seq-end)" and not sequence.get("stroke-dasharray")
    assert "default-flow" in marker_classes(group(root, "flow_xor_and"))
    assert "default-flow" not in marker_classes(group(root, "flow_and_or"))
    assert group(root, "note").xpath("string(.//s:text)", namespaces=NS) == "A note"
    assert group(root, "note_link").xpath("./s:path[@stroke-dasharray]", namespaces=NS)
    # the message flow's label sits in the modeler's BPMNLabel bounds (x 800..840)
    label = group(root, "msg").xpath(".//s:text", namespaces=NS)[0]
    assert label.xpath("string()") == "Letter" and float(label.get("x")) == 820


def test_labels_are_text_never_markup():
    name = '<script>alert("x")</script> & <b onload="x">'
    rendered = render(parse(sample(user_name=name.replace("&", "&amp;").replace("<", "&lt;")
                                   .replace(">", "&gt;").replace('"', "&quot;"))))

    root = svg_tree(rendered.svg)
    assert not root.xpath("//s:script|//script|//s:b|//b|//*[@onload]", namespaces=NS)
    assert "<script>" not in rendered.svg and "&lt;script&gt;" in rendered.svg
    g = group(root, "user")
    shown = " ".join(g.xpath(".//s:text//text()", namespaces=NS))
    assert shown.replace(" ", "") == name.replace(" ", "")
    assert g.xpath("string(./s:title)", namespaces=NS).startswith(name)


def test_an_element_without_di_is_listed_not_drawn_and_the_rest_is_drawn():
    rendered = render(parse(sample(without_di=("rule", "flow_rule_send"))))

    assert rendered.not_drawn == ["rule", "flow_rule_send"]
    root = svg_tree(rendered.svg)
    assert not root.xpath("//s:g[@data-element-id='rule' or @data-element-id='flow_rule_send']", namespaces=NS)
    assert group(root, "script") is not None and group(root, "flow_script_rule") is not None


@pytest.mark.parametrize("prolog, name", [
    ('<!DOCTYPE bpmn:definitions [<!ENTITY boom "exploded">]>', "&boom;"),
    ('<!DOCTYPE bpmn:definitions SYSTEM "http://example.org/x.dtd">', "plain"),
    ('<!DOCTYPE bpmn:definitions [<!ENTITY secret SYSTEM "file:///etc/passwd">]>', "&secret;"),
    ('<!DOCTYPE bpmn:definitions [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>', "&b;"),
])
def test_a_file_with_a_doctype_is_refused(prolog, name):
    data = sample(prolog=prolog, user_name=name)

    with pytest.raises(DiagramRefused, match="DOCTYPE|entity"):  # refused either way, never expanded
        parse(data)


def test_an_entity_is_never_expanded_into_a_label():
    data = sample(prolog='<!DOCTYPE bpmn:definitions [<!ENTITY boom "exploded">]>', user_name="&boom;")
    with pytest.raises(DiagramRefused):
        render(parse(data))
    with pytest.raises(DiagramRefused):
        parse(b"<not xml")
    with pytest.raises(DiagramRefused, match="no diagram"):
        parse(b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"/>')


def test_the_svg_scales_by_its_viewbox_and_is_labelled():
    root = svg_tree(render(parse(sample()), title="Main process, version 3", id_prefix="p").svg)

    assert root.tag == f"{{{NS['s']}}}svg"
    assert root.get("width") is None and root.get("height") is None
    x, y, w, h = map(float, root.get("viewBox").split())
    assert x < 40 and y < 40 and x + w > 1960 and y + h > 380  # the pools' bounds, with a margin
    assert root.get("role") == "img" and root.get("aria-labelledby") == "p-title"
    assert root.xpath("string(s:title[@id='p-title'])", namespaces=NS) == "Main process, version 3"
    assert not root.xpath("//s:style|//*[@style]", namespaces=NS)  # the app's CSP allows no inline style


def test_the_diagram_package_uses_neither_flask_nor_spiffworkflow():
    for path in sorted((ROOT / "engine" / "diagram").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
                assert not any(n.split(".")[0] in ("flask", "SpiffWorkflow") for n in names), path.name
