"""Relevance: a fixed set of records and queries (tests/data/relevance.json), each naming the
record that must come first (and any that must not match)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from app.extensions import db
from app.models import User
from app.services import legacy_import, outbox
from app.services.search.query import SearchRequest, search
from tests.support.reports import build_cast

CASES = json.loads((Path(__file__).resolve().parents[1] / "data" / "relevance.json").read_text())


@pytest.fixture
def reader(app):
    with app.app_context():
        cast = build_cast()
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=legacy_import.FIELDS)
        writer.writeheader()
        for record in CASES["records"]:
            writer.writerow({"opened_at": "2024-01-01 09:00:00", **record})
        summary = legacy_import.import_stream(io.BytesIO(buffer.getvalue().encode()), actor=None)
        assert summary.inserted == len(CASES["records"])
        outbox.drain()
        return cast.users["other_party"]


@pytest.mark.parametrize("case", CASES["queries"], ids=[c["q"] for c in CASES["queries"]])
def test_the_expected_record_comes_first(app, reader, case):
    with app.app_context():
        results = search(db.session.get(User, reader), SearchRequest(q=case["q"]))
        found = [hit.key for hit in results.hits]
    assert found and found[0] == case["first"], found
    for absent in case.get("absent", []):
        assert absent not in found
