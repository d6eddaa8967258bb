"""Demo reports in every state, made through the real services so each one has the history,
audit events and notifications a real one would have."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa

from app.extensions import db
from app.models import DeviceModel, Manufacturer, Report, ReportState, User
from app.models.base import utcnow
from app.services import reports, review, validation
from app.services.publication_records import Month
from app.services.report_data import DeviceInput, ReportInput

S = ReportState


def take_to(
    data: ReportInput,
    target: ReportState | str,
    *,
    author: User,
    validator: User,
    responders: Sequence[User] = (),
    fix_checked: bool = True,
) -> Report:
    """Create a report as `author` and walk it to `target`. On the way through manufacturer
    review each responder agrees; the draft path is submit, start, then the target's
    branch (info_requested and rejected leave validation early). On approval the validator
    says the fix has been checked (`fix_checked`), when there is one."""
    target = S(target)
    report = reports.create_draft(actor=author, data=data)
    if target == S.draft:
        return report
    report = reports.submit(actor=author, key=reports.key_of(report), seen_version=report.version)
    key = report.reference
    if target == S.submitted:
        return report
    report = validation.start(actor=validator, key=key, seen_version=report.version)
    if target == S.info_requested:
        return validation.request_info(
            actor=validator,
            key=key,
            question="Which firmware version was the Comms Hub on when this started?",
            seen_version=report.version,
        )
    if target == S.rejected:
        return validation.reject(
            actor=validator,
            key=key,
            ground="out_of_scope",
            reason="This concerns a back-office system, not a Device or DMC.",
            seen_version=report.version,
        )
    if target == S.in_validation:
        return report
    if report.manufacturer_ids():
        report = validation.send_to_manufacturers(
            actor=validator, key=key, seen_version=report.version
        )
        if target == S.manufacturer_review:
            return report
        for user in (u for u in responders if u.manufacturer_id in report.manufacturer_ids()):
            report = review.respond(
                actor=user,
                key=key,
                data=review.ResponseInput(response="agree"),
                seen_version=report.version,
            )
    report = validation.approve(
        actor=validator,
        key=key,
        seen_version=report.version,
        fix_checked=fix_checked if report.has_fix else None,
    )
    if target == S.approved:
        return report
    report = validation.publish(actor=validator, key=key, seen_version=report.version)
    if target == S.published:
        return report
    return validation.withdraw(
        actor=validator,
        key=key,
        reason="The reporter found the cause in their own head-end configuration.",
        seen_version=report.version,
    )


def _model(manufacturer: str, model: str, device_type: str) -> int:
    return db.session.scalar(
        sa.select(DeviceModel.id)
        .join(DeviceModel.manufacturer)
        .where(Manufacturer.name == manufacturer)
        .where(DeviceModel.model_name == model, DeviceModel.device_type == device_type)
        .order_by(DeviceModel.hardware_version.desc())
        .limit(1)
    )


def _devices(*entries: tuple[str, str, str, str]) -> list[DeviceInput]:
    return [
        DeviceInput(device_model_id=_model(maker, model, kind), firmware_version=firmware)
        for maker, model, kind, firmware in entries
    ]


ESME = ("Aldermoor Metering Ltd", "AM-E470", "ESME", "3.2.1")
GSME = ("Aldermoor Metering Ltd", "AM-G210", "GSME", "2.1.0")
CHF = ("Corriemoor Comms Ltd", "CC-CH3N", "CHF", "1.1.0")
GPF = ("Corriemoor Comms Ltd", "CC-CH3N", "GPF", "1.1.0")

# (author e-mail, target state, fields)
DEMO_REPORTS = [
    (
        "supplier@demo.test",
        S.published,
        {
            "kind": "defect",
            "title": "ESME leaves the HAN after Comms Hub firmware update to 1.1.0",
            "description": "After the CHF was updated to firmware 1.1.0, AM-E470 meters on "
            "3.2.1 drop off the HAN within a day and raise 0x8F35 (Supply Outage Restored) "
            "on rejoin, several times a day.",
            "devices": [ESME, CHF],
            "regions": ["north", "central"],
            "alert_codes": "8F35",
            "occurrence": "intermittent",
            "affected_count": 4200,
            "impact": "high",
            "impact_text": "Lost readings and prepayment top-ups delayed.",
            "root_cause_status": "confirmed",
            "root_cause_text": "HAN key refresh timing changed in CHF 1.1.0.",
            "fix_type": "firmware_update",
            "fix_firmware": "3.3.0",
            "fix_description": "Update the ESME to firmware 3.3.0, which tolerates the new key "
            "refresh timing.",
            "fix_source": "Aldermoor release note RN-330",
            "dsms_references": "INC0104211",
        },
    ),
    (
        "network@demo.test",
        S.published,
        {
            "kind": "unusual_behaviour",
            "title": "Power factor alerts 8014/8015 storm from AM-E470 on 3.2.1",
            "description": "AM-E470 meters send 8014 and 8015 power factor alerts many times "
            "an hour when the threshold is left at the factory default.",
            "devices": [ESME, CHF],
            "regions": ["all"],
            "alert_codes": "8014, 8015",
            "occurrence": "subset_of_estate",
            "affected_count": 52000,
            "impact": "critical",
            "impact_text": "Alert volumes load the DCC network.",
            "fix_type": "configuration_change",
            "fix_description": "Set the power factor threshold to the value in the "
            "configuration guide.",
            "fix_source": "DCC configuration guide",
        },
    ),
    (
        "supplier@demo.test",
        S.manufacturer_review,
        {
            "kind": "defect",
            "title": "GSME valve stays closed after top-up on gas prepayment",
            "description": "After a top-up the AM-G210 valve does not re-arm until the GPF "
            "is power-cycled.",
            "devices": [GSME, GPF],
            "regions": ["south"],
            "alert_codes": "N24",
            "occurrence": "intermittent",
            "affected_count": 300,
            "impact": "high",
            "security_sensitive": False,
        },
    ),
    (
        "supplier@demo.test",
        S.approved,
        {
            "kind": "issue",
            "title": "IHD shows zero consumption after CHF reboot",
            "description": "Consumption on the in-home display reads zero until the next "
            "half-hour after the Comms Hub reboots.",
            "devices": [ESME, CHF],
            "regions": ["central"],
            "occurrence": "consistent",
            "impact": "low",
        },
    ),
    (
        "supplier@demo.test",
        S.submitted,
        {
            "kind": "defect",
            "title": "Tariff switch not applied on polyphase meter",
            "description": "Time-of-use tariff switch is acknowledged but not applied on the "
            "polyphase ESME.",
            "devices": [("Aldermoor Metering Ltd", "AM-E520 Polyphase", "ESME", "1.5.0"), CHF],
            "regions": ["north"],
            "occurrence": "consistent",
            "impact": "medium",
        },
    ),
    (
        "supplier@demo.test",
        S.in_validation,
        {
            "kind": "unusual_behaviour",
            "title": "Clock drift of several minutes on gas meters",
            "description": "GSME clocks drift by up to five minutes a month.",
            "devices": [GSME, GPF],
            "regions": ["north"],
            "occurrence": "subset_of_estate",
            "impact": "medium",
            "security_sensitive": True,
        },
    ),
    (
        "network@demo.test",
        S.info_requested,
        {
            "kind": "issue",
            "title": "Voltage event alerts missing from some meters",
            "description": "Average RMS voltage alerts are not received from a subset of "
            "meters in one area.",
            "devices": [ESME, CHF],
            "regions": ["south"],
            "occurrence": "subset_of_estate",
            "impact": "medium",
        },
    ),
    (
        "supplier@demo.test",
        S.rejected,
        {
            "kind": "issue",
            "title": "Head-end rejects service requests at month end",
            "description": "Our head-end rejects service requests on the last day of each month.",
            "devices": [CHF],
            "regions": ["all"],
            "occurrence": "consistent",
            "impact": "low",
        },
    ),
    (
        "supplier@demo.test",
        S.withdrawn,
        {
            "kind": "defect",
            "title": "Meter reports reverse energy on single-phase supply",
            "description": "Import registers decrease on some single-phase installations.",
            "devices": [ESME, CHF],
            "regions": ["central"],
            "occurrence": "subset_of_estate",
            "impact": "high",
            # A checked fix: the edition listed it, so its withdrawal is a notice.
            "fix_type": "configuration_change",
            "fix_description": "Send the meter's phase configuration again from the head-end.",
            "fix_source": "Reporter's own investigation",
        },
    ),
    (
        "supplier@demo.test",
        S.draft,
        {
            "kind": "issue",
            "title": "PPMID loses pairing after battery change",
            "description": "The prepayment interface device needs re-pairing after its "
            "batteries are changed.",
            "devices": [],
            "occurrence": "consistent",
            "impact": "low",
        },
    ),
]


# Published records whose history is spread over the last two months, so that
# `flask publication build` has real editions to make: title -> steps of (months ago, day of
# that month, step). The first step is the publication itself.
PUBLICATION_HISTORY = {
    DEMO_REPORTS[0][2]["title"]: [(2, 10, "publish"), (1, 12, "revise")],
    DEMO_REPORTS[1][2]["title"]: [(2, 15, "publish")],
    "Meter reports reverse energy on single-phase supply": [(2, 5, "publish"), (1, 20, "withdraw")],
    "Gas meter valve closes on low battery warning": [(2, 24, "publish")],
    'IHD shows "no signal" for 30 minutes after CHF firmware activation': [(1, 8, "publish")],
    "HAN join accepted from a device not on the CHF whitelist": [(1, 18, "publish")],
}
DEMO_REPORTS += [
    (
        "network@demo.test",
        S.published,
        {
            "kind": "defect",
            "title": "Gas meter valve closes on low battery warning",
            "description": "AM-G210 meters on 2.1.0 close the valve when the battery falls "
            'below 15%, although the configured action is "warn only".\n\nSeen on meters '
            "fitted outdoors, mostly below 0 °C; customers on credit mode lose supply.",
            "devices": [GSME, GPF],
            "regions": ["north", "south"],
            "alert_codes": "8F3E",
            "occurrence": "subset_of_estate",
            "affected_count": 900,
            "impact": "critical",
            "fix_type": "operational_workaround",
            "fix_description": "Set the low-battery action again with a configuration "
            "change (SRV 6.23), then replace the battery at the next visit.",
            "fix_source": "DCC operational guidance",
        },
    ),
    (
        "supplier@demo.test",
        S.published,
        {
            "kind": "issue",
            "title": 'IHD shows "no signal" for 30 minutes after CHF firmware activation',
            "description": "After a CHF firmware activation, paired in-home displays show "
            '"no signal" for about half an hour before they rejoin the HAN.',
            "devices": [CHF],
            "regions": ["central"],
            "occurrence": "consistent",
            "impact": "low",
            "fix_type": "firmware_update",
            "fix_firmware": "1.1.2",
            "fix_description": "Update the CHF to firmware 1.1.2, which keeps the HAN up "
            "while new firmware is activated.",
            "fix_source": "Corriemoor release note 1.1.2",
        },
    ),
    (
        "supplier@demo.test",
        S.published,
        {
            "kind": "defect",
            "title": "HAN join accepted from a device not on the CHF whitelist",
            "description": "Under a rare timing a device not on the whitelist completes a HAN "
            "join.",
            "devices": [CHF],
            "regions": ["all"],
            "occurrence": "intermittent",
            "impact": "critical",
            "security_sensitive": True,
        },
    ),
]
REVISED_FIX = {
    "fix_firmware": "3.3.1",
    "fix_description": "Update the ESME to firmware 3.3.1. Release 3.3.0 was withdrawn by "
    "the manufacturer after it reset tariffs on some meters.",
}


def move_history(report: Report, since: datetime, to: datetime) -> None:
    """Move everything that happened to the report since `since` to start at `to`, so demo
    and test records can have a past (the real services stamp the present)."""

    def move(obj, *names: str) -> None:
        for name in names:
            value = getattr(obj, name)
            if value is not None and value >= since:
                setattr(obj, name, to + (value - since))

    move(
        report,
        "created_at",
        "updated_at",
        "submitted_at",
        "first_published_at",
        "published_at",
        "withdrawn_at",
        "fix_changed_at",
    )
    for item in [*report.events, *report.revisions]:
        move(item, "at")
    for review_ in report.reviews:
        move(review_, "notified_at", "responded_at")


def _spread_history(
    report: Report, fields: dict, validator: User, *, published_since: datetime
) -> Report:
    """Replay the publication history of a demo record over past months: its publication
    (made since `published_since`), then the later steps."""
    this_month = Month.current()
    for months_ago, day, step in PUBLICATION_HISTORY[fields["title"]]:
        since = published_since if step == "publish" else utcnow()
        if step == "revise":
            values = dict(fields) | REVISED_FIX
            values["devices"] = _devices(*values["devices"])
            report = validation.revise(
                actor=validator,
                key=report.reference,
                data=ReportInput(**values),
                note="The manufacturer replaced the fixing firmware 3.3.0 with 3.3.1.",
                seen_version=report.version,
                fix_checked=True,  # the DCC checked the new release too
            )
        elif step == "withdraw":
            report = validation.withdraw(
                actor=validator,
                key=report.reference,
                reason="The reporter found the cause in their own head-end configuration.",
                seen_version=report.version,
            )
        month = this_month
        for _ in range(months_ago):
            month = month.previous()
        move_history(report, since, datetime(month.year, month.month, day, 10, 0))
        db.session.commit()
    return report


def seed_reports() -> list[str]:
    """Create the demo reports not yet present (by title); returns what was created."""
    users = {u.email: u for u in db.session.scalars(sa.select(User))}
    validator = users["validator@demo.test"]
    responders = [users[e] for e in ("maker@demo.test", "hub@demo.test") if e in users]
    created = []
    for author_email, target, fields in DEMO_REPORTS:
        if db.session.scalar(sa.select(Report.id).where(Report.title == fields["title"])):
            continue
        values = dict(fields)
        values["devices"] = _devices(*values["devices"])
        data = ReportInput(**values)
        history = PUBLICATION_HISTORY.get(fields["title"])
        since = utcnow()
        report = take_to(
            data,
            S.published if history else target,
            author=users[author_email],
            validator=validator,
            responders=responders,
        )
        if history:
            report = _spread_history(report, fields, validator, published_since=since)
        created.append(f"report {report.label} ({report.state.label.lower()})")
    return created
