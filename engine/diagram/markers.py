"""The small pictures inside BPMN shapes, as SVG primitives: event definitions, gateway kinds,
task types, activity markers and the state glyphs. Each function returns parts,
(tag, attributes), that the renderer appends; coordinates are absolute (diagram units)."""
from __future__ import annotations

import math

Part = tuple[str, dict[str, str]]

INK = "#22242a"
PAPER = "#ffffff"


def n(value: float) -> str:
    """A coordinate as short text (two decimals at most)."""
    return f"{value:.2f}".rstrip("0").rstrip(".") or "0"


def path(d: str, *, fill: str = "none", stroke: str = INK, width: float = 1.5, cls: str = "marker") -> Part:
    return ("path", {"d": d, "fill": fill, "stroke": stroke, "stroke-width": n(width), "class": cls,
                     "stroke-linejoin": "round", "stroke-linecap": "round"})


def circle(cx: float, cy: float, r: float, *, fill: str = "none", stroke: str = INK, width: float = 1.5,
           cls: str = "marker") -> Part:
    return ("circle", {"cx": n(cx), "cy": n(cy), "r": n(r), "fill": fill, "stroke": stroke,
                       "stroke-width": n(width), "class": cls})


def polygon(points: list[tuple[float, float]]) -> str:
    return "M " + " L ".join(f"{n(x)},{n(y)}" for x, y in points) + " Z"


def _scaled(cx: float, cy: float, r: float, unit: list[tuple[float, float]]) -> str:
    return polygon([(cx + x * r, cy + y * r) for x, y in unit])


def envelope(x: float, y: float, w: float, h: float, *, filled: bool, cls: str = "marker") -> list[Part]:
    fill, flap = (INK, PAPER) if filled else (PAPER, INK)
    box = f"M {n(x)},{n(y)} h {n(w)} v {n(h)} h {n(-w)} Z"
    return [path(box, fill=fill, width=1.2, cls=cls),
            path(f"M {n(x)},{n(y)} l {n(w / 2)},{n(h * 0.55)} l {n(w / 2)},{n(-h * 0.55)}", stroke=flap, width=1.2,
                 cls=cls)]


def event_definition(definition: str, cx: float, cy: float, r: float, *, throwing: bool) -> list[Part]:
    """The marker of an event definition in a circle of radius r; throwing ones are filled."""
    fill = INK if throwing else PAPER
    if definition == "timer":
        ring = r * 0.62
        parts = [circle(cx, cy, ring, fill=PAPER, width=1.5)]
        ticks = []
        for i in range(12):
            a = i * math.pi / 6
            ticks.append(f"M {n(cx + math.cos(a) * ring * 0.8)},{n(cy + math.sin(a) * ring * 0.8)} "
                         f"L {n(cx + math.cos(a) * ring * 0.95)},{n(cy + math.sin(a) * ring * 0.95)}")
        parts.append(path(" ".join(ticks), width=1))
        parts.append(path(f"M {n(cx)},{n(cy - ring * 0.7)} L {n(cx)},{n(cy)} L {n(cx + ring * 0.5)},{n(cy)}",
                          width=1.5))
        return parts
    if definition == "message":
        return envelope(cx - r * 0.55, cy - r * 0.37, r * 1.1, r * 0.74, filled=throwing)
    if definition == "error":
        unit = [(-0.5, 0.5), (-0.2, -0.45), (0.12, 0.12), (0.5, -0.5), (0.2, 0.45), (-0.12, -0.12)]
        return [path(_scaled(cx, cy, r, unit), fill=fill, width=1.3)]
    if definition == "terminate":
        return [circle(cx, cy, r * 0.58, fill=INK, stroke=INK, width=1)]
    if definition == "signal":
        return [path(_scaled(cx, cy, r, [(0, -0.55), (0.5, 0.35), (-0.5, 0.35)]), fill=fill, width=1.3)]
    if definition == "escalation":
        return [path(_scaled(cx, cy, r, [(0, -0.55), (0.4, 0.5), (0, 0.12), (-0.4, 0.5)]), fill=fill, width=1.3)]
    if definition == "conditional":
        lines = " ".join(f"M {n(cx - r * 0.22)},{n(cy + dy * r)} h {n(r * 0.44)}" for dy in (-0.25, -0.05, 0.15, 0.35))
        return [path(_scaled(cx, cy, r, [(-0.35, -0.5), (0.35, -0.5), (0.35, 0.5), (-0.35, 0.5)]), fill=PAPER),
                path(lines, width=1)]
    if definition == "link":
        unit = [(-0.45, -0.15), (0.1, -0.15), (0.1, -0.4), (0.5, 0), (0.1, 0.4), (0.1, 0.15), (-0.45, 0.15)]
        return [path(_scaled(cx, cy, r, unit), fill=fill, width=1.3)]
    if definition == "compensate":
        return [path(_scaled(cx, cy, r, [(-0.5, 0), (0, -0.3), (0, 0.3)]) + " "
                     + _scaled(cx, cy, r, [(0, 0), (0.5, -0.3), (0.5, 0.3)]), fill=fill, width=1.3)]
    if definition == "cancel":
        d = (f"M {n(cx - r * 0.35)},{n(cy - r * 0.35)} L {n(cx + r * 0.35)},{n(cy + r * 0.35)} "
             f"M {n(cx + r * 0.35)},{n(cy - r * 0.35)} L {n(cx - r * 0.35)},{n(cy + r * 0.35)}")
        return [path(d, width=3)]
    return []


def gateway(kind: str, cx: float, cy: float, half: float, *, instantiate: bool = False) -> list[Part]:
    """The marker inside a gateway's diamond (half = half its width)."""
    a = half * 0.32
    if kind == "exclusiveGateway":
        return [path(f"M {n(cx - a)},{n(cy - a)} L {n(cx + a)},{n(cy + a)} M {n(cx + a)},{n(cy - a)} "
                     f"L {n(cx - a)},{n(cy + a)}", width=4, cls="marker gateway-x")]
    if kind == "parallelGateway":
        b = half * 0.45
        return [path(f"M {n(cx)},{n(cy - b)} V {n(cy + b)} M {n(cx - b)},{n(cy)} H {n(cx + b)}", width=4,
                     cls="marker gateway-plus")]
    if kind == "inclusiveGateway":
        return [circle(cx, cy, half * 0.42, width=2.5, cls="marker gateway-o")]
    if kind == "complexGateway":
        b, c = half * 0.45, half * 0.32
        return [path(f"M {n(cx)},{n(cy - b)} V {n(cy + b)} M {n(cx - b)},{n(cy)} H {n(cx + b)} "
                     f"M {n(cx - c)},{n(cy - c)} L {n(cx + c)},{n(cy + c)} M {n(cx + c)},{n(cy - c)} "
                     f"L {n(cx - c)},{n(cy + c)}", width=3, cls="marker gateway-star")]
    if kind == "eventBasedGateway":
        parts = [circle(cx, cy, half * 0.55, width=1, cls="marker gateway-event")]
        if instantiate:
            parts.append(circle(cx, cy, half * 0.47, width=1, cls="marker gateway-event"))
        pent = [(cx + math.sin(i * 2 * math.pi / 5) * half * 0.3, cy - math.cos(i * 2 * math.pi / 5) * half * 0.3)
                for i in range(5)]
        parts.append(path(polygon(pent), width=1.2, cls="marker gateway-event"))
        return parts
    return []


def _gear(cx: float, cy: float, outer: float, inner: float, teeth: int) -> str:
    points = []
    for i in range(teeth * 4):
        a = i * math.pi * 2 / (teeth * 4) - math.pi / 2
        r = outer if i % 4 in (1, 2) else inner
        points.append((cx + math.cos(a) * r, cy + math.sin(a) * r))
    return polygon(points)


def task_icon(kind: str, x: float, y: float) -> list[Part]:
    """The type icon in a task's top-left corner (a 16 by 16 box at x, y)."""
    cls = f"task-icon icon-{kind}"
    if kind == "userTask":
        body = f"M {n(x + 1)},{n(y + 16)} C {n(x + 1)},{n(y + 9)} {n(x + 15)},{n(y + 9)} {n(x + 15)},{n(y + 16)} Z"
        return [path(body, fill=PAPER, width=1.2, cls=cls),
                circle(x + 8, y + 5, 3.6, fill=PAPER, width=1.2, cls=cls)]
    if kind == "serviceTask":
        return [path(_gear(x + 8, y + 8, 7.5, 5.5, 8), fill=PAPER, width=1.1, cls=cls),
                circle(x + 8, y + 8, 2.4, fill=PAPER, width=1.1, cls=cls)]
    if kind == "scriptTask":
        outline = (f"M {n(x + 4)},{n(y + 1)} H {n(x + 15)} C {n(x + 11)},{n(y + 5)} {n(x + 15)},{n(y + 11)} "
                   f"{n(x + 12)},{n(y + 15)} H {n(x + 1)} C {n(x + 5)},{n(y + 11)} {n(x + 1)},{n(y + 5)} "
                   f"{n(x + 4)},{n(y + 1)} Z")
        lines = " ".join(f"M {n(x + 5 + dx)},{n(y + yy)} h 6" for dx, yy in ((0.5, 4.5), (1.2, 8), (0.8, 11.5)))
        return [path(outline, fill=PAPER, width=1.1, cls=cls), path(lines, width=1, cls=cls)]
    if kind == "businessRuleTask":
        return [path(f"M {n(x)},{n(y + 2)} h 16 v 12 h -16 Z", fill=PAPER, width=1.1, cls=cls),
                path(f"M {n(x)},{n(y + 2)} h 16 v 3.5 h -16 Z", fill=INK, width=1.1, cls=cls),
                path(f"M {n(x)},{n(y + 9.5)} h 16 M {n(x + 5)},{n(y + 5.5)} v 8.5", width=1, cls=cls)]
    if kind in ("sendTask", "receiveTask"):
        return envelope(x, y + 2, 17, 12, filled=kind == "sendTask", cls=cls)
    if kind == "manualTask":
        hand = (f"M {n(x)},{n(y + 8)} l 3.5,-3.5 h 9 a 1.2,1.2 0 0 1 0,2.4 h -5 h 6.2 a 1.2,1.2 0 0 1 0,2.4 "
                f"h -6.2 h 5.6 a 1.2,1.2 0 0 1 0,2.4 h -5.6 h 4.4 a 1.2,1.2 0 0 1 0,2.4 h -8.4 l -3.5,-2.2 Z")
        return [path(hand, fill=PAPER, width=1.1, cls=cls)]
    return []


def activity_markers(collapsed: bool, loop: str | None, cx: float, bottom: float) -> list[Part]:
    """Markers at the bottom centre of an activity: collapsed subprocess [+] and loop kinds."""
    found: list[list[Part]] = []
    if collapsed:
        found.append([path("M 0,0 h 14 v 14 h -14 Z M 3,7 h 8 M 7,3 v 8", width=1.2, cls="marker collapsed")])
    if loop == "parallel":
        found.append([path("M 3,1 v 12 M 7,1 v 12 M 11,1 v 12", width=2, cls="marker multi-parallel")])
    elif loop == "sequential":
        found.append([path("M 1,3 h 12 M 1,7 h 12 M 1,11 h 12", width=2, cls="marker multi-sequential")])
    elif loop == "loop":
        found.append([path("M 4,12 A 5.5,5.5 0 1 1 10,12 M 10,12 l 0.5,-3.5 M 10,12 l 3.3,-0.8", width=1.3,
                           cls="marker loop")])
    start = cx - len(found) * 16 / 2
    placed: list[Part] = []
    for i, parts in enumerate(found):
        for tag, attrs in parts:
            moved = dict(attrs)
            moved["transform"] = f"translate({n(start + i * 16 + 1)},{n(bottom - 17)})"
            placed.append((tag, moved))
    return placed


COLOURS = {"completed": "#2e7d32", "active": "#1565c0", "error": "#c62828", "added": "#6a1b9a", "changed": "#a34700"}


def state_glyph(state: str, cx: float, cy: float) -> list[Part]:
    """The badge of a state at (cx, cy): a tick in a circle, a play sign in a circle, an
    exclamation mark in a triangle; a version's change: a plus or a stroke in a square. The shapes
    differ, so the state is not told by colour alone."""
    colour = COLOURS[state]
    cls = f"state-glyph glyph-{state}"
    if state in ("added", "changed"):  # a square: a plus (added), a pen's stroke (changed)
        mark = (f"M {n(cx - 4.5)},{n(cy)} h 9 M {n(cx)},{n(cy - 4.5)} v 9" if state == "added"
                else f"M {n(cx - 4)},{n(cy + 4)} l 8,-8")
        return [path(polygon([(cx - 8, cy - 8), (cx + 8, cy - 8), (cx + 8, cy + 8), (cx - 8, cy + 8)]), fill=colour,
                     stroke=PAPER, width=1.5, cls=cls),
                path(mark, stroke=PAPER, width=2.4, cls=cls)]
    if state == "completed":
        return [circle(cx, cy, 9, fill=colour, stroke=PAPER, width=1.5, cls=cls),
                path(f"M {n(cx - 4.5)},{n(cy)} l 3,3.5 l 6,-7", stroke=PAPER, width=2.2, cls=cls)]
    if state == "active":
        return [circle(cx, cy, 9, fill=colour, stroke=PAPER, width=1.5, cls=cls),
                path(polygon([(cx - 3, cy - 4.5), (cx + 4.5, cy), (cx - 3, cy + 4.5)]), fill=PAPER, stroke=PAPER,
                     width=1, cls=cls)]
    return [path(polygon([(cx, cy - 11), (cx + 11, cy + 8), (cx - 11, cy + 8)]), fill=colour, stroke=PAPER,
                 width=1.5, cls=cls),
            path(f"M {n(cx)},{n(cy - 5)} v 6.5", stroke=PAPER, width=2.4, cls=cls),
            circle(cx, cy + 4.8, 1.2, fill=PAPER, stroke=PAPER, width=0.5, cls=cls)]
