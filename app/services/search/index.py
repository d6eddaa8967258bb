"""The Whoosh index on disk: opening it, applying changes (the drain is the one writer),
rebuilding it from the database and checking it for drift.

Index changes travel through the outbox: every transaction that changes a report or a legacy
record also writes one "search.index" message naming them (see `track_changes`), so the
index and the database cannot drift apart silently; the drain applies the message by reading
the rows as they are then. The index is derived data: `rebuild` recreates it.
"""

from __future__ import annotations

import pickle
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session, selectinload
from whoosh import index as whoosh_index
from whoosh.index import IndexVersionError

from app.extensions import db
from app.models import (
    AffectedDevice,
    LegacyRecord,
    ManufacturerReview,
    OutboxMessage,
    Report,
    ReportRevision,
    ReportState,
)
from app.services import outbox
from app.services.search.documents import (
    legacy_doc_id,
    legacy_document,
    report_doc_id,
    report_document,
)
from app.services.search.schema import build_schema
from app.services.search.segments import save_tables

INDEX_NAME = "register"
# Segments as separate files, not one compound file: Whoosh reads a compound file's parts
# through BytesIO, which copies each whole part into memory; at 270,000 documents a web
# worker held 1.4 GB after opening a searcher (docs/decisions.md).
WRITER_OPTIONS = {"limitmb": 256, "compound": False}


def index_dir() -> Path:
    return Path(current_app.config["SEARCH_INDEX_DIR"])


class IndexOutdated(RuntimeError):
    """The index on disk was built with another schema (an earlier version of the register);
    `flask search rebuild` replaces it."""


def open_index(*, create: bool = False):
    folder = index_dir()
    try:
        found = whoosh_index.exists_in(folder, indexname=INDEX_NAME)
        ix = whoosh_index.open_dir(folder, indexname=INDEX_NAME) if found else None
    except (AttributeError, ImportError, pickle.UnpicklingError, IndexVersionError) as exc:
        # The stored schema names analyzer classes of an earlier version of the code.
        raise IndexOutdated(
            "The search index was built by an earlier version of the register "
            f"({type(exc).__name__}); run `flask search rebuild`."
        ) from exc
    if ix is not None:
        if set(ix.schema.names()) != set(build_schema().names()):
            raise IndexOutdated(
                "The search index was built by an earlier version of the register; "
                "run `flask search rebuild`."
            )
        return ix
    if not create:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    return whoosh_index.create_in(folder, build_schema(), indexname=INDEX_NAME)


# --- applying changes -------------------------------------------------------------------


def _reports(ids: Iterable[int]) -> list[Report]:
    return list(
        db.session.scalars(
            sa.select(Report)
            .where(Report.id.in_(list(ids)))
            .options(selectinload(Report.devices), selectinload(Report.reviews))
        )
    )


def _legacy(ids: Iterable[int]) -> list[LegacyRecord]:
    return list(db.session.scalars(sa.select(LegacyRecord).where(LegacyRecord.id.in_(list(ids)))))


def apply_changes(report_ids: Iterable[int] = (), legacy_ids: Iterable[int] = ()) -> int:
    """Bring the named documents in line with the database (add, replace or delete), in one
    index commit."""
    report_ids, legacy_ids = sorted(set(report_ids)), sorted(set(legacy_ids))
    ix = open_index(create=True)
    writer = ix.writer(timeout=30, **WRITER_OPTIONS)
    try:
        for ids in _chunks(report_ids, 500):
            found = {r.id: r for r in _reports(ids)}
            for report_id in ids:
                writer.delete_by_term("doc_id", report_doc_id(report_id))
                document = report_document(found[report_id]) if report_id in found else None
                if document is not None:
                    writer.add_document(**document)
        for ids in _chunks(legacy_ids, 500):
            records = {r.id: r for r in _legacy(ids)}
            for record_id in ids:
                writer.delete_by_term("doc_id", legacy_doc_id(record_id))
                if record_id in records:
                    writer.add_document(**legacy_document(records[record_id]))
            for record in records.values():
                db.session.expunge(record)  # a bulk import's batch holds many thousand rows
    except Exception:
        writer.cancel()
        raise
    writer.commit()
    save_tables(ix)
    return len(report_ids) + len(legacy_ids)


@outbox.batch_handler("search.index")
def _apply_messages(payloads: list[dict]) -> None:
    apply_changes(
        [i for p in payloads for i in p.get("report", [])],
        [i for p in payloads for i in p.get("legacy", [])],
    )


# --- tracking changes in the same transaction ---------------------------------------------

_PENDING = "search_pending"


def _touched(session: Session) -> None:
    pending = session.info.setdefault(_PENDING, {"report": set(), "legacy": set()})
    for obj in [*session.new, *session.dirty, *session.deleted]:
        if isinstance(obj, Report) and obj.id is not None:
            pending["report"].add(obj.id)
        elif isinstance(obj, AffectedDevice | ManufacturerReview | ReportRevision):
            if obj.report_id is not None:
                pending["report"].add(obj.report_id)
        elif isinstance(obj, LegacyRecord) and obj.id is not None:
            pending["legacy"].add(obj.id)


def _after_flush(session: Session, flush_context) -> None:
    # After a flush new rows have their ids, and session.new/dirty still list them.
    _touched(session)


def _before_commit(session: Session) -> None:
    session.flush()
    pending = session.info.pop(_PENDING, None)
    if pending and (pending["report"] or pending["legacy"]):
        session.add(
            OutboxMessage(kind="search.index", payload={k: sorted(v) for k, v in pending.items()})
        )


def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


def track_changes() -> None:
    """Write one outbox message per transaction that changed searchable rows. Listens on the
    shared scoped session once per process, whatever the number of apps."""
    if event.contains(db.session, "before_commit", _before_commit):
        return
    event.listen(db.session, "after_flush", _after_flush)
    event.listen(db.session, "before_commit", _before_commit)
    event.listen(db.session, "after_rollback", _after_rollback)


# --- rebuild and verify -------------------------------------------------------------------


def _in_date_order() -> list[tuple[str, int]]:
    """Every row to index, oldest first, as the documents' own dates have it. Indexed in
    this order, document numbers follow dates (and later additions are the newest), so the
    newest documents a broad query is ranked among sit together at the end of each posting
    list, and finding them reads a few blocks instead of every block (docs/decisions.md)."""
    report_date = sa.func.coalesce(Report.published_at, Report.submitted_at, Report.created_at)
    legacy_date = sa.func.coalesce(LegacyRecord.opened_at, LegacyRecord.imported_at)
    rows = [
        (when, "report", row_id)
        for row_id, when in db.session.execute(
            sa.select(Report.id, report_date).where(Report.state != ReportState.draft)
        )
    ]
    rows += [
        (when, "legacy", row_id)
        for row_id, when in db.session.execute(sa.select(LegacyRecord.id, legacy_date))
    ]
    rows.sort(key=lambda row: (row[0] or datetime.min, row[1], row[2]))
    return [(kind, row_id) for _, kind, row_id in rows]


def _documents(rows: list[tuple[str, int]]) -> list[dict]:
    reports = {r.id: r for r in _reports([i for kind, i in rows if kind == "report"])}
    records = {r.id: r for r in _legacy([i for kind, i in rows if kind == "legacy"])}
    documents = [
        report_document(reports[i]) if kind == "report" else legacy_document(records[i])
        for kind, i in rows
        if i in (reports if kind == "report" else records)
    ]
    return [d for d in documents if d is not None]


def rebuild(progress: Callable[[int], None] | None = None, batch: int = 500) -> int:
    """Build a fresh index beside the live one from the database, then swap it in."""
    live = index_dir()
    fresh = live.with_name(live.name + ".rebuild")
    shutil.rmtree(fresh, ignore_errors=True)
    fresh.mkdir(parents=True)
    ix = whoosh_index.create_in(fresh, build_schema(), indexname=INDEX_NAME)
    rows = _in_date_order()
    writer = _bulk_writer(ix, len(rows))
    count = 0
    for chunk in _chunks(rows, batch):
        for document in _documents(chunk):
            writer.add_document(**document)
            count += 1
        if progress:
            progress(len(chunk))
        db.session.expunge_all()  # constant memory over hundreds of thousands of rows
    writer.commit(optimize=count < PARALLEL_FROM)  # two big segments are left as they are
    save_tables(ix)
    old = live.with_name(live.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if live.exists():
        live.rename(old)
    fresh.rename(live)
    shutil.rmtree(old, ignore_errors=True)
    return count


# Below this many documents a second indexing process costs more than it saves.
PARALLEL_FROM = 20_000


def _bulk_writer(ix, documents: int):
    """A writer for many documents: with two processes each writing its own segment, a
    rebuild runs about twice as fast as with one (docs/decisions.md)."""
    if documents >= PARALLEL_FROM:
        return ix.writer(procs=2, multisegment=True, **WRITER_OPTIONS)
    return ix.writer(**WRITER_OPTIONS)


def _chunks(ids: list[int], size: int):
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


@dataclass
class Drift:
    missing: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)
    documents: int = 0

    @property
    def clean(self) -> bool:
        return not (self.missing or self.stale or self.orphans)

    def summary(self) -> str:
        return (
            f"{self.documents} documents; {len(self.missing)} missing, {len(self.stale)} "
            f"stale, {len(self.orphans)} orphan"
        )


def expected_stamps() -> dict[str, str]:
    """doc_id -> stamp for every row that should be in the index."""
    expected = {}
    for report in db.session.scalars(sa.select(Report).where(Report.state != "draft")):
        expected[report_doc_id(report.id)] = str(report.version)
    rows = db.session.execute(sa.select(LegacyRecord.id, LegacyRecord.source_hash))
    for record_id, source_hash in rows:
        expected[legacy_doc_id(record_id)] = source_hash[:16]
    return expected


def verify() -> Drift:
    drift = Drift()
    expected = expected_stamps()
    try:
        ix = open_index()
    except IndexOutdated:
        ix = None  # everything is missing from an index of the current shape
    indexed: dict[str, str] = {}
    if ix is not None:
        with ix.searcher() as searcher:
            for fields in searcher.all_stored_fields():
                indexed[fields["doc_id"]] = fields.get("stamp", "")
    drift.documents = len(indexed)
    for doc_id, stamp in expected.items():
        if doc_id not in indexed:
            drift.missing.append(doc_id)
        elif indexed[doc_id] != stamp:
            drift.stale.append(doc_id)
    drift.orphans = sorted(set(indexed) - set(expected))
    return drift


def document_count() -> int | None:
    ix = open_index()
    if ix is None:
        return None
    with ix.searcher() as searcher:
        return searcher.doc_count()


__all__ = ["apply_changes", "open_index", "rebuild", "track_changes", "verify"]
