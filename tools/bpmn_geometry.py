"""Where every shape and edge goes: a grid of lane rows and columns, orthogonal edges."""
from __future__ import annotations

import itertools
import sys
from dataclasses import dataclass


from bpmn_model import (
    CHANNEL, COL_W, Diagram, EVENTS, Flow, GATEWAYS, LANE_HEADER, LANE_PAD_LEFT,
    LANE_PAD_Y, Node, PARTICIPANT_HEADER, PARTICIPANT_X, PARTICIPANT_Y, ROW_H, SIZES, SUBPROCESS_INSET,
    TASKS,
)

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
