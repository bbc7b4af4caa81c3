"""What Polku reads from BPMN/DMN XML itself: Camunda attributes CamundaParser ignores,
structural checks, and element lines (SpiffWorkflow's own line numbers are empty)."""
from __future__ import annotations

from typing import Any

from lxml import etree

from .fieldtypes import N_, Msg

# lxml ships no type information: elements and trees are typed Any here.
Element = Any
Tree = Any

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
NS = {"bpmn": BPMN, "camunda": CAMUNDA}
DMN_NAMESPACES = (
    "https://www.omg.org/spec/DMN/20191111/MODEL/",
    "http://www.omg.org/spec/DMN/20180521/MODEL/",
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd",
    "https://www.omg.org/spec/DMN/20230324/MODEL/",
)

# Flow elements SpiffWorkflow 3.2 can run. Anything else inside a process is refused at deploy
# time instead of being dropped silently.
SUPPORTED_FLOW_NODES = {
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
    "task", "userTask", "manualTask", "scriptTask", "serviceTask", "businessRuleTask", "sendTask",
    "receiveTask", "callActivity", "subProcess", "transaction",
    "exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway",
}
# Non-flow children of a process that are fine to have.
IGNORED_CHILDREN = {
    "sequenceFlow", "laneSet", "documentation", "extensionElements", "textAnnotation", "association",
    "dataObject", "dataObjectReference", "dataStoreReference", "ioSpecification", "property",
    "dataInputAssociation", "dataOutputAssociation", "group", "category",
    "incoming", "outgoing",  # a subProcess's own flow references sit among its children
}


DOCTYPE_REFUSED = N_("a DOCTYPE (DTD) is not allowed in BPMN or DMN: its entities are never expanded")


class RefusedXML(ValueError):
    """A BPMN or DMN document refused: it declares a DTD (wherever it is read), or a stored one
    no longer parses (engine.parser.decision_engine)."""


def _hardened_parser() -> Any:
    # No entity is ever expanded (internal ones would allow "billion laughs", external ones read
    # files), nothing is fetched, no DTD is loaded, and libxml2's size limits stay on.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False)


def parse_xml(data: bytes | str) -> Tree:
    """Every parse of BPMN/DMN text, at deploy and at run time (engine.runtime re-reads stored
    DMN): the hardened parser, and a document with a DOCTYPE refused (RefusedXML) — modelers
    never write one, and an entity left unexpanded would otherwise be read as an empty text.
    Malformed XML raises lxml's XMLSyntaxError."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    tree = etree.ElementTree(etree.fromstring(raw, _hardened_parser()))
    info = tree.docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise RefusedXML(DOCTYPE_REFUSED)
    return tree


def local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def line_of(tree: Tree, element_id: str | None) -> int | None:
    if tree is None or not element_id:
        return None
    found = tree.xpath("//*[@id=$id]", id=element_id)
    return int(found[0].sourceline) if found else None


def _camunda(el: Element, name: str) -> str | None:
    value: str | None = el.get(f"{{{CAMUNDA}}}{name}")
    return value


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()] if value else []


def candidate_groups(el: Element) -> list[str]:
    """A user task's camunda:candidateGroups, as a list."""
    return _split(_camunda(el, "candidateGroups"))


def _properties(el: Element) -> dict[str, str | None]:
    props: dict[str, str | None] = {}
    for prop in el.xpath("./bpmn:extensionElements/camunda:properties/camunda:property", namespaces=NS):
        props[prop.get("name")] = prop.get("value")
    return props


def form_fields(el: Element) -> list[dict[str, Any]]:
    """camunda:formData of an element as field definitions (the same shape as
    engine.forms.field_definitions gives for user tasks, which CamundaParser reads itself;
    start events it does not read)."""
    fields: list[dict[str, Any]] = []
    for ff in el.xpath("./bpmn:extensionElements/camunda:formData/camunda:formField", namespaces=NS):
        constraints: dict[str, str | None] = {}
        required = False
        for c in ff.xpath("./camunda:validation/camunda:constraint", namespaces=NS):
            if c.get("name") == "required":
                required = (c.get("config") or "true").strip().lower() != "false"
            else:
                constraints[c.get("name")] = c.get("config")
        options = [{"id": v.get("id"), "label": v.get("name")} for v in ff.xpath("./camunda:value", namespaces=NS)]
        props = {p.get("id"): p.get("value") for p in ff.xpath("./camunda:properties/camunda:property", namespaces=NS)}
        fields.append({
            "id": ff.get("id"), "type": ff.get("type"), "label": ff.get("label"), "default": ff.get("defaultValue"),
            "required": required, "options": options if ff.get("type") == "enum" else [],
            "constraints": constraints, "properties": props,
        })
    return fields


def read_extensions(tree: Tree) -> dict[str, dict[str, Any]]:
    """{element id: {...}} for processes (with their start form), user/manual tasks and
    service-like tasks."""
    out: dict[str, dict[str, Any]] = {}
    for proc in tree.xpath("//bpmn:process", namespaces=NS):
        starts = proc.xpath("./bpmn:startEvent", namespaces=NS)
        out[proc.get("id")] = {
            "candidate_starter_groups": _split(_camunda(proc, "candidateStarterGroups")),
            "name": proc.get("name"),
            "start_form": form_fields(starts[0]) if starts else [],
            "start_properties": _properties(starts[0]) if starts else {},
            # camunda:initiator: the variable that will name the user who started the instance.
            "initiator": _camunda(starts[0], "initiator") if starts else None,
            "properties": _properties(proc),  # what the process as a whole tells the service's code
        }
    for el in tree.xpath("//bpmn:userTask | //bpmn:manualTask", namespaces=NS):
        out[el.get("id")] = {
            "candidate_groups": candidate_groups(el),
            "assignee": _camunda(el, "assignee"),
            "due_date": _camunda(el, "dueDate"),
            "priority": _camunda(el, "priority"),
            "properties": _properties(el),
        }
    for el in tree.xpath("//bpmn:serviceTask | //bpmn:sendTask", namespaces=NS):
        props = _properties(el)
        handler = props.get("handler")
        if handler is None and _camunda(el, "type") == "external":
            handler = _camunda(el, "topic")
        out[el.get("id")] = {"handler": handler, "properties": props}
    return out


def validation_decisions(tree: Tree) -> list[tuple[str, int, str]]:
    """(element id, line, decision id) for every `validation_decision` property."""
    found: list[tuple[str, int, str]] = []
    for el in tree.xpath("//bpmn:userTask | //bpmn:startEvent", namespaces=NS):
        ref = _properties(el).get("validation_decision")
        if ref:
            found.append((el.get("id"), el.sourceline, ref))
    return found


def structural_problems(tree: Tree) -> list[tuple[str | None, int | None, Msg]]:
    """(element id, line, message) for what SpiffWorkflow would accept but cannot run."""
    problems: list[tuple[str | None, int | None, Msg]] = []
    all_ids = set(tree.xpath("//@id"))
    for proc in tree.xpath("//bpmn:process", namespaces=NS):
        pid = proc.get("id")
        if proc.get("isExecutable") != "true":
            msg = Msg(N_("process '%(process)s' is not executable (set isExecutable=\"true\")"), {"process": pid})
            problems.append((pid, proc.sourceline, msg))
            continue
        if not proc.xpath("./bpmn:startEvent", namespaces=NS):
            problems.append((pid, proc.sourceline, Msg(N_("process '%(process)s' has no start event"),
                                                       {"process": pid})))
        for el in proc.iter():
            name = local(el.tag)
            if not isinstance(el.tag, str) or etree.QName(el).namespace != BPMN:
                continue
            parent = el.getparent()
            if parent is not None and local(parent.tag) in ("process", "subProcess", "transaction"):
                if name not in SUPPORTED_FLOW_NODES and name not in IGNORED_CHILDREN:
                    msg = Msg(N_("element '%(element)s' is not supported by the engine"), {"element": name})
                    problems.append((el.get("id"), el.sourceline, msg))
            if name == "sequenceFlow":
                for attr in ("sourceRef", "targetRef"):
                    ref = el.get(attr)
                    if ref not in all_ids:
                        msg = Msg(N_("sequence flow %(attribute)s '%(ref)s' does not name an element"),
                                  {"attribute": attr, "ref": ref})
                        problems.append((el.get("id"), el.sourceline, msg))
    return problems


def is_dmn(tree: Tree) -> bool:
    return etree.QName(tree.getroot()).namespace in DMN_NAMESPACES


def decision_ids(tree: Tree) -> set[str]:
    return {el.get("id") for el in tree.iter() if local(el.tag) == "decision"}


def decision_refs(tree: Tree) -> list[tuple[str, str | None, int]]:
    """(business rule task id, decisionRef, line)."""
    return [
        (el.get("id"), _camunda(el, "decisionRef"), el.sourceline)
        for el in tree.xpath("//bpmn:businessRuleTask", namespaces=NS)
    ]


def expressions(tree: Tree) -> list[tuple[str, int, str, str]]:
    """(element id, line, kind, text) for every Python text the engine will run."""
    found: list[tuple[str, int, str, str]] = []
    for cond in tree.xpath("//bpmn:sequenceFlow/bpmn:conditionExpression", namespaces=NS):
        flow = cond.getparent()
        found.append((flow.get("id"), cond.sourceline, "condition", (cond.text or "").strip()))
    for script in tree.xpath("//bpmn:scriptTask/bpmn:script", namespaces=NS):
        task = script.getparent()
        found.append((task.get("id"), script.sourceline, "script", script.text or ""))
    for tag in ("timeDate", "timeDuration", "timeCycle"):
        for timer in tree.xpath(f"//bpmn:timerEventDefinition/bpmn:{tag}", namespaces=NS):
            event = timer.getparent().getparent()
            found.append((event.get("id"), timer.sourceline, tag, (timer.text or "").strip()))
    return found


def dmn_cells(tree: Tree) -> list[tuple[str, int, str, str]]:
    """(rule or input id, line, kind, text) of a DMN file's input expressions and rule cells."""
    found: list[tuple[str, int, str, str]] = []
    for el in tree.iter():
        name = local(el.tag)
        if name == "inputExpression":
            text = "".join(t.text or "" for t in el if local(t.tag) == "text").strip()
            found.append((el.getparent().get("id") or el.get("id"), el.sourceline, "input", text))
        elif name in ("inputEntry", "outputEntry"):
            text = "".join(t.text or "" for t in el if local(t.tag) == "text").strip()
            rule = el.getparent()
            found.append((rule.get("id") or el.get("id"), el.sourceline, name, text))
    return found
