import io

import sqlalchemy as sa

from app.extensions import db
from app.models import DeviceModel, FirmwareVersion, Manufacturer
from app.services import catalogue

HEADER = "manufacturer,device_type,model,model_id_hex,hardware_version,firmware_versions\n"


def run_import(app, text: str, partial: bool = False):
    with app.app_context():
        return catalogue.import_csv(
            actor=None, lines=io.StringIO(text, newline=""), partial=partial
        )


def counts(app):
    with app.app_context():
        return (
            db.session.scalar(sa.select(sa.func.count()).select_from(Manufacturer)),
            db.session.scalar(sa.select(sa.func.count()).select_from(DeviceModel)),
            db.session.scalar(sa.select(sa.func.count()).select_from(FirmwareVersion)),
        )


GOOD = HEADER + (
    "Aldermoor Metering Ltd,ESME,AM-E470,0x0a1b,1.0,3.2.0;3.2.1\n"
    "Corriemoor Comms Ltd,CHF,CC-CH3N,2001,B,0x01020304\n"
    "Corriemoor Comms Ltd,GPF,CC-CH3N,0x2002,B,0x01020304\n"
)


def test_good_file_imports_and_normalises_model_ids(app):
    result = run_import(app, GOOD)
    assert (result.read, result.inserted, result.errors, result.applied) == (3, 3, [], True)
    assert counts(app) == (2, 3, 4)
    with app.app_context():
        ids = set(db.session.scalars(sa.select(DeviceModel.model_id_hex)))
    assert ids == {"0x0A1B", "0x2001", "0x2002"}


def test_reimport_is_idempotent_and_updates(app):
    run_import(app, GOOD)
    again = run_import(app, GOOD)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    assert counts(app) == (2, 3, 4)
    changed = run_import(
        app, HEADER + "aldermoor metering ltd,ESME,am-e470,0x0A1C,1.0,3.2.1;3.3.0\n"
    )
    assert (changed.inserted, changed.updated) == (0, 1)
    assert counts(app) == (2, 3, 5)
    with app.app_context():
        model = db.session.scalar(sa.select(DeviceModel).where(DeviceModel.model_name == "AM-E470"))
        assert model.model_id_hex == "0x0A1C"
        assert [f.version for f in model.firmware_versions] == ["3.2.0", "3.2.1", "3.3.0"]


BAD = HEADER + (
    "Aldermoor Metering Ltd,ESME,AM-E470,0x0A1B,1.0,3.2.1\n"  # line 2 good
    "Aldermoor Metering Ltd,TOASTER,AM-T1,0x0A1C,1.0,1.0\n"  # line 3 bad type
    '"Brackenfield Devices","ESME","BF-ES2\nSingle Phase",0x1102,3,0x00020011\n'  # lines 4-5 good
    "Brackenfield Devices,IHD,BF-IHD5,0xZZZZ,1.2,5.0.1\n"  # line 6 bad hex
    "Brackenfield Devices,IHD,BF-IHD6,0x1181,1.2\n"  # line 7 too few fields
    ",PPMID,BF-PP4,0x1190,1.0,4.0.3\n"  # line 8 no manufacturer
    "Aldermoor Metering Ltd,ESME,AM-E470,0x0A1B,1.0,3.2.2\n"  # line 9 repeats line 2
    "Dunmere Instruments,GSME,DI-GX100,0x3100,1.0,1.0.9;bad version!\n"  # line 10 bad firmware
)


def test_bad_rows_are_reported_by_line_and_nothing_is_imported(app):
    result = run_import(app, BAD)
    assert not result.applied
    assert [(e.line, e.reason.split(" ")[0]) for e in result.errors] == [
        (3, "device_type"),
        (6, "model_id_hex"),
        (7, "has"),
        (8, "manufacturer"),
        (9, "repeats"),
        (10, "firmware"),
    ]
    assert "line 2" in result.errors[4].reason
    assert counts(app) == (0, 0, 0)


def test_partial_imports_only_the_good_rows(app):
    result = run_import(app, BAD, partial=True)
    assert result.applied and result.inserted == 2 and result.rejected == 6
    assert counts(app)[1] == 2


def test_missing_columns_and_empty_file_are_reported_on_line_1(app):
    assert run_import(app, "manufacturer,model\nA,B\n").errors[0].line == 1
    assert "empty" in run_import(app, "").errors[0].reason


def test_import_is_audited(app):
    run_import(app, GOOD)
    with app.app_context():
        from app.models import AuditEvent

        event = db.session.scalar(
            sa.select(AuditEvent).where(AuditEvent.action == "catalogue.imported")
        )
        assert "3 inserted" in event.summary and event.actor_email == "system"
