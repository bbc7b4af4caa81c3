"""A horizontal bar chart as SVG, drawn on the server (no JavaScript): one bar per labelled value.

Built with lxml, so every label is a text node (escaped), never markup. The chart is the picture of
a table that stands next to it (the accessible alternative and the primary form of the numbers): it
is ``role="img"`` with a ``<title>`` naming what it shows.
"""
from __future__ import annotations

from lxml import etree
from markupsafe import Markup

SVG = "http://www.w3.org/2000/svg"
WIDTH, LABEL_W, VALUE_W, BAR_H, GAP = 640, 220, 90, 22, 8


def bar_chart(chart_id: str, title: str, bars: list[tuple[str, float | None, str]]) -> Markup:
    """``bars``: (label, value, value as text); a None value is drawn as no bar, its text shown.
    ``chart_id``: unique on the page (its title's id is made from it)."""
    height = max(1, len(bars)) * (BAR_H + GAP) + GAP
    svg = etree.Element(f"{{{SVG}}}svg", nsmap={None: SVG}, attrib={
        "class": "bar-chart", "role": "img", "viewBox": f"0 0 {WIDTH} {height}",
        "aria-labelledby": f"{chart_id}-title", "preserveAspectRatio": "xMinYMin meet"})
    etree.SubElement(svg, f"{{{SVG}}}title", id=f"{chart_id}-title").text = title
    top = max((v for _l, v, _t in bars if v is not None), default=0) or 1
    span = WIDTH - LABEL_W - VALUE_W
    for i, (label, value, text) in enumerate(bars):
        y = GAP + i * (BAR_H + GAP)
        etree.SubElement(svg, f"{{{SVG}}}text", x=str(LABEL_W - 6), y=str(y + BAR_H * 0.7),
                         attrib={"text-anchor": "end", "class": "bar-label"}).text = _clip(label)
        width = 0 if value is None else max(0.0, value) / top * span
        etree.SubElement(svg, f"{{{SVG}}}rect", x=str(LABEL_W), y=str(y), width=f"{width:.1f}",
                         height=str(BAR_H), attrib={"class": "bar"})
        etree.SubElement(svg, f"{{{SVG}}}text", x=f"{LABEL_W + width + 6:.1f}", y=str(y + BAR_H * 0.7),
                         attrib={"class": "bar-value"}).text = text
    return Markup(etree.tostring(svg, encoding="unicode"))  # lxml serialised: text nodes are escaped


def _clip(label: str, limit: int = 30) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
