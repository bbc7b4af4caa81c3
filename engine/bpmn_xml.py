"""What Polku reads from BPMN/DMN XML itself: Camunda attributes CamundaParser ignores,
structural checks, and element lines (SpiffWorkflow's own line numbers are empty)."""
from __future__ import annotations

from lxml import etree

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
}


def local(tag) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def line_of(tree, element_id: str | None) -> int | None:
    if tree is None or not element_id:
        return None
    found = tree.xpath("//*[@id=$id]", id=element_id)
    return found[0].sourceline if found else None


def _camunda(el, name):
    return el.get(f"{{{CAMUNDA}}}{name}")


def _split(value):
    return [v.strip() for v in value.split(",") if v.strip()] if value else []


def _properties(el) -> dict:
    props = {}
    for prop in el.xpath("./bpmn:extensionElements/camunda:properties/camunda:property", namespaces=NS):
        props[prop.get("name")] = prop.get("value")
    return props


def read_extensions(tree) -> dict:
    """{element id: {...}} for processes, user/manual tasks and service-like tasks."""
    out: dict[str, dict] = {}
    for proc in tree.xpath("//bpmn:process", namespaces=NS):
        out[proc.get("id")] = {
            "candidate_starter_groups": _split(_camunda(proc, "candidateStarterGroups")),
            "name": proc.get("name"),
        }
    for el in tree.xpath("//bpmn:userTask | //bpmn:manualTask", namespaces=NS):
        out[el.get("id")] = {
            "candidate_groups": _split(_camunda(el, "candidateGroups")),
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


def structural_problems(tree) -> list[tuple[str | None, int | None, str]]:
    """(element id, line, message) for what SpiffWorkflow would accept but cannot run."""
    problems = []
    all_ids = set(tree.xpath("//@id"))
    for proc in tree.xpath("//bpmn:process", namespaces=NS):
        pid = proc.get("id")
        if proc.get("isExecutable") != "true":
            problems.append((pid, proc.sourceline, f"process '{pid}' is not executable (set isExecutable=\"true\")"))
            continue
        if not proc.xpath("./bpmn:startEvent", namespaces=NS):
            problems.append((pid, proc.sourceline, f"process '{pid}' has no start event"))
        for el in proc.iter():
            name = local(el.tag)
            if not isinstance(el.tag, str) or etree.QName(el).namespace != BPMN:
                continue
            parent = el.getparent()
            if parent is not None and local(parent.tag) in ("process", "subProcess", "transaction"):
                if name not in SUPPORTED_FLOW_NODES and name not in IGNORED_CHILDREN:
                    problems.append((el.get("id"), el.sourceline, f"element '{name}' is not supported by the engine"))
            if name == "sequenceFlow":
                for attr in ("sourceRef", "targetRef"):
                    ref = el.get(attr)
                    if ref not in all_ids:
                        problems.append(
                            (el.get("id"), el.sourceline, f"sequence flow {attr} '{ref}' does not name an element")
                        )
    return problems


def is_dmn(tree) -> bool:
    return etree.QName(tree.getroot()).namespace in DMN_NAMESPACES


def decision_ids(tree) -> set[str]:
    return {el.get("id") for el in tree.iter() if local(el.tag) == "decision"}


def decision_refs(tree) -> list[tuple[str, str, int]]:
    """(business rule task id, decisionRef, line)."""
    return [
        (el.get("id"), _camunda(el, "decisionRef"), el.sourceline)
        for el in tree.xpath("//bpmn:businessRuleTask", namespaces=NS)
    ]


def expressions(tree) -> list[tuple[str, int, str, str]]:
    """(element id, line, kind, text) for every Python text the engine will run."""
    found = []
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


def dmn_cells(tree) -> list[tuple[str, int, str, str]]:
    """(rule or input id, line, kind, text) of a DMN file's input expressions and rule cells."""
    found = []
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
