"""The validator's DSMS upload page, for a file whose records span lines and have several
faults each; and legacy records as parties see them, with the names in their text redacted."""

from __future__ import annotations

import io
import re
from pathlib import Path

from tests.functional.test_report_pages import client_for
from tests.support.html_checks import accessibility_problems
from tests.support.reports import build_cast

FAULTS = Path(__file__).resolve().parents[1] / "data" / "legacy_faults.csv"


def validator_uploads(app, data: bytes):
    """(cast, response) after the validator has uploaded `data` as a DSMS CSV export."""
    with app.app_context():
        cast = build_cast()
    response = client_for(app, cast, "validator").post(
        "/legacy/import",
        data={"file": (io.BytesIO(data), "export.csv"), "format": "csv"},
        content_type="multipart/form-data",
    )
    return cast, response


def test_the_upload_page_counts_records_and_lists_every_reason_by_starting_line(app):
    app.config["LEGACY_MAX_FIELD_CHARS"] = 100  # the file's 60-line pasted log is too long
    _, response = validator_uploads(app, FAULTS.read_bytes())
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


NAMED = (
    "number,opened_at,short_description,description,work_notes\n"
    'INC0050001,2024-05-01 09:00:00,"AM-E470 off the HAN",'
    '"Customer Gareth Llewellyn-Jones says the Aldermoor AM-E470 in CSP North drops off '
    'the HAN after the Comms Hub update; Will the fix be in the May release?",'
    '"Spoke to Mrs Okafor. Engineer Tom attended on Tuesday. Regards, Siobhan Byrne"\n'
)


def test_names_in_legacy_text_are_not_shown_to_parties_without_a_names_file(app):
    cast, response = validator_uploads(app, NAMED.encode())
    assert "1 inserted" in response.get_data(as_text=True)
    page = client_for(app, cast, "other_party").get("/legacy/INC0050001")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for name in ("Gareth", "Llewellyn", "Okafor", "Tom ", "Siobhan", "Byrne"):
        assert name not in html
    for kept in ("Aldermoor AM-E470 in CSP North", "Comms Hub", "Will the fix be in the May"):
        assert kept in html
