"""An edition's files read back: the PDF with a PDF text extractor, the CSV with the csv
module; immutability of issued editions and `flask publication verify`."""

from __future__ import annotations

import csv
import io
import logging
import re
import stat
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from app.extensions import db
from app.models import AuditEvent, Edition, EditionFile, EditionStatus, Notification
from app.models.base import utcnow
from app.models.publications import IssuedEditionIsImmutable
from app.services import csv_output, publication, publication_render, publication_store
from app.services.errors import ValidationFailed
from app.services.publication_records import Month
from tests.support.publications import (
    database_refusing_file_rows,
    just_before,
    published_on,
    revised_on,
    set_edition_elsewhere,
    withdrawn_on,
)
from tests.support.reports import build_cast

TRICKY_TITLE = 'Meter, "HAN" drop; naïve café ≥ 5 µs — Zählerstand'
TRICKY_DESCRIPTION = 'First line, with commas, "quotes"\nsecond line: Ünïcödé ✓\n\n=1+1 is text'
FORMULA_TITLE = "-1 kWh shown after reboot"
FORMULA_DESCRIPTION = "@SUM(A1:A9)\nthen the meter rejoins"
FORMULA_FIX = '=HYPERLINK("http://example.invalid","click")'


def normalised(text: str) -> str:
    return " ".join(text.split())


FIX = {"fix_type": "firmware_update", "fix_description": "Update the ESME to 3.3.0."}


@pytest.fixture
def january(app):
    """In January 2025, each with a fix checked by the DCC: two published records with
    awkward text and a withdrawal; a security-sensitive record; and a record published in
    February (not January's). Also published in January: a record with no fix, and one
    whose fix the DCC has not checked (neither is in an edition)."""
    with app.app_context():
        cast = build_cast()
        tricky = published_on(
            cast,
            datetime(2025, 1, 10, 9),
            title=TRICKY_TITLE,
            description=TRICKY_DESCRIPTION,
            fix_type="configuration_change",
            fix_description=FORMULA_FIX,
        )
        formula = published_on(
            cast,
            datetime(2025, 1, 11, 9),
            title=FORMULA_TITLE,
            description=FORMULA_DESCRIPTION,
            **FIX,
        )
        gone = published_on(cast, datetime(2025, 1, 12, 9), title="Withdrawn one", **FIX)
        withdrawn_on(cast, gone, datetime(2025, 1, 20, 9), reason="Duplicate, see the other.")
        sensitive = published_on(
            cast, datetime(2025, 1, 13, 9), title="Sensitive one", security_sensitive=True, **FIX
        )
        later = published_on(cast, datetime(2025, 2, 3, 9), title="February one", **FIX)
        no_fix = published_on(cast, datetime(2025, 1, 14, 9), title="No fix one")
        unchecked = published_on(
            cast, datetime(2025, 1, 15, 9), title="Unchecked one", fix_checked=False, **FIX
        )
        return {
            "selected": [tricky.reference, formula.reference, gone.reference],
            "not_selected": [
                sensitive.reference,
                later.reference,
                no_fix.reference,
                unchecked.reference,
            ],
            "tricky": tricky.reference,
            "formula": formula.reference,
            "gone": gone.reference,
        }


def stored(app, edition: Edition, fmt: str) -> Path:
    return Path(app.config["PUBLICATIONS_DIR"]) / edition.file(fmt).path


def build(app, month: str = "2025-01", **kw) -> Edition:
    with app.app_context():
        edition = publication.build_now(month=month, **kw)
        assert edition.status == EditionStatus.ready, edition.error
        edition.files  # noqa: B018 - load them before the session closes
        return edition


def test_the_pdf_holds_the_selected_records_and_nothing_else(app, january):
    edition = build(app)
    reader = PdfReader(stored(app, edition, "pdf"))
    pages = [page.extract_text() for page in reader.pages]
    text = "\n".join(pages)
    for reference in january["selected"]:
        assert reference in text
    for reference in january["not_selected"]:
        assert reference not in text
    for title in ("Sensitive one", "February one", "No fix one", "Unchecked one"):
        assert title not in text
    # Each record listed says its fix was checked (the withdrawal notice shows no fix).
    assert normalised(text).count("Fix checked by the DCC.") == 2
    assert "naïve café ≥ 5 µs" in text and "Ünïcödé ✓" in text
    assert "Duplicate, see the other." in text  # the withdrawal notice
    assert edition.record_count == 3 and edition.page_count == len(pages)


def test_every_page_has_the_disclaimer_and_page_x_of_y(app, january):
    edition = build(app)
    reader = PdfReader(stored(app, edition, "pdf"))
    disclaimer = normalised(app.config["DISCLAIMER"])
    total = len(reader.pages)
    assert total >= 2  # the cover, then the summary and records
    for number, page in enumerate(reader.pages, start=1):
        text = page.extract_text()
        assert disclaimer in normalised(text), f"page {number}"
        assert re.findall(r"Page (\d+) of (\d+)", text) == [(str(number), str(total))]


def test_bookmarks_are_the_records_and_metadata_is_set(app, january):
    edition = build(app)
    reader = PdfReader(stored(app, edition, "pdf"))
    titles = [item.title for item in reader.outline]
    assert [t.split(":")[0] for t in titles] == sorted(january["selected"])
    assert f"{january['tricky']}: {TRICKY_TITLE}" in titles
    assert f"{january['gone']}: withdrawn" in titles
    meta = reader.metadata
    assert meta.title == "Issues & Defects Register: January 2025 edition, version 1"
    assert meta.author == publication_render.AUTHOR
    assert meta.creation_date.date() == edition.built_at.date()
    assert reader.trailer["/Root"]["/Lang"] == "en-GB"


def test_the_csv_round_trips_awkward_text_and_neutralises_formulas(app, january):
    edition = build(app)
    data = stored(app, edition, "csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with a byte-order mark, for Excel
    rows = csv_rows(data)
    header = [heading for heading, _ in publication_render.CSV_COLUMNS]
    assert rows[0] == ["Disclaimer", app.config["DISCLAIMER"]]
    assert rows[1] == header
    by_reference = {row[0]: dict(zip(header, row, strict=True)) for row in rows[2:]}
    assert sorted(by_reference) == sorted(january["selected"])
    tricky = by_reference[january["tricky"]]
    assert tricky["Title"] == TRICKY_TITLE
    assert tricky["Description"] == TRICKY_DESCRIPTION
    assert tricky["Fix description"] == "'" + FORMULA_FIX
    assert tricky["Change in month"] == "Published"
    assert tricky["Device types"] == "ESME, CHF"
    assert tricky["Fix type"] == "Configuration change"
    assert tricky["Fix checked by the DCC"] == "Yes"
    formula = by_reference[january["formula"]]
    assert formula["Title"] == "'" + FORMULA_TITLE
    assert formula["Description"] == "'" + FORMULA_DESCRIPTION
    gone = by_reference[january["gone"]]
    assert gone["Withdrawn on"] == "2025-01-20" and gone["Title"] == ""
    assert gone["Fix checked by the DCC"] == ""
    # Summary columns are the PDF summary table's, in the same order.
    summary = [heading for heading, _ in publication_render.SUMMARY_COLUMNS]
    assert header[: len(summary)] == summary


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_the_csv_carries_the_disclaimer_once_in_its_first_row(app, january):
    """Every other export carries the disclaimer; the edition's CSV did not (issue 14, 7a).
    A configured wording with commas, quotes and a line break comes back as one cell."""
    app.config["DISCLAIMER"] = 'Information only, "as is";\nno recommendation is made.'
    data = stored(app, build(app), "csv").read_bytes()
    rows = csv_rows(data)
    assert rows[0] == ["Disclaimer", app.config["DISCLAIMER"]]
    assert rows[1][0] == "Reference"
    assert data.decode("utf-8-sig").count("no recommendation is made.") == 1


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+44 20", "'+44 20"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=1", "a=1"),
        ("", ""),
    ],
)
def test_formula_neutralising(value, expected):
    assert csv_output.neutralised(value) == expected


def test_an_empty_month_makes_an_edition_that_says_so(app):
    edition = build(app, "2024-06")
    reader = PdfReader(stored(app, edition, "pdf"))
    text = normalised("\n".join(p.extract_text() for p in reader.pages))
    assert "No record with a fix checked by the DCC was published or revised in June 2024" in text
    assert edition.record_count == 0 and reader.outline == []
    rows = csv_rows(stored(app, edition, "csv").read_bytes())
    assert rows == [
        ["Disclaimer", app.config["DISCLAIMER"]],
        [heading for heading, _ in publication_render.CSV_COLUMNS],
    ]  # the disclaimer and the header alone


def test_rendering_fetches_nothing_but_files_under_static(app):
    with app.app_context():
        root = publication_render.static_root()
        font = root / "fonts" / "DejaVuSansCondensed.ttf"
        assert publication_render.local_path(font.as_uri(), root) == font
        for url in (
            "http://example.invalid/logo.png",
            "https://example.invalid/font.ttf",
            "file:///etc/passwd",
            (root / ".." / "config.py").resolve().as_uri(),
            "file://remote-host" + str(font),
            "data:text/plain,hello",
        ):
            assert publication_render.local_path(url, root) is None, url
            with pytest.raises(ValueError, match="refused"):
                publication_render.static_fetcher().fetch(url)
        assert (
            publication_render.static_fetcher().fetch(font.as_uri()).read()[:4]
            == font.read_bytes()[:4]
        )


def test_a_second_build_makes_version_2_and_leaves_version_1_alone(app, january):
    first = build(app)
    before = {fmt: stored(app, first, fmt).read_bytes() for fmt in ("pdf", "csv")}
    hashes = {f.format: f.sha256 for f in first.files}
    with app.app_context():
        with pytest.raises(ValidationFailed, match="has been issued"):
            publication.build_now(month="2025-01")
        with pytest.raises(ValidationFailed, match="reason"):
            publication.build_now(month="2025-01", new_version=True, reason="  ")
    second = build(app, new_version=True, reason="A record's fix was corrected.")
    assert (second.version, second.reason) == (2, "A record's fix was corrected.")
    for fmt in ("pdf", "csv"):
        assert stored(app, first, fmt).read_bytes() == before[fmt]
        # Version 2 is a file of its own, named for its version, beside version 1.
        assert stored(app, second, fmt).name.startswith("idr-edition-2025-01-v2-")
        assert not stored(app, second, fmt).samefile(stored(app, first, fmt))
    with app.app_context():
        kept = db.session.get(Edition, first.id)
        assert {f.format: f.sha256 for f in kept.files} == hashes
        assert kept.status == EditionStatus.ready
        cover = PdfReader(stored(app, second, "pdf")).pages[0].extract_text()
        assert "A record's fix was corrected." in cover


def test_issued_editions_cannot_be_changed_by_the_orm_or_by_sql(app, january):
    edition = build(app)
    with app.app_context():
        kept = db.session.get(Edition, edition.id)
        kept.reason = "rewritten"
        with pytest.raises(IssuedEditionIsImmutable):
            db.session.flush()
        db.session.rollback()
        for statement in (
            sa.update(Edition).where(Edition.id == edition.id).values(reason="rewritten"),
            sa.update(EditionFile).where(EditionFile.edition_id == edition.id).values(sha256="0"),
            sa.delete(EditionFile).where(EditionFile.edition_id == edition.id),
            sa.delete(Edition).where(Edition.id == edition.id),
        ):
            with pytest.raises(sa.exc.DBAPIError):
                db.session.execute(statement)
            db.session.rollback()


def test_verify_detects_altered_and_missing_files(app, runner, january):
    edition = build(app)
    result = runner.invoke(args=["publication", "verify"])
    assert result.exit_code == 0, result.output
    assert "2 file(s) checked, 0 problem(s), 0 unreferenced file(s)" in result.output
    pdf = stored(app, edition, "pdf")
    pdf.chmod(0o644)
    with pdf.open("ab") as handle:
        handle.write(b"%tampered")
    stored(app, edition, "csv").unlink()
    result = runner.invoke(args=["publication", "verify"])
    assert result.exit_code == 1
    assert "2025-01 v1 pdf: SHA-256" in result.output
    assert "2025-01 v1 csv: missing" in result.output


def test_the_lean_user_agent_stylesheet_drops_only_universal_pseudo_elements():
    import weasyprint
    from weasyprint.html import UA

    # The hook the edition overrides: if a WeasyPrint upgrade removes it, memory doubles.
    assert "_ua_stylesheets" in vars(weasyprint.HTML)
    lean = publication_render._without_universal_pseudo_elements(UA)
    for rule in ("::marker", "::footnote-call", "::note-call"):
        assert rule in UA and rule not in lean
    assert "q::before" in lean and len(lean) > 0.95 * len(UA)


def test_verify_warns_of_files_no_edition_records_without_failing(app, runner, january):
    build(app)
    root = Path(app.config["PUBLICATIONS_DIR"])
    (root / "2025-01" / ".idr-edition-2025-01-v2.pdf.k3j.partial").write_bytes(b"%PDF-1.7")
    (root / "stray.csv").write_bytes(b"Reference\n")
    result = runner.invoke(args=["publication", "verify"])
    assert result.exit_code == 0, result.output
    assert "2 file(s) checked, 0 problem(s), 2 unreferenced file(s)" in result.output
    assert (
        "warning: 2025-01/.idr-edition-2025-01-v2.pdf.k3j.partial is recorded by no edition"
        in result.output
    )
    assert "warning: stray.csv is recorded by no edition" in result.output


def files_under(app) -> list[Path]:
    return sorted(p for p in Path(app.config["PUBLICATIONS_DIR"]).rglob("*") if p.is_file())


def test_files_are_written_whole_read_only_and_never_over_another(app):
    with app.app_context():
        path = publication_store.write_once("2025-01/edition.pdf", b"first")
        assert path.read_bytes() == b"first"
        assert stat.S_IMODE(path.stat().st_mode) == 0o444 and path.stat().st_nlink == 1
        with pytest.raises(FileExistsError):
            publication_store.write_once("2025-01/edition.pdf", b"second")
    assert path.read_bytes() == b"first"
    assert files_under(app) == [path]  # no temporary file is left beside it


def test_a_build_leaves_only_its_two_recorded_files(app, january):
    edition = build(app)
    assert files_under(app) == sorted(stored(app, edition, fmt) for fmt in ("pdf", "csv"))
    for path in files_under(app):
        assert stat.S_IMODE(path.stat().st_mode) == 0o444


def audit_actions(action: str) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
    )


def test_a_failure_after_the_files_are_written_removes_them_and_marks_the_build_failed(
    app, january
):
    with app.app_context():
        with database_refusing_file_rows("disk full"):
            edition = publication.build_now(month="2025-01")
        assert edition.status == EditionStatus.failed and "disk full" in edition.error
        assert edition.files == [] and edition.built_at is None
        assert audit_actions("publication.build_failed") == 1
        assert audit_actions("publication.built") == 0
        ready = sa.select(Notification).where(Notification.kind == "edition_ready")
        assert db.session.scalars(ready).all() == []
    assert files_under(app) == []
    # Once the fault is gone, building the month again issues the same version.
    again = build(app)
    assert again.version == 1 and len(files_under(app)) == 2


def test_an_attempt_that_finishes_second_keeps_what_the_first_recorded(app, january):
    """Two attempts at one edition (a drain thought dead took over): the one whose result is
    recorded first wins; the other removes its files and records nothing."""
    first_built_at = datetime(2025, 2, 1, 8, 0)
    other_attempt = set_edition_elsewhere(
        "2025-01", status=EditionStatus.ready, built_at=first_built_at
    )
    with app.app_context():
        with just_before(r"UPDATE publication_edition SET .*built_at", other_attempt) as fired:
            edition = publication.build_now(month="2025-01")
        assert fired
        assert (edition.status, edition.built_at, edition.files) == (
            EditionStatus.ready,
            first_built_at,
            [],
        )
        assert audit_actions("publication.built") == 0
        assert audit_actions("publication.build_failed") == 0
    assert files_under(app) == []


def test_a_failed_attempt_records_no_failure_when_another_attempt_took_the_edition_over(
    app, tmp_path
):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the publications folder should be")
    app.config["PUBLICATIONS_DIR"] = str(blocker / "publications")
    other_attempt = set_edition_elsewhere("2025-01", status=EditionStatus.ready, built_at=utcnow())
    with app.app_context():
        failing = r"UPDATE publication_edition SET status=\S+, error=\S+ WHERE"
        with just_before(failing, other_attempt) as fired:
            edition = publication.build_now(month="2025-01")
        assert fired and edition.status == EditionStatus.ready and edition.error is None
        assert audit_actions("publication.build_failed") == 0


def test_the_current_month_is_refused_until_it_is_over_unless_allowed(app):
    current = Month.current()
    after = current.next()
    with app.app_context():
        with pytest.raises(ValidationFailed) as refused:
            publication.build_now(month=current.key)
        assert refused.value.message == (
            f"{current.label} is not over yet: its edition can be built from "
            f"1 {after.label if after.year != current.year else after.label.split()[0]}."
        )
        assert publication._first_day_after(Month(2026, 11)) == "1 December"
        assert publication._first_day_after(Month(2026, 12)) == "1 January 2027"
        with pytest.raises(ValidationFailed, match="has not started yet"):
            publication.build_now(month=after.key, allow_incomplete=True)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Edition)) == 0
    edition = build(app, current.key, allow_incomplete=True)
    assert edition.month == current.key and edition.version == 1
    with app.app_context():
        [requested] = db.session.scalars(
            sa.select(AuditEvent.summary).where(AuditEvent.action == "publication.build_requested")
        )
    assert "not over yet (--allow-incomplete)" in requested


def test_a_record_made_security_sensitive_after_issue_is_left_out_of_the_rebuild(app):
    fields = {"title": "Found to be sensitive later", **FIX}
    with app.app_context():
        cast = build_cast()
        report = published_on(cast, datetime(2025, 1, 10, 9), **fields)
        reference = report.reference
    first = build(app)
    assert reference in stored(app, first, "csv").read_text("utf-8-sig")
    before = stored(app, first, "pdf").read_bytes()
    with app.app_context():
        report = db.session.scalar(
            sa.select(type(report)).where(type(report).reference == reference)
        )
        revised_on(cast, report, datetime(2025, 2, 4, 9), fields, security_sensitive=True)
    second = build(app, new_version=True, reason="A record became security-sensitive.")
    assert second.record_count == 0
    assert reference not in stored(app, second, "csv").read_text("utf-8-sig")
    pdf_text = "\n".join(p.extract_text() for p in PdfReader(stored(app, second, "pdf")).pages)
    assert reference not in pdf_text
    assert stored(app, first, "pdf").read_bytes() == before  # the issued version is kept


class _Collected(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def test_the_lean_stylesheet_keeps_its_counter_styles_and_logs_no_warning():
    collected = _Collected()
    logger = logging.getLogger("weasyprint")
    publication_render._lean_html_class.cache_clear()
    logger.addHandler(collected)
    try:
        lean = publication_render._lean_html_class()
    finally:
        logger.removeHandler(collected)
    assert collected.messages == []
    assert "_ua_counter_style" in vars(lean.__mro__[1])  # WeasyPrint's hook is still there
    assert {"disc", "decimal", "lower-roman", "upper-alpha"} <= set(lean._ua_counter_style(None)[0])


def test_a_listed_record_that_loses_its_checked_fix_is_a_notice_in_pdf_and_csv(app):
    """SECAS's list is corrected: a record January's edition listed, whose fix was found
    not to work and removed in February, is February's revision notice (issue 14, 7b)."""
    fields = {"title": "Fix found not to work", **FIX}
    no_fix = {"fix_type": None, "fix_description": ""}
    with app.app_context():
        cast = build_cast()
        report = published_on(cast, datetime(2025, 1, 10, 9), **fields)
        reference = report.reference
        revised_on(cast, report, datetime(2025, 2, 4, 9), fields | no_fix, title="No fix now")
    edition = build(app, "2025-02")
    assert edition.record_count == 1
    rows = csv_rows(stored(app, edition, "csv").read_bytes())
    [record] = [dict(zip(rows[1], row, strict=True)) for row in rows[2:]]
    assert record["Reference"] == reference
    assert record["Change in month"] == "Revised (notice: no checked fix)"
    assert (record["Fix checked by the DCC"], record["Fix type"]) == ("No", "")
    text = normalised(
        "\n".join(p.extract_text() for p in PdfReader(stored(app, edition, "pdf")).pages)
    )
    assert "Revision notice: this record was listed in an earlier edition" in text
    assert f"{reference}: No fix now" in text and "Revised in February 2025; fix removed." in text
