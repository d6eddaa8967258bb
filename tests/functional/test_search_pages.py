"""The search and legacy record pages through HTTP."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from app.services import legacy_import, outbox
from tests.functional.test_report_pages import client_for
from tests.support.html_checks import accessibility_problems
from tests.support.reports import build_cast, walk_to

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "legacy_sample.csv"


@pytest.fixture
def cast(app):
    with app.app_context():
        cast = build_cast()
        walk_to(cast, "published")
        legacy_import.import_stream(io.BytesIO(SAMPLE.read_bytes()), actor=None)
        outbox.drain()
        return cast


def test_search_page_shows_hits_facets_and_highlights(app, cast):
    client = client_for(app, cast, "other_party")
    response = client.get("/search?q=HAN")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "2 results" in html and "INC0010001" in html and "IDR-" in html
    assert "<mark>" in html and "Narrow down" in html
    assert accessibility_problems(html, disclaimer=app.config["DISCLAIMER"]) == []
    narrowed = client.get("/search?q=HAN&source=legacy").get_data(as_text=True)
    assert "1 result" in narrowed and "Remove filter Source: legacy" in narrowed


@pytest.mark.parametrize(
    ("query", "message"),
    [('"open phrase', "quotation mark is not closed"), ("colour:red", "no field called")],
)
def test_a_malformed_search_gets_a_helpful_message_not_a_500(app, cast, query, message):
    response = client_for(app, cast, "other_party").get("/search", query_string={"q": query})
    assert response.status_code == 200
    assert "Check your search:" in response.get_data(as_text=True)
    assert message in response.get_data(as_text=True)


def test_legacy_record_page_shows_redacted_text_and_facts(app, cast):
    client = client_for(app, cast, "secas")
    html = client.get("/legacy/INC0010001").get_data(as_text=True)
    assert "[redacted]" in html and "1200023305967" not in html and "SW1A 1AA" not in html
    assert "Found in the text" in html and "ESME, CHF" in html and "8F35" in html
    assert accessibility_problems(html, disclaimer=app.config["DISCLAIMER"]) == []
    assert client.get("/legacy/INC9999999").status_code == 404


def test_a_draft_shows_similar_records_before_it_is_submitted(app, cast):
    with app.app_context():
        draft = walk_to(cast, "draft", title="ESME keeps leaving the HAN after hub update")
        key = f"draft-{draft.id}"
    html = client_for(app, cast, "author").get(f"/reports/{key}").get_data(as_text=True)
    assert "Already known? Records like this one" in html
    assert "IDR-" in html and "INC0010001" in html
    assert accessibility_problems(html, disclaimer=app.config["DISCLAIMER"]) == []


def test_a_validator_uploads_a_dsms_export_and_sees_every_bad_line(app, cast):
    client = client_for(app, cast, "validator")
    changed = SAMPLE.read_bytes().replace(b"IHD shows nothing", b"IHD shows nothing at all")
    response = client.post(
        "/legacy/import",
        data={"file": (io.BytesIO(changed), "export.csv"), "format": "csv"},
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "7 records read: 0 inserted, 0 updated, 2 unchanged, 5 records rejected" in html
    assert "<td>6</td><td>missing number</td>" in html
    assert accessibility_problems(html, disclaimer=app.config["DISCLAIMER"]) == []
    party = client_for(app, cast, "author")
    assert party.get("/legacy/import").status_code == 403


def test_a_validator_uploads_json_lines(app, cast):
    client = client_for(app, cast, "validator")
    data = (
        b'{"number": "INC0030001", "opened_at": "2024-06-01 10:00:00", '
        b'"short_description": "GSME valve stuck closed", "description": "Call 07700 900123"}\n'
    )
    response = client.post(
        "/legacy/import",
        data={"file": (io.BytesIO(data), "export.jsonl"), "format": "jsonl"},
        content_type="multipart/form-data",
    )
    assert "1 record read: 1 inserted" in response.get_data(as_text=True)
    page = client.get("/legacy/INC0030001").get_data(as_text=True)
    assert "GSME valve stuck closed" in page and "07700" not in page
