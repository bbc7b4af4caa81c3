"""A BPMN file's diagram interchange (DI) as plain data: the semantic elements a picture needs
(kind, name, event definition, flags) and the shapes and edges the modeler placed for them.

Read through the project's hardened parser (engine.bpmn_xml); a file with a DOCTYPE is refused
outright, so no entity or DTD of a designer's file ever reaches the renderer."""
from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from ..bpmn_xml import BPMN, Element, local, parse_xml

BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"

EVENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}
GATEWAYS = {"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway"}
ACTIVITIES = {
    "task", "userTask", "manualTask", "scriptTask", "serviceTask", "businessRuleTask", "sendTask",
    "receiveTask", "callActivity", "subProcess", "transaction", "adHocSubProcess",
}
FLOW_NODES = EVENTS | GATEWAYS | ACTIVITIES
FLOWS = {"sequenceFlow", "messageFlow"}
ARTIFACTS = {"textAnnotation", "association", "dataObjectReference", "dataStoreReference", "group",
             "dataInputAssociation", "dataOutputAssociation"}
CONTAINERS = {"participant", "lane"}
# What a diagram is expected to draw: an element of these kinds without DI is reported as not drawn.
DRAWN_KINDS = FLOW_NODES | FLOWS | CONTAINERS | {"textAnnotation", "association"}
EVENT_DEFINITIONS = ("timer", "message", "error", "terminate", "signal", "escalation", "conditional",
                     "link", "compensate", "cancel")


class DiagramRefused(ValueError):
    """The file cannot be drawn: not well-formed XML, a DOCTYPE, or no BPMN diagram in it."""


@dataclass(frozen=True)
class Bounds:
    x: float
    y: float
    width: float
    height: float

    @property
    def cx(self) -> float:
        return self.x + self.width / 2

    @property
    def cy(self) -> float:
        return self.y + self.height / 2

    @property
    def right(self) -> float:
        return self.x + self.width

    @property
    def bottom(self) -> float:
        return self.y + self.height


@dataclass
class BpmnElement:
    """One semantic element, with what the picture of it depends on."""
    id: str
    kind: str  # the BPMN local name: userTask, exclusiveGateway, sequenceFlow, lane, ...
    name: str = ""
    definition: str | None = None  # an event's first definition: timer, message, error, ...
    interrupting: bool = True  # boundary events' cancelActivity, event subprocess start's isInterrupting
    attached_to: str | None = None
    default_flow: str | None = None  # a gateway's or activity's default outgoing flow
    source: str | None = None
    target: str | None = None
    conditional: bool = False  # a sequence flow with a conditionExpression
    is_default: bool = False  # the default flow of its source
    triggered_by_event: bool = False  # an event subprocess
    loop: str | None = None  # "loop", "parallel", "sequential"
    instantiate: bool = False  # an event-based gateway that starts the process
    text: str = ""  # a text annotation's text
    direction: str = "None"  # an association's associationDirection


@dataclass(frozen=True)
class Shape:
    element: BpmnElement
    bounds: Bounds
    expanded: bool = False
    horizontal: bool = True
    marker_visible: bool = True
    label: Bounds | None = None


@dataclass(frozen=True)
class Edge:
    element: BpmnElement
    points: tuple[tuple[float, float], ...]
    label: Bounds | None = None


@dataclass
class Model:
    name: str
    elements: dict[str, BpmnElement]  # every element by id, in document order
    shapes: list[Shape]
    edges: list[Edge]
    bounds: Bounds
    not_drawn: list[str] = field(default_factory=list)  # ids of DRAWN_KINDS elements without DI

    def shape(self, element_id: str) -> Shape | None:
        return next((s for s in self.shapes if s.element.id == element_id), None)


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def _bool(value: str | None, default: bool) -> bool:
    if value is None:
        return default
    return value.strip().lower() == "true"


def _bounds(el: Element | None) -> Bounds | None:
    if el is None:
        return None
    try:
        return Bounds(float(el.get("x", 0)), float(el.get("y", 0)), float(el.get("width", 0)),
                      float(el.get("height", 0)))
    except ValueError:
        return None


def _element(el: Element) -> BpmnElement:
    kind = local(el.tag)
    item = BpmnElement(id=el.get("id", ""), kind=kind, name=(el.get("name") or "").strip())
    if kind in EVENTS:
        for child in el:
            name = local(child.tag)
            if name.endswith("EventDefinition"):
                item.definition = name[: -len("EventDefinition")]
                break
        if kind == "boundaryEvent":
            item.interrupting = _bool(el.get("cancelActivity"), True)
            item.attached_to = el.get("attachedToRef")
        elif kind == "startEvent":
            item.interrupting = _bool(el.get("isInterrupting"), True)
    if kind in GATEWAYS or kind in ACTIVITIES:
        item.default_flow = el.get("default")
    if kind == "eventBasedGateway":
        item.instantiate = _bool(el.get("instantiate"), False)
    if kind in ACTIVITIES:
        item.triggered_by_event = _bool(el.get("triggeredByEvent"), False)
        if el.find(_q(BPMN, "standardLoopCharacteristics")) is not None:
            item.loop = "loop"
        multi = el.find(_q(BPMN, "multiInstanceLoopCharacteristics"))
        if multi is not None:
            item.loop = "sequential" if _bool(multi.get("isSequential"), False) else "parallel"
    if kind in FLOWS or kind in ("association", "dataInputAssociation", "dataOutputAssociation"):
        item.source, item.target = el.get("sourceRef"), el.get("targetRef")
        item.conditional = el.find(_q(BPMN, "conditionExpression")) is not None
        item.direction = el.get("associationDirection") or "None"
    if kind == "textAnnotation":
        text = el.find(_q(BPMN, "text"))
        item.text = (text.text or "").strip() if text is not None else ""
    return item


def _model_root(data: bytes | str) -> Element:
    try:
        tree = parse_xml(data)  # the one hardened parse (engine.bpmn_xml): a DOCTYPE is refused
    except (etree.XMLSyntaxError, ValueError) as exc:  # RefusedXML is a ValueError
        raise DiagramRefused(f"not drawn: {exc}") from exc
    root = tree.getroot()
    if root.tag != _q(BPMN, "definitions"):
        raise DiagramRefused("not a BPMN file")
    return root


def parse(data: bytes | str) -> Model:
    """The model of a BPMN file's first diagram (the one Camunda Modeler shows; further planes
    belong to collapsed subprocesses, whose content is then listed as not drawn)."""
    root = _model_root(data)
    elements: dict[str, BpmnElement] = {}
    for el in root.iter(etree.Element):
        if el.tag.startswith(f"{{{BPMN}}}") and el.get("id") and local(el.tag) in DRAWN_KINDS | ARTIFACTS:
            elements[el.get("id")] = _element(el)
    for owner in elements.values():
        if owner.default_flow in elements:
            elements[owner.default_flow].is_default = True
    names = [p.get("name") for p in root.iter(_q(BPMN, "participant"), _q(BPMN, "process")) if p.get("name")]
    plane = root.find(f"{{{BPMNDI}}}BPMNDiagram/{{{BPMNDI}}}BPMNPlane")
    if plane is None:
        raise DiagramRefused("the file has no diagram (BPMNDiagram/BPMNPlane)")
    shapes: list[Shape] = []
    edges: list[Edge] = []
    for di in plane:
        element = elements.get(di.get("bpmnElement", ""))
        if element is None:
            continue
        label = di.find(f"{{{BPMNDI}}}BPMNLabel/{{{DC}}}Bounds")
        if local(di.tag) == "BPMNShape":
            bounds = _bounds(di.find(_q(DC, "Bounds")))
            if bounds is not None:
                shapes.append(Shape(element, bounds, expanded=_bool(di.get("isExpanded"), False),
                                    horizontal=_bool(di.get("isHorizontal"), True),
                                    marker_visible=_bool(di.get("isMarkerVisible"), True), label=_bounds(label)))
        elif local(di.tag) == "BPMNEdge":
            points = tuple((float(p.get("x", 0)), float(p.get("y", 0))) for p in di.findall(_q(DI, "waypoint")))
            if len(points) >= 2:
                edges.append(Edge(element, points, _bounds(label)))
    drawn = {s.element.id for s in shapes} | {e.element.id for e in edges}
    not_drawn = [i for i, e in elements.items() if e.kind in DRAWN_KINDS and i not in drawn]
    return Model(names[0] if names else "", elements, shapes, edges, _extent(shapes, edges), not_drawn)


def _extent(shapes: list[Shape], edges: list[Edge]) -> Bounds:
    xs: list[float] = []
    ys: list[float] = []
    for s in shapes:
        for b in (s.bounds, s.label):
            if b is not None:
                xs += [b.x, b.right]
                ys += [b.y, b.bottom]
    for e in edges:
        xs += [p[0] for p in e.points]
        ys += [p[1] for p in e.points]
    if not xs:
        return Bounds(0, 0, 100, 100)
    return Bounds(min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))
