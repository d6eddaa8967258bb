"""The device catalogue: reading it, and importing it from CSV.

An import is idempotent: a device model is identified by (manufacturer, device type, model,
hardware version) (a Comms Hub's CHF and GPF share a model name); re-importing updates its
model id and adds firmware versions, never duplicating. Every bad row is reported by its
line number. Unless `partial` is asked for, one bad row means nothing is imported.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import DeviceModel, DeviceType, FirmwareVersion, Manufacturer, User
from app.services import audit, policy
from app.services.csv_input import RowError, UndecodableLine
from app.services.errors import found

COLUMNS = (
    "manufacturer",
    "device_type",
    "model",
    "model_id_hex",
    "hardware_version",
    "firmware_versions",
)
HEX_MODEL_ID = re.compile(r"^(?:0[xX])?([0-9A-Fa-f]{4})$")
FIRMWARE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._\-]{0,39}$")
MAX_TEXT = {"manufacturer": 200, "model": 120, "hardware_version": 40}


@dataclass
class ImportResult:
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    applied: bool = False

    @property
    def rejected(self) -> int:
        return len(self.errors)

    def summary(self) -> str:
        verdict = "imported" if self.applied else "nothing imported"
        return (
            f"{self.read} rows read: {self.inserted} inserted, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.rejected} rejected ({verdict})"
        )


@dataclass(frozen=True)
class CatalogueRow:
    line: int
    manufacturer: str
    device_type: DeviceType
    model: str
    model_id_hex: str
    hardware_version: str
    firmware_versions: tuple[str, ...]

    @property
    def key(self) -> tuple[str, str, str]:
        return (
            self.manufacturer.lower(),
            self.device_type.value,
            self.model.lower(),
            self.hardware_version.lower(),
        )


def normalise_model_id(text: str) -> str | None:
    match = HEX_MODEL_ID.match(text.strip())
    return f"0x{match.group(1).upper()}" if match else None


def parse_row(line: int, raw: dict[str, str]) -> CatalogueRow:
    """Check one CSV row; raise ValueError with the reason."""
    values = {name: (raw.get(name) or "").strip() for name in COLUMNS}
    for name in ("manufacturer", "device_type", "model", "model_id_hex", "hardware_version"):
        if not values[name]:
            raise ValueError(f"{name} is empty")
    for name, limit in MAX_TEXT.items():
        if len(values[name]) > limit:
            raise ValueError(f"{name} is longer than {limit} characters")
    try:
        device_type = DeviceType(values["device_type"].upper())
    except ValueError:
        allowed = ", ".join(t.value for t in DeviceType)
        raise ValueError(f"device_type {values['device_type']!r} is not one of {allowed}") from None
    model_id = normalise_model_id(values["model_id_hex"])
    if model_id is None:
        raise ValueError(
            f"model_id_hex {values['model_id_hex']!r} is not 4 hex digits such as 0x0A1B"
        )
    firmware = tuple(v.strip() for v in values["firmware_versions"].split(";") if v.strip())
    for version in firmware:
        if not FIRMWARE.match(version):
            raise ValueError(
                f"firmware version {version!r} is not a version such as 3.2.1 or 0x00020015"
            )
    return CatalogueRow(
        line=line,
        manufacturer=" ".join(values["manufacturer"].split()),
        device_type=device_type,
        model=values["model"],
        model_id_hex=model_id,
        hardware_version=values["hardware_version"],
        firmware_versions=tuple(dict.fromkeys(firmware)),
    )


def _unreadable(exc: Exception) -> str:
    if isinstance(exc, UndecodableLine):
        return "the file is not UTF-8 text from here on (save it as CSV UTF-8)"
    return f"unreadable CSV: {exc}"


def read_rows(lines: Iterable[str], result: ImportResult) -> list[CatalogueRow]:
    """Parse the CSV text, collecting bad rows (by the line they start on) in `result`."""
    reader = csv.reader(lines)
    try:
        header = [h.strip().lower().lstrip("\ufeff") for h in next(reader)]
    except StopIteration:
        result.errors.append(RowError(1, "the file is empty"))
        return []
    except UndecodableLine as exc:
        result.errors.append(RowError(exc.line, _unreadable(exc)))
        return []
    except csv.Error as exc:
        result.errors.append(RowError(1, _unreadable(exc)))
        return []
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        result.errors.append(RowError(1, f"header lacks column(s): {', '.join(missing)}"))
        return []
    rows: list[CatalogueRow] = []
    seen: dict[tuple, int] = {}
    line = reader.line_num + 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except UndecodableLine as exc:
            # The rest of the file cannot be trusted: stop at the first undecodable line.
            result.errors.append(RowError(exc.line, _unreadable(exc)))
            break
        except csv.Error as exc:
            result.read += 1
            result.errors.append(RowError(line, _unreadable(exc)))
            line = reader.line_num + 1
            continue
        if not any(v.strip() for v in values):
            line = reader.line_num + 1
            continue
        result.read += 1
        try:
            if len(values) != len(header):
                raise ValueError(f"has {len(values)} fields, the header has {len(header)}")
            row = parse_row(line, dict(zip(header, values, strict=True)))
            if row.key in seen:
                raise ValueError(f"repeats the device model on line {seen[row.key]}")
            seen[row.key] = line
            rows.append(row)
        except ValueError as exc:
            result.errors.append(RowError(line, str(exc)))
        line = reader.line_num + 1
    return rows


def import_csv(
    *, actor: User | None, lines: Iterable[str], partial: bool = False, source: str = ""
) -> ImportResult:
    """Import catalogue rows. `actor=None` is the system (CLI)."""
    if actor is not None:
        policy.require(actor, "catalogue.manage")
    result = ImportResult()
    rows = read_rows(lines, result)
    if result.errors and not partial:
        return result
    manufacturers = {m.name.lower(): m for m in db.session.scalars(sa.select(Manufacturer))}
    for row in rows:
        _apply_row(row, manufacturers, result)
    result.applied = True
    audit.record(
        actor,
        "catalogue.imported",
        object_type="catalogue",
        object_id=source or None,
        summary=result.summary(),
    )
    db.session.commit()
    return result


def _apply_row(
    row: CatalogueRow, manufacturers: dict[str, Manufacturer], result: ImportResult
) -> None:
    maker = manufacturers.get(row.manufacturer.lower())
    if maker is None:
        maker = manufacturers[row.manufacturer.lower()] = Manufacturer(
            name=row.manufacturer, aliases=[]
        )
        db.session.add(maker)
        db.session.flush()
    model = db.session.scalar(
        sa.select(DeviceModel)
        .where(DeviceModel.manufacturer_id == maker.id)
        .where(DeviceModel.device_type == row.device_type)
        .where(sa.func.lower(DeviceModel.model_name) == row.model.lower())
        .where(sa.func.lower(DeviceModel.hardware_version) == row.hardware_version.lower())
        .options(selectinload(DeviceModel.firmware_versions))
    )
    if model is None:
        model = DeviceModel(
            manufacturer=maker,
            model_name=row.model,
            hardware_version=row.hardware_version,
            device_type=row.device_type,
            model_id_hex=row.model_id_hex,
        )
        model.firmware_versions = [FirmwareVersion(version=v) for v in row.firmware_versions]
        db.session.add(model)
        result.inserted += 1
        return
    known = {f.version for f in model.firmware_versions}
    new_versions = [v for v in row.firmware_versions if v not in known]
    changed = model.model_id_hex != row.model_id_hex
    model.model_id_hex = row.model_id_hex
    model.firmware_versions.extend(FirmwareVersion(version=v) for v in new_versions)
    if changed or new_versions:
        result.updated += 1
    else:
        result.unchanged += 1


# --- reading ----------------------------------------------------------------------------


def list_device_models(
    actor: User, *, query: str = "", device_type: str = "", page: int = 1, per_page: int = 50
):
    policy.require(actor, "catalogue.manage")
    stmt = (
        sa.select(DeviceModel)
        .join(DeviceModel.manufacturer)
        .options(selectinload(DeviceModel.firmware_versions))
        .order_by(Manufacturer.name, DeviceModel.model_name, DeviceModel.hardware_version)
    )
    if query.strip():
        like = f"%{query.strip()}%"
        stmt = stmt.where(
            sa.or_(
                Manufacturer.name.ilike(like),
                DeviceModel.model_name.ilike(like),
                DeviceModel.model_id_hex.ilike(like),
            )
        )
    if device_type:
        stmt = stmt.where(DeviceModel.device_type == DeviceType(device_type))
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def list_manufacturers() -> list[Manufacturer]:
    return list(db.session.scalars(sa.select(Manufacturer).order_by(Manufacturer.name)))


def get_manufacturer(actor: User, manufacturer_id: int) -> Manufacturer:
    policy.require(actor, "catalogue.manage")
    return found(db.session.get(Manufacturer, manufacturer_id), "manufacturer")


def set_manufacturer_aliases(
    *, actor: User | None, manufacturer_id: int, aliases: list[str]
) -> Manufacturer:
    if actor is not None:
        policy.require(actor, "catalogue.manage")
    maker = found(db.session.get(Manufacturer, manufacturer_id), "manufacturer")
    cleaned = list(dict.fromkeys(a.strip() for a in aliases if a.strip()))
    before = ", ".join(maker.aliases or [])
    maker.aliases = cleaned
    audit.record(
        actor, "catalogue.aliases_changed", maker, f"{before or '-'} -> {', '.join(cleaned) or '-'}"
    )
    db.session.commit()
    return maker


def device_model_choices() -> list[tuple[int, str]]:
    """Every catalogue model as (id, label), for picking the Devices of a DMC."""
    stmt = (
        sa.select(DeviceModel)
        .join(DeviceModel.manufacturer)
        .order_by(Manufacturer.name, DeviceModel.device_type, DeviceModel.model_name)
    )
    return [
        (
            m.id,
            f"{m.manufacturer.name}: {m.model_name} ({m.device_type.value}, "
            f"hardware {m.hardware_version}, model id {m.model_id_hex})",
        )
        for m in db.session.scalars(stmt)
    ]
