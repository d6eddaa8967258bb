"""Importing daily alert-volume extracts (DESIGN §8).

CSV with a header naming the columns date, csp_region, alert_code, device_type, manufacturer,
model, firmware, alert_count, device_count (in any order). The file is read as a stream, row
by row, and written in batches, each in its own transaction (alerts_store.py: upserted on the
key day, region, alert code and DMC; the weekly sums re-summed once at the end). A thread of
its own writes each batch while the next is read (_Writer). A run killed or failing halfway
leaves whole batches behind; running it again completes the job. A row whose key comes again
later, in the file or in a later file, replaces the earlier one. Every rejected row is
reported with its line number and the reason.
"""

from __future__ import annotations

import csv
import queue
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from operator import itemgetter
from typing import BinaryIO

import sqlalchemy as sa

from app.extensions import db
from app.models import (
    AlertDmc,
    DeviceModel,
    DeviceType,
    Manufacturer,
    User,
)
from app.models.alerts import ALERT_REGIONS
from app.models.base import uk_date, utcnow
from app.services import alerts_store, audit, policy
from app.services.csv_input import NUL_MARK, RowError, numbered_rows, text_lines
from app.services.report_data import normalise_alert_code

COLUMNS = (
    "date",
    "csp_region",
    "alert_code",
    "device_type",
    "manufacturer",
    "model",
    "firmware",
    "alert_count",
    "device_count",
)
TEXT_LIMITS = {"manufacturer": 200, "model": 120, "firmware": 40}
# Before smart metering began, a date is a typing error, not history.
EARLIEST = date(2010, 1, 1)
MAX_COUNT = 2**31 - 1
# The summary lists this many rejected rows; the rest are counted (constant memory).
MAX_LISTED_ERRORS = 1000
# Rows per transaction. Each batch costs a few hand-overs between the reading and writing
# threads, each waiting for the GIL: 50,000 imported a million rows a fifth faster than
# 20,000 (bench/alerts_bench.py), for some 10 MB more held (three batches at most).
BATCH_SIZE = 50_000
# C0 and C1 controls and the code points XML forbids: names end up in the SVG charts.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ufffd\ufffe\uffff" + NUL_MARK + "]")
# Distinct dates, codes and DMC spellings remembered; beyond this they are worked out each
# time, so a file of junk cannot grow the import's memory.
MAX_REMEMBERED = 20_000
DEVICE_TYPES = {t.value for t in DeviceType}


@dataclass
class AlertImportSummary:
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    new_dmcs: int = 0
    errors: list[RowError] = field(default_factory=list)

    def reject(self, line: int, reason: str) -> None:
        self.rejected += 1
        if len(self.errors) < MAX_LISTED_ERRORS:
            self.errors.append(RowError(line, reason))

    def text(self) -> str:
        text = (
            f"{self.read:,} rows read: {self.inserted:,} inserted, {self.updated:,} updated, "
            f"{self.unchanged:,} unchanged, {self.rejected:,} rejected"
        )
        if self.new_dmcs:
            text += f"; {self.new_dmcs:,} new DMCs"
        if self.rejected > len(self.errors):
            text += f" (the first {len(self.errors):,} rejected rows are listed)"
        return text


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


# --- checking one row -----------------------------------------------------------------


def _parse_day(text: str, today: date) -> tuple[str, str, str] | str:
    """(day, Monday of its week, Monday after) as ISO text, or why the date is bad."""
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            day = datetime.strptime(text, fmt).date()
            break
        except ValueError:
            continue
    else:
        return f"bad date {text[:40]!r} (use YYYY-MM-DD)"
    if day > today:
        return f"date {day.isoformat()} is in the future"
    if day < EARLIEST:
        return f"date {day.isoformat()} is before {EARLIEST.isoformat()}"
    week = day - timedelta(days=day.weekday())
    return day.isoformat(), week.isoformat(), (week + timedelta(days=7)).isoformat()


def _parse_count(name: str, text: str) -> int | str:
    text = text.strip()
    if text.isascii() and text.isdigit():
        value = int(text)
        return value if value <= MAX_COUNT else f"{name} {text[:20]} is too large"
    if text.startswith("-") and text[1:].isascii() and text[1:].isdigit():
        return f"{name} is negative ({text[:20]})"
    return f"{name} is not a whole number ({text[:20]!r})"


def _region(text: str) -> str | None:
    folded = _fold(text).removeprefix("csp ")
    return folded if folded in ALERT_REGIONS else None


class _Remembered(dict):
    """A value per key, worked out on first sight and kept while there is room; the rows'
    dates, codes and DMCs repeat, so most lookups are a plain dict hit."""

    def __init__(self, work_out: Callable):
        super().__init__()
        self.work_out = work_out

    def __missing__(self, key):
        found = self.work_out(key)
        if len(self) < MAX_REMEMBERED:
            self[key] = found
        return found


class _Dmcs:
    """DMC ids by the spelling an extract uses, matched to the catalogue (names, aliases and
    models ignoring case and spacing) and created on first sight."""

    def __init__(self, summary: AlertImportSummary):
        self.summary = summary
        # DMC id, or why the spelling is refused.
        self.by_spelling = _Remembered(lambda spelling: self._resolve(*spelling))
        # (id, name), not the ORM objects, which each commit of a new DMC would expire.
        self.makers: dict[str, tuple[int, str]] = {}
        for maker in db.session.scalars(sa.select(Manufacturer)):
            for spelling in [maker.name, *(maker.aliases or [])]:
                self.makers[_fold(spelling)] = (maker.id, maker.name)
        self.models = {
            (m.manufacturer_id, m.device_type.value, _fold(m.model_name)): m.model_name
            for m in db.session.scalars(sa.select(DeviceModel))
        }

    def id_for(self, spelling: tuple[str, ...]) -> int | str:
        return self.by_spelling[spelling]

    def _resolve(self, device_type: str, maker: str, model: str, firmware: str) -> int | str:
        kind = device_type.strip().upper()
        if kind not in DEVICE_TYPES:
            return f"unknown device type {device_type.strip()[:20]!r}"
        for name, value in (("manufacturer", maker), ("model", model), ("firmware", firmware)):
            if CONTROL.search(value):
                return f"control character or invalid UTF-8 in {name}"
            if len(value.strip()) > TEXT_LIMITS[name]:
                return f"{name} longer than {TEXT_LIMITS[name]} characters"
        maker_id, maker_name = self.makers.get(_fold(maker), (None, " ".join(maker.split())))
        model_name = " ".join(model.split())
        if maker_id is not None:
            model_name = self.models.get((maker_id, kind, _fold(model)), model_name)
        return self._get_or_create(kind, maker_name, model_name, firmware.strip(), maker_id)

    def _get_or_create(self, kind, maker_name, model_name, firmware, maker_id) -> int:
        values = {
            "device_type": kind,
            "manufacturer": maker_name,
            "model": model_name,
            "firmware": firmware,
        }
        created = db.session.scalar(
            alerts_store.upsert_into(AlertDmc)
            .values(**values, manufacturer_id=maker_id, created_at=utcnow())
            .on_conflict_do_nothing(index_elements=list(values))
            .returning(AlertDmc.id)
        )
        # At once: the writer's connection must not wait for this one (SQLite has one writer).
        db.session.commit()
        if created is not None:
            self.summary.new_dmcs += 1
            return created
        return db.session.scalar(sa.select(AlertDmc.id).filter_by(**values))


class _Checker:
    """Turns a CSV row into a staged tuple, or the reason it is refused. Dates, alert codes
    and DMCs repeat on almost every row, so each distinct spelling is checked once."""

    def __init__(self, header: list[str], dmcs: _Dmcs):
        positions = [header.index(name) for name in COLUMNS]
        self.width = len(header)
        self.pick = itemgetter(*positions)
        self.dmcs = dmcs
        today = uk_date(utcnow())  # extracts are dated in UK days
        self.days = _Remembered(lambda text: _parse_day(text, today))
        self.codes = _Remembered(lambda text: normalise_alert_code(text) or "")  # "" if bad

    def check(self, raw: list[str]) -> tuple | str:
        if len(raw) != self.width:
            return f"wrong column count: {len(raw)} fields, expected {self.width}"
        values = self.pick(raw)
        for name, value in zip(COLUMNS, values, strict=True):
            if not value.strip():
                return f"missing {name}"
        day_text, region_text, code_text, kind, maker, model, firmware, alerts, devices = values
        day = self.days[day_text]
        if isinstance(day, str):
            return day
        region = _region(region_text)
        if region is None:
            return f"unknown region {region_text.strip()[:20]!r} (north, central or south)"
        code = self.codes[code_text]
        if not code:
            return f"bad alert code {code_text.strip()[:20]!r} (4 hex digits such as 8F35)"
        alert_count = _parse_count("alert_count", alerts)
        if isinstance(alert_count, str):
            return alert_count
        device_count = _parse_count("device_count", devices)
        if isinstance(device_count, str):
            return device_count
        if device_count == 0 and alert_count:
            return f"alert_count {alert_count} with device_count 0"
        # Last: a row refused for its counts must not create a DMC.
        dmc_id = self.dmcs.id_for((kind, maker, model, firmware))
        if isinstance(dmc_id, str):
            return dmc_id
        return (dmc_id, code, region, *day, alert_count, device_count)


# --- the import -------------------------------------------------------------------------


def _header(reader) -> list[str] | RowError | None:
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        return None
    except csv.Error as exc:
        return RowError(1, f"unreadable header: {exc}")
    missing = [name for name in COLUMNS if name not in header]
    if missing:
        return RowError(1, f"the header lacks the column(s) {', '.join(missing)}")
    return header


class _Writer:
    """Writes batches on a thread of its own, with a connection of its own, while the caller
    reads and checks the next one: the database works (without the GIL) while Python parses.
    At most one batch waits, so memory stays constant. After a failed write nothing more is
    written and the caller's next `put` or `finish` raises the error; if the caller fails,
    `finish(abandon=True)` lets the batch being written commit and drops the rest. Either
    way only whole batches are stored, and their weeks stay marked for the next import."""

    def __init__(self, engine: sa.Engine):
        # PostgreSQL: the reading thread, which has time to spare, makes the COPY text, as
        # the writer's Python work waits for the GIL whenever the reader holds it.
        self._copy = engine.dialect.name == "postgresql"
        # While every row so far was new, the next batch is tried as new (alerts_store).
        self.all_new = True
        self.inserted = self.updated = self.unchanged = 0
        self.error: BaseException | None = None
        self._abandon = threading.Event()
        self._queue: queue.Queue[tuple | None] = queue.Queue(maxsize=1)
        self._thread = threading.Thread(
            target=self._run, args=(engine,), name="alerts-import-writer", daemon=True
        )
        self._thread.start()

    def _run(self, engine: sa.Engine) -> None:
        try:
            with engine.connect() as conn:
                while (batch := self._queue.get()) is not None:
                    if self.error is None and not self._abandon.is_set():
                        self._write(conn, *batch)
        except BaseException as exc:  # raised in the caller's thread
            self.error = self.error or exc

    def _write(self, conn: sa.Connection, rows: list[tuple], text) -> None:
        try:
            with conn.begin():
                counts = alerts_store.write_rows(conn, rows, text, new=self.all_new)
        except BaseException as exc:  # raised in the caller's thread
            self.error = exc
            return
        self.all_new = self.all_new and counts.inserted == len(rows)
        self.inserted += counts.inserted
        self.updated += counts.updated
        self.unchanged += counts.unchanged

    def _send(self, item: tuple | None) -> None:
        while self._thread.is_alive():
            try:
                self._queue.put(item, timeout=0.5)
                return
            except queue.Full:
                continue

    def put(self, rows: list[tuple]) -> None:
        """Hand over a batch of staged tuples with distinct keys."""
        if self.error is not None:
            raise self.error
        rows.sort()  # in the key's order, as the stored rows are: fewer pages to visit
        text = alerts_store.CopyText.of(rows, marks=self.all_new) if self._copy else None
        self._send((rows, text))

    def finish(self, *, abandon: bool = False) -> None:
        if abandon:
            self._abandon.set()
        self._send(None)
        self._thread.join()
        if self.error is not None and not abandon:
            raise self.error


def import_stream(
    binary: BinaryIO,
    *,
    actor: User | None,
    source: str = "",
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
) -> AlertImportSummary:
    """Import an extract from a binary stream. `actor=None` is the system (CLI).
    `progress(rows read)` is called after each batch is read (and handed to the writer)."""
    if actor is not None:
        policy.require(actor, "alerts.import")
    summary = AlertImportSummary()
    lines = text_lines(binary)
    try:
        reader = csv.reader(lines, strict=True)
        header = _header(reader)
        if isinstance(header, RowError):
            summary.reject(header.line, header.reason)
        elif header is not None:
            _import_rows(reader, _Checker(header, _Dmcs(summary)), summary, batch_size, progress)
    finally:
        lines.close()  # let go of the caller's file now, even when the import failed
    alerts_store.resum_pending()
    audit.record_import(actor, "alerts.imported", source, summary.text())
    db.session.commit()
    return summary


def _import_rows(reader, checker: _Checker, summary, batch_size: int, progress) -> None:
    db.session.commit()  # the writer's connection must not wait on this session's transaction
    writer = _Writer(db.engine)
    try:
        _read_rows(reader, checker, summary, batch_size, progress, writer)
    except BaseException:
        writer.finish(abandon=True)
        raise
    writer.finish()
    summary.inserted += writer.inserted
    summary.updated += writer.updated
    summary.unchanged += writer.unchanged


def _read_rows(reader, checker: _Checker, summary, batch_size: int, progress, writer) -> None:
    batch: dict[tuple, tuple] = {}
    for line, raw in numbered_rows(reader):
        summary.read += 1
        row = raw.reason if isinstance(raw, RowError) else checker.check(raw)
        if isinstance(row, str):
            summary.reject(line, row)
            continue
        key = row[:4]
        if key in batch:
            summary.updated += 1  # the earlier row of the file is replaced by this one
        batch[key] = row
        if len(batch) >= batch_size:
            writer.put(list(batch.values()))
            batch = {}
            if progress:
                progress(summary.read)
    if batch:
        writer.put(list(batch.values()))
    if progress:
        progress(summary.read)
