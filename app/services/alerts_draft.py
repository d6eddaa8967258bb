"""A draft report started from a DMC's alert profile (DESIGN §8): a validator who sees a DMC
producing superfluous alerts starts a report on behalf of the DCC, pre-filled with what the
volumes show — the DMC matched to the catalogue, the regions and alert codes, the figures
in the description — and completes the rest in the ordinary edit form. As with a promoted
DSMS record, the draft cannot be submitted until it has been saved there once."""

from __future__ import annotations

from dataclasses import dataclass

from app.models import (
    AlertDmc,
    Impact,
    Occurrence,
    Report,
    ReportKind,
    User,
)
from app.models.alerts import ALERT_REGIONS
from app.services import alerts, audit, policy, reports
from app.services.alert_codes import alert_label
from app.services.alerts_tables import format_change, format_rate
from app.services.errors import ValidationFailed
from app.services.legacy_devices import prefill_devices
from app.services.report_data import DeviceInput, ReportInput, checked_values

MAX_CODES = 10  # the alert codes with most alerts per device go into the report


@dataclass
class AlertsDraft:
    dmc: AlertDmc
    to_check: list[str]
    report: Report | None = None  # set once the draft exists

    @property
    def note(self) -> str:
        """The draft's first history entry."""
        return (
            f"Pre-filled from the alert volumes of DMC {self.dmc.full_label}. To check before "
            f"submitting: {', '.join(self.to_check)}."
        )

    @property
    def message(self) -> str:
        return (
            f"Draft report created from the alert profile of {self.dmc.full_label}. Check "
            f"{', '.join(self.to_check)}, then save the draft: it can be submitted once saved."
        )


def _description(profile: alerts.Profile, codes: list[str]) -> str:
    view = profile.view
    lines = [
        f"Alert volumes from the superfluous alerts tracker for {profile.dmc.full_label}, "
        f"{view.describe()}.",
        "",
    ]
    for code, region, entry in profile.rows:
        if code not in codes:
            continue
        lines.append(
            f"- {alert_label(code)}, {alerts.region_label(region)}: {entry.alerts:,} "
            f"alerts from {entry.devices:,.0f} Devices a day, {format_rate(entry.rate)} alerts "
            f"per device per day (latest week {format_rate(entry.latest)}, "
            f"{format_change(entry)} on the week before)."
        )
    lines += [
        "",
        f"Threshold: {format_rate(profile.threshold)} alerts per device per day.",
        f"The DMC as the extract names it: {profile.dmc.device_type.value}, "
        f"{profile.dmc.manufacturer}, {profile.dmc.model}, firmware {profile.dmc.firmware}.",
    ]
    return "\n".join(lines)


def _report_input(profile: alerts.Profile) -> ReportInput:
    dmc = profile.dmc
    by_rate: dict[str, float] = {}
    for code, _, entry in profile.rows:
        by_rate[code] = max(by_rate.get(code, 0.0), entry.rate)
    codes = sorted(by_rate, key=lambda c: -by_rate[c])[:MAX_CODES]
    regions = profile.regions
    found = prefill_devices(
        {
            "device_types": [dmc.device_type.value],
            "manufacturers": [dmc.manufacturer],
            "models": [dmc.model],
            "firmware": [dmc.firmware],
        }
    ).devices or [  # not in the catalogue: typed in as the extract names it
        DeviceInput(
            device_type=dmc.device_type.value,
            manufacturer_name=dmc.manufacturer,
            model_name=dmc.model,
        )
    ]
    for device in found:
        # The extract names the firmware exactly, even one the catalogue does not list yet.
        device.firmware_version = device.firmware_version or dmc.firmware
    data = ReportInput(
        # Kind, occurrence and impact are not in alert volumes: the form's first choices
        # stand in until the validator has checked them (submission waits for that).
        kind=ReportKind.issue.value,
        occurrence=Occurrence.consistent.value,
        impact=Impact.low.value,
        title=f"Superfluous alerts {', '.join(codes[:3])} from {dmc.full_label}"[:200],
        description=_description(profile, codes),
        devices=found,
        regions=["all"] if len(regions) == len(ALERT_REGIONS) else regions,
        alert_codes=codes,
        affected_count=round(profile.total.devices) or None,
    )
    return data


def draft_from_dmc(*, actor: User, dmc_id: int, view: alerts.View) -> AlertsDraft:
    """Create a draft report by `actor` (a validator, reporting for the DCC) from the DMC's
    alert profile in `view`; record it in the history and the audit log."""
    policy.require(actor, "alerts.draft")
    policy.require(actor, "reports.submit")
    profile = alerts.dmc_profile(actor, dmc_id, view)
    if not profile.rows:
        raise ValidationFailed(
            f"{profile.dmc.full_label} has no alert volumes in the period chosen; choose a period "
            "with volumes before starting a report from them."
        )
    values = checked_values(_report_input(profile))
    to_check = [
        "the kind",
        "occurrence",
        "impact",
        "affected installations (the Devices a day of the largest alert code)",
        "the Devices (hardware version and the rest of the DMC)",
    ]
    draft = AlertsDraft(profile.dmc, to_check)
    report = reports.start_prefilled_draft(
        actor, values, action=reports.ALERTS_EVENT, note=draft.note
    )
    draft.report = report
    audit.record(
        actor,
        "alerts.draft_created",
        object_type=AlertDmc.__tablename__,
        object_id=str(profile.dmc.id),
        summary=f"Draft report {reports.key_of(report)} from the alert profile of the DMC.",
    )
    reports.commit()
    return draft
