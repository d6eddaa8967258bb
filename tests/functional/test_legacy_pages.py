"""The validator's DSMS upload page, for a file whose records span lines and have several
faults each."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from tests.functional.test_report_pages import client_for
from tests.support.html_checks import accessibility_problems
from tests.support.reports import build_cast

FAULTS = Path(__file__).resolve().parents[1] / "data" / "legacy_faults.csv"


@pytest.fixture
def app_config() -> dict:
    return {"LEGACY_MAX_FIELD_CHARS": 100}  # the file's 60-line pasted log is too long


def test_the_upload_page_counts_records_and_lists_every_reason_by_starting_line(app):
    with app.app_context():
        cast = build_cast()
    client = client_for(app, cast, "validator")
    response = client.post(
        "/legacy/import",
        data={"file": (io.BytesIO(FAULTS.read_bytes()), "export.csv"), "format": "csv"},
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "4 records rejected (6 problems)" in html and "7 records read: 3 inserted" in html
    table = html[html.index("Records that were not imported") :]
    rows = re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td></tr>", table)
    assert rows == [
        ("5", "missing number; opened_at: unparseable date &#39;04/31/2024&#39;"),
        ("9", "control character in description; closed_at: unparseable date &#39;yesterday&#39;"),
        ("11", "oversized field: over 100 characters"),
        ("72", "duplicate number INC0040002 within the file"),
    ]
    assert accessibility_problems(html, disclaimer=app.config["DISCLAIMER"]) == []
