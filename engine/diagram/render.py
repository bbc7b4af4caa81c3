"""The SVG of a diagram model, with an instance's states and an optional heat map on it.

Built with lxml (every name is a text node, escaped by the serialiser); colours are presentation
attributes (defaults a page's CSS can override through the classes: the app's CSP allows no
inline style); the viewBox comes from the DI bounds and there is no width or height, so CSS
scales the picture. Every drawn element is a <g data-element-id> with a <title>."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lxml import etree

from . import markers, text
from .markers import INK, PAPER, Part, n
from .overlay import flow_state, heat, state_overlay
from .parse import ACTIVITIES, EVENTS, GATEWAYS, Edge, Model, Shape

SVG_NS = "http://www.w3.org/2000/svg"
STATES = ("completed", "active", "error")
# What a version changed, drawn like a state (web.definitions): its own outline and glyph.
CHANGES = ("added", "changed")
DEFAULT_STATE_LABELS = {"completed": "completed", "active": "active", "error": "error", "added": "added",
                        "changed": "changed"}
MARGIN = 30.0
SUBPROCESSES = {"subProcess", "transaction", "adHocSubProcess"}


@dataclass(frozen=True)
class Rendered:
    svg: str
    not_drawn: list[str]  # ids of flow nodes, flows, pools, lanes and annotations without DI


def _add(parent: Any, part: Part) -> Any:
    return etree.SubElement(parent, part[0], part[1])


def _rect(parent: Any, x: float, y: float, w: float, h: float, *, rx: float = 0, fill: str = PAPER,
          stroke: str = INK, width: float = 2, cls: str = "outline", dash: str | None = None) -> Any:
    el = etree.SubElement(parent, "rect", {"x": n(x), "y": n(y), "width": n(w), "height": n(h), "fill": fill,
                                           "stroke": stroke, "stroke-width": n(width), "class": cls})
    if rx:
        el.set("rx", n(rx))
    if dash:
        el.set("stroke-dasharray", dash)
    return el


def _defs(svg: Any, prefix: str) -> None:
    defs = etree.SubElement(svg, "defs")
    specs = {
        "seq-end": ("M 1,1 L 11,5.5 L 1,10 Z", INK, INK, "11", "5.5"),
        "msg-end": ("M 1,1 L 11,5.5 L 1,10 Z", PAPER, INK, "11", "5.5"),
        "assoc-end": ("M 1,1 L 11,5.5 L 1,10", "none", INK, "11", "5.5"),
        "cond-start": ("M 1,5.5 L 8,1 L 15,5.5 L 8,10 Z", PAPER, INK, "1", "5.5"),
    }
    for name, (d, fill, stroke, ref_x, ref_y) in specs.items():
        marker = etree.SubElement(defs, "marker", {
            "id": f"{prefix}-{name}", "viewBox": "0 0 16 11", "markerWidth": "16", "markerHeight": "11",
            "refX": ref_x, "refY": ref_y, "orient": "auto", "markerUnits": "userSpaceOnUse"})
        etree.SubElement(marker, "path", {"d": d, "fill": fill, "stroke": stroke, "stroke-width": "1"})
    start = etree.SubElement(defs, "marker", {
        "id": f"{prefix}-msg-start", "viewBox": "0 0 12 12", "markerWidth": "12", "markerHeight": "12",
        "refX": "6", "refY": "6", "orient": "auto", "markerUnits": "userSpaceOnUse"})
    etree.SubElement(start, "circle", {"cx": "6", "cy": "6", "r": "4.5", "fill": PAPER, "stroke": INK,
                                       "stroke-width": "1"})


def _event(g: Any, shape: Shape) -> None:
    element, b = shape.element, shape.bounds
    r = min(b.width, b.height) / 2
    kind = element.kind
    dash = None if element.interrupting else "5.5 3"
    width = {"startEvent": 2.0, "endEvent": 4.0}.get(kind, 1.5)
    ring = r - width / 2 if kind == "endEvent" else r
    main = _add(g, markers.circle(b.cx, b.cy, ring, fill=PAPER, width=width, cls="outline"))
    if dash:
        main.set("stroke-dasharray", dash)
    if kind in ("intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"):
        inner = _add(g, markers.circle(b.cx, b.cy, r - 3, fill="none", width=1.5, cls="outline inner-ring"))
        if dash:
            inner.set("stroke-dasharray", dash)
    if element.definition:
        throwing = kind in ("endEvent", "intermediateThrowEvent")
        for tag, attrs in markers.event_definition(element.definition, b.cx, b.cy, r, throwing=throwing):
            _add(g, (tag, {**attrs, "class": f"marker event-{element.definition}"}))


def _gateway(g: Any, shape: Shape) -> None:
    b = shape.bounds
    diamond = markers.polygon([(b.cx, b.y), (b.right, b.cy), (b.cx, b.bottom), (b.x, b.cy)])
    _add(g, markers.path(diamond, fill=PAPER, width=2, cls="outline"))
    if shape.element.kind != "exclusiveGateway" or shape.marker_visible:
        for part in markers.gateway(shape.element.kind, b.cx, b.cy, b.width / 2, instantiate=shape.element.instantiate):
            _add(g, part)


def _activity(g: Any, shape: Shape) -> None:
    element, b = shape.element, shape.bounds
    kind = element.kind
    width = 5.0 if kind == "callActivity" else 2.0
    dash = "2 3" if element.triggered_by_event else None
    fill = "none" if shape.expanded and kind in SUBPROCESSES else PAPER
    _rect(g, b.x, b.y, b.width, b.height, rx=10, fill=fill, width=width, dash=dash)
    if kind == "transaction":
        _rect(g, b.x + 3, b.y + 3, b.width - 6, b.height - 6, rx=7, fill="none", width=1.5, cls="outline inner-ring")
    for part in markers.task_icon(kind, b.x + 6, b.y + 6):
        _add(g, part)
    collapsed = kind in SUBPROCESSES and not shape.expanded
    for part in markers.activity_markers(collapsed, element.loop, b.cx, b.bottom):
        _add(g, part)


def _container(g: Any, shape: Shape) -> None:
    b = shape.bounds
    _rect(g, b.x, b.y, b.width, b.height, fill="none" if shape.element.kind == "lane" else PAPER, width=1.5)
    if shape.element.kind == "participant":
        if shape.horizontal:
            _add(g, markers.path(f"M {n(b.x + 30)},{n(b.y)} V {n(b.bottom)}", width=1.5, cls="outline"))
        else:
            _add(g, markers.path(f"M {n(b.x)},{n(b.y + 30)} H {n(b.right)}", width=1.5, cls="outline"))


def _artifact(g: Any, shape: Shape) -> None:
    b = shape.bounds
    kind = shape.element.kind
    if kind == "textAnnotation":
        _add(g, markers.path(f"M {n(b.x + 10)},{n(b.y)} H {n(b.x)} V {n(b.bottom)} H {n(b.x + 10)}", width=1.5,
                             cls="outline"))
    elif kind == "group":
        _rect(g, b.x, b.y, b.width, b.height, rx=10, fill="none", width=1.5, dash="8 3 1 3")
    elif kind == "dataObjectReference":
        fold = min(b.width, b.height) * 0.3
        _add(g, markers.path(f"M {n(b.x)},{n(b.y)} H {n(b.right - fold)} L {n(b.right)},{n(b.y + fold)} "
                             f"V {n(b.bottom)} H {n(b.x)} Z M {n(b.right - fold)},{n(b.y)} V {n(b.y + fold)} "
                             f"H {n(b.right)}", fill=PAPER, width=1.5, cls="outline"))
    elif kind == "dataStoreReference":
        e = b.height * 0.12
        _add(g, markers.path(
            f"M {n(b.x)},{n(b.y + e)} A {n(b.width / 2)},{n(e)} 0 0 1 {n(b.right)},{n(b.y + e)} V {n(b.bottom - e)} "
            f"A {n(b.width / 2)},{n(e)} 0 0 1 {n(b.x)},{n(b.bottom - e)} Z "
            f"M {n(b.x)},{n(b.y + e)} A {n(b.width / 2)},{n(e)} 0 0 0 {n(b.right)},{n(b.y + e)}",
            fill=PAPER, width=1.5, cls="outline"))


def _edge(g: Any, edge: Edge, model: Model, prefix: str) -> None:
    element = edge.element
    d = "M " + " L ".join(f"{n(x)},{n(y)}" for x, y in edge.points)
    attrs = {"d": d, "fill": "none", "stroke": INK, "stroke-width": "1.5", "class": "flow-line",
             "stroke-linejoin": "round"}
    if element.kind == "sequenceFlow":
        attrs["marker-end"] = f"url(#{prefix}-seq-end)"
        source = model.elements.get(element.source or "")
        if element.conditional and source is not None and source.kind in ACTIVITIES:
            attrs["marker-start"] = f"url(#{prefix}-cond-start)"
    elif element.kind == "messageFlow":
        attrs.update({"stroke-dasharray": "10 6", "marker-end": f"url(#{prefix}-msg-end)",
                      "marker-start": f"url(#{prefix}-msg-start)"})
    else:  # associations
        attrs.update({"stroke-dasharray": "2 4", "stroke-linecap": "round"})
        if element.kind != "association" or element.direction in ("One", "Both"):
            attrs["marker-end"] = f"url(#{prefix}-assoc-end)"
    etree.SubElement(g, "path", attrs)
    if element.is_default and len(edge.points) >= 2:
        (x0, y0), (x1, y1) = edge.points[0], edge.points[1]
        length = max(((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5, 1)
        ux, uy = (x1 - x0) / length, (y1 - y0) / length
        mx, my = x0 + ux * 12, y0 + uy * 12
        d = (f"M {n(mx - ux * 5 - uy * 6)},{n(my - uy * 5 + ux * 6)} "
             f"L {n(mx + ux * 5 + uy * 6)},{n(my + uy * 5 - ux * 6)}")
        _add(g, markers.path(d, width=1.5, cls="marker default-flow"))
    text.edge_label(g, edge)


def _layer(shape: Shape) -> int:
    """The layer a shape is drawn in: pools and lanes, expanded subprocesses, (flows), nodes,
    boundary events on top of their hosts."""
    kind = shape.element.kind
    if kind in ("participant", "lane", "group"):
        return 0
    if kind in SUBPROCESSES and shape.expanded:
        return 1
    return 4 if kind == "boundaryEvent" else 3


def _element_group(parent: Any, element_id: str, kind: str, title: str, state: str | None) -> Any:
    classes = ["bpmn-element", f"bpmn-{kind}"] + ([f"state-{state}"] if state else [])
    g = etree.SubElement(parent, "g", {"class": " ".join(classes), "data-element-id": element_id,
                                       "data-kind": kind})
    if state:
        g.set("data-state", state)
    etree.SubElement(g, "title").text = title
    return g


def _title(name: str, element_id: str, state: str | None, labels: Mapping[str, str],
           count: int | None, duration: str | None) -> str:
    parts = [name or element_id]
    if state:
        parts.append(labels.get(state, state))
    if count is not None:
        parts.append(str(count))
    if duration:
        parts.append(duration)
    return " — ".join(parts)


def render(model: Model, states: Mapping[str, str] | None = None, *, counts: Mapping[str, int] | None = None,
           durations: Mapping[str, str] | None = None, state_labels: Mapping[str, str] | None = None,
           title: str | None = None, description: str | None = None, id_prefix: str = "bpmn") -> Rendered:
    """The diagram as an SVG string. states: element id -> "completed" | "active" | "error";
    counts: element id -> how many instances wait there (a heat map badge); durations: element id
    -> its median time, already formatted by the caller; state_labels: the states' names in the
    reader's language (for the <title>s); id_prefix: unique per page (marker ids)."""
    states = dict(states or {})
    wrong = sorted({s for s in states.values() if s not in STATES + CHANGES})
    if wrong:
        raise ValueError(f"unknown states {wrong}: use {', '.join(STATES + CHANGES)}")
    counts, durations = dict(counts or {}), dict(durations or {})
    labels = {**DEFAULT_STATE_LABELS, **(state_labels or {})}
    peak = max(counts.values(), default=0)
    b = model.bounds
    view = (b.x - MARGIN, b.y - MARGIN, b.width + 2 * MARGIN, b.height + 2 * MARGIN + 40)  # room for labels below
    # Only the root carries the SVG namespace: the children are built without one and, serialised,
    # sit in the root's default namespace (parse the string to read it back).
    svg = etree.Element(f"{{{SVG_NS}}}svg", nsmap={None: SVG_NS})
    svg.attrib.update({"viewBox": " ".join(n(v) for v in view), "class": "bpmn-diagram", "role": "img",
                       "font-family": "Arial, Helvetica, sans-serif", "font-size": "12",
                       "aria-labelledby": f"{id_prefix}-title" + (f" {id_prefix}-desc" if description else "")})
    etree.SubElement(svg, "title", {"id": f"{id_prefix}-title"}).text = title or model.name
    if description:
        etree.SubElement(svg, "desc", {"id": f"{id_prefix}-desc"}).text = description
    _defs(svg, id_prefix)

    def group(parent: Any, element_id: str, kind: str, name: str) -> Any:
        state = states.get(element_id)
        return _element_group(parent, element_id, kind,
                              _title(name, element_id, state, labels, counts.get(element_id),
                                     durations.get(element_id)), state)

    layers = [etree.SubElement(svg, "g", {"class": f"layer layer-{name}"})
              for name in ("containers", "subprocesses", "flows", "nodes", "boundary")]
    for shape in model.shapes:
        element, kind = shape.element, shape.element.kind
        g = group(layers[_layer(shape)], element.id, kind, element.name or element.text)
        if kind in ("participant", "lane"):
            _container(g, shape)
        elif kind in EVENTS:
            _event(g, shape)
        elif kind in GATEWAYS:
            _gateway(g, shape)
        elif kind in ACTIVITIES:
            _activity(g, shape)
        else:
            _artifact(g, shape)
        text.shape_label(g, shape)
        state = states.get(element.id)
        if state:
            state_overlay(g, shape, state)
        if element.id in counts or element.id in durations:
            heat(g, shape, counts.get(element.id), durations.get(element.id), peak)
    for edge in model.edges:
        g = group(layers[2], edge.element.id, edge.element.kind, edge.element.name)
        _edge(g, edge, model, id_prefix)
        state = states.get(edge.element.id)
        if state:
            flow_state(g, edge, state)
    return Rendered(etree.tostring(svg, encoding="unicode"), list(model.not_drawn))


def state_list(model: Model, states: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """The accessible list beside the picture: (element id, name, state) in the file's order;
    ids the model does not know (elements of another file) come last, named by their id."""
    known = [(i, e.name or e.text or i, states[i]) for i, e in model.elements.items() if i in states]
    unknown = [(i, i, s) for i, s in states.items() if i not in model.elements]
    return known + unknown
