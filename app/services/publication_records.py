"""What a monthly edition holds: MP137 passes SECAS "incidences where a fix has been
identified" each month (decisions.md, narrowing DESIGN §6). So an edition holds the public
records with an identified fix (given, and checked by the DCC) that were published or
revised (which covers a fix added or changed) in a UK calendar month, each as it stood at
the end of that month; and notices correcting what earlier editions listed: a listed record
withdrawn in the month, or revised so that it no longer has an identified fix.

Months are UK calendar months (Europe/London), as SECAS publishes them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import CspRegion, FixType, Report, ReportKind, ReportRevision, ReportState
from app.models.base import UK, uk_date, utcnow
from app.models.publications import month_label
from app.services import policy
from app.services.errors import ValidationFailed

MONTH_PATTERN = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
FIX_FIELDS = ("fix_type", "fix_firmware", "fix_description")
S = ReportState


# --- months -----------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        match = MONTH_PATTERN.match((text or "").strip())
        if match is None:
            message = "Give the month as YYYY-MM, for example 2026-03."
            raise ValidationFailed(message, field_errors={"month": [message]})
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def containing(cls, moment: datetime) -> Month:
        local = moment.replace(tzinfo=UTC).astimezone(UK)
        return cls(local.year, local.month)

    @classmethod
    def current(cls) -> Month:
        return cls.containing(utcnow())

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        return month_label(self.year, self.month)

    @property
    def starts(self) -> datetime:
        """Midnight UK time on the 1st, as the naive UTC the database stores."""
        local = datetime(self.year, self.month, 1, tzinfo=UK)
        return local.astimezone(UTC).replace(tzinfo=None)

    @property
    def ends(self) -> datetime:
        return self.next().starts

    def holds(self, moment: datetime | None) -> bool:
        return moment is not None and self.starts <= moment < self.ends


def finished_months(count: int = 24) -> list[Month]:
    """The months a build may be asked for on the page, the month just completed first: a
    month's edition is built once the month is over."""
    months = [Month.current().previous()]
    while len(months) < count:
        months.append(months[-1].previous())
    return months


# --- what an edition holds --------------------------------------------------------------


@dataclass(frozen=True)
class DeviceRow:
    device_type: str
    manufacturer: str
    model: str
    hardware_version: str
    firmware_version: str


@dataclass
class EditionRecord:
    """One record as the edition shows it: its published content as at the end of the month,
    or, for a record withdrawn by the time the edition is built, the withdrawal notice."""

    reference: str
    change: str  # what happened in the month: Published, Revised or Withdrawn
    fix_changed: bool = False
    # The fix shown was checked by the DCC. False only in a revision notice: a record an
    # earlier edition listed that has no identified fix any more.
    fix_checked: bool = False
    withdrawn_on: date | None = None
    withdrawal_reason: str = ""
    kind: str = ""
    title: str = ""
    devices: list[DeviceRow] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    alert_codes: list[str] = field(default_factory=list)
    description: str = ""
    fix_type: str = ""
    fix_firmware: str = ""
    fix_description: str = ""
    statements: list[tuple[str, str]] = field(default_factory=list)
    revision: int | None = None
    revised_on: date | None = None
    revision_note: str = ""

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_on is not None

    @property
    def fix_withdrawn(self) -> bool:
        """A revision notice: listed before with an identified fix, which it has no more."""
        return not self.withdrawn and not self.fix_checked

    @property
    def device_types(self) -> list[str]:
        return list(dict.fromkeys(d.device_type for d in self.devices))

    @property
    def manufacturers(self) -> list[str]:
        return list(dict.fromkeys(d.manufacturer for d in self.devices))


def _label(enum_cls, value) -> str:
    try:
        return enum_cls(value).label if value else ""
    except ValueError:
        return str(value)


def _fix(content: dict) -> tuple:
    return tuple(content.get(name) or "" for name in FIX_FIELDS)


def fix_identified(content: dict) -> bool:
    """A published revision's content has "a fix identified" (MP137): a fix is given and
    the DCC had checked it. Revisions stored before the check was recorded have no
    `fix_validated` and count as unchecked."""
    return bool(content.get("fix_type")) and bool(content.get("fix_validated"))


def _listed(content: dict) -> bool:
    """An edition issued with this content listed the record."""
    return fix_identified(content) and not content.get("security_sensitive")


def _edition_record(report: Report, month: Month) -> EditionRecord | None:
    shown = [r for r in report.revisions if r.at < month.ends]
    if not shown:
        return None  # withdrawn before it was ever published as a revision (not possible today)
    current = shown[-1]
    content = current.snapshot or {}
    if not policy.in_public_edition(report, content):
        return None
    in_month = [r for r in shown if month.holds(r.at)]
    before = [r for r in shown if r.at < month.starts]
    # The latest content an earlier edition showed: each month's edition shows the last
    # revision of its month, so this is what SECAS's list holds for the record now.
    listed_before = bool(before) and _listed(before[-1].snapshot or {})
    withdrawn_in_month = month.holds(report.withdrawn_at)
    identified = fix_identified(content)
    if not ((in_month and identified) or (listed_before and (in_month or withdrawn_in_month))):
        return None
    if withdrawn_in_month:
        change = "Withdrawn"
    elif any(r.number == 1 for r in in_month):
        change = "Published"
    else:
        change = "Revised"
    record = EditionRecord(reference=report.reference, change=change, fix_checked=identified)
    if in_month:
        record.fix_changed = _fix(content) != (_fix(before[-1].snapshot) if before else _fix({}))
    if report.state == S.withdrawn:
        # Withdrawn content is never issued again, even in a new version of an older month.
        record.withdrawn_on = uk_date(report.withdrawn_at)
        record.withdrawal_reason = report.withdrawal_reason
        return record
    record.kind = _label(ReportKind, content.get("kind"))
    record.title = content.get("title", "")
    record.devices = [
        DeviceRow(
            device_type=d.get("device_type", ""),
            manufacturer=d.get("manufacturer", ""),
            model=d.get("model", ""),
            hardware_version=d.get("hardware_version", ""),
            firmware_version=d.get("firmware_version", ""),
        )
        for d in content.get("devices", [])
    ]
    record.regions = [_label(CspRegion, r) for r in content.get("regions", [])]
    record.alert_codes = list(content.get("alert_codes", []))
    record.description = content.get("description", "")
    record.fix_type = _label(FixType, content.get("fix_type"))
    record.fix_firmware = content.get("fix_firmware", "") or ""
    record.fix_description = content.get("fix_description", "") or ""
    record.statements = [(s["manufacturer"], s["statement"]) for s in content.get("statements", [])]
    record.revision = current.number
    record.revised_on = uk_date(current.at)
    record.revision_note = current.note
    return record


def select_records(month: Month) -> list[EditionRecord]:
    """Every public record with an identified fix that was published or revised in the
    month, and every record an earlier edition listed that was withdrawn in the month or
    revised to lose its identified fix. A published record's fix, and its check, change
    only by a revision (the workflow has no other edit of a published record), so
    revisions cover fix changes."""
    revised = (
        sa.select(ReportRevision.id)
        .where(ReportRevision.report_id == Report.id)
        .where(ReportRevision.at >= month.starts, ReportRevision.at < month.ends)
        .exists()
    )
    withdrawn = sa.and_(Report.withdrawn_at >= month.starts, Report.withdrawn_at < month.ends)
    stmt = (
        sa.select(Report)
        .where(policy.publicly_listed())
        .where(sa.or_(revised, withdrawn))
        .options(selectinload(Report.revisions))
        .order_by(Report.reference)
    )
    records = (_edition_record(report, month) for report in db.session.scalars(stmt))
    return [record for record in records if record is not None]
