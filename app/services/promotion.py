"""Promoting a legacy DSMS record to a draft report (DESIGN §4): a validator starts a report
on behalf of the DCC, pre-filled from what the redacted record says, and the two stay linked.

Only what the record states is carried over: its summary, description and close notes, the
facts extraction found (matched to the catalogue where that is unambiguous) and its number
as a DSMS reference. What a DSMS record cannot tell (kind, occurrence, the type of a fix) is
listed for the validator, who completes the draft in the ordinary edit form; until they have
saved it there once, it cannot be submitted (`reports.submit`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sqlalchemy as sa

from app.extensions import db
from app.models import (
    CspRegion,
    Impact,
    LegacyRecord,
    Occurrence,
    Report,
    ReportKind,
    User,
)
from app.services import audit, legacy, policy, reports
from app.services.errors import InvalidTransition, ValidationFailed
from app.services.legacy_devices import PrefilledDevices, prefill_devices
from app.services.report_data import (
    DSMS_REFERENCE,
    DeviceInput,
    ReportInput,
    checked_values,
    normalise_alert_code,
)

# DSMS (ServiceNow) priorities name a level; the number before it varies between exports.
PRIORITY_IMPACT = (
    (re.compile(r"\bcritical\b", re.I), Impact.critical),
    (re.compile(r"\bhigh\b", re.I), Impact.high),
    (re.compile(r"\b(?:moderate|medium)\b", re.I), Impact.medium),
    (re.compile(r"\blow\b", re.I), Impact.low),
)


@dataclass
class Promotion:
    """The new draft, and what the validator must check because the record did not say."""

    number: str
    to_check: list[str]
    unplaced: list[str] = field(default_factory=list)
    report: Report | None = None  # set once the draft exists

    @property
    def note(self) -> str:
        """The draft's first history entry."""
        text = (
            f"Pre-filled from DSMS record {self.number}. To check before submitting: the "
            f"{_listing(self.to_check)}."
        )
        if self.unplaced:
            text += f" Found in the record but not placed on a Device: {'; '.join(self.unplaced)}."
        return text

    @property
    def message(self) -> str:
        """What the validator is told when the draft opens."""
        return (
            f"Draft report created from DSMS record {self.number}. Check the "
            f"{_listing(self.to_check)}, then save the draft: it can be submitted once saved."
        )


def _listing(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


# --- the draft --------------------------------------------------------------------------


def _impact_from(priority: str) -> Impact | None:
    for pattern, impact in PRIORITY_IMPACT:
        if pattern.search(priority):
            return impact
    return None


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _report_input(record: LegacyRecord, devices: list[DeviceInput], impact: Impact) -> ReportInput:
    facts = record.facts or {}
    codes = [normalise_alert_code(c) for c in facts.get("alert_codes", [])]
    number = record.number.strip().upper()
    return ReportInput(
        # Kind and occurrence are not in a DSMS record: the form's first choices stand in
        # until the validator has checked them (submission waits for that).
        kind=ReportKind.issue.value,
        occurrence=Occurrence.consistent.value,
        impact=impact.value,
        title=record.short_description.strip() or _first_line(record.description),
        description=record.description.strip() or record.short_description.strip(),
        devices=devices,
        regions=[r for r in facts.get("regions", []) if r in {c.value for c in CspRegion}],
        alert_codes=[c for c in codes if c],
        dsms_references=[number] if DSMS_REFERENCE.match(number) else [],
        fix_source=f"DSMS record {record.number} close notes" if record.close_notes else "",
    )


def _already_promoted(actor: User, record: LegacyRecord) -> InvalidTransition:
    report = db.session.get(Report, record.promoted_report_id)
    if report is not None and policy.can(actor, "report.view", report):
        where = report.label
    else:
        where = "a draft report that its author has not submitted yet"
    return InvalidTransition(
        f"DSMS record {record.number} has already been promoted to {where}; it is linked "
        "from the record's page. A record is promoted once."
    )


def _to_check(record: LegacyRecord, impact: Impact | None, found: PrefilledDevices) -> list[str]:
    items = ["kind", "occurrence"]
    items.append(f"impact (from DSMS priority “{record.priority}”)" if impact else "impact")
    if record.close_notes.strip():
        items.append("fix type (the close notes are in the fix description)")
    items.append("Devices" if found.devices else "Devices (none matched the catalogue)")
    return items


def _link(actor: User, record: LegacyRecord, report: Report) -> None:
    """Link the record to the new draft; conditional, so that two validators promoting at
    the same moment make one report (the second UPDATE waits for the first's row lock, then
    matches no row)."""
    linked = db.session.execute(
        sa.update(LegacyRecord)
        .where(LegacyRecord.id == record.id, LegacyRecord.promoted_report_id.is_(None))
        .values(promoted_report_id=report.id)
    ).rowcount
    if linked != 1:
        number = record.number
        db.session.rollback()
        raise _already_promoted(actor, legacy.get_record(actor, number))


def promote_legacy_record(*, actor: User, number: str) -> Promotion:
    """Create a draft report by `actor` (a validator, reporting for the DCC) from the legacy
    record, link the record to it, and record both in the history and the audit log."""
    policy.require(actor, "legacy.promote")
    policy.require(actor, "reports.submit")
    record = legacy.get_record(actor, number)
    if record.promoted_report_id is not None:
        raise _already_promoted(actor, record)
    if not (record.short_description.strip() or record.description.strip()):
        raise ValidationFailed(
            f"DSMS record {record.number} has no summary or description to start a report from."
        )
    found = prefill_devices(record.facts or {})
    impact = _impact_from(record.priority)
    values = checked_values(_report_input(record, found.devices, impact or Impact.low))
    # The close notes say how the incident ended, which may or may not be a fix: they go in
    # the fix description with no type, and the edit form asks for one (or their removal).
    values["fix_description"] = record.close_notes.strip()
    promotion = Promotion(record.number, _to_check(record, impact, found), found.unplaced)
    report = reports.start_prefilled_draft(
        actor, values, action=reports.PROMOTED_EVENT, note=promotion.note
    )
    promotion.report = report
    _link(actor, record, report)
    audit.record(
        actor,
        "legacy.promoted",
        object_type=LegacyRecord.__tablename__,
        object_id=record.number,
        summary=f"Promoted to draft report {reports.key_of(report)}.",
    )
    reports.commit()
    return promotion
