"""The compact description of a diagram: lanes, nodes, flows, and the constructors the
process descriptions use (tools/process_diagrams.py)."""
from __future__ import annotations

from dataclasses import dataclass, field


BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
MODELER = "http://camunda.org/schema/modeler/1.0"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
NSMAP = {"bpmn": BPMN, "bpmndi": BPMNDI, "dc": DC, "di": DI, "camunda": CAMUNDA, "modeler": MODELER, "xsi": XSI}

# Grid and shape sizes (bpmn.io defaults for shapes).
COL_W, ROW_H = 150, 130
PARTICIPANT_X, PARTICIPANT_Y = 160, 80
PARTICIPANT_HEADER, LANE_HEADER = 30, 30
LANE_PAD_LEFT, LANE_PAD_Y = 20, 10
SUBPROCESS_INSET = 5
CHANNEL = 12  # distance of a routing channel from a cell border
SIZES = {"task": (100, 80), "gateway": (50, 50), "event": (36, 36)}
TASKS = {"task", "userTask", "serviceTask", "businessRuleTask", "scriptTask", "manualTask", "sendTask", "receiveTask"}
EVENTS = {"startEvent", "endEvent", "boundaryEvent", "intermediateCatchEvent", "intermediateThrowEvent"}
GATEWAYS = {"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway"}


def q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


# --- the description ---------------------------------------------------------------------------

@dataclass
class Lane:
    id: str
    name: str


@dataclass
class Field:
    """A camunda:formField."""

    id: str
    label: str
    type: str
    required: bool = False
    default: str | None = None
    options: list[tuple[str, str]] = field(default_factory=list)  # enum (id, label)
    constraints: dict[str, str] = field(default_factory=dict)  # min, max, minlength, maxlength


@dataclass
class Node:
    id: str
    kind: str
    name: str
    lane: str | None = None
    col: int = 0
    row: int = 0
    attrs: dict[str, str] = field(default_factory=dict)  # camunda:* given as "camunda:x"
    fields: list[Field] | None = None  # camunda:formData (None: no form)
    properties: dict[str, str] = field(default_factory=dict)  # camunda:properties
    script: str | None = None
    timer: tuple[str, str] | None = None  # ("timeDate"|"timeDuration"|"timeCycle", Python expression)
    parent: str | None = None  # id of the enclosing expanded subprocess
    attached_to: str | None = None  # boundary events: the host
    at: float = 0.5  # boundary events: position along the host's bottom border
    interrupting: bool = True
    span: tuple[int, int] = (1, 1)  # subprocess: cells (cols, rows)
    anchor_row: int = 0  # subprocess: the inner row flows enter and leave at


@dataclass
class Flow:
    id: str
    source: str
    target: str
    condition: str | None = None
    name: str | None = None
    default: bool = False
    prefer: str | None = None


@dataclass
class Diagram:
    process_id: str
    name: str
    lanes: list[Lane]
    nodes: list[Node]
    flows: list[Flow]
    process_attrs: dict[str, str] = field(default_factory=dict)
    documentation: str | None = None


# --- helper constructors ---------------------------------------------------------------------------

def start(id, name, lane, col, row=0, *, fields=None, properties=None):
    return Node(id, "startEvent", name, lane, col, row, fields=fields, properties=properties or {})


def end(id, name, lane, col, row=0, **kw):
    return Node(id, "endEvent", name, lane, col, row, **kw)


def user(id, name, lane, col, row, groups, *, fields=None, properties=None, **kw):
    return Node(id, "userTask", name, lane, col, row, attrs={"camunda:candidateGroups": groups},
                fields=fields, properties=properties or {}, **kw)


def service(id, name, lane, col, row, topic, *, properties=None, **kw):
    return Node(id, "serviceTask", name, lane, col, row, attrs={"camunda:type": "external", "camunda:topic": topic},
                properties=properties or {}, **kw)


def rule(id, name, lane, col, row, decision, **kw):
    return Node(id, "businessRuleTask", name, lane, col, row, attrs={"camunda:decisionRef": decision}, **kw)


def script(id, name, lane, col, row, text, **kw):
    return Node(id, "scriptTask", name, lane, col, row, attrs={"scriptFormat": "python"}, script=text, **kw)


def gateway(id, name, lane, col, row, **kw):
    return Node(id, "exclusiveGateway", name, lane, col, row, **kw)


def subprocess(id, name, lane, col, row, span, anchor_row=0):
    return Node(id, "subProcess", name, lane, col, row, span=span, anchor_row=anchor_row)


def timer_boundary(id, name, host, kind, expression, *, interrupting=True, at=0.5):
    return Node(id, "boundaryEvent", name, attached_to=host, at=at, timer=(kind, expression), interrupting=interrupting)


def fld(id, label, type, required=False, default=None, options=None, **constraints):
    return Field(id, label, type, required, default, list(options or []), {k: str(v) for k, v in constraints.items()})
