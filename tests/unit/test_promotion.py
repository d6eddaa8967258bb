"""Promoting a legacy DSMS record to a draft report, through the service: what is pre-filled
(and what is not), the link, the history and audit entries, submission only after the
validator has saved the draft, a second promotion refused, and who may promote."""

from __future__ import annotations

import io
import threading

import pytest
import sqlalchemy as sa
from flask_login import AnonymousUserMixin

from app.extensions import db
from app.models import (
    AuditEvent,
    DeviceModel,
    LegacyRecord,
    Manufacturer,
    Notification,
    Report,
    ReportState,
    Role,
    User,
)
from app.services import catalogue, legacy_devices, legacy_import, promotion, reports
from app.services.errors import InvalidTransition, NotAllowed, NotFound, ValidationFailed
from app.services.report_data import DeviceInput, ReportInput
from tests.support.reports import build_cast

HEADER = (
    "number,opened_at,closed_at,state,priority,category,subcategory,short_description,"
    "description,close_notes,work_notes\n"
)
RICH = (
    "INC0020001,2024-03-05 09:12:00,2024-03-07 16:40:00,Closed,2 - High,Device,HAN,"
    '"ESME drops off HAN after Comms Hub update",'
    '"AML electricity meter on 3.1.4 leaves the HAN after the comms hub BF-CH3 moved to '
    '1.1.0; alerts 0x8F35 and N24 seen in CSP North. Reported by ops@supplier.example.",'
    '"Fixed by ESME firmware 3.2.1",""\n'
)
BARE = "INC0020002,2024-04-01 08:00:00,,Open,5 - Planning,Other,,Odd readings,Readings look odd,,\n"


def import_rows(*rows: str) -> None:
    data = (HEADER + "".join(rows)).encode()
    summary = legacy_import.import_stream(io.BytesIO(data), actor=None)
    assert summary.rejected == 0, summary.text()


@pytest.fixture
def cast(app):
    with app.app_context():
        cast = build_cast()
        db.session.get(Manufacturer, cast.makers["aldermoor"]).aliases = ["AML"]
        db.session.commit()
        import_rows(RICH, BARE)
        return cast


def user(cast, viewer: str) -> User:
    return cast.user(viewer)


def record(number: str) -> LegacyRecord:
    return db.session.scalar(sa.select(LegacyRecord).where(LegacyRecord.number == number))


def second_validator(cast) -> User:
    first = user(cast, "validator")
    other = User(
        email="second.validator@dcc.test",
        full_name="Second Validator",
        role=Role.validator,
        organisation_id=first.organisation_id,
    )
    db.session.add(other)
    db.session.commit()
    return other


def edit_input(report: Report, **overrides) -> ReportInput:
    """What the validator saves in the edit form, starting from the draft as pre-filled."""
    data = ReportInput(
        kind="defect",
        title=report.title,
        description=report.description,
        occurrence="intermittent",
        impact=report.impact.value,
        devices=[
            DeviceInput(
                device_model_id=d.device_model_id,
                device_type=d.device_type.value,
                manufacturer_name="" if d.device_model_id else d.manufacturer_name,
                model_name="" if d.device_model_id else d.model_name,
                firmware_version=d.firmware_version,
            )
            for d in report.devices
        ],
        regions=list(report.regions),
        alert_codes=list(report.alert_codes),
        fix_description=report.fix_description,
        fix_source=report.fix_source,
        dsms_references=list(report.dsms_references),
    )
    for name, value in overrides.items():
        setattr(data, name, value)
    return data


def test_the_draft_is_pre_filled_from_the_record_and_linked(app, cast):
    with app.app_context():
        validator = user(cast, "validator")
        result = promotion.promote_legacy_record(actor=validator, number="INC0020001")
        report = db.session.get(Report, result.report.id)
        assert (report.state, report.reference) == (ReportState.draft, None)
        assert report.author_id == validator.id
        assert report.organisation_id == validator.organisation_id
        assert report.title == "ESME drops off HAN after Comms Hub update"
        assert report.description.startswith("AML electricity meter on 3.1.4")
        assert "ops@supplier.example" not in report.description  # the redacted text
        assert report.regions == ["north"]
        assert report.alert_codes == ["8F35", "N24"]
        assert report.dsms_references == ["INC0020001"]
        assert report.impact.value == "high"  # from the DSMS priority "2 - High"
        # The close notes are kept as the fix description; the type is the validator's call.
        assert report.fix_type is None and not report.has_fix
        assert report.fix_description == "Fixed by ESME firmware 3.2.1"
        assert report.fix_source == "DSMS record INC0020001 close notes"
        devices = [
            (
                d.device_type.value,
                d.manufacturer_name,
                d.model_name,
                d.in_catalogue,
                d.firmware_version,
            )
            for d in report.devices
        ]
        assert devices == [
            # The model named, from the catalogue, with the one firmware it lists of those named.
            ("CHF", "Brackenfield Devices", "BF-CH3", True, "1.1.0"),
            # A manufacturer named without a model: the one device type left that they make;
            # two of its firmware versions are named (before and after the fix), so neither.
            ("ESME", "Aldermoor Metering Ltd", "", False, ""),
        ]
        assert record("INC0020001").promoted_report_id == report.id
        [event] = report.events
        assert event.action == reports.PROMOTED_EVENT and event.actor_id == validator.id
        assert "DSMS record INC0020001" in event.note
        assert "firmware 3.1.4, 3.2.1" in event.note  # found but not placed
        assert "kind" in result.message and "impact (from DSMS priority" in result.message
        audit = db.session.scalar(
            sa.select(AuditEvent).where(AuditEvent.action == "legacy.promoted")
        )
        assert (audit.actor_id, audit.object_type, audit.object_id) == (
            validator.id,
            "legacy_record",
            "INC0020001",
        )
        assert f"draft-{report.id}" in audit.summary


def test_what_the_record_does_not_say_is_left_to_the_validator(app, cast):
    with app.app_context():
        validator = user(cast, "validator")
        result = promotion.promote_legacy_record(actor=validator, number="INC0020002")
        report = db.session.get(Report, result.report.id)
        assert (report.title, report.description) == ("Odd readings", "Readings look odd")
        assert report.devices == [] and report.regions == [] and report.alert_codes == []
        assert report.fix_description == "" and report.fix_source == ""
        assert "impact" in result.to_check  # "5 - Planning" says nothing about impact
        assert "Devices (none matched the catalogue)" in result.to_check
        # Submission checks as usual: no Device yet.
        with pytest.raises(ValidationFailed, match="at least one Device"):
            reports.submit(actor=validator, key=reports.key_of(report), seen_version=1)


def test_a_promoted_draft_is_submitted_only_after_the_validator_saved_it(app, cast):
    with app.app_context():
        validator = user(cast, "validator")
        report = promotion.promote_legacy_record(actor=validator, number="INC0020001").report
        key = reports.key_of(report)
        with pytest.raises(ValidationFailed, match="pre-filled from a DSMS record"):
            reports.submit(actor=validator, key=key, seen_version=report.version)
        # The edit form checks as usual: close notes as a fix need a type of fix.
        with pytest.raises(ValidationFailed, match="Choose the type of fix"):
            reports.update_draft(
                actor=validator, key=key, data=edit_input(report), seen_version=report.version
            )
        db.session.rollback()
        report = reports.update_draft(
            actor=validator,
            key=key,
            data=edit_input(report, fix_type="firmware_update", fix_firmware="3.2.1"),
            seen_version=report.version,
        )
        report = reports.submit(actor=validator, key=key, seen_version=report.version)
        assert report.state == ReportState.submitted and report.reference.startswith("IDR-")
        assert report.kind.value == "defect" and report.fix_type.value == "firmware_update"
        told = db.session.scalars(
            sa.select(Notification.user_id).where(Notification.kind == "report_submitted")
        )
        assert validator.id in set(told)


def test_a_record_is_promoted_once(app, cast):
    with app.app_context():
        validator = user(cast, "validator")
        other = second_validator(cast)
        report = promotion.promote_legacy_record(actor=validator, number="INC0020001").report
        # Another validator cannot see the draft: they are told it exists, not what it says.
        with pytest.raises(InvalidTransition, match="a draft report that its author has not"):
            promotion.promote_legacy_record(actor=other, number="INC0020001")
        with pytest.raises(InvalidTransition, match=f"already been promoted to {report.label}"):
            promotion.promote_legacy_record(actor=validator, number="INC0020001")
        key = reports.key_of(report)
        report = reports.update_draft(
            actor=validator,
            key=key,
            data=edit_input(report, fix_type="other"),
            seen_version=report.version,
        )
        submitted = reports.submit(actor=validator, key=key, seen_version=report.version)
        with pytest.raises(InvalidTransition, match=submitted.reference):
            promotion.promote_legacy_record(actor=other, number="INC0020001")
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Report)) == 1
        assert record("INC0020001").promoted_report_id == submitted.id


@pytest.mark.parametrize("viewer", ["author", "involved_maker", "secas", "ssc", "admin"])
def test_only_validators_promote(app, cast, viewer):
    with app.app_context():
        with pytest.raises(NotAllowed):
            promotion.promote_legacy_record(actor=user(cast, viewer), number="INC0020001")
        assert record("INC0020001").promoted_report_id is None


def test_anonymous_and_deactivated_validators_do_not_promote(app, cast):
    with app.app_context():
        with pytest.raises(NotAllowed):
            promotion.promote_legacy_record(actor=AnonymousUserMixin(), number="INC0020001")
        validator = user(cast, "validator")
        validator.active = False
        db.session.commit()
        with pytest.raises(NotAllowed):
            promotion.promote_legacy_record(actor=validator, number="INC0020001")
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Report)) == 0


def test_an_unknown_record_is_not_found(app, cast):
    with app.app_context(), pytest.raises(NotFound):
        promotion.promote_legacy_record(actor=user(cast, "validator"), number="INC9999999")


# --- devices from extracted facts ------------------------------------------------------

HUBS = """manufacturer,device_type,model,model_id_hex,hardware_version,firmware_versions
Corriemoor Comms Ltd,CHF,CC-CH3N,0x2001,B,0x01020304;0x01030000
Corriemoor Comms Ltd,GPF,CC-CH3N,0x2002,B,0x01020304;0x01030000
Aldermoor Metering Ltd,ESME,AM-E470,0x0A1B,1.1,3.2.1;3.3.0
"""


def facts(**found) -> dict:
    return {"device_types": [], "manufacturers": [], "models": [], "firmware": []} | found


def placed(result) -> list[tuple]:
    return [
        (
            d.device_model_id is not None,
            d.device_type,
            d.manufacturer_name,
            d.model_name,
            d.firmware_version,
        )
        for d in result.devices
    ]


@pytest.fixture
def hubs(app, cast):
    with app.app_context():
        catalogue.import_csv(actor=None, lines=HUBS.splitlines(keepends=True))


def test_a_model_shared_by_chf_and_gpf_needs_the_type_named(app, hubs):
    with app.app_context():
        result = legacy_devices.prefill_devices(facts(models=["CC-CH3N"]))
        assert result.devices == [] and "model CC-CH3N (CHF or GPF not said)" in result.unplaced
        result = legacy_devices.prefill_devices(
            facts(device_types=["GPF"], models=["CC-CH3N"], firmware=["0x01030000"])
        )
        assert placed(result) == [(True, "", "", "", "0x01030000")]
        model = db.session.get(DeviceModel, result.devices[0].device_model_id)
        assert (model.device_type.value, model.model_id_hex) == ("GPF", "0x2002")


def test_firmware_picks_the_hardware_version_or_leaves_it_open(app, hubs):
    with app.app_context():
        # 3.3.0 is listed for hardware 1.1 only: that catalogue entry.
        result = legacy_devices.prefill_devices(facts(models=["AM-E470"], firmware=["3.3.0"]))
        [(in_catalogue, *_rest, firmware)] = placed(result)
        assert in_catalogue and firmware == "3.3.0"
        # 3.2.1 is listed for both hardware versions: the model typed in, without one.
        result = legacy_devices.prefill_devices(
            facts(device_types=["ESME"], models=["AM-E470"], firmware=["3.2.1"])
        )
        assert placed(result) == [(False, "ESME", "Aldermoor Metering Ltd", "AM-E470", "3.2.1")]


def test_device_types_without_a_manufacturer_are_left_to_the_validator(app, hubs):
    with app.app_context():
        result = legacy_devices.prefill_devices(
            facts(device_types=["IHD", "GSME"], manufacturers=["Aldermoor Metering Ltd"])
        )
        # Aldermoor makes ESMEs only in this catalogue: neither named type is theirs.
        assert result.devices == []
        assert result.unplaced == [
            "manufacturer Aldermoor Metering Ltd (device type not clear)",
            "IHD (no manufacturer named)",
            "GSME (no manufacturer named)",
        ]


def test_validators_promoting_at_the_same_moment_make_one_report(app, cast):
    threads_count = 4
    validator_id = cast.users["validator"]
    barrier = threading.Barrier(threads_count)
    made, refused, errors = [], [], []

    def promote() -> None:
        with app.app_context():
            try:
                actor = db.session.get(User, validator_id)
                barrier.wait(timeout=10)
                made.append(promotion.promote_legacy_record(actor=actor, number="INC0020001"))
            except InvalidTransition as exc:
                refused.append(exc.message)
            except Exception as exc:  # collected and asserted below
                errors.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=promote) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert (len(made), len(refused)) == (1, threads_count - 1)
    with app.app_context():
        [report_id] = db.session.scalars(sa.select(Report.id))
        assert record("INC0020001").promoted_report_id == report_id
