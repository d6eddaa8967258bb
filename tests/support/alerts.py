"""A small alert-volume data set whose figures are worked out by hand, and helpers to import
extracts through the real importer."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from html.parser import HTMLParser

from app.services import alerts_import
from app.services.alerts import View

HEADER = (
    "date,csp_region,alert_code,device_type,manufacturer,model,firmware,alert_count,device_count"
)
WEEK_1 = date(2025, 3, 3)  # a Monday
WEEK_2 = WEEK_1 + timedelta(weeks=1)
VIEW = View(ending=WEEK_2, weeks=2)

DMC_A = ("ESME", "Aldermoor Metering Ltd", "AM-E470", "3.2.1")
DMC_B = ("ESME", "Brackenfield Devices", "BF-ES2", "1.0")
DMC_C = ("CHF", "Corriemoor Comms Ltd", "CC-CH3N", "0x01020400")
GOOD_ROW = "2025-03-03,north,8014,ESME,Aldermoor Metering Ltd,AM-E470,3.2.1,100,10"


def _days(first: date, count: int):
    return [first + timedelta(days=n) for n in range(count)]


def hand_checked_rows() -> list[str]:
    """Two weeks; the figures the tests expect are worked out in tests/unit/test_alerts_figures.py.

    A, 8014, north: 100 alerts from 10 Devices a day in week 1, 200 in week 2;
    A, 8014, south: 10 alerts from 10 Devices a day in both weeks;
    A, 8F35, north: 30 alerts from 10 Devices on the first three days of week 2;
    B, 8014, north: 50 alerts from 100 Devices a day in both weeks;
    C, 8F35, south: 140 alerts from 20 Devices a day in week 2 only.
    """
    rows = []

    def add(day, region, code, dmc, alerts, devices):
        rows.append(",".join([day.isoformat(), region, code, *dmc, str(alerts), str(devices)]))

    for day in _days(WEEK_1, 14):
        week_2 = day >= WEEK_2
        add(day, "north", "8014", DMC_A, 200 if week_2 else 100, 10)
        add(day, "south", "8014", DMC_A, 10, 10)
        add(day, "north", "8014", DMC_B, 50, 100)
        if week_2:
            add(day, "south", "8F35", DMC_C, 140, 20)
    for day in _days(WEEK_2, 3):
        add(day, "north", "8F35", DMC_A, 30, 10)
    return rows


def extract(rows: list[str]) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode("utf-8")


def import_rows(rows: list[str], **kw) -> alerts_import.AlertImportSummary:
    """Call inside an app context."""
    return alerts_import.import_stream(io.BytesIO(extract(rows)), actor=None, **kw)


# --- reading the pages ------------------------------------------------------------------


class _Tables(HTMLParser):
    """Every <table>: its caption and the text of each body row's cells."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables: list[tuple[str, list[list[str]]]] = []
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._caption: list[str] | None = None
        self._in_body = False

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append(("", []))
        elif tag == "caption":
            self._caption = []
        elif tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self._row = []
        elif tag in {"td", "th"} and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "caption" and self._caption is not None:
            caption = " ".join("".join(self._caption).split())
            self.tables[-1] = (caption, self.tables[-1][1])
            self._caption = None
        elif tag in {"td", "th"} and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1][1].append(self._row)
            self._row = None
        elif tag == "tbody":
            self._in_body = False

    def handle_data(self, data):
        for part in (self._cell, self._caption):
            if part is not None:
                part.append(data)


def tables(html: str) -> list[tuple[str, list[list[str]]]]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def svgs(html: str) -> dict[str, ET.Element]:
    """Every inline chart, parsed as XML (so it must be well-formed), by its id prefix."""
    charts = {}
    for match in re.finditer(r"<svg\b.*?</svg>", html, re.S):
        svg = ET.fromstring(match.group(0))
        charts[svg.get("aria-labelledby").split()[0].removesuffix("-title")] = svg
    return charts


def figure_titles(svg: ET.Element, kind: str) -> list[str]:
    """The <title> of each bar or point: '<label>: <figure> alerts per device per day'."""
    return [g.find(f"{SVG}title").text for g in svg.iter(f"{SVG}g") if g.get("class") == kind]


SVG = "{http://www.w3.org/2000/svg}"
