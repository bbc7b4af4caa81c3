"""A small BPMN generator: a compact description of lanes, nodes and flows becomes a BPMN file
with a collaboration, a participant, a lane set and complete BPMN DI (a shape for every flow node,
lane and participant, an orthogonal edge for every sequence flow).

It exists to produce the *first* version of the process diagrams in ``processes/``. After that
first generation the ``.bpmn`` file is the source: designers open and edit it in Camunda Modeler
and deploy it. Regenerating overwrites their edits, so do it only on purpose:

    . .venv/bin/activate                          # needs lxml
    python tools/bpmn_layout.py                  # writes processes/tyohonvalmennus.bpmn and provider_follow_up.bpmn
    python tools/bpmn_layout.py --out /tmp/x     # somewhere else, e.g. to compare

The description
---------------
* ``Lane(id, name)``: lanes are stacked top to bottom in the order given.
* ``Node``: ``id``, ``kind`` (the BPMN element name: startEvent, userTask, serviceTask, ...),
  ``name``, ``lane``, ``col`` (a global column: reading order is left to right) and ``row``
  (a row inside the lane). Helper constructors (``start``, ``user``, ``service``, ``rule``,
  ``script``, ``gateway``, ``end``, ``timer_boundary``, ``subprocess``) fill in the Camunda
  attributes and extension elements. Nodes inside an expanded subprocess name it as ``parent``;
  their ``col``/``row`` count from the subprocess's own top-left cell, on the same grid.
  A subprocess occupies ``span=(cols, rows)`` cells; flows enter and leave it at ``anchor_row``.
  A boundary event names its host (``attached_to``) and sits on the host's bottom border at
  ``at`` (0..1 of the width).
* ``Flow(id, source, target, condition=None, name=None, default=False, prefer=None)``: a
  condition is a Python expression (Polku runs conditions as sandboxed Python, not FEEL);
  ``default=True`` makes the flow its gateway's default flow. ``prefer`` picks a routing
  candidate first (see ``_candidates``).

Layout: a uniform grid (``COL_W`` x ``ROW_H`` cells). Edges are orthogonal; for each flow a few
candidate routes are tried in order and the first that crosses no other shape is used (a
warning is printed when none is clear). Label bounds are left to the modeler.
"""
from __future__ import annotations

import argparse
import itertools
import sys
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

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


# --- geometry ----------------------------------------------------------------------------------

@dataclass
class Box:
    x: float
    y: float
    w: float
    h: float
    cx: float = 0.0  # routing anchor
    cy: float = 0.0

    @property
    def right(self):
        return self.x + self.w

    @property
    def bottom(self):
        return self.y + self.h

    def intersects(self, other: Box) -> bool:
        return self.x < other.right and other.x < self.right and self.y < other.bottom and other.y < self.bottom


def _size(kind: str) -> tuple[int, int]:
    if kind in TASKS:
        return SIZES["task"]
    if kind in GATEWAYS:
        return SIZES["gateway"]
    if kind in EVENTS:
        return SIZES["event"]
    raise ValueError(f"no size for {kind}")


class Layout:
    def __init__(self, d: Diagram):
        self.d = d
        self.nodes = {n.id: n for n in d.nodes}
        self.lane_of = {}
        for n in d.nodes:
            self.lane_of[n.id] = self._lane(n)
        self.rows = {lane.id: 1 for lane in d.lanes}
        for n in d.nodes:
            if n.parent is None and n.attached_to is None:
                self.rows[n.lane] = max(self.rows[n.lane], n.row + n.span[1])
            elif n.parent is not None:
                p = self.nodes[n.parent]
                self.rows[p.lane] = max(self.rows[p.lane], p.row + n.row + 1)
        self.cols = 1 + max(self._abs(n)[0] + n.span[0] - 1 for n in d.nodes if n.attached_to is None)
        self.content_x = PARTICIPANT_X + PARTICIPANT_HEADER + LANE_HEADER + LANE_PAD_LEFT
        self.lane_box: dict[str, Box] = {}
        y = PARTICIPANT_Y
        width = LANE_HEADER + LANE_PAD_LEFT + self.cols * COL_W + LANE_PAD_LEFT
        for lane in d.lanes:
            h = 2 * LANE_PAD_Y + self.rows[lane.id] * ROW_H
            self.lane_box[lane.id] = Box(PARTICIPANT_X + PARTICIPANT_HEADER, y, width, h)
            y += h
        self.participant = Box(PARTICIPANT_X, PARTICIPANT_Y, PARTICIPANT_HEADER + width, y - PARTICIPANT_Y)
        self.box: dict[str, Box] = {}
        for n in d.nodes:
            if n.attached_to is None:
                self.box[n.id] = self._place(n)
        for n in d.nodes:
            if n.attached_to is not None:
                host = self.box[n.attached_to]
                w, h = _size(n.kind)
                cx, cy = host.x + n.at * host.w, host.bottom
                self.box[n.id] = Box(cx - w / 2, cy - h / 2, w, h, cx, cy)

    def _lane(self, n: Node) -> str:
        if n.attached_to is not None:
            return self._lane(self.nodes[n.attached_to])
        if n.parent is not None:
            return self._lane(self.nodes[n.parent])
        return n.lane

    def _abs(self, n: Node) -> tuple[int, int]:
        """(global column, row inside the lane) of a node's top-left cell."""
        if n.parent is None:
            return n.col, n.row
        pc, pr = self._abs(self.nodes[n.parent])
        return pc + n.col, pr + n.row

    def cell(self, lane: str, col: int, row: int) -> Box:
        lb = self.lane_box[lane]
        return Box(self.content_x + col * COL_W, lb.y + LANE_PAD_Y + row * ROW_H, COL_W, ROW_H)

    def _place(self, n: Node) -> Box:
        col, row = self._abs(n)
        c = self.cell(self.lane_of[n.id], col, row)
        if n.kind == "subProcess":
            cols, rows = n.span
            b = Box(c.x + SUBPROCESS_INSET, c.y + SUBPROCESS_INSET, cols * COL_W - 2 * SUBPROCESS_INSET,
                    rows * ROW_H - 2 * SUBPROCESS_INSET)
            b.cx, b.cy = b.x + b.w / 2, c.y + n.anchor_row * ROW_H + ROW_H / 2
            return b
        w, h = _size(n.kind)
        cx, cy = c.x + COL_W / 2, c.y + ROW_H / 2
        return Box(cx - w / 2, cy - h / 2, w, h, cx, cy)

    # --- routing ---
    def _container(self, node_id: str) -> str | None:
        n = self.nodes[node_id]
        return self.nodes[n.attached_to].parent if n.attached_to else n.parent

    def _ancestors(self, node_id: str) -> set[str]:
        out, n = set(), self.nodes[node_id]
        while True:
            n = self.nodes[n.attached_to] if n.attached_to else (self.nodes[n.parent] if n.parent else None)
            if n is None:
                return out
            out.add(n.id)

    def _clear(self, points, flow: Flow) -> bool:
        container = self._container(flow.source)
        if container is not None:
            c = self.box[container]
            if any(not (c.x < x < c.right and c.y < y < c.bottom) for x, y in points):
                return False
        skip = {flow.source, flow.target} | self._ancestors(flow.source) | self._ancestors(flow.target)
        for node_id, b in self.box.items():
            if node_id in skip:
                continue
            grown = Box(b.x - 4, b.y - 4, b.w + 8, b.h + 8)
            for (x1, y1), (x2, y2) in itertools.pairwise(points):
                seg = Box(min(x1, x2), min(y1, y2), abs(x2 - x1) or 0.5, abs(y2 - y1) or 0.5)
                if seg.intersects(grown):
                    return False
        return True

    def _col_gaps(self, node_id: str) -> tuple[float, float]:
        n = self.nodes[node_id]
        col, _ = self._abs(n) if n.attached_to is None else self._abs(self.nodes[n.attached_to])
        c = self.cell(self.lane_of[node_id], col, 0)
        cols = n.span[0] if n.kind == "subProcess" else 1
        return c.x + CHANNEL, c.x + cols * COL_W - CHANNEL

    def _channels(self, below: bool, limit: float):
        """Horizontal channel ys just inside the cell borders, beyond `limit` (a shape edge), nearest first."""
        ys = []
        for lane in self.d.lanes:
            for r in range(self.rows[lane.id]):
                c = self.cell(lane.id, 0, r)
                ys.append(c.y + ROW_H - CHANNEL if below else c.y + CHANNEL)
        return sorted((y for y in ys if (y > limit if below else y < limit)), key=lambda y: abs(y - limit))

    def _candidates(self, flow: Flow):
        s, t = self.box[flow.source], self.box[flow.target]
        sn = self.nodes[flow.source]
        out: list[tuple[str, list]] = []
        sx, sy, tx, ty = s.cx, s.cy, t.cx, t.cy
        if sn.kind == "boundaryEvent":  # leave downwards, away from the host
            if abs(sx - tx) < 1:
                out.append(("down", [(sx, s.bottom), (tx, t.y)]))
            out.append(("down-right", [(sx, s.bottom), (sx, ty), (t.x, ty)]))
            return out
        if t.x >= s.right - 1:  # forward
            if abs(sy - ty) < 1:
                out.append(("straight", [(s.right, sy), (t.x, ty)]))
            else:
                src_gap = self._col_gaps(flow.source)[1]
                tgt_gap = self._col_gaps(flow.target)[0]
                vert = [("up-right" if ty < sy else "down-right",
                         [(sx, s.y if ty < sy else s.bottom), (sx, ty), (t.x, ty)])]
                zs = [("z-target", [(s.right, sy), (tgt_gap, sy), (tgt_gap, ty), (t.x, ty)]),
                      ("z-source", [(s.right, sy), (src_gap, sy), (src_gap, ty), (t.x, ty)])]
                ls = [("right-vertical", [(s.right, sy), (tx, sy), (tx, t.bottom if ty < sy else t.y)])]
                out += vert + zs + ls if sn.kind in GATEWAYS else zs + vert + ls
        elif abs(sx - tx) < 1 or (t.x < sx < t.right):  # one above the other
            if ty > sy:
                out.append(("down", [(sx, s.bottom), (sx, t.y)]))
            else:
                out.append(("up", [(sx, s.y), (sx, t.bottom)]))
        # back edges (and fall-backs): over a channel above or below
        above = [("above", [(sx, s.y), (sx, y), (tx, y), (tx, t.y)]) for y in self._channels(False, min(s.y, t.y))]
        below = [("below", [(sx, s.bottom), (sx, y), (tx, y), (tx, t.bottom)])
                 for y in self._channels(True, max(s.bottom, t.bottom))]
        out += above + below
        if flow.prefer:
            out.sort(key=lambda c: c[0] != flow.prefer)
        return out

    def route(self, flow: Flow) -> list[tuple[float, float]]:
        candidates = self._candidates(flow)
        for _name, points in candidates:
            if self._clear(points, flow):
                return _simplify(points)
        print(f"warning: no clear route for {flow.id}; using the first candidate", file=sys.stderr)
        return _simplify(candidates[0][1])


def _simplify(points):
    out = []
    for p in points:
        p = (round(p[0]), round(p[1]))
        if out and out[-1] == p:
            continue
        if len(out) >= 2 and (out[-2][0] == out[-1][0] == p[0] or out[-2][1] == out[-1][1] == p[1]):
            out[-1] = p
            continue
        out.append(p)
    return out


# --- XML ---------------------------------------------------------------------------------------

def _set(el, name: str, value: str):
    if ":" in name:
        prefix, local = name.split(":", 1)
        el.set(q(NSMAP[prefix], local), value)
    else:
        el.set(name, value)


def _extensions(parent, n: Node):
    if not n.fields and not n.properties:
        return
    ext = etree.SubElement(parent, q(BPMN, "extensionElements"))
    if n.fields:
        form = etree.SubElement(ext, q(CAMUNDA, "formData"))
        for f in n.fields:
            ff = etree.SubElement(form, q(CAMUNDA, "formField"), id=f.id, label=f.label, type=f.type)
            if f.default is not None:
                ff.set("defaultValue", f.default)
            if f.required or f.constraints:
                val = etree.SubElement(ff, q(CAMUNDA, "validation"))
                if f.required:
                    etree.SubElement(val, q(CAMUNDA, "constraint"), name="required")
                for cname, config in f.constraints.items():
                    etree.SubElement(val, q(CAMUNDA, "constraint"), name=cname, config=config)
            for oid, olabel in f.options:
                etree.SubElement(ff, q(CAMUNDA, "value"), id=oid, name=olabel)
    if n.properties:
        props = etree.SubElement(ext, q(CAMUNDA, "properties"))
        for k, v in n.properties.items():
            etree.SubElement(props, q(CAMUNDA, "property"), name=k, value=v)


def _flow_node(parent, n: Node, d: Diagram, children: dict[str, list[Node]]):
    el = etree.SubElement(parent, q(BPMN, n.kind), id=n.id, name=n.name)
    for k, v in n.attrs.items():
        _set(el, k, v)
    if n.kind == "boundaryEvent":
        el.set("cancelActivity", "true" if n.interrupting else "false")
        el.set("attachedToRef", n.attached_to)
    gateway_default = [f.id for f in d.flows if f.source == n.id and f.default]
    if gateway_default:
        el.set("default", gateway_default[0])
    _extensions(el, n)
    # engine/bpmn_xml.structural_problems refuses bpmn:incoming/outgoing directly inside a subProcess
    # (it takes them for unsupported flow elements), so a subprocess lists no incoming/outgoing.
    if n.kind != "subProcess":
        for f in d.flows:
            if f.target == n.id:
                etree.SubElement(el, q(BPMN, "incoming")).text = f.id
        for f in d.flows:
            if f.source == n.id:
                etree.SubElement(el, q(BPMN, "outgoing")).text = f.id
    if n.timer:
        kind, expression = n.timer
        ted = etree.SubElement(el, q(BPMN, "timerEventDefinition"), id=f"{n.id}_timer")
        te = etree.SubElement(ted, q(BPMN, kind))
        te.set(q(XSI, "type"), "bpmn:tFormalExpression")
        te.text = expression
    if n.script is not None:
        etree.SubElement(el, q(BPMN, "script")).text = n.script
    if n.kind == "subProcess":
        _contents(el, d, children, n.id)
    return el


def _container(d: Diagram, node_id: str) -> str | None:
    n = next(n for n in d.nodes if n.id == node_id)
    if n.attached_to is not None:
        return next(h for h in d.nodes if h.id == n.attached_to).parent
    return n.parent


def _contents(parent, d: Diagram, children, container: str | None):
    for n in children.get(container, []):
        _flow_node(parent, n, d, children)
    for f in d.flows:
        if _container(d, f.source) != container:
            continue
        el = etree.SubElement(parent, q(BPMN, "sequenceFlow"), id=f.id)
        if f.name:
            el.set("name", f.name)
        el.set("sourceRef", f.source)
        el.set("targetRef", f.target)
        if f.condition is not None:
            ce = etree.SubElement(el, q(BPMN, "conditionExpression"))
            ce.set(q(XSI, "type"), "bpmn:tFormalExpression")
            ce.text = f.condition


def build(d: Diagram) -> bytes:
    _check(d)
    lay = Layout(d)
    pid = d.process_id
    root = etree.Element(q(BPMN, "definitions"), nsmap=NSMAP)
    root.set("id", f"definitions_{pid}")
    root.set("targetNamespace", "http://bpmn.io/schema/bpmn")
    root.set("exporter", "Polku tools/bpmn_layout.py")
    root.set("exporterVersion", "1.0")
    root.set(q(MODELER, "executionPlatform"), "Camunda Platform")
    root.set(q(MODELER, "executionPlatformVersion"), "7.19.0")
    collab = etree.SubElement(root, q(BPMN, "collaboration"), id=f"collaboration_{pid}")
    etree.SubElement(collab, q(BPMN, "participant"), id=f"participant_{pid}", name=d.name, processRef=pid)
    proc = etree.SubElement(root, q(BPMN, "process"), id=pid, name=d.name, isExecutable="true")
    for k, v in d.process_attrs.items():
        _set(proc, k, v)
    if d.documentation:
        etree.SubElement(proc, q(BPMN, "documentation")).text = d.documentation
    lane_set = etree.SubElement(proc, q(BPMN, "laneSet"), id=f"laneset_{pid}")
    for lane in d.lanes:
        le = etree.SubElement(lane_set, q(BPMN, "lane"), id=lane.id, name=lane.name)
        for n in d.nodes:
            if n.parent is None and lay.lane_of[n.id] == lane.id:
                etree.SubElement(le, q(BPMN, "flowNodeRef")).text = n.id
    children: dict[str | None, list[Node]] = {}
    for n in d.nodes:
        container = n.parent
        if n.attached_to is not None:
            container = lay.nodes[n.attached_to].parent
        children.setdefault(container, []).append(n)
    _contents(proc, d, children, None)

    diagram = etree.SubElement(root, q(BPMNDI, "BPMNDiagram"), id=f"diagram_{pid}")
    plane = etree.SubElement(diagram, q(BPMNDI, "BPMNPlane"), id=f"plane_{pid}", bpmnElement=f"collaboration_{pid}")

    def shape(element_id, box: Box, **attrs):
        sh = etree.SubElement(plane, q(BPMNDI, "BPMNShape"), id=f"{element_id}_di", bpmnElement=element_id)
        for k, v in attrs.items():
            sh.set(k, v)
        etree.SubElement(sh, q(DC, "Bounds"), x=_num(box.x), y=_num(box.y), width=_num(box.w), height=_num(box.h))

    shape(f"participant_{pid}", lay.participant, isHorizontal="true")
    for lane in d.lanes:
        shape(lane.id, lay.lane_box[lane.id], isHorizontal="true")
    # Containers first so that their contents are drawn on top; boundary events after their host.
    order = sorted(d.nodes, key=lambda n: (n.attached_to is not None, n.kind != "subProcess"))
    for n in order:
        attrs = {}
        if n.kind in GATEWAYS:
            attrs["isMarkerVisible"] = "true"
        if n.kind == "subProcess":
            attrs["isExpanded"] = "true"
        shape(n.id, lay.box[n.id], **attrs)
    for f in d.flows:
        edge = etree.SubElement(plane, q(BPMNDI, "BPMNEdge"), id=f"{f.id}_di", bpmnElement=f.id)
        for x, y in lay.route(f):
            etree.SubElement(edge, q(DI, "waypoint"), x=_num(x), y=_num(y))
    etree.indent(root, space="  ")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(root, encoding="UTF-8", pretty_print=True)


def _num(v: float) -> str:
    return str(round(v))


def _check(d: Diagram):
    ids = [n.id for n in d.nodes] + [f.id for f in d.flows] + [lane.id for lane in d.lanes]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise ValueError(f"duplicate ids: {sorted(dupes)}")
    known = {n.id for n in d.nodes}
    for f in d.flows:
        if f.source not in known or f.target not in known:
            raise ValueError(f"flow {f.id} names an unknown node")
    for n in d.nodes:
        if n.parent is None and n.attached_to is None and n.lane not in {lane.id for lane in d.lanes}:
            raise ValueError(f"node {n.id} has no lane")


# --- the process descriptions -------------------------------------------------------------------

OFF, COACH, MAN = "lane_official", "lane_coach", "lane_manager"


def tyohonvalmennus() -> Diagram:
    """The job-coaching process (docs/tyohonvalmennus.md)."""
    lanes = [Lane(OFF, "Vastuuvirkailija"), Lane(COACH, "Valmentaja (palveluntuottaja)"), Lane(MAN, "Esihenkilö")]
    sp = "coaching_period"
    nodes = [
        # Referral (official)
        start("referral", "Ohjaus työhönvalmennukseen", OFF, 0, 0, fields=[
            fld("client_hetu", "Asiakkaan henkilötunnus", "hetu", required=True),
            fld("client_name", "Asiakkaan nimi", "string", required=True, maxlength=200),
            fld("client_language", "Asiakkaan asiointikieli", "enum", required=True, default="fi",
                options=[("fi", "suomi"), ("sv", "ruotsi")]),
            fld("municipality", "Kotikunta", "string", required=True),
            fld("service_need", "Palvelutarve", "string", required=True, maxlength=2000),
            fld("provider", "Palveluntuottaja", "provider", required=True),
            fld("planned_start", "Suunniteltu alkamispäivä", "date", required=True),
            fld("planned_end", "Suunniteltu päättymispäivä", "date", required=True),
            fld("health_consent", "Asiakkaan kirjallinen suostumus terveystietojen luovuttamiseen", "boolean"),
            fld("health_information", "Terveystiedot (vain asiakkaan kirjallisella suostumuksella)", "string",
                maxlength=2000),
            fld("other_services", "Muut palvelut (esim. työkokeilu)", "string"),
        ], properties={"validation_decision": "referral_form_rules"}),
        rule("limits", "Hae palvelukuvauksen rajat", OFF, 1, 0, "coaching_limits"),
        service("check_history", "Tarkista valmennushistoria", OFF, 2, 0, "coaching_history"),
        rule("eligibility", "Arvioi ohjauksen edellytykset", OFF, 3, 0, "referral_eligibility"),
        gateway("eligible_gw", "Edellytykset täyttyvät?", OFF, 4, 0),
        service("record_refusal", "Kirjaa ohjauksen hylkääminen", OFF, 5, 1, "record_refusal"),
        end("end_refused", "Ohjaus hylätty", OFF, 6, 1),
        service("record_referral", "Kirjaa ohjaus ja asiakastiedot", OFF, 5, 0, "record_referral"),
        # Start (coach)
        user("accept_referral", "Vastaanota ohjaus ja tee aloitusilmoitus", COACH, 7, 1, "coach", fields=[
            fld("actual_start", "Toteutunut alkamispäivä", "date", required=True),
            fld("coaching_mode", "Toteutustapa", "enum", default="face_to_face",
                options=[("face_to_face", "Lähitapaamiset"), ("remote", "Etänä"), ("mixed", "Lähi- ja etätapaamiset")]),
            fld("coaching_format", "Valmennusmuoto", "enum", default="individual",
                options=[("individual", "Yksilövalmennus"), ("group", "Ryhmävalmennus"),
                         ("both", "Yksilö- ja ryhmävalmennus")]),
        ]),
        timer_boundary("start_notice_overdue", "Aloitusilmoitus myöhässä", "accept_referral", "timeDate",
                       "start_notice_due", interrupting=False, at=0.5),
        service("escalate_start", "Ilmoita myöhästyneestä aloitusilmoituksesta", MAN, 8, 0, "escalate_start_notice"),
        user("follow_up_start_notice", "Selvitä myöhästynyt aloitusilmoitus", MAN, 9, 0, "manager", fields=[
            fld("note", "Muistiinpano", "string"),
        ]),
        end("end_escalation", "Myöhästyminen selvitetty", MAN, 10, 0),
        service("record_start", "Kirjaa aloitusilmoitus", COACH, 8, 1, "record_start"),
        user("set_goals", "Sovi henkilökohtaiset tavoitteet", COACH, 9, 1, "coach", fields=[
            fld("goals", "Tavoitteet ja niiden todentamistapa", "goal_list", required=True),
            fld("meetings_per_week", "Tapaamisia viikossa", "long", required=True, min=1),
        ]),
        service("record_goals", "Tallenna tavoitteet", COACH, 10, 1, "record_goals"),
        gateway("period_merge", "Valmennusjaksoon", COACH, 11, 1),
        # The coaching period
        subprocess(sp, "Valmennusjakso", COACH, 12, 0, span=(13, 4), anchor_row=1),
        timer_boundary("period_hard_end", "Jakson enimmäiskesto täyttyy", sp, "timeDate", "period_end_at",
                       interrupting=True, at=(12.5 * COL_W - SUBPROCESS_INSET) / (13 * COL_W - 2 * SUBPROCESS_INSET)),
        Node("period_start", "startEvent", "Jakso alkaa", parent=sp, col=0, row=1),
        gateway("week_merge", "Viikko alkaa", None, 1, 1, parent=sp),
        user("weekly_review", "Viikkokatsaus", None, 2, 1, "coach", parent=sp, fields=[
            fld("meetings", "Viikon tapaamiset", "meeting_list"),
            fld("absence_days", "Luvattomia poissaolopäiviä tällä viikolla", "long", min=0, max=7),
            fld("other_service_need", "Asiakkaalla on muun palvelun tarve", "boolean"),
            fld("goals_unrealistic", "Tavoitteet eivät vaikuta realistisilta", "boolean"),
            fld("interruption_justified", "Keskeyttäminen olisi perusteltua", "boolean"),
            fld("end_period", "Jakso voidaan päättää", "boolean"),
            fld("notes", "Muistiinpanot", "string"),
        ]),
        service("record_week", "Tallenna viikko", None, 3, 1, "record_week", parent=sp),
        gateway("week_gw", "Miten jatketaan?", None, 4, 1, parent=sp),
        end("period_notice_end", "Ilmoitus vastuuvirkailijalle", None, 12, 0, parent=sp),
        end("period_done_end", "Jakso päättyy", None, 12, 1, parent=sp),
        user("propose_second_period", "Arvioi jatkojakson tarve", None, 5, 2, "coach", parent=sp, fields=[
            fld("second_period_needed", "Jatkojakso on tarpeen", "boolean"),
            fld("justification", "Perustelut", "string"),
        ]),
        gateway("proposal_gw", "Jatkojakso tarpeen?", None, 6, 2, parent=sp),
        service("record_no_second_period", "Kirjaa: ei jatkojaksoa", None, 7, 3, "record_second_period", parent=sp),
        service("check_second_period", "Tarkista jaksohistoria", None, 7, 2, "second_period_history", parent=sp),
        rule("second_period_rule", "Jatkojakson edellytykset", None, 8, 2, "second_period_eligibility", parent=sp),
        gateway("second_period_gw", "Jatkojakso mahdollinen?", None, 9, 2, parent=sp),
        user("decide_second_period", "Päätä jatkojaksosta", None, 10, 2, "official", parent=sp, fields=[
            fld("decision", "Päätös", "enum", required=True, options=[("approve", "Hyväksytään"), ("refuse", "Ei hyväksytä")]),
            fld("reason", "Perustelut", "string"),
        ]),
        service("record_second_period_decision", "Kirjaa jatkojaksopäätös", None, 11, 2, "record_second_period", parent=sp),
        service("record_second_period_forbidden", "Kirjaa: jatkojakso ei mahdollinen", None, 10, 3,
                "record_second_period", parent=sp),
        user("note_second_period_refused", "Jatkojakso ei mahdollinen (tiedoksi)", None, 11, 3, "official", parent=sp),
        service("record_hard_end", "Kirjaa jakson päättyminen", COACH, 24, 4, "record_hard_end"),
        # After the period
        gateway("period_exit_gw", "Ilmoituksen aihe?", COACH, 25, 1),
        user("decide_interruption", "Päätä keskeyttämisestä", OFF, 26, 0, "official", fields=[
            fld("decision", "Päätös", "enum", required=True,
                options=[("interrupt", "Valmennus keskeytetään"), ("continue", "Valmennus jatkuu")]),
            fld("ground", "Keskeyttämisen peruste", "enum",
                options=[("absence", "Luvattomat poissaolot"), ("other_service", "Muun palvelun tarve"),
                         ("goals", "Tavoitteet eivät ole realistisia"), ("other", "Muu peruste")]),
            fld("reason", "Perustelut", "string", required=True),
        ]),
        service("save_interruption_decision", "Tallenna keskeyttämispäätös", OFF, 27, 0, "record_decision",
                properties={"kind": "interruption"}),
        gateway("interruption_gw", "Keskeytetäänkö?", OFF, 28, 0),
        service("record_interruption", "Kirjaa keskeyttäminen", OFF, 33, 0, "record_interruption"),
        user("decide_goals", "Päätä tavoitteiden tarkistamisesta", OFF, 26, 1, "official", fields=[
            fld("decision", "Päätös", "enum", required=True,
                options=[("revise", "Tavoitteet tarkistetaan"), ("interrupt", "Valmennus keskeytetään")]),
            fld("reason", "Perustelut", "string"),
        ]),
        service("save_goals_decision", "Tallenna tavoitepäätös", OFF, 27, 1, "record_decision",
                properties={"kind": "goals"}),
        gateway("goals_gw", "Tarkistetaanko tavoitteet?", OFF, 28, 1),
        user("record_redirection", "Kirjaa ohjaus muuhun palveluun", COACH, 26, 1, "coach", fields=[
            fld("target_service", "Palvelu, johon asiakas ohjataan", "enum",
                options=[("health", "Terveyspalvelut"), ("social", "Sosiaalipalvelut"),
                         ("rehabilitation", "Kuntoutus"), ("other", "Muu palvelu")]),
            fld("description", "Kuvaus", "string", required=True),
        ]),
        service("save_redirection", "Tallenna ohjaus muuhun palveluun", COACH, 27, 1, "record_redirection"),
        user("decide_redirection", "Päätä valmennuksen jatkosta", OFF, 28, 2, "official", fields=[
            fld("decision", "Päätös", "enum", required=True,
                options=[("continue", "Valmennus jatkuu"), ("pause", "Valmennus keskeytetään tauoksi"),
                         ("interrupt", "Valmennus keskeytetään")]),
            fld("reason", "Perustelut", "string", required=True),
        ]),
        service("save_redirection_decision", "Tallenna jatkopäätös", OFF, 29, 2, "record_decision",
                properties={"kind": "redirection"}),
        gateway("redirection_gw", "Miten valmennus jatkuu?", OFF, 30, 2),
        user("resume_after_pause", "Jatka valmennusta tauon jälkeen", OFF, 31, 3, "official", fields=[
            fld("resume_on", "Valmennus jatkuu alkaen", "date"),
        ]),
        user("revise_goals", "Tarkista tavoitteet", COACH, 29, 2, "coach", fields=[
            fld("goals", "Tavoitteet ja niiden todentamistapa", "goal_list", required=True),
        ]),
        service("record_revised_goals", "Tallenna tarkistetut tavoitteet", COACH, 30, 2, "record_goals"),
        script("clear_notice", "Kuittaa ilmoitus käsitellyksi", COACH, 32, 3, "notice_kind = None"),
        service("next_period_check", "Tarkista jakson tilanne", COACH, 26, 4, "load_period_state"),
        gateway("next_period_gw", "Jatkojakso alkaa?", COACH, 27, 4),
        service("start_second_period", "Aloita jatkojakso", COACH, 28, 5, "start_second_period"),
        # Closure
        user("closure", "Kirjaa valmennuksen tulokset", COACH, 34, 1, "coach", fields=[
            fld("goal_results", "Tavoitteiden toteutuminen ja näyttö", "goal_results"),
            fld("outcome_areas", "Tulosalueet", "category_list"),
            fld("employment_status", "Tilanne valmennuksen päättyessä", "enum", required=True,
                options=[("employed", "Työllistynyt"), ("education", "Aloittanut koulutuksen"),
                         ("jobseeker", "Työnhakija"), ("other", "Muu tilanne")]),
            fld("next_steps", "Jatkosuunnitelma", "string"),
        ], properties={"validation_decision": "closure_rules"}),
        service("record_closure", "Tallenna tulokset", COACH, 35, 1, "record_closure"),
        user("final_statement", "Laadi loppulausunto", COACH, 36, 1, "coach", fields=[
            fld("statement_kind", "Lausunnon muoto", "enum", required=True,
                options=[("arvi", "ARVI-lausunto"), ("written", "Muu kirjallinen palaute")]),
            fld("statement_text", "Lausunto", "string", required=True),
            fld("reviewed_with_client", "Lausunto on käyty läpi asiakkaan kanssa", "boolean"),
        ], properties={"validation_decision": "statement_rules"}),
        service("send_statement", "Lähetä lausunto asiakkaalle ja vastuuvirkailijalle", COACH, 37, 1, "send_statement"),
        service("send_end_notification", "Lähetä päättymisilmoitus", COACH, 38, 1, "send_end_notification"),
        user("review_end", "Käsittele päättymisilmoitus", OFF, 39, 0, "official", fields=[
            fld("feedback_discussion", "Palautekeskustelu", "enum", required=True,
                options=[("none", "Ei palautekeskustelua"), ("schedule", "Palautekeskustelu sovitaan")]),
            fld("feedback_planned_on", "Palautekeskustelun suunniteltu päivä", "date"),
        ]),
        gateway("feedback_gw", "Palautekeskustelu?", OFF, 40, 0),
        end("end_closed", "Valmennus päättynyt", OFF, 41, 0),
        user("record_feedback_discussion", "Kirjaa palautekeskustelu", OFF, 41, 1, "official", fields=[
            fld("held_on", "Pidetty", "date", required=True),
            fld("notes", "Muistiinpanot", "string"),
        ]),
        service("save_feedback", "Tallenna palautekeskustelu", OFF, 42, 1, "record_feedback"),
        end("end_closed_feedback", "Valmennus päättynyt, palautekeskustelu pidetty", OFF, 43, 1),
    ]
    reviews_done = "end_period == True or review_count >= max_weekly_reviews"
    flows = [
        Flow("flow_referral_limits", "referral", "limits"),
        Flow("flow_limits_history", "limits", "check_history"),
        Flow("flow_history_eligibility", "check_history", "eligibility"),
        Flow("flow_eligibility_gw", "eligibility", "eligible_gw"),
        Flow("flow_not_eligible", "eligible_gw", "record_refusal", "eligible == False", "Ei edellytyksiä"),
        Flow("flow_eligible", "eligible_gw", "record_referral", "eligible != False", "Edellytykset täyttyvät",
             default=True),
        Flow("flow_refusal_end", "record_refusal", "end_refused"),
        Flow("flow_referral_accept", "record_referral", "accept_referral"),
        Flow("flow_overdue_escalate", "start_notice_overdue", "escalate_start"),
        Flow("flow_escalate_follow_up", "escalate_start", "follow_up_start_notice"),
        Flow("flow_follow_up_end", "follow_up_start_notice", "end_escalation"),
        Flow("flow_accept_start", "accept_referral", "record_start"),
        Flow("flow_start_goals", "record_start", "set_goals"),
        Flow("flow_goals_record", "set_goals", "record_goals"),
        Flow("flow_goals_period", "record_goals", "period_merge"),
        Flow("flow_merge_period", "period_merge", sp),
        # inside the period
        Flow("flow_period_start_week", "period_start", "week_merge"),
        Flow("flow_week_review", "week_merge", "weekly_review"),
        Flow("flow_review_record", "weekly_review", "record_week"),
        Flow("flow_record_week_gw", "record_week", "week_gw"),
        Flow("flow_week_notice", "week_gw", "period_notice_end", "notice_kind is not None", "Ilmoitus"),
        Flow("flow_week_reassess", "week_gw", "propose_second_period", "notice_kind is None and reassessment_due",
             "Tarpeen arviointi"),
        Flow("flow_week_done", "week_gw", "period_done_end",
             f"notice_kind is None and not reassessment_due and ({reviews_done})", "Jakso päättyy"),
        Flow("flow_week_next", "week_gw", "week_merge",
             f"notice_kind is None and not reassessment_due and not ({reviews_done})", "Seuraava viikko",
             default=True, prefer="above"),
        Flow("flow_proposal_gw", "propose_second_period", "proposal_gw"),
        Flow("flow_no_second_period", "proposal_gw", "record_no_second_period", "second_period_needed != True",
             "Ei tarvetta", default=True),
        Flow("flow_second_period_needed", "proposal_gw", "check_second_period", "second_period_needed == True",
             "Tarvitaan"),
        Flow("flow_no_second_period_back", "record_no_second_period", "week_merge", prefer="below"),
        Flow("flow_check_rule", "check_second_period", "second_period_rule"),
        Flow("flow_rule_gw", "second_period_rule", "second_period_gw"),
        Flow("flow_second_period_allowed", "second_period_gw", "decide_second_period",
             "second_period_allowed == True", "Mahdollinen"),
        Flow("flow_second_period_forbidden", "second_period_gw", "record_second_period_forbidden",
             "second_period_allowed != True", "Ei mahdollinen", default=True),
        Flow("flow_decide_record", "decide_second_period", "record_second_period_decision"),
        Flow("flow_decision_back", "record_second_period_decision", "week_merge", prefer="above"),
        Flow("flow_forbidden_note", "record_second_period_forbidden", "note_second_period_refused"),
        Flow("flow_note_back", "note_second_period_refused", "week_merge", prefer="below"),
        # leaving the period
        Flow("flow_hard_end", "period_hard_end", "record_hard_end"),
        Flow("flow_hard_end_check", "record_hard_end", "next_period_check"),
        Flow("flow_period_exit", sp, "period_exit_gw"),
        Flow("flow_exit_interruption", "period_exit_gw", "decide_interruption", 'notice_kind == "interruption"',
             "Keskeyttäminen"),
        Flow("flow_exit_goals", "period_exit_gw", "decide_goals", 'notice_kind == "goals_unrealistic"',
             "Tavoitteet epärealistiset"),
        Flow("flow_exit_other_service", "period_exit_gw", "record_redirection", 'notice_kind == "other_service"',
             "Muun palvelun tarve"),
        Flow("flow_exit_next", "period_exit_gw", "next_period_check",
             'notice_kind not in ("interruption", "other_service", "goals_unrealistic")', "Ei ilmoitusta",
             default=True),
        Flow("flow_interruption_save", "decide_interruption", "save_interruption_decision"),
        Flow("flow_interruption_gw", "save_interruption_decision", "interruption_gw"),
        Flow("flow_interrupt", "interruption_gw", "record_interruption", 'decision == "interrupt"', "Keskeytetään"),
        Flow("flow_interruption_continue", "interruption_gw", "clear_notice", 'decision == "continue"', "Jatketaan",
             prefer="z-source"),
        Flow("flow_goals_save", "decide_goals", "save_goals_decision"),
        Flow("flow_goals_gw", "save_goals_decision", "goals_gw"),
        Flow("flow_goals_revise", "goals_gw", "revise_goals", 'decision == "revise"', "Tarkistetaan"),
        Flow("flow_goals_interrupt", "goals_gw", "record_interruption", 'decision == "interrupt"', "Keskeytetään"),
        Flow("flow_revise_record", "revise_goals", "record_revised_goals"),
        Flow("flow_revised_clear", "record_revised_goals", "clear_notice"),
        Flow("flow_redirection_save", "record_redirection", "save_redirection"),
        Flow("flow_redirection_decide", "save_redirection", "decide_redirection"),
        Flow("flow_redirection_decision_save", "decide_redirection", "save_redirection_decision"),
        Flow("flow_redirection_gw", "save_redirection_decision", "redirection_gw"),
        Flow("flow_redirection_continue", "redirection_gw", "clear_notice", 'decision == "continue"', "Jatkuu"),
        Flow("flow_redirection_pause", "redirection_gw", "resume_after_pause", 'decision == "pause"', "Tauko"),
        Flow("flow_redirection_interrupt", "redirection_gw", "record_interruption", 'decision == "interrupt"',
             "Keskeytetään"),
        Flow("flow_resume_clear", "resume_after_pause", "clear_notice"),
        Flow("flow_clear_period", "clear_notice", "period_merge", prefer="below"),
        Flow("flow_interruption_closure", "record_interruption", "closure"),
        Flow("flow_check_next_gw", "next_period_check", "next_period_gw"),
        Flow("flow_second_period_start", "next_period_gw", "start_second_period",
             "second_period_approved and period_number == 1", "Jatkojakso"),
        Flow("flow_to_closure", "next_period_gw", "closure", "not (second_period_approved and period_number == 1)",
             "Päättäminen", default=True),
        Flow("flow_second_period_back", "start_second_period", "period_merge", prefer="below"),
        # Closure
        Flow("flow_closure_record", "closure", "record_closure"),
        Flow("flow_record_statement", "record_closure", "final_statement"),
        Flow("flow_statement_send", "final_statement", "send_statement"),
        Flow("flow_send_end_notification", "send_statement", "send_end_notification"),
        Flow("flow_end_notification_review", "send_end_notification", "review_end"),
        Flow("flow_review_feedback_gw", "review_end", "feedback_gw"),
        Flow("flow_feedback_none", "feedback_gw", "end_closed", 'feedback_discussion != "schedule"',
             "Ei palautekeskustelua", default=True),
        Flow("flow_feedback_schedule", "feedback_gw", "record_feedback_discussion",
             'feedback_discussion == "schedule"', "Palautekeskustelu"),
        Flow("flow_feedback_save", "record_feedback_discussion", "save_feedback"),
        Flow("flow_feedback_end", "save_feedback", "end_closed_feedback"),
    ]
    return Diagram("tyohonvalmennus", "Työhönvalmennus", lanes, nodes, flows,
                   process_attrs={"camunda:candidateStarterGroups": "official"})


def provider_follow_up() -> Diagram:
    """Follow-up of a contracted service provider (seurantapalaverit)."""
    lanes = [Lane(MAN, "Esihenkilö")]
    nodes = [
        start("provider_start", "Uusi palveluntuottaja", MAN, 0, 0, fields=[
            fld("provider", "Palveluntuottaja", "provider", required=True),
            fld("methods", "Menetelmät", "string", required=True),
            fld("municipalities", "Toimintakunnat", "string", required=True),
            fld("start_dates", "Aloituspäivät (suunnitelma)", "string"),
            fld("non_stop", "Jatkuva aloitus (non-stop)", "boolean"),
            fld("places_at_once", "Asiakaspaikkoja kerralla (arvio)", "long", min=0),
            fld("places_per_year", "Asiakaspaikkoja vuodessa (arvio)", "long", min=0),
            fld("target_group", "Kohderyhmä", "string"),
        ]),
        service("register_provider", "Rekisteröi palveluntuottaja", MAN, 1, 0, "register_provider"),
        user("contract_active", "Sopimus voimassa (päätä seuranta, kun sopimus päättyy)", MAN, 2, 0, "manager"),
        timer_boundary("follow_up_cycle", "Seurantapalaverin aika", "contract_active", "timeCycle", '"R4/P3M"',
                       interrupting=False, at=0.5),
        end("follow_up_end", "Seuranta päättynyt", MAN, 4, 0),
        user("record_follow_up_meeting", "Kirjaa seurantapalaveri", MAN, 3, 1, "manager", fields=[
            fld("held_on", "Pidetty", "date", required=True),
            fld("notes", "Muistiinpanot", "string", required=True),
            fld("actions", "Sovitut toimenpiteet", "string"),
        ]),
        service("save_follow_up", "Tallenna seurantapalaveri", MAN, 4, 1, "record_follow_up"),
        end("follow_up_recorded", "Seurantapalaveri kirjattu", MAN, 5, 1),
    ]
    flows = [
        Flow("flow_start_register", "provider_start", "register_provider"),
        Flow("flow_register_contract", "register_provider", "contract_active"),
        Flow("flow_contract_end", "contract_active", "follow_up_end"),
        Flow("flow_cycle_meeting", "follow_up_cycle", "record_follow_up_meeting"),
        Flow("flow_meeting_save", "record_follow_up_meeting", "save_follow_up"),
        Flow("flow_save_recorded", "save_follow_up", "follow_up_recorded"),
    ]
    return Diagram("provider_follow_up", "Palveluntuottajan seuranta", lanes, nodes, flows,
                   process_attrs={"camunda:candidateStarterGroups": "manager"})


DIAGRAMS = {"tyohonvalmennus": tyohonvalmennus, "provider_follow_up": provider_follow_up}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / "processes"))
    ap.add_argument("names", nargs="*", default=list(DIAGRAMS))
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name in args.names:
        (out / f"{name}.bpmn").write_bytes(build(DIAGRAMS[name]()))
        print(out / f"{name}.bpmn")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
