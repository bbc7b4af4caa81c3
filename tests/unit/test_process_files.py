"""The process package in processes/: BPMN and DMN files that deploy, open in Camunda Modeler
(complete DI) and carry complete translation catalogs (docs/tyohonvalmennus.md)."""
from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator

from polku.engine import bpmn_xml
from polku.engine.forms import BUILTIN_TYPES
from polku.engine.parser import PolkuParser
from tests.unit.process_package import (
    BPMN_FILES,
    CUSTOM_TYPES,
    DMN_FILES,
    FLOW_NODES,
    NS,
    TOPICS,
    TRANSLATIONS,
    VALIDATION_DECISIONS,
    by_name,
    local,
    tree,
    used_field_types,
    used_topics,
)


def test_the_package_holds_the_designed_files():
    assert [p.name for p in BPMN_FILES] == ["provider_follow_up.bpmn", "tyohonvalmennus.bpmn"]
    assert {p.stem for p in DMN_FILES} == {
        "coaching_limits", "referral_eligibility", "second_period_eligibility", *VALIDATION_DECISIONS,
    }


# --- (a) XSD and parser -------------------------------------------------------------------------

@pytest.mark.parametrize("path", BPMN_FILES, ids=lambda p: p.name)
def test_bpmn_is_xsd_valid_and_parses(path):
    BpmnValidator().validate(tree(path).getroot(), path.name)  # raises ValidationException when invalid
    parser = PolkuParser()
    parser.add_bpmn_xml(tree(path), filename=path.name)
    for dmn in DMN_FILES:
        parser.add_dmn_xml(tree(dmn).getroot(), filename=dmn.name)
    for proc in tree(path).iterfind("bpmn:process", NS):
        assert proc.get("isExecutable") == "true"
        spec = parser.get_spec(proc.get("id"))
        assert spec.task_specs


@pytest.mark.parametrize("path", DMN_FILES, ids=lambda p: p.name)
def test_dmn_is_dmn13_with_one_decision_and_dmndi(path):
    root = tree(path).getroot()
    assert etree.QName(root).namespace == NS["dmn"]
    decisions = root.findall("dmn:decision", NS)
    assert [d.get("id") for d in decisions] == [path.stem]
    shapes = root.findall(".//{https://www.omg.org/spec/DMN/20191111/DMNDI/}DMNShape")
    assert [s.get("dmnElementRef") for s in shapes] == [path.stem]


# --- (b) DI completeness --------------------------------------------------------------------------

def _bounds(t) -> dict[str, tuple[float, float, float, float]]:
    out = {}
    for shape in t.iterfind(".//bpmndi:BPMNShape", NS):
        b = shape.find("dc:Bounds", NS)
        out[shape.get("bpmnElement")] = tuple(float(b.get(k)) for k in ("x", "y", "width", "height"))
    return out


def _intersect(a, b) -> bool:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    return ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah


def _inside(inner, outer) -> bool:
    ix, iy, iw, ih = inner
    ox, oy, ow, oh = outer
    return ox <= ix and oy <= iy and ix + iw <= ox + ow and iy + ih <= oy + oh


def _flow_nodes(t):
    return [el for el in t.iter() if isinstance(el.tag, str) and etree.QName(el).namespace == NS["bpmn"]
            and local(el) in FLOW_NODES]


@pytest.mark.parametrize("path", BPMN_FILES, ids=lambda p: p.name)
def test_every_element_is_drawn(path):
    t = tree(path)
    bounds = _bounds(t)
    edges = {e.get("bpmnElement"): e for e in t.iterfind(".//bpmndi:BPMNEdge", NS)}
    drawn = [el.get("id") for el in _flow_nodes(t)]
    drawn += [el.get("id") for el in t.iterfind(".//bpmn:lane", NS)]
    drawn += [el.get("id") for el in t.iterfind(".//bpmn:participant", NS)]
    assert [i for i in drawn if i not in bounds] == []
    flows = [el.get("id") for el in t.iterfind(".//bpmn:sequenceFlow", NS)]
    assert [f for f in flows if f not in edges] == []
    for flow_id in flows:
        assert len(edges[flow_id].findall("di:waypoint", NS)) >= 2, flow_id
    plane = t.find(".//bpmndi:BPMNPlane", NS)
    assert plane.get("bpmnElement") == t.find("bpmn:collaboration", NS).get("id")
    for sub in t.iterfind(".//bpmn:subProcess", NS):
        shape = t.find(f".//bpmndi:BPMNShape[@bpmnElement='{sub.get('id')}']", NS)
        assert shape.get("isExpanded") == "true"


@pytest.mark.parametrize("path", BPMN_FILES, ids=lambda p: p.name)
def test_shapes_do_not_overlap_and_sit_where_they_belong(path):
    t = tree(path)
    bounds = _bounds(t)
    nodes = {el.get("id"): el for el in _flow_nodes(t)}

    def allowed(a, b):
        ea, eb = nodes[a], nodes[b]
        for x, y in ((ea, eb), (eb, ea)):
            if local(x) == "boundaryEvent" and x.get("attachedToRef") == y.get("id"):
                return True
            if y in x.iterancestors():  # a node inside an expanded subprocess
                return True
        return False

    ids = sorted(nodes)
    overlaps = [(a, b) for i, a in enumerate(ids) for b in ids[i + 1:]
                if _intersect(bounds[a], bounds[b]) and not allowed(a, b)]
    assert overlaps == []
    # Boundary events straddle their host's border; subprocess contents lie inside it.
    for node_id, el in nodes.items():
        if local(el) == "boundaryEvent":
            host = bounds[el.get("attachedToRef")]
            assert _intersect(bounds[node_id], host) and not _inside(bounds[node_id], host), node_id
        parent = el.getparent()
        if local(parent) == "subProcess":
            assert _inside(bounds[node_id], bounds[parent.get("id")]), node_id
    # Every node a lane lists is drawn inside that lane, and lanes inside the participant.
    participant = bounds[t.find(".//bpmn:participant", NS).get("id")]
    for lane in t.iterfind(".//bpmn:lane", NS):
        assert _inside(bounds[lane.get("id")], participant)
        for ref in lane.iterfind("bpmn:flowNodeRef", NS):
            x, y, w, h = bounds[ref.text]
            lx, ly, lw, lh = bounds[lane.get("id")]
            assert lx <= x + w / 2 <= lx + lw and ly <= y + h / 2 <= ly + lh, ref.text


# --- (c) Camunda Modeler -----------------------------------------------------------------------

@pytest.mark.parametrize("path", BPMN_FILES + DMN_FILES, ids=lambda p: p.name)
def test_files_target_camunda_platform(path):
    root = tree(path).getroot()
    assert root.get(f"{{{NS['modeler']}}}executionPlatform") == "Camunda Platform"
    assert root.get(f"{{{NS['modeler']}}}executionPlatformVersion") == "7.19.0"


@pytest.mark.parametrize("path", BPMN_FILES, ids=lambda p: p.name)
def test_modelling_conventions(path):
    t = tree(path)
    for task in t.iterfind(".//bpmn:userTask", NS):
        assert task.get(f"{{{NS['camunda']}}}candidateGroups"), task.get("id")
    for task in t.iterfind(".//bpmn:serviceTask", NS):
        assert task.get(f"{{{NS['camunda']}}}type") == "external", task.get("id")
        assert task.get(f"{{{NS['camunda']}}}topic"), task.get("id")
    flows = {f.get("id"): f for f in t.iterfind(".//bpmn:sequenceFlow", NS)}
    for gw in t.iterfind(".//bpmn:exclusiveGateway", NS):
        outgoing = [f for f in flows.values() if f.get("sourceRef") == gw.get("id")]
        if len(outgoing) > 1:
            for f in outgoing:
                cond = f.find("bpmn:conditionExpression", NS)
                assert cond is not None and (cond.text or "").strip(), f.get("id")
        if gw.get("default"):
            assert flows[gw.get("default")].get("sourceRef") == gw.get("id")
    for el in t.iter():
        if isinstance(el.tag, str) and etree.QName(el).namespace == NS["bpmn"] and (
                local(el) in FLOW_NODES | {"process", "lane", "participant"}):
            assert (el.get("name") or "").strip(), el.get("id")


def test_the_job_coaching_design_details():
    t = tree(by_name("tyohonvalmennus.bpmn"))
    proc = t.find("bpmn:process", NS)
    assert (proc.get("id"), proc.get("name")) == ("tyohonvalmennus", "Työhönvalmennus")
    ext = bpmn_xml.read_extensions(t)
    assert ext["tyohonvalmennus"]["start_properties"] == {"validation_decision": "referral_form_rules",
                                                          "form_rule": "known_client_name"}
    assert {f["id"]: f["type"] for f in ext["tyohonvalmennus"]["start_form"]} == {
        "client_hetu": "hetu", "client_name": "string", "confirm_name_change": "boolean",
        "client_language": "enum", "municipality": "string",
        "service_need": "string", "provider": "provider", "planned_start": "date", "planned_end": "date",
        "health_consent": "boolean", "health_information": "string", "other_services": "string",
    }
    assert ext["accept_referral"]["properties"] == {"validation_decision": "start_notice_rules", "material": "referral"}
    assert ext["weekly_review"]["properties"] == {"validation_decision": "weekly_review_rules", "material": "week"}
    assert ext["closure"]["properties"] == {"validation_decision": "closure_rules"}
    assert ext["final_statement"]["properties"] == {"validation_decision": "statement_rules"}
    assert {k: v["properties"].get("kind") for k, v in ext.items() if v.get("handler") == "record_decision"} == {
        "save_redirection_decision": "redirection", "save_goals_decision": "goals",
        "save_interruption_decision": "interruption",
    }
    assert t.find(".//bpmn:scriptTask[@id='clear_notice']/bpmn:script", NS).text.strip() == "notice_kind = None"
    # The official's decision forms say what their button does.
    assert {k for k, v in ext.items() if (v.get("properties") or {}).get("submit_label") == "Tallenna päätös"} == {
        "decide_second_period", "decide_interruption", "decide_goals", "decide_redirection",
    }
    assert ext["note_second_period_refused"]["candidate_groups"] == ["official"]
    assert t.find(".//bpmn:userTask[@id='note_second_period_refused']/bpmn:extensionElements", NS) is None
    lanes = {lane.get("id"): lane.get("name") for lane in t.iterfind(".//bpmn:lane", NS)}
    assert lanes == {"lane_official": "Vastuuvirkailija", "lane_coach": "Valmentaja (palveluntuottaja)",
                     "lane_manager": "Esihenkilö"}
    boundary = {b.get("id"): (b.get("attachedToRef"), b.get("cancelActivity"))
                for b in t.iterfind(".//bpmn:boundaryEvent", NS)}
    assert boundary == {"start_notice_overdue": ("accept_referral", "false"),
                        "period_hard_end": ("coaching_period", "true"),
                        "week_silent": ("weekly_review", "false")}  # a silent week is flagged; the review stays open


# --- (d) the bundle deploys ------------------------------------------------------------------------

def test_topics_and_field_types_are_the_designed_ones():
    assert used_topics() == TOPICS
    assert used_field_types() - set(BUILTIN_TYPES) == CUSTOM_TYPES


def test_the_folder_compiles_as_a_bundle(compiled):
    assert set(compiled) == {"tyohonvalmennus", "provider_follow_up"}
    assert compiled["tyohonvalmennus"].name == "Työhönvalmennus"
    assert set(compiled["tyohonvalmennus"].sources) == {"tyohonvalmennus.bpmn"} | {p.name for p in DMN_FILES}
    assert set(compiled["provider_follow_up"].sources) == {"provider_follow_up.bpmn"}


# --- (e) translation catalogs ----------------------------------------------------------------------

def _decision_codes(decision_id: str) -> set[str]:
    """The literal codes a decision can give in its error_code / *_reason outputs."""
    root = tree(by_name(f"{decision_id}.dmn")).getroot()
    table = root.find(".//dmn:decisionTable", NS)
    names = [o.get("name") for o in table.findall("dmn:output", NS)]
    codes = set()
    for rule in table.findall("dmn:rule", NS):
        for name, entry in zip(names, rule.findall("dmn:outputEntry", NS)):
            if name == "error_code" or name.endswith("_reason"):
                value = ast.literal_eval(entry.findtext("dmn:text", namespaces=NS).strip())
                if value is not None:
                    codes.add(value)
    return codes


def expected_catalog_keys(path: Path) -> tuple[str, set[str]]:
    t = tree(path)
    proc = t.find("bpmn:process", NS)
    keys = set()
    for el in t.iter():
        if isinstance(el.tag, str) and etree.QName(el).namespace == NS["bpmn"] and el.get("id") and el.get("name"):
            keys.add(el.get("id"))
    for owner in t.iterfind(".//bpmn:extensionElements/camunda:formData/..", NS):
        element = owner.getparent().get("id")
        for ff in owner.iterfind("camunda:formData/camunda:formField", NS):
            keys.add(f"{element}.{ff.get('id')}")
            keys.update(f"{element}.{ff.get('id')}.{v.get('id')}" for v in ff.iterfind("camunda:value", NS))
    # What a task's button says (its `submit_label` property) is translated under `<task>.submit`.
    for prop in t.iterfind(".//bpmn:extensionElements/camunda:properties/camunda:property[@name='submit_label']", NS):
        keys.add(f"{prop.getparent().getparent().getparent().get('id')}.submit")
    decisions = {ref for _el, _line, ref in bpmn_xml.validation_decisions(t)}
    decisions |= {ref for _el, ref, _line in bpmn_xml.decision_refs(t)}
    for decision in decisions:
        keys.update(f"{decision}.{code}" for code in _decision_codes(decision))
    return proc.get("id"), keys


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_translation_catalogs_are_complete(lang):
    catalog = json.loads((TRANSLATIONS / f"{lang}.json").read_text(encoding="utf-8"))
    expected = dict(expected_catalog_keys(p) for p in BPMN_FILES)
    assert set(catalog) == set(expected)
    for process, keys in expected.items():
        entries = catalog[process]
        assert sorted(keys - set(entries)) == [], f"{lang}: missing in {process}"
        assert sorted(set(entries) - keys) == [], f"{lang}: stale keys in {process}"
        assert [k for k, v in entries.items() if not isinstance(v, str) or not v.strip()] == []
    assert {f"{d}.{c}" for d in VALIDATION_DECISIONS for c in _decision_codes(d)} <= set(catalog["tyohonvalmennus"])


def test_the_catalogs_use_the_terminology():
    sv = json.loads((TRANSLATIONS / "sv.json").read_text(encoding="utf-8"))["tyohonvalmennus"]
    en = json.loads((TRANSLATIONS / "en.json").read_text(encoding="utf-8"))["tyohonvalmennus"]
    assert (sv["tyohonvalmennus"], en["tyohonvalmennus"]) == ("Arbetsträning", "Job coaching")
    assert sv["lane_official"] == "Ansvarig handläggare"
    assert sv["final_statement.statement_kind.arvi"] == "ARVI-utlåtande"
    assert sv["referral.client_hetu"] == "Kundens personbeteckning"
