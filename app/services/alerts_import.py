"""Importing daily alert-volume extracts (DESIGN §8).

CSV with a header naming the columns date, csp_region, alert_code, device_type, manufacturer,
model, firmware, alert_count, device_count (in any order). The file is read as a stream, row
by row, and written in batches, each in its own transaction (alerts_store.py: upserted on the
key day, region, alert code and DMC; the weekly sums re-summed once at the end). A run killed
halfway leaves whole batches behind; running it again completes the job. A row whose key
comes again later, in the file or in a later file, replaces the earlier one. Every rejected
row is reported with its line number and the reason.
"""

from __future__ import annotations

import csv
import re
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
from app.models.base import utcnow
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
BATCH_SIZE = 20_000
CONTROL = re.compile(r"[\x00-\x1f\x7f\ufffd" + NUL_MARK + "]")
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


class _Dmcs:
    """DMC ids by the spelling an extract uses, matched to the catalogue (names, aliases and
    models ignoring case and spacing) and created on first sight."""

    def __init__(self, summary: AlertImportSummary):
        self.summary = summary
        self.by_spelling: dict[tuple[str, ...], int | str] = {}
        self.makers: dict[str, Manufacturer] = {}
        for maker in db.session.scalars(sa.select(Manufacturer)):
            for spelling in [maker.name, *(maker.aliases or [])]:
                self.makers[_fold(spelling)] = maker
        self.models = {
            (m.manufacturer_id, m.device_type.value, _fold(m.model_name)): m.model_name
            for m in db.session.scalars(sa.select(DeviceModel))
        }

    def id_for(self, spelling: tuple[str, ...]) -> int | str:
        found = self.by_spelling.get(spelling)
        if found is None:
            found = self.by_spelling[spelling] = self._resolve(*spelling)
        return found

    def _resolve(self, device_type: str, maker: str, model: str, firmware: str) -> int | str:
        kind = device_type.strip().upper()
        if kind not in DEVICE_TYPES:
            return f"unknown device type {device_type.strip()[:20]!r}"
        for name, value in (("manufacturer", maker), ("model", model), ("firmware", firmware)):
            if CONTROL.search(value):
                return f"control character or invalid UTF-8 in {name}"
            if len(value.strip()) > TEXT_LIMITS[name]:
                return f"{name} longer than {TEXT_LIMITS[name]} characters"
        known = self.makers.get(_fold(maker))
        maker_name = known.name if known else " ".join(maker.split())
        model_name = " ".join(model.split())
        if known:
            model_name = self.models.get((known.id, kind, _fold(model)), model_name)
        return self._get_or_create(kind, maker_name, model_name, firmware.strip(), known)

    def _get_or_create(self, kind, maker_name, model_name, firmware, known) -> int:
        values = {
            "device_type": kind,
            "manufacturer": maker_name,
            "model": model_name,
            "firmware": firmware,
        }
        created = db.session.scalar(
            alerts_store.upsert_into(AlertDmc)
            .values(**values, manufacturer_id=known.id if known else None, created_at=utcnow())
            .on_conflict_do_nothing(index_elements=list(values))
            .returning(AlertDmc.id)
        )
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
        self.today = date.today()
        self.days: dict[str, tuple[str, str, str] | str] = {}
        self.codes: dict[str, str | None] = {}

    def check(self, raw: list[str]) -> tuple | str:
        if len(raw) != self.width:
            return f"wrong column count: {len(raw)} fields, expected {self.width}"
        values = self.pick(raw)
        for name, value in zip(COLUMNS, values, strict=True):
            if not value.strip():
                return f"missing {name}"
        day_text, region_text, code_text, kind, maker, model, firmware, alerts, devices = values
        day = self.days.get(day_text)
        if day is None:
            day = self.days[day_text] = _parse_day(day_text, self.today)
        if isinstance(day, str):
            return day
        region = _region(region_text)
        if region is None:
            return f"unknown region {region_text.strip()[:20]!r} (north, central or south)"
        code = self.codes.get(code_text, "")
        if code == "":
            code = self.codes[code_text] = normalise_alert_code(code_text)
        if code is None:
            return f"bad alert code {code_text.strip()[:20]!r} (4 hex digits such as 8F35)"
        dmc_id = self.dmcs.id_for((kind, maker, model, firmware))
        if isinstance(dmc_id, str):
            return dmc_id
        alert_count = _parse_count("alert_count", alerts)
        if isinstance(alert_count, str):
            return alert_count
        device_count = _parse_count("device_count", devices)
        if isinstance(device_count, str):
            return device_count
        if device_count == 0 and alert_count:
            return f"alert_count {alert_count} with device_count 0"
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


def _write(batch: dict[tuple, tuple], summary: AlertImportSummary) -> None:
    counts = alerts_store.write_batch(list(batch.values()))
    summary.inserted += counts.inserted
    summary.updated += counts.updated
    summary.unchanged += counts.unchanged


def import_stream(
    binary: BinaryIO,
    *,
    actor: User | None,
    source: str = "",
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
) -> AlertImportSummary:
    """Import an extract from a binary stream. `actor=None` is the system (CLI).
    `progress(rows read)` is called after each batch."""
    if actor is not None:
        policy.require(actor, "alerts.import")
    summary = AlertImportSummary()
    reader = csv.reader(text_lines(binary), strict=True)
    header = _header(reader)
    if isinstance(header, RowError):
        summary.reject(header.line, header.reason)
    elif header is not None:
        _import_rows(reader, _Checker(header, _Dmcs(summary)), summary, batch_size, progress)
    alerts_store.resum_pending()
    audit.record_import(actor, "alerts.imported", source, summary.text())
    db.session.commit()
    return summary


def _import_rows(reader, checker: _Checker, summary, batch_size: int, progress) -> None:
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
            _write(batch, summary)
            batch.clear()
            if progress:
                progress(summary.read)
    if batch:
        _write(batch, summary)
    if progress:
        progress(summary.read)
