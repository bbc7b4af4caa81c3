"""What an instance (or a set of them) adds on top of a shape: the state's outline and glyph,
and the heat map's count and median-duration badges. Never colour alone: each state has a glyph
of its own shape, an outline of its own pattern and a class; a count is written as a number."""
from __future__ import annotations

from typing import Any

from lxml import etree

from . import markers
from .markers import COLOURS, INK, PAPER, n
from .parse import EVENTS, GATEWAYS, Edge, Shape
from .text import anchor

# The outline around an element: active thick and solid, error thick and dashed (completed: none).
OUTLINES = {"completed": (2.0, None), "active": (4.0, None), "error": (4.0, "7 4"),
            "added": (4.0, None), "changed": (4.0, "2 3")}  # a version's changes: solid, dotted
TINT = "#e8f5e9"
HEAT = ("#fff3e0", "#ffe0b2", "#ffb74d", "#fb8c00", "#e65100")


def _outline(shape: Shape, pad: float) -> str:
    b = shape.bounds
    kind = shape.element.kind
    if kind in EVENTS:
        r = min(b.width, b.height) / 2 + pad
        return (f"M {n(b.cx - r)},{n(b.cy)} A {n(r)},{n(r)} 0 1 0 {n(b.cx + r)},{n(b.cy)} "
                f"A {n(r)},{n(r)} 0 1 0 {n(b.cx - r)},{n(b.cy)} Z")
    if kind in GATEWAYS:
        h = b.width / 2 + pad * 1.41
        return markers.polygon([(b.cx, b.cy - h), (b.cx + h, b.cy), (b.cx, b.cy + h), (b.cx - h, b.cy)])
    x, y, w, h = b.x - pad, b.y - pad, b.width + 2 * pad, b.height + 2 * pad
    r = 10 + pad
    return (f"M {n(x + r)},{n(y)} H {n(x + w - r)} A {n(r)},{n(r)} 0 0 1 {n(x + w)},{n(y + r)} V {n(y + h - r)} "
            f"A {n(r)},{n(r)} 0 0 1 {n(x + w - r)},{n(y + h)} H {n(x + r)} A {n(r)},{n(r)} 0 0 1 {n(x)},{n(y + h - r)} "
            f"V {n(y + r)} A {n(r)},{n(r)} 0 0 1 {n(x + r)},{n(y)} Z")


def _corner(shape: Shape) -> tuple[float, float]:
    """Where a shape's state glyph sits: on its top-right corner (beside a small shape's)."""
    b = shape.bounds
    if shape.element.kind in EVENTS or shape.element.kind in GATEWAYS:
        return b.right + 2, b.y + 2
    return b.right - 2, b.y + 2


def state_overlay(g: Any, shape: Shape, state: str) -> None:
    width, dash = OUTLINES[state]
    pad = 4.0 if shape.element.kind not in ("participant", "lane") else 0.0
    attrs = {"d": _outline(shape, pad), "fill": "none", "stroke": COLOURS[state], "stroke-width": n(width),
             "class": f"state-outline outline-{state}"}
    if dash:
        attrs["stroke-dasharray"] = dash
    if state != "completed":
        etree.SubElement(g, "path", attrs)
    else:  # a tint, and the tick: a thin outline would read as a transaction's double border
        main = g.find("*[@class='outline']")
        if main is not None and main.get("fill") not in (None, "none"):
            main.set("fill", TINT)
    cx, cy = _corner(shape)
    for tag, part in markers.state_glyph(state, cx, cy):
        etree.SubElement(g, tag, part)


def heat(g: Any, shape: Shape, count: int | None, duration: str | None, peak: int) -> None:
    """A count badge on the shape's bottom-left corner (its fill deepens with the count, the number
    says it) and the median duration above its top-left corner."""
    b = shape.bounds
    y = b.bottom - 9 if shape.element.kind not in EVENTS | GATEWAYS else b.bottom + 2
    top = b.y - 22
    if count is not None:
        level = min(len(HEAT) - 1, int(len(HEAT) * count / peak)) if peak and count else 0
        label = str(count)
        w = 10.0 + 7 * len(label)
        badge = etree.SubElement(g, "g", {"class": f"heat heat-{level + 1}", "data-count": label})
        etree.SubElement(badge, "rect", {"x": n(b.x - 10), "y": n(y), "width": n(w), "height": "18", "rx": "9",
                                         "fill": HEAT[level], "stroke": INK, "stroke-width": "1"})
        text = etree.SubElement(badge, "text", {"x": n(b.x - 10 + w / 2), "y": n(y + 13), "text-anchor": "middle",
                                                "font-size": "12", "font-weight": "bold",
                                                "fill": PAPER if level >= 3 else INK})
        text.text = label
    if duration:
        w = 10 + 6.5 * len(duration)
        badge = etree.SubElement(g, "g", {"class": "duration", "data-duration": duration})
        etree.SubElement(badge, "rect", {"x": n(b.x), "y": n(top), "width": n(w), "height": "18",
                                         "rx": "3", "fill": PAPER, "stroke": INK, "stroke-width": "1"})
        text = etree.SubElement(badge, "text", {"x": n(b.x + w / 2), "y": n(top + 13), "text-anchor": "middle",
                                                "font-size": "11", "fill": INK})
        text.text = duration


def flow_state(g: Any, edge: Edge, state: str) -> None:
    """A flow with a state (the path an instance took): its line in the state's colour and
    thicker, and the state's glyph on it where its name would go."""
    line = g.find("*[@class='flow-line']")
    if line is not None:
        line.set("stroke", COLOURS[state])
        line.set("stroke-width", "3")
        line.set("class", f"flow-line state-line line-{state}")
    x, y, _ = anchor(edge.points)
    for tag, part in markers.state_glyph(state, x, y):
        etree.SubElement(g, tag, part)
