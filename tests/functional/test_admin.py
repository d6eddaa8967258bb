import io
import re
from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, Manufacturer, Organisation, OutboxMessage, OutboxStatus, User
from app.models.base import utcnow
from app.services import demo
from tests.conftest import sign_in


def html(response) -> str:
    return response.get_data(as_text=True)


def test_admin_creates_and_edits_an_organisation(app, client, login_as):
    login_as("admin")
    response = client.post(
        "/admin/organisations/new",
        data={"name": "Fenland Gas Distribution", "category": "gas_network"},
    )
    assert response.status_code == 302
    with app.app_context():
        org = db.session.scalar(
            sa.select(Organisation).where(Organisation.name == "Fenland Gas Distribution")
        )
        org_id = org.id
    duplicate = client.post(
        "/admin/organisations/new",
        data={"name": "fenland gas  distribution", "category": "gas_network"},
    )
    assert duplicate.status_code == 422 and "already exists" in html(duplicate)
    client.post(
        f"/admin/organisations/{org_id}", data={"name": "Fenland Gas", "category": "gas_network"}
    )
    with app.app_context():
        assert db.session.get(Organisation, org_id).name == "Fenland Gas"
        actions = list(
            db.session.scalars(
                sa.select(AuditEvent.action).where(AuditEvent.action.like("organisation.%"))
            )
        )
    assert actions == ["organisation.created", "organisation.updated"]


def test_only_manufacturer_organisations_speak_for_manufacturers(app, client, login_as):
    login_as("admin")
    with app.app_context():
        demo.seed()
        maker_id = db.session.scalar(
            sa.select(Manufacturer.id).where(Manufacturer.name == "Dunmere Instruments")
        )
    refused = client.post(
        "/admin/organisations/new",
        data={"name": "Wrong Kind", "category": "large_supplier", "manufacturer_ids": [maker_id]},
    )
    assert refused.status_code == 422 and "Only a Device Manufacturer organisation" in html(refused)
    ok = client.post(
        "/admin/organisations/new",
        data={
            "name": "Dunmere Ltd",
            "category": "device_manufacturer",
            "manufacturer_ids": [maker_id],
        },
    )
    assert ok.status_code == 302
    with app.app_context():
        assert db.session.get(Manufacturer, maker_id).organisation.name == "Dunmere Ltd"


def test_create_user_form_rejects_bad_input_and_keeps_what_was_typed(
    app, client, login_as, make_org
):
    admin = login_as("admin")
    org_id = make_org("Meridian Meter Assets", "meter_asset_provider")
    empty = client.post("/admin/users/new", data={})
    assert empty.status_code == 422 and "Enter the user&#39;s email address." in html(empty)
    taken = client.post(
        "/admin/users/new",
        data={
            "email": admin.email,
            "full_name": "Someone",
            "organisation_id": org_id,
            "role": "party",
        },
    )
    assert "already exists" in html(taken)
    unbound = client.post(
        "/admin/users/new",
        data={
            "email": "m@maker.test",
            "full_name": "Maker Person",
            "organisation_id": org_id,
            "role": "manufacturer",
        },
    )
    assert unbound.status_code == 422 and "Choose the manufacturer this user speaks for" in html(
        unbound
    )
    assert 'value="Maker Person"' in html(unbound)


def test_manufacturer_user_must_be_bound_to_their_organisations_manufacturer(app, client, login_as):
    login_as("admin")
    with app.app_context():
        demo.seed()
        aldermoor = db.session.scalar(
            sa.select(Organisation).where(Organisation.name == "Aldermoor Metering Ltd")
        )
        own = db.session.scalar(
            sa.select(Manufacturer.id).where(Manufacturer.name == "Aldermoor Metering Ltd")
        )
        other = db.session.scalar(
            sa.select(Manufacturer.id).where(Manufacturer.name == "Corriemoor Comms Ltd")
        )
        org_id = aldermoor.id
    data = {
        "email": "second@aldermoor.test",
        "full_name": "Second Maker",
        "organisation_id": org_id,
        "role": "manufacturer",
    }
    assert (
        client.post("/admin/users/new", data=data | {"manufacturer_id": other}).status_code == 422
    )
    assert client.post("/admin/users/new", data=data | {"manufacturer_id": own}).status_code == 302
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "second@aldermoor.test"))
        assert user.manufacturer_id == own and user.password_hash is None


def test_role_change_and_deactivation_end_the_users_sessions(app, client, login_as, make_user):
    login_as("admin")
    target = make_user("party")
    theirs = app.test_client()
    sign_in(theirs, target)
    assert (
        client.post(
            f"/admin/users/{target.id}", data={"role-role": "validator", "role-manufacturer_id": ""}
        ).status_code
        == 302
    )
    assert theirs.get("/").status_code == 302
    sign_in(theirs, target)
    assert (
        client.post(
            f"/admin/users/{target.id}/action", data={"act-action": "deactivate"}
        ).status_code
        == 302
    )
    assert theirs.get("/").status_code == 302
    assert "deactivated" in html(sign_in(theirs, target))
    with app.app_context():
        user = db.session.get(User, target.id)
        assert (user.role.value, user.active) == ("validator", False)
        summaries = list(
            db.session.scalars(
                sa.select(AuditEvent.summary).where(AuditEvent.action == "user.role_changed")
            )
        )
    assert summaries == ["party -> validator"]


def test_admin_cannot_deactivate_themselves(app, client, login_as):
    admin = login_as("admin")
    response = client.post(
        f"/admin/users/{admin.id}/action", data={"act-action": "deactivate"}, follow_redirects=True
    )
    assert "cannot deactivate your own account" in html(response)
    assert client.get("/admin/").status_code == 200


def test_catalogue_upload_reports_bad_rows_and_imports_nothing_unless_partial(
    app, client, login_as
):
    login_as("admin")
    content = (
        b"manufacturer,device_type,model,model_id_hex,hardware_version,firmware_versions\n"
        b"Elmstead Controls,PPMID,EC-PP10,0x4010,1.0,10.2\n"
        b"Elmstead Controls,KETTLE,EC-K1,0x4011,1.0,1.0\n"
    )

    def upload(partial: bool):
        data = {"file": (io.BytesIO(content), "catalogue.csv")}
        if partial:
            data["partial"] = "y"
        return client.post("/admin/catalogue/import", data=data, content_type="multipart/form-data")

    refused = upload(partial=False)
    assert refused.status_code == 422
    assert re.search(r"<td>3</td><td>device_type &#39;KETTLE&#39; is not one of", html(refused))
    assert "nothing imported" in html(refused)
    accepted = upload(partial=True)
    assert accepted.status_code == 200 and "1 inserted" in html(accepted)
    listing = html(client.get("/admin/catalogue?q=EC-PP10"))
    assert "EC-PP10" in listing and "0x4010" in listing


def test_catalogue_upload_refuses_a_file_that_is_not_utf8(client, login_as):
    login_as("admin")
    text = "manufacturer,device_type,model,model_id_hex,hardware_version,firmware_versions\nCaf\xe9,ESME,M,0x0001,1,1.0\n"
    data = {"file": (io.BytesIO(text.encode("latin-1")), "catalogue.csv")}
    response = client.post("/admin/catalogue/import", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert re.search(r"<td>2</td><td>the file is not UTF-8 text", html(response))


def test_audit_log_filters_by_user_action_and_date_and_pages(app, client, login_as):
    admin = login_as("admin")
    with app.app_context():
        for n in range(60):
            db.session.add(
                AuditEvent(
                    actor_email="bulk@example.test", action="test.bulk", summary=f"event {n}"
                )
            )
        db.session.add(
            AuditEvent(
                actor_email="old@example.test", action="test.old", at=utcnow() - timedelta(days=40)
            )
        )
        db.session.commit()
    page1 = html(client.get("/admin/audit?action=test.bulk"))
    assert "Page 1 of 2" in page1 and "event 59" in page1 and "event 0<" not in page1
    page2 = html(client.get("/admin/audit?action=test.bulk&page=2"))
    assert "event 0<" in page2
    mine = html(client.get(f"/admin/audit?actor={admin.email}"))
    assert "auth.login" in mine and "bulk@example.test" not in mine
    since = (utcnow() - timedelta(days=7)).date().isoformat()
    recent = html(client.get(f"/admin/audit?actor=old@&date_from={since}"))
    assert "No audit events match" in recent
    bad_date = client.get("/admin/audit?date_from=31/02/2026")
    assert bad_date.status_code == 200 and "Not a valid date value" in html(bad_date)


def test_outbox_page_shows_failures_and_retries(app, client, login_as):
    login_as("admin")
    with app.app_context():
        db.session.add(
            OutboxMessage(
                kind="email",
                payload={"to": "a@b.test", "subject": "s", "body": "b"},
                status=OutboxStatus.failed,
                attempts=8,
                last_error="ConnectionRefusedError: down",
            )
        )
        db.session.commit()
        message_id = db.session.scalar(sa.select(OutboxMessage.id))
    page = html(client.get("/admin/outbox"))
    assert "ConnectionRefusedError: down" in page and "Failed (gave up)" in page
    client.post(f"/admin/outbox/{message_id}/retry")
    with app.app_context():
        message = db.session.get(OutboxMessage, message_id)
        assert (message.status, message.attempts) == (OutboxStatus.pending, 0)


def test_a_message_a_drain_holds_is_shown_and_retrying_it_leaves_the_lease(app, client, login_as):
    login_as("admin")
    until = utcnow() + timedelta(minutes=5)
    with app.app_context():
        message = OutboxMessage(
            kind="email",
            payload={"to": "a@b.test", "subject": "s", "body": "b"},
            claimed_by="host:4242:abc",
            claimed_until=until,
        )
        db.session.add(message)
        db.session.commit()
        message_id = message.id
    page = html(client.get("/admin/outbox"))
    assert f"being applied by drain host:4242:abc until {until:%H:%M:%S} UTC" in page
    client.post(f"/admin/outbox/{message_id}/retry")
    with app.app_context():
        message = db.session.get(OutboxMessage, message_id)
        assert (message.claimed_by, message.claimed_until) == ("host:4242:abc", until)
