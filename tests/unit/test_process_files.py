"""The process package in processes/: BPMN and DMN files that deploy, open in Camunda Modeler
(complete DI), carry complete translation catalogs, and DMN decisions that decide as the design
(docs/tyohonvalmennus.md) says. No database: a stub runtime with no-op service handlers."""
from __future__ import annotations

import ast
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator

from engine import bpmn_xml
from engine.bundle import compile_bundle, read_bundle
from engine.forms import BUILTIN_TYPES, default_field_types
from engine.parser import PolkuParser
from engine.runtime import LoadedDefinition, Runtime
from engine.sandbox import SandboxedScriptEngine
from engine.script_functions import standard_functions
from engine.services import ServiceRegistry

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
TRANSLATIONS = PROCESSES / "translations"
BPMN_FILES = sorted(PROCESSES.glob("*.bpmn"))
DMN_FILES = sorted(PROCESSES.glob("*.dmn"))
NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
    "camunda": "http://camunda.org/schema/1.0/bpmn",
    "modeler": "http://camunda.org/schema/modeler/1.0",
    "dmn": "https://www.omg.org/spec/DMN/20191111/MODEL/",
}
FLOW_NODES = {
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent", "task",
    "userTask", "manualTask", "scriptTask", "serviceTask", "businessRuleTask", "sendTask", "receiveTask",
    "callActivity", "subProcess", "transaction", "exclusiveGateway", "parallelGateway", "inclusiveGateway",
    "eventBasedGateway",
}
TOPICS = {
    "coaching_history", "record_refusal", "record_referral", "escalate_start_notice", "record_start", "record_goals",
    "record_hard_end", "record_week", "record_second_period", "second_period_history", "record_redirection",
    "record_decision", "record_interruption", "load_period_state", "start_second_period", "record_closure",
    "send_statement", "send_end_notification", "record_feedback", "register_provider", "record_follow_up",
}
CUSTOM_TYPES = {"hetu", "provider", "goal_list", "meeting_list", "goal_results", "category_list"}
VALIDATION_DECISIONS = {"referral_form_rules", "closure_rules", "statement_rules"}


def local(el) -> str:
    return etree.QName(el).localname


def tree(path: Path):
    return etree.parse(str(path))


def by_name(path_name: str) -> Path:
    return PROCESSES / path_name


@pytest.fixture(scope="module")
def script_engine():
    return SandboxedScriptEngine(functions=standard_functions())


def used_topics() -> set[str]:
    return {
        ext["handler"]
        for path in BPMN_FILES
        for ext in bpmn_xml.read_extensions(tree(path)).values()
        if "handler" in ext
    }


def used_field_types() -> set[str]:
    return {ff.get("type") for path in BPMN_FILES for ff in tree(path).iterfind(".//camunda:formField", NS)}


@pytest.fixture(scope="module")
def runtime(script_engine):
    handlers = ServiceRegistry()
    for topic in sorted(used_topics()):
        handlers.register(topic, lambda call: {})
    types = default_field_types()
    for name in sorted(CUSTOM_TYPES):
        types.register(name, lambda raw: raw)
    return Runtime(script_engine=script_engine, handlers=handlers, field_types=types)


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
    assert ext["tyohonvalmennus"]["start_properties"] == {"validation_decision": "referral_form_rules"}
    assert {f["id"]: f["type"] for f in ext["tyohonvalmennus"]["start_form"]} == {
        "client_hetu": "hetu", "client_name": "string", "client_language": "enum", "municipality": "string",
        "service_need": "string", "provider": "provider", "planned_start": "date", "planned_end": "date",
        "health_consent": "boolean", "health_information": "string", "other_services": "string",
    }
    assert ext["closure"]["properties"] == {"validation_decision": "closure_rules"}
    assert ext["final_statement"]["properties"] == {"validation_decision": "statement_rules"}
    assert {k: v["properties"].get("kind") for k, v in ext.items() if v.get("handler") == "record_decision"} == {
        "save_redirection_decision": "redirection", "save_goals_decision": "goals",
        "save_interruption_decision": "interruption",
    }
    assert t.find(".//bpmn:scriptTask[@id='clear_notice']/bpmn:script", NS).text.strip() == "notice_kind = None"
    assert ext["note_second_period_refused"]["candidate_groups"] == ["official"]
    assert t.find(".//bpmn:userTask[@id='note_second_period_refused']/bpmn:extensionElements", NS) is None
    lanes = {lane.get("id"): lane.get("name") for lane in t.iterfind(".//bpmn:lane", NS)}
    assert lanes == {"lane_official": "Vastuuvirkailija", "lane_coach": "Valmentaja (palveluntuottaja)",
                     "lane_manager": "Esihenkilö"}
    boundary = {b.get("id"): (b.get("attachedToRef"), b.get("cancelActivity"))
                for b in t.iterfind(".//bpmn:boundaryEvent", NS)}
    assert boundary == {"start_notice_overdue": ("accept_referral", "false"),
                        "period_hard_end": ("coaching_period", "true")}


# --- (d) the bundle deploys ------------------------------------------------------------------------

def test_topics_and_field_types_are_the_designed_ones():
    assert used_topics() == TOPICS
    assert used_field_types() - set(BUILTIN_TYPES) == CUSTOM_TYPES


@pytest.fixture(scope="module")
def compiled(runtime):
    return {c.key: c for c in compile_bundle(read_bundle([PROCESSES]), runtime)}


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


# --- (f) the decisions decide -------------------------------------------------------------------

@pytest.fixture(scope="module")
def decide(script_engine):
    parser = PolkuParser()
    for path in DMN_FILES:
        parser.add_dmn_xml(tree(path).getroot(), filename=path.name)
    engines = {}

    def run(decision_id: str, **data) -> dict:
        if decision_id not in engines:
            engines[decision_id] = parser.get_engine(decision_id, None)
        task = SimpleNamespace(data=data, workflow=SimpleNamespace(script_engine=script_engine))
        return dict(engines[decision_id].result(task))

    return run


LIMITS = {
    "min_period_days": 14, "max_period_months": 4, "max_periods": 2, "window_months": 12,
    "window_limit_months": 8, "start_notice_business_days": 5, "reassessment_lead_days": 14,
    "absence_limit_days": 5, "max_weekly_reviews": 18,
}


def test_coaching_limits_are_the_service_card_values(decide):
    assert decide("coaching_limits") == LIMITS


HISTORY_OK = {"planned_days": 90, "planned_end_ok": True, "history_active": False, "history_consecutive": 0,
              "window_days_max": 100, "window_limit_days": 243}


@pytest.mark.parametrize("change, reason", [
    ({}, None),
    ({"planned_days": 13}, "R1_short"),
    ({"planned_days": 14}, None),
    ({"planned_end_ok": False}, "R1_long"),
    ({"history_active": True}, "R3_active"),
    ({"history_consecutive": 2}, "R3_consecutive"),
    ({"history_consecutive": 1}, None),
    ({"window_days_max": 244}, "R4_window"),
    ({"window_days_max": 243}, None),
    ({"planned_days": 5, "history_active": True, "window_days_max": 300}, "R1_short"),  # the first rule wins
])
def test_referral_eligibility(decide, change, reason):
    result = decide("referral_eligibility", **{**LIMITS, **HISTORY_OK, **change})
    assert result == {"eligible": reason is None, "refusal_reason": reason}


@pytest.mark.parametrize("change, reason", [
    ({}, None),
    ({"sp_consecutive": 2}, "R3"),
    ({"sp_window_days_max": 244}, "R4"),
    ({"sp_consecutive": 2, "sp_window_days_max": 244}, "R3"),
])
def test_second_period_eligibility(decide, change, reason):
    data = {**LIMITS, "window_limit_days": 243, "sp_consecutive": 1, "sp_window_days_max": 200, **change}
    result = decide("second_period_eligibility", **data)
    assert result == {"second_period_allowed": reason is None, "second_period_reason": reason}


VALID = {"valid": True, "error_field": None, "error_code": None, "error_message": None}


@pytest.mark.parametrize("data, field, code", [
    ({"health_consent": False, "health_information": "diabetes"}, "health_information", "R10_consent"),
    ({"health_consent": False, "health_information": "   "}, None, None),
    ({"health_consent": False, "health_information": None}, None, None),
    ({"health_consent": True, "health_information": "diabetes"}, None, None),
])
def test_referral_form_rules(decide, data, field, code):
    result = decide("referral_form_rules", **data)
    if code is None:
        assert result == VALID
    else:
        assert (result["valid"], result["error_field"], result["error_code"]) == (False, field, code)
        assert result["error_message"] == (
            "Health information may be shared with the provider only with the client's written consent")


GOALS = [{"category": "job_search", "description": "CV", "verification": "CV sent"},
         {"category": "employment", "description": "job", "verification": "contract"}]


def _result(reached, evidence="shown"):
    return {"goal": "g", "reached": reached, "evidence": evidence}


@pytest.mark.parametrize("results, next_steps, field, code", [
    ([_result(True), _result(True)], None, None, None),
    ([_result(True), _result(False)], "apply to vocational school", None, None),
    ([_result(False), _result(False)], "  ", "next_steps", "R5"),
    ([_result(True), _result(False)], None, "next_steps", "R5"),
    ([_result(True)], "next steps", "goal_results", "R6"),
    (None, "next steps", "goal_results", "R6"),
    ([_result(True), _result(True, evidence="")], None, "goal_results", "R6_evidence"),
    ([_result(True), _result(True, evidence=None)], None, "goal_results", "R6_evidence"),
    ([_result(True)], None, "goal_results", "R6"),  # the first rule wins
])
def test_closure_rules(decide, results, next_steps, field, code):
    result = decide("closure_rules", goals=GOALS, goal_results=results, next_steps=next_steps,
                    outcome_areas=[], employment_status="employed")
    if code is None:
        assert result == VALID
    else:
        assert (result["valid"], result["error_field"], result["error_code"]) == (False, field, code)
        assert result["error_message"]
    if code == "R5":
        assert result["error_message"] == "At least two goals must be reached, or concrete next steps recorded"


@pytest.mark.parametrize("reviewed, valid", [(True, True), (False, False), (None, False)])
def test_statement_rules(decide, reviewed, valid):
    result = decide("statement_rules", statement_kind="arvi", statement_text="x", reviewed_with_client=reviewed)
    if valid:
        assert result == VALID
    else:
        assert (result["valid"], result["error_field"], result["error_code"]) == (
            False, "reviewed_with_client", "not_reviewed")


# --- the paths run (SpiffWorkflow with stub handlers, no database) ------------------------------------

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
REFERRAL = {"client_hetu": "131052-308T", "client_name": "Asiakas", "client_language": "fi",
            "municipality": "Espoo", "service_need": "tuki", "provider": "Valmennus Oy",
            "planned_start": "2026-01-12", "planned_end": "2026-04-11", "health_consent": False,
            "health_information": None, "other_services": None}
WEEK = {"meetings": [], "absence_days": 0, "other_service_need": False, "goals_unrealistic": False,
        "interruption_justified": False, "end_period": False, "notes": None}


class Walk:
    """One instance driven through Runtime with handlers that answer from `answers`."""

    def __init__(self, script_engine, compiled, key, data, answers):
        self.calls: list[str] = []
        self.answers = answers
        handlers = ServiceRegistry()
        for topic in sorted(TOPICS):
            handlers.register(topic, self._handler(topic))
        types = default_field_types()
        for name in sorted(CUSTOM_TYPES):
            types.register(name, lambda raw: raw)
        self.rt = Runtime(script_engine=script_engine, handlers=handlers, field_types=types)
        spec, subs = self.rt.codec.load_spec(compiled[key].spec)
        self.defn = LoadedDefinition(1, key, 1, spec, subs, compiled[key].extensions, compiled[key].sources)
        self.now = T0
        self.wf = self.rt.new_workflow(self.defn, data)
        self._advance()

    def _handler(self, topic):
        def handle(call):
            self.calls.append(call.element_id)
            answer = self.answers.get(topic, {})
            return answer(call.data) if callable(answer) else dict(answer)
        return handle

    def _advance(self):
        self.rt.advance(self.wf, self.defn, instance_id=1, session=None, now=self.now)

    def open(self) -> list[str]:
        return sorted(t.task_spec.bpmn_id for t in self.rt.snapshot(self.wf, self.defn, self.now).human_tasks.values())

    def timers(self) -> set[str]:
        return {v.element_id for v in self.rt.snapshot(self.wf, self.defn, self.now).timers.values()}

    def complete(self, element, **values):
        if element == "weekly_review":
            values = {**WEEK, **values}
        tasks = [t for t in self.rt.snapshot(self.wf, self.defn, self.now).human_tasks.values()
                 if t.task_spec.bpmn_id == element]
        assert tasks, f"{element} is not open; open: {self.open()}"
        self.rt.complete_human_task(tasks[0], values, self.now)
        self._advance()

    def at(self, when: datetime):
        self.now = when
        self.rt.refresh_timers(self.wf, when)
        self._advance()


def _answers(**over):
    weeks = {"n": 0}

    def record_week(data):
        weeks["n"] += 1
        kind = ("interruption" if data.get("interruption_justified") else
                "other_service" if data.get("other_service_need") else
                "goals_unrealistic" if data.get("goals_unrealistic") else None)
        return {"review_count": weeks["n"], "absence_streak": 0, "notice_kind": kind,
                "reassessment_due": weeks["n"] == over.get("reassess_week"), "week_without_meeting": False}

    period = {"approved": False, "number": 1}
    answers = {
        "coaching_history": {**HISTORY_OK, "planned_end_limit": "2026-05-11"},
        "record_referral": {"client_id": 1, "period_id": 1, "period_number": 1, "period_start": "2026-01-12",
                            "period_end": "2026-05-11", "period_end_at": "2026-05-12T00:00:00+00:00",
                            "reassessment_at": "2026-04-27", "start_notice_due": "2026-01-19T00:00:00+00:00",
                            "case_organisations": ["Valmennus Oy"]},
        "record_week": record_week,
        "second_period_history": {"sp_consecutive": 1, "sp_window_days_max": 200},
        "record_second_period": lambda data: period.update(
            approved=data.get("decision") == "approve" and data.get("second_period_allowed") is True) or {},
        "load_period_state": lambda data: {"second_period_approved": period["approved"],
                                           "period_number": period["number"]},
        "start_second_period": lambda data: period.update(number=2, approved=False) or {
            "period_number": 2, "period_end_at": "2026-09-12T00:00:00+00:00"},
    }
    answers.update({k: v for k, v in over.items() if k in TOPICS})
    return answers


def _start(script_engine, compiled, **over):
    return Walk(script_engine, compiled, "tyohonvalmennus", dict(REFERRAL), _answers(**over))


def _into_period(walk):
    walk.complete("accept_referral", actual_start="2026-01-12", coaching_mode="face_to_face",
                  coaching_format="individual")
    walk.complete("set_goals", goals=GOALS, meetings_per_week=1)
    assert walk.open() == ["weekly_review"]


def test_a_refused_referral_ends(script_engine, compiled):
    walk = _start(script_engine, compiled, coaching_history={**HISTORY_OK, "history_active": True})
    assert walk.wf.is_completed()
    assert walk.calls == ["check_history", "record_refusal"]


def test_the_full_path_with_a_second_period_and_feedback(script_engine, compiled):
    walk = _start(script_engine, compiled, reassess_week=2)
    assert walk.open() == ["accept_referral"] and walk.timers() == {"start_notice_overdue"}
    walk.at(T0 + timedelta(days=15))  # the start notification is overdue (R7)
    assert walk.open() == ["accept_referral", "follow_up_start_notice"]
    walk.complete("follow_up_start_notice", note="soitettu")
    _into_period(walk)
    assert walk.timers() == {"period_hard_end"}
    walk.complete("weekly_review")
    walk.complete("weekly_review")  # week 2: reassessment due
    walk.complete("propose_second_period", second_period_needed=True, justification="tarvitaan")
    walk.complete("decide_second_period", decision="approve", reason="ok")
    walk.complete("weekly_review", end_period=True)
    assert walk.calls[-3:] == ["record_week", "next_period_check", "start_second_period"]
    walk.complete("weekly_review", end_period=True)  # the second period ends
    assert walk.open() == ["closure"]
    walk.complete("closure", goal_results=[], employment_status="employed", next_steps="koulutus")
    walk.complete("final_statement", statement_kind="arvi", statement_text="x", reviewed_with_client=True)
    walk.complete("review_end", feedback_discussion="schedule", feedback_planned_on="2026-09-01")
    walk.complete("record_feedback_discussion", held_on="2026-09-01")
    assert walk.wf.is_completed()
    assert walk.calls[-4:] == ["record_closure", "send_statement", "send_end_notification", "save_feedback"]


def test_notices_return_to_the_period(script_engine, compiled):
    walk = _start(script_engine, compiled)
    _into_period(walk)
    walk.complete("weekly_review", interruption_justified=True)
    walk.complete("decide_interruption", decision="continue", reason="jatketaan")
    assert walk.open() == ["weekly_review"]
    walk.complete("weekly_review", other_service_need=True)
    walk.complete("record_redirection", target_service="health", description="x")
    walk.complete("decide_redirection", decision="pause", reason="x")
    walk.complete("resume_after_pause", resume_on="2026-03-01")
    assert walk.open() == ["weekly_review"]
    walk.complete("weekly_review", goals_unrealistic=True)
    walk.complete("decide_goals", decision="revise", reason="x")
    walk.complete("revise_goals", goals=GOALS)
    assert walk.open() == ["weekly_review"]
    walk.complete("weekly_review", end_period=True)
    assert walk.open() == ["closure"]


@pytest.mark.parametrize("notice, decide, decision", [
    ({"interruption_justified": True}, "decide_interruption", {"decision": "interrupt", "ground": "absence"}),
    ({"goals_unrealistic": True}, "decide_goals", {"decision": "interrupt"}),
])
def test_an_interruption_goes_to_closure(script_engine, compiled, notice, decide, decision):
    walk = _start(script_engine, compiled)
    _into_period(walk)
    walk.complete("weekly_review", **notice)
    walk.complete(decide, reason="x", **decision)
    assert walk.open() == ["closure"] and walk.calls[-1] == "record_interruption"


def test_a_forbidden_second_period_is_noted_and_the_weeks_go_on(script_engine, compiled):
    walk = _start(script_engine, compiled, reassess_week=1,
                  second_period_history={"sp_consecutive": 1, "sp_window_days_max": 300})
    _into_period(walk)
    walk.complete("weekly_review")
    walk.complete("propose_second_period", second_period_needed=True)
    assert walk.open() == ["note_second_period_refused"]
    walk.complete("note_second_period_refused")
    assert walk.open() == ["weekly_review"]


def test_the_period_ends_at_its_hard_limit(script_engine, compiled):
    walk = _start(script_engine, compiled)
    _into_period(walk)
    walk.at(datetime(2026, 5, 13, tzinfo=UTC))
    assert walk.open() == ["closure"]
    assert walk.calls[-2:] == ["record_hard_end", "next_period_check"]


def test_provider_follow_up_meets_every_three_months(script_engine, compiled):
    walk = Walk(script_engine, compiled, "provider_follow_up",
                {"provider": "Valmennus Oy", "methods": "x", "municipalities": "Espoo"}, {})
    assert walk.open() == ["contract_active"] and walk.timers() == {"follow_up_cycle"}
    walk.at(T0 + timedelta(days=95))
    assert walk.open() == ["contract_active", "record_follow_up_meeting"]
    walk.complete("record_follow_up_meeting", held_on="2026-04-10", notes="x")
    walk.complete("contract_active")
    assert walk.wf.is_completed()
