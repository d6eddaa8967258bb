import io
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import check as migrations_match_models
from flask_migrate import upgrade

from app import create_app
from app.extensions import db
from app.models import (
    DeviceModel,
    LegacyRecord,
    Manufacturer,
    Organisation,
    Report,
    ReportState,
    User,
)
from app.services import demo, legacy_import, outbox

LEGACY_SAMPLE = Path(__file__).resolve().parents[1] / "data" / "legacy_sample.csv"


def test_seed_demo_is_idempotent_and_prints_logins(app, runner):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    for email in (
        "supplier@demo.test",
        "network@demo.test",
        "maker@demo.test",
        "validator@demo.test",
        "secas@demo.test",
        "ssc@demo.test",
        "admin@demo.test",
    ):
        assert email in first.output
    assert demo.DEMO_PASSWORD in first.output
    with app.app_context():
        before = [
            db.session.scalar(sa.select(sa.func.count()).select_from(t))
            for t in (User, Organisation, Manufacturer, DeviceModel, Report, LegacyRecord)
        ]
    second = runner.invoke(args=["seed-demo"])
    assert "nothing changed" in second.output
    with app.app_context():
        after = [
            db.session.scalar(sa.select(sa.func.count()).select_from(t))
            for t in (User, Organisation, Manufacturer, DeviceModel, Report, LegacyRecord)
        ]
        categories = set(db.session.scalars(sa.select(Organisation.category)))
        maker = db.session.scalar(sa.select(User).where(User.email == "maker@demo.test"))
        assert maker.manufacturer.organisation_id == maker.organisation_id
        states = set(db.session.scalars(sa.select(Report.state)))
    assert before == after and before[0] == 8 and before[2] >= 8 and before[5] >= 200
    # Reports in every state, so each demo role has something to see.
    assert states == set(ReportState)
    assert len(categories) >= 6


def test_seed_demo_if_empty_leaves_a_used_database_alone(runner, make_user):
    make_user("admin")
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert "not loaded" in result.output


def test_seed_demo_refuses_in_production(app, runner):
    app.config["APP_ENV"] = "production"
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 1 and "Refusing" in result.output


def test_catalogue_import_command_reports_bad_lines_and_exit_code(app, runner, tmp_path):
    good = tmp_path / "good.csv"
    good.write_text(
        "\ufeffmanufacturer,device_type,model,model_id_hex,hardware_version,firmware_versions\n"
        "Glenholt Energy Devices,ESME,GH-EM300,0x6300,1.0,6.0.0;6.0.2\n",
        encoding="utf-8",
    )
    ok = runner.invoke(args=["catalogue", "import", str(good)])
    assert ok.exit_code == 0 and "1 inserted" in ok.output
    again = runner.invoke(args=["catalogue", "import", str(good)])
    assert "1 unchanged" in again.output
    bad = tmp_path / "bad.csv"
    bad.write_text(
        good.read_text(encoding="utf-8")
        + "Glenholt Energy Devices,ESME,GH-EM301,nothex,1.0,6.0.0\n",
        encoding="utf-8",
    )
    refused = runner.invoke(args=["catalogue", "import", str(bad)])
    assert refused.exit_code == 1
    assert (
        "line 3: model_id_hex 'nothex'" in refused.output and "nothing imported" in refused.output
    )
    partial = runner.invoke(args=["catalogue", "import", "--partial", str(bad)])
    assert partial.exit_code == 0 and "1 rejected" in partial.output


def test_users_create_command_queues_a_password_link(app, runner, make_org):
    make_org("Brightwater Energy")
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "ops@brightwater.test",
            "--name",
            "Ops Person",
            "--role",
            "party",
            "--organisation",
            "Brightwater Energy",
        ]
    )
    assert result.exit_code == 0, result.output
    from pathlib import Path

    mails = list(Path(app.config["MAIL_DIR"]).glob("*.eml"))
    assert len(mails) == 1 and "/auth/set-password/" in mails[0].read_text()
    unknown = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "x@y.test",
            "--name",
            "X",
            "--role",
            "party",
            "--organisation",
            "Nope",
        ]
    )
    assert unknown.exit_code == 1


def test_outbox_drain_command(runner):
    assert "0 done" in runner.invoke(args=["outbox", "drain"]).output


def test_migrations_build_the_schema_from_empty_and_match_the_models(tmp_path, backend, pg_schema):
    # The app fixture's databases come from the same migrations; this checks the result.
    uri = f"sqlite:///{tmp_path / 'fresh.sqlite'}"
    if backend == "postgresql":
        from tests.conftest import _pg_url

        uri = _pg_url(pg_schema)
    app = create_app(
        {"APP_ENV": "testing", "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": uri},
        instance_path=str(tmp_path),
    )
    with app.app_context():
        upgrade()
        migrations_match_models()  # raises if the models and migrations have drifted apart
        db.engine.dispose()


def test_healthz_reports_database_and_index(client, app):
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok" and body["database"]["status"] == "ok"
    assert body["search_index"]["status"] == "missing"
    with app.app_context():
        legacy_import.import_stream(io.BytesIO(LEGACY_SAMPLE.read_bytes()), actor=None)
        outbox.drain()
    body = client.get("/healthz").get_json()
    assert body["search_index"] == {"status": "ok", "documents": 2}


def test_legacy_import_command_prints_the_summary_and_every_bad_line(runner):
    result = runner.invoke(args=["legacy", "import", str(LEGACY_SAMPLE)])
    assert result.exit_code == 0, result.output
    assert (
        "7 records read: 2 inserted, 0 updated, 0 unchanged, 5 records rejected (5 problems)"
        in result.output
    )
    assert "line 6: missing number" in result.output
    again = runner.invoke(args=["legacy", "import", str(LEGACY_SAMPLE)])
    assert "0 inserted, 0 updated, 2 unchanged" in again.output


def test_legacy_import_command_counts_records_and_lists_every_reason_once(app, runner):
    app.config["LEGACY_MAX_FIELD_CHARS"] = 100  # the file's 60-line pasted log is too long
    faults = LEGACY_SAMPLE.with_name("legacy_faults.csv")
    result = runner.invoke(args=["legacy", "import", str(faults)])
    assert result.exit_code == 0, result.output
    assert result.output.rstrip().endswith(
        "7 records read: 3 inserted, 0 updated, 0 unchanged, 4 records rejected (6 problems)"
    )
    listed = [line for line in result.output.splitlines() if line.startswith("line ")]
    assert listed == [
        "line 5: missing number; opened_at: unparseable date '04/31/2024'",
        "line 9: control character in description; closed_at: unparseable date 'yesterday'",
        "line 11: oversized field: over 100 characters",
        "line 72: duplicate number INC0040002 within the file",
    ]
