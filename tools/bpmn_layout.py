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


def main(argv=None) -> int:
    from process_diagrams import DIAGRAMS

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
