"""What a reporter or validator types into a report, checked and normalised before it is
stored: alert codes, regions, DSMS references and the Devices of the DMC."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sqlalchemy as sa

from app.extensions import db
from app.models import (
    AffectedDevice,
    CspRegion,
    DeviceModel,
    DeviceType,
    FixType,
    Impact,
    Manufacturer,
    Occurrence,
    Report,
    ReportKind,
    RootCauseStatus,
)
from app.services.errors import ValidationFailed

HEX_ALERT = re.compile(r"^(?:0X)?([0-9A-F]{4})$")
DCC_ALERT = re.compile(r"^[A-Z]{1,2}[0-9]{1,4}$")
DSMS_REFERENCE = re.compile(r"^[A-Z]{2,5}[0-9]{4,12}$")
SEPARATORS = re.compile(r"[\s,;]+")


@dataclass
class DeviceInput:
    device_type: str = ""
    device_model_id: int | None = None
    manufacturer_name: str = ""
    model_name: str = ""
    hardware_version: str = ""
    firmware_version: str = ""

    def is_blank(self) -> bool:
        return not (self.device_model_id or self.manufacturer_name.strip() or self.model_name)


@dataclass
class ReportInput:
    kind: str
    title: str
    description: str
    occurrence: str
    impact: str
    devices: list[DeviceInput] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    alert_codes: str | list[str] = ""
    affected_count: int | None = None
    impact_text: str = ""
    root_cause_status: str = "unknown"
    root_cause_text: str = ""
    fix_type: str | None = None
    fix_firmware: str = ""
    fix_description: str = ""
    fix_source: str = ""
    security_sensitive: bool = False
    reveal_organisation: bool = False
    dsms_references: str | list[str] = ""


# Fields a validator may edit for consistency, with the words used in the history.
EDITABLE_FIELDS = {
    "kind": "Kind",
    "title": "Title",
    "description": "Description",
    "regions": "CSP regions",
    "alert_codes": "Alert codes",
    "occurrence": "Occurrence",
    "affected_count": "Affected installations",
    "impact": "Impact",
    "impact_text": "Impact details",
    "root_cause_status": "Root cause",
    "root_cause_text": "Root cause details",
    "fix_type": "Fix type",
    "fix_firmware": "Fixed in firmware",
    "fix_description": "Fix description",
    "fix_source": "Fix source",
    # Set by the validator on approval or in an edit; kept with each published revision, so an
    # edition knows whether the fix it shows had been checked (MP137: "a fix identified").
    "fix_validated": "Fix checked by the DCC",
    "security_sensitive": "Security-sensitive",
    "dsms_references": "DSMS incident references",
    "devices": "Devices (DMC)",
}
FIX_FIELDS = ("fix_type", "fix_firmware", "fix_description")


def _tokens(value: str | list[str]) -> list[str]:
    if isinstance(value, list):
        value = " ".join(value)
    return [t for t in SEPARATORS.split(value.strip().upper()) if t]


def normalise_alert_code(text: str) -> str | None:
    """'0x8f35' -> '8F35'; DCC codes such as 'n24' -> 'N24'; None if neither."""
    token = text.strip().upper()
    match = HEX_ALERT.match(token)
    if match:
        return match.group(1)
    return token if DCC_ALERT.match(token) else None


def parse_alert_codes(value: str | list[str]) -> list[str]:
    codes, bad = [], []
    for token in _tokens(value):
        code = normalise_alert_code(token)
        if code is None:
            bad.append(token)
        elif code not in codes:
            codes.append(code)
    if bad:
        message = (
            f"Not an alert code: {', '.join(bad)}. Use a 4-digit hex code such as 8F35 or "
            "0x8F35, or a DCC code such as N24."
        )
        raise ValidationFailed(message, field_errors={"alert_codes": [message]})
    return codes


def parse_dsms_references(value: str | list[str]) -> list[str]:
    refs, bad = [], []
    for token in _tokens(value):
        (refs if DSMS_REFERENCE.match(token) else bad).append(token)
    if bad:
        message = f"Not a DSMS incident reference: {', '.join(bad)} (expected e.g. INC0012345)."
        raise ValidationFailed(message, field_errors={"dsms_references": [message]})
    return list(dict.fromkeys(refs))


def _enum(enum_cls, value, name: str, label: str, optional: bool = False):
    if optional and not value:
        return None
    try:
        return enum_cls(value)
    except ValueError:
        message = f"Choose a {label}."
        raise ValidationFailed(message, field_errors={name: [message]}) from None


def _find_manufacturer(name: str) -> Manufacturer | None:
    """A typed manufacturer name that matches the catalogue (or an alias) still makes that
    manufacturer one of the report's, so they are told before publication."""
    wanted = name.strip().lower()
    for maker in db.session.scalars(sa.select(Manufacturer)):
        if wanted == maker.name.lower() or wanted in (a.lower() for a in maker.aliases or []):
            return maker
    return None


def resolve_devices(devices: list[DeviceInput]) -> list[AffectedDevice]:
    resolved, problems = [], []
    for number, device in enumerate(d for d in devices if not d.is_blank()):
        label = f"Device {number + 1}"
        firmware = device.firmware_version.strip()[:40]
        if device.device_model_id:
            model = db.session.get(DeviceModel, device.device_model_id)
            if model is None:
                problems.append(f"{label}: choose a model from the list or type it in.")
                continue
            resolved.append(
                AffectedDevice(
                    position=number,
                    device_type=model.device_type,
                    manufacturer_id=model.manufacturer_id,
                    device_model_id=model.id,
                    manufacturer_name=model.manufacturer.name,
                    model_name=model.model_name,
                    hardware_version=model.hardware_version,
                    firmware_version=firmware,
                )
            )
            continue
        try:
            device_type = DeviceType(device.device_type)
        except ValueError:
            problems.append(f"{label}: choose the device type.")
            continue
        if not device.manufacturer_name.strip():
            problems.append(f"{label}: give the manufacturer, or choose a model from the list.")
            continue
        maker = _find_manufacturer(device.manufacturer_name)
        resolved.append(
            AffectedDevice(
                position=number,
                device_type=device_type,
                manufacturer_id=maker.id if maker else None,
                manufacturer_name=maker.name if maker else device.manufacturer_name.strip()[:200],
                model_name=device.model_name.strip()[:120],
                hardware_version=device.hardware_version.strip()[:40],
                firmware_version=firmware,
            )
        )
    if problems:
        raise ValidationFailed(" ".join(problems), field_errors={"devices": problems})
    return resolved


def checked_values(data: ReportInput) -> dict:
    """The report's columns from the input, or ValidationFailed with every problem."""
    errors: dict[str, list[str]] = {}
    values: dict = {}

    def attempt(name, fn):
        try:
            values[name] = fn()
        except ValidationFailed as exc:
            for key, messages in exc.field_errors.items():
                errors.setdefault(key, []).extend(messages)

    attempt("kind", lambda: _enum(ReportKind, data.kind, "kind", "kind of report"))
    attempt("occurrence", lambda: _enum(Occurrence, data.occurrence, "occurrence", "occurrence"))
    attempt("impact", lambda: _enum(Impact, data.impact, "impact", "impact"))
    attempt(
        "root_cause_status",
        lambda: _enum(RootCauseStatus, data.root_cause_status, "root_cause_status", "status"),
    )
    attempt("fix_type", lambda: _enum(FixType, data.fix_type, "fix_type", "fix type", True))
    attempt("regions", lambda: _regions(data.regions))
    attempt("alert_codes", lambda: parse_alert_codes(data.alert_codes))
    attempt("dsms_references", lambda: parse_dsms_references(data.dsms_references))
    attempt("devices", lambda: resolve_devices(data.devices))
    for name, label in (("title", "a title"), ("description", "a description")):
        if not getattr(data, name).strip():
            errors.setdefault(name, []).append(f"Enter {label}.")
    if data.affected_count is not None and data.affected_count < 0:
        errors.setdefault("affected_count", []).append("Enter a number of 0 or more.")
    if values.get("fix_type") is None and data.fix_description.strip():
        errors.setdefault("fix_type", []).append("Choose the type of fix you describe.")
    if values.get("fix_type") is not None and not data.fix_description.strip():
        errors.setdefault("fix_description", []).append("Describe the fix.")
    if errors:
        first = next(iter(errors.values()))[0]
        raise ValidationFailed(first, field_errors=errors)
    return values | {
        "title": " ".join(data.title.split())[:200],
        "description": data.description.strip(),
        "affected_count": data.affected_count,
        "impact_text": data.impact_text.strip(),
        "root_cause_text": data.root_cause_text.strip(),
        "fix_firmware": data.fix_firmware.strip()[:40],
        "fix_description": data.fix_description.strip(),
        "fix_source": data.fix_source.strip()[:200],
        "security_sensitive": bool(data.security_sensitive),
    }


def _regions(values: list[str]) -> list[str]:
    chosen = []
    for value in values:
        region = _enum(CspRegion, value, "regions", "CSP region")
        if region.value not in chosen:
            chosen.append(region.value)
    if CspRegion.all.value in chosen:
        return [CspRegion.all.value]
    return chosen


def device_summary(device: AffectedDevice) -> dict:
    return {
        "device_type": device.device_type.value,
        "manufacturer": device.manufacturer_name,
        "model": device.model_name,
        "hardware_version": device.hardware_version,
        "firmware_version": device.firmware_version,
    }


def _comparable(value):
    return value.value if hasattr(value, "value") else value


def apply_values(report: Report, values: dict) -> dict:
    """Write checked values onto the report; returns {field: {before, after}} of what
    changed, so the history keeps the earlier wording."""
    changes = {}
    devices = values.pop("devices", None)
    for name, value in values.items():
        before = getattr(report, name)
        if _comparable(before) != _comparable(value):
            changes[name] = {"before": _comparable(before), "after": _comparable(value)}
            setattr(report, name, value)
    if devices is not None:
        before = [device_summary(d) for d in report.devices]
        after = [device_summary(d) for d in devices]
        if before != after:
            changes["devices"] = {"before": before, "after": after}
            report.devices = devices
    return changes


def snapshot(report: Report) -> dict:
    """The published content of a record, kept with each revision."""
    fields = [n for n in EDITABLE_FIELDS if n != "devices"]
    data = {name: _comparable(getattr(report, name)) for name in fields}
    data["devices"] = [device_summary(d) for d in report.devices]
    data["statements"] = [
        {"manufacturer": r.manufacturer.name, "statement": r.statement}
        for r in report.reviews
        if r.publish_statement and r.statement
    ]
    return data
