"""`flask legacy redact --reapply`: records imported before today's redaction rules (names
left in their text) are redacted again, from the raw row where it is kept, and the search
index follows through the outbox."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import LegacyRawRecord, LegacyRecord, OutboxMessage
from app.models.outbox import OutboxStatus
from app.services import outbox
from app.services.extraction import extract, load_gazetteer
from tests.functional.test_report_pages import client_for
from tests.support.reports import build_cast

# As an import without name redaction stored them (the raw row of the last one was kept).
STORED = {
    "INC0060001": "Spoke to Mrs Okafor; engineer Tom attended.",
    "INC0060002": "Customer Gareth Llewellyn-Jones says the IHD is blank.",
    "INC0060003": "Aldermoor AM-E470 in CSP North drops off the HAN after the Comms Hub update.",
    "INC0060004": "Regards, Siobhan Byrne",
    "INC0060005": "Will the fix be in the May release?",
    "INC0060006": "Called Jane Smith on [redacted]; Quixby Marrowfield was there too.",
}
RAW = "Called Jane Smith on 01632 960001; Quixby Marrowfield was there too."


def _store_as_imported_before(app) -> None:
    with app.app_context():
        cast = build_cast()
        gazetteer = load_gazetteer()
        for number, text in STORED.items():
            facts = extract(text, gazetteer).as_dict()
            record = LegacyRecord(
                number=number, description=text, facts=facts, source_hash=number * 2
            )
            db.session.add(record)
            db.session.flush()
            if number == "INC0060006":
                raw = {"number": number, "description": RAW}
                db.session.add(LegacyRawRecord(legacy_record_id=record.id, raw=raw))
        db.session.commit()
        outbox.drain()
        return cast


def _search_results(client, words: str) -> str:
    html = client.get(f"/search?q={words}").get_data(as_text=True)
    return html[html.index('id="results-heading"') :][:60]


def test_reapply_redacts_stored_records_again_and_the_index_follows(app, runner):
    app.config["LEGACY_KEEP_RAW"] = True
    cast = _store_as_imported_before(app)
    party = client_for(app, cast, "other_party")
    assert ">1 result<" in _search_results(party, "Okafor")

    result = runner.invoke(args=["legacy", "redact", "--reapply", "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith(
        "6 records read: 4 changed (1 redacted afresh from the raw row), 2 unchanged"
    )
    with app.app_context():
        stored = dict(
            db.session.execute(sa.select(LegacyRecord.number, LegacyRecord.description)).all()
        )
        assert stored == {
            "INC0060001": "Spoke to Mrs [redacted]; engineer [redacted] attended.",
            "INC0060002": "Customer [redacted] says the IHD is blank.",
            "INC0060003": STORED["INC0060003"],
            "INC0060004": "Regards, [redacted]",
            "INC0060005": STORED["INC0060005"],
            # From the raw row: the phone number again, the names, and nothing else.
            "INC0060006": "Called [redacted] on [redacted]; Quixby Marrowfield was there too.",
        }
        pending = db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.pending)
        ).all()
        changed = {
            r.id
            for r in db.session.scalars(
                sa.select(LegacyRecord).where(
                    LegacyRecord.number.in_(
                        ["INC0060001", "INC0060002", "INC0060004", "INC0060006"]
                    )
                )
            )
        }
        assert {i for m in pending for i in m.payload.get("legacy", [])} == changed
        outbox.drain()
    assert ">0 results<" in _search_results(party, "Okafor")
    assert ">0 results<" in _search_results(party, "Siobhan")
    assert ">1 result<" in _search_results(party, "AM-E470")

    again = runner.invoke(args=["legacy", "redact", "--reapply"])
    assert "6 records read: 0 changed" in again.output


def test_reapply_adds_the_names_file_to_stored_text_when_no_raw_rows_are_kept(
    app, runner, tmp_path
):
    _store_as_imported_before(app)
    names = tmp_path / "names.txt"
    names.write_text("Quixby Marrowfield\n", encoding="utf-8")
    app.config["REDACTION_NAMES_FILE"] = str(names)
    result = runner.invoke(args=["legacy", "redact", "--reapply"])
    assert "4 changed (0 redacted afresh from the raw row)" in result.output
    with app.app_context():
        record = db.session.scalar(
            sa.select(LegacyRecord).where(LegacyRecord.number == "INC0060006")
        )
        assert record.description == "Called [redacted] on [redacted]; [redacted] was there too."


def test_redact_without_reapply_does_nothing_and_says_so(runner):
    result = runner.invoke(args=["legacy", "redact"])
    assert result.exit_code == 1 and "--reapply" in result.output
