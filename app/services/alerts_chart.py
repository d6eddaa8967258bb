"""Charts for the superfluous alerts tracker, rendered on the server as SVG.

No script and nothing from another host: each chart is an <svg role="img"> labelled by its
own <title> and <desc>, every bar and point carries a <title> with its figure, and the page
shows a table of the same figures beside it. Colours are presentation attributes, because
the Content-Security-Policy refuses inline styles. Built with ElementTree, so text is always
escaped and the markup is well-formed.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from markupsafe import Markup

WIDTH = 720
LINE_WIDTH = 560  # drawn beside its table, so narrower: its text stays legible
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
INK = "#212529"
MUTED = "#6c757d"
GRID = "#dee2e6"
BAR = "#1d5f8a"
OVER = "#b02a37"  # above the threshold (with a pattern-free second cue: the threshold line)
UNIT = "alerts per device per day"


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str  # the figure as the table shows it
    over: bool = False


@dataclass(frozen=True)
class Point:
    label: str
    value: float | None  # None: no volumes that week (the line breaks)
    text: str


def axis_steps(value: float) -> list[float]:
    """Tick values from 0 up to at least `value` in 1, 2, 2.5 or 5 times a power of ten,
    at most five steps (axes end on a round figure)."""
    if value <= 0:
        return [0.0, 1.0]  # nothing to draw: an axis to 1
    raw = value / 5
    power = 10 ** math.floor(math.log10(raw))
    step = next(s * power for s in (1, 2, 2.5, 5, 10) if s * power >= raw)
    count = max(1, math.ceil(value / step - 1e-9))
    return [round(step * n, 10) for n in range(count + 1)]


def _tick_text(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 or value == int(value) else f"{value:g}"


def _svg(chart_id: str, title: str, description: str, width: int, height: int) -> ET.Element:
    svg = ET.Element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "viewBox": f"0 0 {width} {height}",
            "role": "img",
            "aria-labelledby": f"{chart_id}-title {chart_id}-desc",
            "class": "chart",
            "font-family": FONT,
            "font-size": "12",
            "fill": INK,
        },
    )
    ET.SubElement(svg, "title", {"id": f"{chart_id}-title"}).text = title
    ET.SubElement(svg, "desc", {"id": f"{chart_id}-desc"}).text = description
    return svg


def _text(parent: ET.Element, x: float, y: float, text: str, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, "text", {"x": f"{x:.1f}", "y": f"{y:.1f}", **attrs})
    element.text = text
    return element


def _line(parent: ET.Element, x1, y1, x2, y2, colour: str, **attrs: str) -> None:
    ET.SubElement(
        parent,
        "line",
        {
            "x1": f"{x1:.1f}",
            "y1": f"{y1:.1f}",
            "x2": f"{x2:.1f}",
            "y2": f"{y2:.1f}",
            "stroke": colour,
            **attrs,
        },
    )


def _markup(svg: ET.Element) -> Markup:
    return Markup(ET.tostring(svg, encoding="unicode"))  # noqa: S704 - built by ElementTree


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    bars: list[Bar],
    threshold: float | None = None,
) -> Markup:
    """Horizontal bars, one per row of the table beside it, longest first."""
    left, right, top, row = 300, 640, 28, 24
    height = top + row * max(len(bars), 1) + 28
    svg = _svg(chart_id, title, description, WIDTH, height)
    ticks = axis_steps(max([b.value for b in bars] + [threshold or 0]))
    span = right - left

    def x_of(value: float) -> float:
        return left + span * value / ticks[-1]

    axis = ET.SubElement(svg, "g", {"class": "axis", "fill": MUTED})
    bottom = top + row * len(bars)
    for value in ticks:
        _line(axis, x_of(value), top - 6, x_of(value), bottom, GRID)
        _text(axis, x_of(value), height - 8, _tick_text(value), **{"text-anchor": "middle"})
    _text(axis, left, 14, UNIT)
    for number, bar in enumerate(bars):
        y = top + row * number
        group = ET.SubElement(svg, "g", {"class": "bar"})
        ET.SubElement(group, "title").text = f"{bar.label}: {bar.text} {UNIT}"
        _text(group, left - 8, y + 16, _shorten(bar.label, 46), **{"text-anchor": "end"})
        ET.SubElement(
            group,
            "rect",
            {
                "x": str(left),
                "y": f"{y + 4:.1f}",
                "width": f"{max(x_of(bar.value) - left, 1):.1f}",
                "height": str(row - 8),
                "fill": OVER if bar.over else BAR,
            },
        )
        _text(group, x_of(bar.value) + 4, y + 16, bar.text)
    if threshold is not None:
        x = x_of(threshold)
        _threshold(svg, threshold, (x, top - 6, x, bottom), (x - 4, top - 10))
    return _markup(svg)


def _threshold(svg: ET.Element, value: float, ends: tuple, label_at: tuple) -> None:
    """The threshold as a dashed line in the 'over' colour, labelled at its end."""
    group = ET.SubElement(svg, "g", {"class": "threshold"})
    ET.SubElement(group, "title").text = f"Threshold: {_tick_text(value)} {UNIT}"
    _line(group, *ends, OVER, **{"stroke-dasharray": "5 4", "stroke-width": "2"})
    label = f"threshold {_tick_text(value)}"
    _text(group, *label_at, label, fill=OVER, **{"text-anchor": "end"})


def line_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    points: list[Point],
    threshold: float | None = None,
) -> Markup:
    """One line over the weeks, with a dot per week that has volumes."""
    width, left, top, bottom, height = LINE_WIDTH, 52, 20, 200, 236
    right = width - 24
    svg = _svg(chart_id, title, description, width, height)
    values = [p.value for p in points if p.value is not None]
    ticks = axis_steps(max([*values, threshold or 0]) * 1.05)
    step_x = (right - left) / max(len(points) - 1, 1)

    def y_of(value: float) -> float:
        return bottom - (bottom - top) * value / ticks[-1]

    axis = ET.SubElement(svg, "g", {"class": "axis", "fill": MUTED})
    for value in ticks:
        _line(axis, left, y_of(value), right, y_of(value), GRID)
        _text(axis, left - 6, y_of(value) + 4, _tick_text(value), **{"text-anchor": "end"})
    every = max(1, math.ceil(len(points) / 8))
    for index, point in enumerate(points):
        if index % every == 0 or index == len(points) - 1:
            x = left + step_x * index
            _text(axis, x, bottom + 18, point.label, **{"text-anchor": "middle"})
    if threshold is not None:
        y = y_of(threshold)
        _threshold(svg, threshold, (left, y, right, y), (right, y - 5))
    segment: list[str] = []
    segments = [segment]
    for index, point in enumerate(points):
        if point.value is None:
            segment = []
            segments.append(segment)
            continue
        segment.append(f"{left + step_x * index:.1f},{y_of(point.value):.1f}")
    for coordinates in (s for s in segments if s):
        ET.SubElement(
            svg,
            "polyline",
            {"points": " ".join(coordinates), "fill": "none", "stroke": BAR, "stroke-width": "2"},
        )
    for index, point in enumerate(points):
        if point.value is None:
            continue
        over = threshold is not None and point.value > threshold
        group = ET.SubElement(svg, "g", {"class": "point"})
        ET.SubElement(group, "title").text = f"{point.label}: {point.text} {UNIT}"
        ET.SubElement(
            group,
            "circle",
            {
                "cx": f"{left + step_x * index:.1f}",
                "cy": f"{y_of(point.value):.1f}",
                "r": "4",
                "fill": OVER if over else BAR,
            },
        )
    return _markup(svg)
