"""The SVG charts are well-formed, labelled for assistive technology, escape their text and
draw the figures they are given."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from app.services.alerts_chart import Bar, Point, axis_steps, bar_chart, line_chart

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup) -> ET.Element:
    return ET.fromstring(str(markup))


def labelled_by_its_title_and_desc(svg: ET.Element) -> bool:
    ids = svg.get("aria-labelledby").split()
    title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
    return svg.get("role") == "img" and ids == [title.get("id"), desc.get("id")]


def test_a_bar_chart_has_a_bar_per_figure_and_the_threshold():
    svg = parse(
        bar_chart(
            chart_id="c1",
            title="Most alerts <per> device & more",
            description="Two DMCs.",
            bars=[Bar("AM-E470 <3.2.0>", 12.5, "12.5", over=True), Bar("BF-ES2", 0.4, "0.400")],
            threshold=1.0,
        )
    )
    assert labelled_by_its_title_and_desc(svg)
    assert svg.find(f"{SVG}title").text == "Most alerts <per> device & more"
    bars = svg.findall(f"{SVG}g[@class='bar']")
    assert [b.find(f"{SVG}title").text for b in bars] == [
        "AM-E470 <3.2.0>: 12.5 alerts per device per day",
        "BF-ES2: 0.400 alerts per device per day",
    ]
    widths = [float(b.find(f"{SVG}rect").get("width")) for b in bars]
    assert widths[0] > widths[1] * 25
    assert bars[0].find(f"{SVG}rect").get("fill") != bars[1].find(f"{SVG}rect").get("fill")
    threshold = svg.find(f"{SVG}g[@class='threshold']")
    assert threshold.find(f"{SVG}title").text == "Threshold: 1 alerts per device per day"


def test_a_line_chart_breaks_where_a_week_has_no_volumes():
    points = [
        Point("03 Mar", 1.0, "1.00"),
        Point("10 Mar", None, "none"),
        Point("17 Mar", 3.0, "3.00"),
        Point("24 Mar", 2.0, "2.00"),
    ]
    svg = parse(
        line_chart(
            chart_id="c2", title="Trend", description="Four weeks.", points=points, threshold=2.5
        )
    )
    assert labelled_by_its_title_and_desc(svg)
    assert len(svg.findall(f"{SVG}polyline")) == 2
    dots = svg.findall(f"{SVG}g[@class='point']")
    assert [d.find(f"{SVG}title").text for d in dots] == [
        "03 Mar: 1.00 alerts per device per day",
        "17 Mar: 3.00 alerts per device per day",
        "24 Mar: 2.00 alerts per device per day",
    ]
    heights = [float(d.find(f"{SVG}circle").get("cy")) for d in dots]
    assert heights[1] < heights[2] < heights[0]  # higher figures are drawn higher up


def test_a_chart_with_nothing_to_draw_is_still_well_formed():
    assert parse(bar_chart(chart_id="c3", title="t", description="d", bars=[])).tag == f"{SVG}svg"
    assert (
        parse(line_chart(chart_id="c4", title="t", description="d", points=[])).tag == f"{SVG}svg"
    )


@pytest.mark.parametrize(
    ("top", "ticks"),
    [
        (0.837, [0, 0.2, 0.4, 0.6, 0.8, 1.0]),
        (2.6, [0, 1, 2, 3]),
        (13.5, [0, 5, 10, 15]),
        (0, [0, 1]),
    ],
)
def test_axes_end_on_a_round_figure(top, ticks):
    assert axis_steps(top) == pytest.approx(ticks)
