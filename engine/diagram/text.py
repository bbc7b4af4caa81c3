"""Labels: where a name goes (the modeler's BPMNLabel bounds, else where Camunda Modeler puts it)
and how it wraps. SVG has no text wrapping, so lines are broken on an estimate of the width of
12 px Arial; the label is built as lxml elements, so a name is always text, never markup."""
from __future__ import annotations

from typing import Any

from lxml import etree

from .markers import INK, n
from .parse import EVENTS, GATEWAYS, Bounds, Edge, Shape

FONT_SIZE = 12.0
LINE = 14.0
NARROW = set("iljtfrI.,:;'!|() ")
WIDE = set("mwMWOQGDHNU@%")
EXTERNAL = EVENTS | GATEWAYS | {"dataObjectReference", "dataStoreReference"}


def text_width(text: str, size: float = FONT_SIZE) -> float:
    units = sum(0.3 if c in NARROW else 0.85 if c in WIDE else 0.67 if c.isupper() else 0.55 for c in text)
    return units * size


def wrap(text: str, width: float, size: float = FONT_SIZE) -> list[str]:
    """Words in lines no wider than width (a longer word gets a line of its own)."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if current and text_width(candidate, size) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines


def add_text(parent: Any, lines: list[str], x: float, top: float, *, anchor: str = "middle", cls: str = "label",
             size: float = FONT_SIZE, transform: str | None = None) -> Any:
    """A <text> with one <tspan> a line, the first line's top at `top`."""
    el = etree.SubElement(parent, "text", {"x": n(x), "y": n(top + size), "text-anchor": anchor, "class": cls,
                                           "fill": INK, "font-size": n(size)})
    if transform:
        el.set("transform", transform)
    for i, line in enumerate(lines):
        span = etree.SubElement(el, "tspan", {"x": n(x)})
        if i:
            span.set("dy", n(LINE * size / FONT_SIZE))
        span.text = line  # lxml escapes: a name is text, never markup
    return el


def in_bounds(parent: Any, text: str, box: Bounds) -> None:
    """A label in the modeler's own label bounds, centred."""
    lines = wrap(text, max(box.width, 40))
    add_text(parent, lines, box.cx, box.cy - len(lines) * LINE / 2 - 2)


def shape_label(parent: Any, shape: Shape) -> None:
    element, b = shape.element, shape.bounds
    text = element.text if element.kind == "textAnnotation" else element.name
    if not text:
        return
    if shape.label is not None:
        in_bounds(parent, text, shape.label)
        return
    kind = element.kind
    if kind in ("participant", "lane"):
        if shape.horizontal:
            lines = wrap(text, b.height - 10)
            cx, cy = b.x + 15, b.cy
            top = cy - len(lines) * LINE / 2 - 2
            add_text(parent, lines, cx, top, cls="label container-label", transform=f"rotate(-90 {n(cx)} {n(cy)})")
        else:
            add_text(parent, wrap(text, b.width - 10), b.cx, b.y + 4, cls="label container-label")
    elif kind in EXTERNAL:
        lines = wrap(text, 90)
        add_text(parent, lines, b.cx, b.bottom + 4, cls="label external-label")
    elif kind == "textAnnotation":
        lines = wrap(text, b.width - 10)
        add_text(parent, lines, b.x + 6, b.y + 4, anchor="start", cls="label annotation-label")
    elif kind == "group":
        add_text(parent, wrap(text, b.width - 10), b.cx, b.y + 4, cls="label group-label")
    elif shape.expanded and kind in ("subProcess", "transaction", "adHocSubProcess"):
        add_text(parent, wrap(text, b.width - 16), b.x + 8, b.y + 4, anchor="start", cls="label")
    else:
        # A word wider than the box (Finnish has many) shrinks the whole name, down to 9 px.
        longest = max(text_width(word) for word in text.split())
        size = max(9.0, min(FONT_SIZE, FONT_SIZE * (b.width - 8) / longest))
        lines = wrap(text, b.width - 10, size)
        top = b.cy - len(lines) * LINE * size / FONT_SIZE / 2 - 2
        if kind not in ("task", "callActivity", "subProcess", "transaction"):
            top = max(top, b.y + 18)  # below the type icon when the name is long
        add_text(parent, lines, b.cx, top, cls="label", size=size)


def anchor(points: tuple[tuple[float, float], ...]) -> tuple[float, float, bool]:
    """Where a flow's name goes: the middle of its last segment long enough to carry it (the part
    of a route that is its own: flows from one gateway often share their first segments), else
    halfway along; and whether the segment there is horizontal."""
    for a, b in reversed(list(zip(points, points[1:]))):
        if abs(b[0] - a[0]) + abs(b[1] - a[1]) >= 60:
            return (a[0] + b[0]) / 2, (a[1] + b[1]) / 2, abs(b[1] - a[1]) <= abs(b[0] - a[0])
    lengths = [abs(b[0] - a[0]) + abs(b[1] - a[1]) for a, b in zip(points, points[1:])]
    half = sum(lengths) / 2
    for (a, b), length in zip(zip(points, points[1:]), lengths):
        if half <= length and length:
            t = half / length
            return a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, abs(b[1] - a[1]) <= abs(b[0] - a[0])
        half -= length
    return points[0][0], points[0][1], True


def edge_label(parent: Any, edge: Edge) -> None:
    text = edge.element.name
    if not text:
        return
    if edge.label is not None:
        in_bounds(parent, text, edge.label)
        return
    x, y, horizontal = anchor(edge.points)
    lines = wrap(text, 90)
    if horizontal:
        add_text(parent, lines, x, y - 6 - len(lines) * LINE, cls="label flow-label")
    else:
        add_text(parent, lines, x + 6, y - len(lines) * LINE / 2 - 2, anchor="start", cls="label flow-label")
