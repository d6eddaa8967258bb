"""Importing DSMS incident exports (DESIGN §4).

The file is read as a stream (CSV with proper quoting, or JSON lines), one row at a time, and
applied in batches of `batch_size`, each batch in its own transaction: a run killed halfway
leaves whole batches behind and a re-run completes the job, because rows are matched by
`number` and an unchanged row (same SHA-256 of its source fields) is left alone. Text is
redacted before it is stored; facts are extracted from the redacted text. Counts are of
records (a quoted field may span physical lines): every rejected record is reported once, on
the line it starts on, with every reason it was refused for.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import BinaryIO

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import LegacyRawRecord, LegacyRecord, User
from app.models.base import utcnow
from app.services import audit, policy
from app.services.csv_input import NUL_MARK, RecordLines, RowError, numbered_rows, text_lines
from app.services.extraction import Gazetteer, extract, load_gazetteer
from app.services.person_names import NameFinder
from app.services.redaction import configured_names, name_finder, redact

FIELDS = (
    "number",
    "opened_at",
    "closed_at",
    "state",
    "priority",
    "category",
    "subcategory",
    "short_description",
    "description",
    "close_notes",
    "work_notes",
)
TEXT_FIELDS = ("short_description", "description", "close_notes", "work_notes")
SHORT_FIELDS = {"number": 40, "state": 60, "priority": 60, "category": 120, "subcategory": 120}
DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d-%m-%Y %H:%M:%S",
    "%Y-%m-%d",
    "%d/%m/%Y",
)
CONTROL = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")
NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")


@dataclass
class LegacyRow:
    line: int
    values: dict[str, str]

    @property
    def number(self) -> str:
        return self.values["number"]

    def source_hash(self) -> str:
        canonical = json.dumps([self.values.get(f, "") for f in FIELDS], ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass
class ImportSummary:
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    # One per rejected record, its reasons joined by "; "; `problems` counts the reasons.
    errors: list[RowError] = field(default_factory=list)
    problems: int = 0

    @property
    def rejected(self) -> int:
        return len(self.errors)

    def reject(self, line: int, reasons: list[str]) -> None:
        self.errors.append(RowError(line, "; ".join(reasons)))
        self.problems += len(reasons)

    def text(self) -> str:
        return (
            f"{_count(self.read, 'record')} read: {self.inserted} inserted, "
            f"{self.updated} updated, {self.unchanged} unchanged, "
            f"{_count(self.rejected, 'record')} rejected ({_count(self.problems, 'problem')})"
        )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


# --- reading --------------------------------------------------------------------------


def _csv_rows(binary: BinaryIO, mapping: dict[str, str]) -> Iterator[LegacyRow | RowError]:
    max_field = current_app.config["LEGACY_MAX_FIELD_CHARS"]
    csv.field_size_limit(max_field * 4 + 1024)
    lines = RecordLines(text_lines(binary))
    reader = csv.reader(lines, strict=False)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        return
    except csv.Error as exc:
        yield RowError(1, f"unreadable header: {exc}")
        return
    columns = {
        name: header.index(mapping.get(name, name))
        for name in FIELDS
        if mapping.get(name, name) in header
    }
    if "number" not in columns:
        yield RowError(1, f"no '{mapping.get('number', 'number')}' column in the header")
        return
    for line, raw in numbered_rows(reader, lines):
        if isinstance(raw, RowError):
            too_large = "field larger than field limit" in raw.reason
            yield (
                RowError(line, f"oversized field: over {max_field} characters")
                if too_large
                else raw
            )
            continue
        if len(raw) != len(header):
            yield RowError(line, f"wrong column count: {len(raw)} fields, expected {len(header)}")
            continue
        yield LegacyRow(line, {name: raw[index] for name, index in columns.items()})


def _jsonl_rows(binary: BinaryIO, mapping: dict[str, str]) -> Iterator[LegacyRow | RowError]:
    for line, text in enumerate(text_lines(binary), start=1):
        if not text.strip():
            continue
        try:
            data = json.loads(text.replace(NUL_MARK, "\\u0000"))
        except json.JSONDecodeError as exc:
            yield RowError(line, f"not valid JSON: {exc.msg}")
            continue
        if not isinstance(data, dict):
            yield RowError(line, "not a JSON object")
            continue
        values = {}
        for name in FIELDS:
            value = data.get(mapping.get(name, name))
            values[name] = "" if value is None else str(value).replace("\x00", NUL_MARK)
        yield LegacyRow(line, values)


def read_rows(
    binary: BinaryIO, fmt: str = "csv", mapping: dict[str, str] | None = None
) -> Iterator[LegacyRow | RowError]:
    reader = _jsonl_rows if fmt == "jsonl" else _csv_rows
    yield from reader(binary, mapping or {})


def parse_datetime(text: str) -> datetime | None:
    text = text.strip()
    if not text:
        return None
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"unparseable date {text[:40]!r}") from None
    return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed


def row_problems(row: LegacyRow) -> list[str]:
    """Every reason the row cannot be imported (none: it can)."""
    max_field = current_app.config["LEGACY_MAX_FIELD_CHARS"]
    values = row.values
    number = values.get("number", "").strip()
    problems = [] if number else ["missing number"]
    for name, value in values.items():
        if NUL_MARK in value:
            problems.append(f"NUL character in {name}")
        if "\ufffd" in value:
            problems.append(f"not valid UTF-8 in {name}")
        if CONTROL.search(value):
            problems.append(f"control character in {name}")
        limit = SHORT_FIELDS.get(name, max_field)
        if len(value) > limit:
            problems.append(f"oversized field {name}: {len(value)} characters, at most {limit}")
    if number and not NUMBER.match(number):
        problems.append(
            f"number {number[:40]!r} has characters other than letters, digits and ._/-"
        )
    for name in ("opened_at", "closed_at"):
        try:
            parse_datetime(values.get(name, ""))
        except ValueError as exc:
            problems.append(f"{name}: {exc}")
    return problems


# --- applying -------------------------------------------------------------------------


@dataclass
class RedactionContext:
    """What redaction and extraction need, built once per run."""

    names: re.Pattern | None
    finder: NameFinder | None
    gazetteer: Gazetteer
    keep_raw: bool


def redaction_context() -> RedactionContext:
    config = current_app.config
    gazetteer = load_gazetteer()
    return RedactionContext(
        names=configured_names(config.get("REDACTION_NAMES_FILE")),
        finder=name_finder([*gazetteer.manufacturers, *gazetteer.models]),
        gazetteer=gazetteer,
        keep_raw=config["LEGACY_KEEP_RAW"],
    )


def redacted_text(values: dict[str, str], context: RedactionContext) -> dict:
    """The text fields of `values` as stored (redacted), with `redactions` (how many) and
    `facts` (what extraction finds in the redacted text)."""
    fields: dict = {}
    redactions = 0
    for name in TEXT_FIELDS:
        result = redact(values.get(name, ""), context.names, context.finder)
        fields[name] = result.text.strip()
        redactions += sum(result.counts.values())
    searchable = "\n".join(fields[name] for name in TEXT_FIELDS)
    facts = extract(searchable, context.gazetteer).as_dict()
    return fields | {"redactions": redactions, "facts": facts}


def _fill(record: LegacyRecord, row: LegacyRow, context: RedactionContext) -> None:
    values = row.values
    record.number = values["number"].strip()
    record.opened_at = parse_datetime(values.get("opened_at", ""))
    record.closed_at = parse_datetime(values.get("closed_at", ""))
    for name in ("state", "priority", "category", "subcategory"):
        setattr(record, name, values.get(name, "").strip())
    for name, value in redacted_text(values, context).items():
        setattr(record, name, value)
    record.source_hash = row.source_hash()
    record.updated_at = utcnow()


def _apply_batch(batch: list[LegacyRow], summary: ImportSummary, context: RedactionContext) -> None:
    numbers = [row.number.strip() for row in batch]
    existing = {
        r.number: r
        for r in db.session.scalars(sa.select(LegacyRecord).where(LegacyRecord.number.in_(numbers)))
    }
    for row in batch:
        record = existing.get(row.number.strip())
        if record is not None and record.source_hash == row.source_hash():
            summary.unchanged += 1
            continue
        if record is None:
            record = LegacyRecord()
            db.session.add(record)
            summary.inserted += 1
        else:
            summary.updated += 1
        _fill(record, row, context)
        if context.keep_raw:
            db.session.flush()
            raw = db.session.get(LegacyRawRecord, record.id)
            if raw is None:
                db.session.add(LegacyRawRecord(legacy_record_id=record.id, raw=row.values))
            else:
                raw.raw = row.values
    db.session.commit()


def import_stream(
    binary: BinaryIO,
    *,
    actor: User | None,
    fmt: str = "csv",
    mapping: dict[str, str] | None = None,
    source: str = "",
    batch_size: int = 1000,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Import DSMS rows from a binary stream. `actor=None` is the system (CLI).
    `progress(rows)` is called after each batch."""
    if actor is not None:
        policy.require(actor, "legacy.import")
    context = redaction_context()
    summary = ImportSummary()
    seen: set[str] = set()
    batch: list[LegacyRow] = []
    for item in read_rows(binary, fmt, mapping):
        summary.read += 1
        if isinstance(item, RowError):
            summary.reject(item.line, [item.reason])
            continue
        problems = row_problems(item)
        number = item.values.get("number", "").strip()
        if number in seen:
            problems.append(f"duplicate number {number} within the file")
        if problems:
            summary.reject(item.line, problems)
            continue
        seen.add(number)
        batch.append(item)
        if len(batch) >= batch_size:
            _apply_batch(batch, summary, context)
            batch.clear()
            if progress:
                progress(summary.read)
    if batch:
        _apply_batch(batch, summary, context)
    if progress:
        progress(summary.read)
    audit.record_import(actor, "legacy.imported", source, summary.text())
    db.session.commit()
    return summary
