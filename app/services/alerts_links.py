"""Register reports and legacy DSMS records that mention a DMC of the alerts tracker, found
through their structured fields in the database: a report's affected Devices, a legacy
record's extracted facts. The database, not the search index, because the index is derived
and may lag; reports go through the policy's visibility clause, so nobody is shown a record
they may not see (nor a count of those they may not)."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import AffectedDevice, AlertDmc, LegacyRecord, Report, User
from app.services import policy, reports

LIMIT = 50


@dataclass(frozen=True)
class Mention:
    key: str  # reference or draft key, or legacy number
    title: str
    state: str
    same_firmware: bool  # names the DMC's firmware, not only its model
    alert_codes: list[str]


@dataclass(frozen=True)
class Mentions:
    reports: list[Mention]
    legacy: list[Mention]
    more_reports: bool
    more_legacy: bool


def _same_maker(dmc: AlertDmc):
    named = sa.func.lower(AffectedDevice.manufacturer_name) == dmc.manufacturer.lower()
    if dmc.manufacturer_id is None:
        return named
    return sa.or_(AffectedDevice.manufacturer_id == dmc.manufacturer_id, named)


def _reports(actor: User, dmc: AlertDmc) -> list[Report]:
    devices = (
        sa.select(AffectedDevice.report_id)
        .where(AffectedDevice.device_type == dmc.device_type)
        .where(sa.func.lower(AffectedDevice.model_name) == dmc.model.lower())
        .where(_same_maker(dmc))
    )
    stmt = (
        sa.select(Report)
        .where(Report.id.in_(devices))
        .options(selectinload(Report.devices))
        .order_by(Report.updated_at.desc())
    )
    return list(db.session.scalars(policy.visible_reports(actor, stmt).limit(LIMIT + 1)))


def _names_model(record: LegacyRecord, dmc: AlertDmc) -> bool:
    facts = record.facts or {}
    models = {m.casefold() for m in facts.get("models", [])}
    makers = {m.casefold() for m in facts.get("manufacturers", [])}
    return dmc.model.casefold() in models and (not makers or dmc.manufacturer.casefold() in makers)


def _legacy(actor: User, dmc: AlertDmc) -> list[LegacyRecord]:
    if not policy.can(actor, "legacy.read"):
        return []
    # The facts are JSON text in both databases: a LIKE on the quoted model name narrows
    # the rows in SQL (lower-cased on both sides: PostgreSQL's LIKE heeds case, SQLite's does
    # not), then the facts themselves are checked (the name may be elsewhere in them).
    quoted = json.dumps(dmc.model).lower()
    pattern = "%" + quoted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    stmt = (
        sa.select(LegacyRecord)
        .where(sa.func.lower(sa.cast(LegacyRecord.facts, sa.Text)).like(pattern, escape="\\"))
        .order_by(LegacyRecord.opened_at.desc().nulls_last(), LegacyRecord.id.desc())
        .execution_options(yield_per=200)
    )
    found = []
    with contextlib.closing(db.session.scalars(stmt)) as records:
        for record in records:
            if _names_model(record, dmc):
                found.append(record)
                if len(found) > LIMIT:
                    break
    return found


def mentions(actor: User, dmc: AlertDmc) -> Mentions:
    """Reports the user may see whose DMC has this Device model (same manufacturer and type),
    and legacy records whose facts name the model; the DMC's firmware first."""
    policy.require(actor, "alerts.view")
    found_reports = [
        Mention(
            key=reports.key_of(r),
            title=r.title,
            state=r.state.label,
            same_firmware=any(d.firmware_version == dmc.firmware for d in r.devices),
            alert_codes=list(r.alert_codes or []),
        )
        for r in _reports(actor, dmc)
    ]
    legacy = [
        Mention(
            key=r.number,
            title=r.short_description,
            state=r.state,
            same_firmware=dmc.firmware in (r.facts or {}).get("firmware", []),
            alert_codes=list((r.facts or {}).get("alert_codes", [])),
        )
        for r in _legacy(actor, dmc)
    ]

    def firmware_first(items: list[Mention]) -> list[Mention]:
        return sorted(items[:LIMIT], key=lambda m: not m.same_firmware)

    return Mentions(
        reports=firmware_first(found_reports),
        legacy=firmware_first(legacy),
        more_reports=len(found_reports) > LIMIT,
        more_legacy=len(legacy) > LIMIT,
    )
