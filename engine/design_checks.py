"""What a designer's modeler would flag, and what would only fail at run time, found in a BPMN file
before it is deployed: the structural rules of Camunda Modeler's linter (bpmnlint's recommended
set), the diagram (every element drawn), and who may work on each user task.

Each finding is a ``DeployProblem`` with its file, line and element, a severity and a fix hint.
Errors refuse the deploy (``bundle.compile_bundle``); warnings (style: an unlabelled element, an
implicit join, a label with no translation) are shown by ``polku check`` and let the file through.

The structure is read scope by scope (a process, each subprocess): a sequence flow joins two
elements of one scope. What counts, as in bpmnlint:
- not connected: a flow node with no flow in or out (boundary events, event subprocesses and
  compensation handlers are attached otherwise);
- implicit start / end: a flow node other than a start event (or boundary event) with no incoming
  flow, other than an end event with no outgoing one;
- an element's own ``<bpmn:incoming>`` / ``<bpmn:outgoing>`` lists name its flows: the modeler reads
  those, and an element that lists none is "not connected" there though the flows exist;
- an exclusive or inclusive gateway with several outgoing flows: each has a condition or is the
  default;
- two flows with the same source, target and condition;
- an implicit join (warning): a task or event with several incoming flows, which joins nothing
  (each arriving token runs it again);
- an automatic loop with no counter (engine.design_loops): it would run into SpiffWorkflow's depth limit.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path

from . import bpmn_xml
from .bpmn_xml import BPMN, NS, SUPPORTED_FLOW_NODES, Element, Tree, local
from .design_labels import translation_problems
from .design_loops import loop_problems
from .errors import DeployProblem
from .fieldtypes import N_

ERROR, WARNING = "error", "warning"
# An element without a shape in the diagram: the engine runs it and the instance page lists it as
# not drawn (files written by hand, tests' and benches', have no diagram), so a warning.
UNDRAWN = WARNING
GATEWAYS = {"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway"}
CONDITIONAL_GATEWAYS = {"exclusiveGateway", "inclusiveGateway"}
SCOPES = {"process", "subProcess", "transaction"}
LABELLED = {"task", "userTask", "manualTask", "scriptTask", "serviceTask", "businessRuleTask", "sendTask",
            "receiveTask", "callActivity", "subProcess", "transaction", "startEvent", "endEvent",
            "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}
DI = "http://www.omg.org/spec/BPMN/20100524/DI"


def design_problems(name: str, tree: Tree, roles: Iterable[str], catalogs: Path | None = None,
                    processes: Mapping[str, Element] | None = None) -> list[DeployProblem]:
    """Every finding in one BPMN file, errors and warnings; `catalogs` is the folder of the label
    translations beside the file, when it has one (engine.design_labels); `processes` the bundle's
    processes by id, which the file's call activities may call (by default the file's own)."""
    if processes is None:
        processes = bundle_processes([tree])
    found: list[DeployProblem] = []
    for scope in tree.iter(*(f"{{{BPMN}}}{s}" for s in SCOPES)):
        if local(scope.tag) == "process" and scope.get("isExecutable") != "true":
            continue  # refused on its own (bpmn_xml.structural_problems), with its fix
        found += _scope_problems(name, scope)
        found += loop_problems(name, scope, _problem, processes)
    found += _work_problems(name, tree, set(roles))
    found += _drawing_problems(name, tree)
    found += translation_problems(name, tree, catalogs)
    return found


def bundle_processes(trees: Iterable[Tree]) -> dict[str, Element]:
    """The processes of BPMN files by id: what a call activity of the bundle may call."""
    return {p.get("id"): p for tree in trees for p in tree.xpath("/bpmn:definitions/bpmn:process", namespaces=NS)
            if p.get("id")}


def _problem(name: str, el: Element, message: str, hint: str, severity: str = ERROR, **params: object) -> DeployProblem:
    """A finding at `el`: `message` and `hint` are N_-marked msgids, both filled from `params`
    (the element's id is always there as ``id``)."""
    params = {"id": el.get("id"), **params}
    return DeployProblem(name, message, el.get("id"), el.sourceline, severity=severity, hint=hint,
                         params=params, hint_params=params)


def _children(scope: Element, kinds: set[str]) -> list[Element]:
    return [el for el in scope if isinstance(el.tag, str) and el.tag.startswith(f"{{{BPMN}}}")
            and local(el.tag) in kinds]


def _attached_otherwise(el: Element) -> bool:
    """Boundary events (attached to an activity), event subprocesses and compensation handlers
    take no sequence flow in."""
    return (local(el.tag) == "boundaryEvent" or el.get("triggeredByEvent") == "true"
            or el.get("isForCompensation") == "true")


def _listed(el: Element, kind: str) -> set[str]:
    return {(ref.text or "").strip() for ref in el.findall(f"{{{BPMN}}}{kind}")}


def _scope_problems(name: str, scope: Element) -> list[DeployProblem]:
    nodes = _children(scope, SUPPORTED_FLOW_NODES)
    flows = _children(scope, {"sequenceFlow"})
    into: dict[str, list[Element]] = defaultdict(list)
    out_of: dict[str, list[Element]] = defaultdict(list)
    for flow in flows:
        into[flow.get("targetRef")].append(flow)
        out_of[flow.get("sourceRef")].append(flow)
    found: list[DeployProblem] = []
    for el in nodes:
        eid, kind = el.get("id"), local(el.tag)
        incoming, outgoing = into.get(eid, []), out_of.get(eid, [])
        if _attached_otherwise(el):
            if kind == "boundaryEvent" and not outgoing:
                found.append(_problem(name, el, N_("boundary event '%(id)s' leads nowhere"),
                                      N_("draw a sequence flow from it to what follows")))
            continue
        if not incoming and not outgoing:
            found.append(_problem(name, el, N_("'%(id)s' is not connected"),
                                  N_("connect it with sequence flows, or delete it")))
            continue
        if not incoming and kind != "startEvent":
            found.append(_problem(name, el, N_("'%(id)s' is an implicit start: no sequence flow leads into it"),
                                  N_("draw a flow into it, or begin the scope with a start event")))
        if not outgoing and kind != "endEvent":
            found.append(_problem(name, el, N_("'%(id)s' is an implicit end: no sequence flow leaves it"),
                                  N_("draw a flow from it, or end the path with an end event")))
        found += _listed_flows(name, el, {f.get("id") for f in incoming}, {f.get("id") for f in outgoing})
        if kind in CONDITIONAL_GATEWAYS and len(outgoing) > 1:
            found += _unconditional(name, el, outgoing)
        if kind not in GATEWAYS and len(incoming) > 1:
            found.append(_problem(name, el, N_("'%(id)s' has %(count)s incoming flows that do not join"),
                                  N_("merge them with an exclusive gateway in front of it"), WARNING,
                                  count=len(incoming)))
    seen = Counter((f.get("sourceRef"), f.get("targetRef"), _condition(f)) for f in flows)
    for flow in flows:
        key = (flow.get("sourceRef"), flow.get("targetRef"), _condition(flow))
        if seen[key] > 1:
            found.append(_problem(name, flow, N_("flow '%(id)s' duplicates another flow from '%(source)s' to "
                                  "'%(target)s'"), N_("delete one of them"), source=key[0], target=key[1]))
    return found


def _listed_flows(name: str, el: Element, incoming: set[str], outgoing: set[str]) -> list[DeployProblem]:
    """The element's own flow lists against the flows that name it (the modeler reads the lists)."""
    found = []
    for kind, actual in (("incoming", incoming), ("outgoing", outgoing)):
        missing = sorted(actual - _listed(el, kind))
        if missing:
            message = (N_("'%(id)s' does not list its incoming flow(s) %(flows)s: Camunda Modeler shows it as "
                          "not connected") if kind == "incoming" else
                       N_("'%(id)s' does not list its outgoing flow(s) %(flows)s: Camunda Modeler shows it as "
                          "not connected"))
            found.append(_problem(
                name, el, message, N_("add %(tag)s inside the element (or redraw the flow)"),
                flows=", ".join(missing), tag=f"<bpmn:{kind}>{missing[0]}</bpmn:{kind}>"))
    return found


def _condition(flow: Element) -> str | None:
    cond = flow.find(f"{{{BPMN}}}conditionExpression")
    return None if cond is None else (cond.text or "").strip()


def _unconditional(name: str, gateway: Element, outgoing: list[Element]) -> list[DeployProblem]:
    default = gateway.get("default")
    return [_problem(name, flow, N_("flow '%(id)s' leaves gateway '%(gateway)s' with no condition and is not its "
                                    "default"), N_("give it a condition, or make it the gateway's default flow"),
                     gateway=gateway.get("id"))
            for flow in outgoing if _condition(flow) is None and flow.get("id") != default]


def _work_problems(name: str, tree: Tree, roles: set[str]) -> list[DeployProblem]:
    """Who may work on each user task: a candidate group that is a role, or a lane."""
    in_lane = set(tree.xpath("//bpmn:lane/bpmn:flowNodeRef/text()", namespaces=NS))
    known = ", ".join(sorted(roles))
    found = []
    for task in tree.xpath("//bpmn:userTask", namespaces=NS):
        groups = bpmn_xml.candidate_groups(task)
        if not groups and task.get("id") not in in_lane:
            found.append(_problem(name, task, N_("user task '%(id)s' has no candidate group and no lane: "
                                                 "nobody could work on it"),
                                  N_("set camunda:candidateGroups to one of: %(roles)s"), roles=known))
        for group in groups:
            if group not in roles:
                found.append(_problem(name, task, N_("user task '%(id)s': candidate group '%(group)s' is not a role"),
                                      N_("use one of: %(roles)s"), group=group, roles=known))
    return found


def _drawing_problems(name: str, tree: Tree) -> list[DeployProblem]:
    """Every flow node and flow has its shape in the diagram (the instance page draws the file), and
    every element a person reads in the diagram has a label."""
    drawn = set(tree.xpath("//bpmndi:BPMNShape/@bpmnElement | //bpmndi:BPMNEdge/@bpmnElement",
                           namespaces={"bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI"}))
    found = []
    for proc in tree.xpath("//bpmn:process[@isExecutable='true']", namespaces=NS):
        for el in proc.iter(*(f"{{{BPMN}}}{k}" for k in (*SUPPORTED_FLOW_NODES, "sequenceFlow"))):
            if el.get("id") not in drawn:
                found.append(_problem(name, el, N_("'%(id)s' has no shape in the diagram: it could not be drawn"),
                                      N_("open the file in Camunda Modeler and place the element (or re-save it)"),
                                      UNDRAWN))
            if local(el.tag) in LABELLED and not (el.get("name") or "").strip():
                found.append(_problem(name, el, N_("'%(id)s' has no label"),
                                      N_("give it a name that says what happens there"), WARNING))
    return found
