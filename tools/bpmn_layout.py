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
from pathlib import Path

from lxml import etree

from bpmn_geometry import (
    Box, Layout,
)
from bpmn_model import (
    BPMN, BPMNDI, CAMUNDA, DC, DI, Diagram, GATEWAYS, MODELER,
    NSMAP, Node, XSI, q,
)

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
