"""Who may reach what: every endpoint of the app, for every role, has an expected answer.

The table is checked against app.url_map, so a new route without an entry fails here."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import (
    AlertDmc,
    Manufacturer,
    Organisation,
    OutboxMessage,
    Report,
    ReportState,
    User,
)
from app.services import (
    demo,
    demo_reports,
    legacy_import,
    outbox,
    publication,
    publication_records,
)
from tests.support.html_checks import accessibility_problems

ROLES = ["anonymous", "party", "manufacturer", "validator", "secas", "ssc", "admin"]
SIGNED_IN_ROLES = ROLES[1:]


def expect(anonymous: int, default: int, **by_role: int) -> dict[str, int]:
    return {"anonymous": anonymous} | {r: by_role.get(r, default) for r in SIGNED_IN_ROLES}


SIGNED_IN = expect(302, 200)
ADMIN_ONLY = expect(302, 403, admin=200)
ADMIN_ONLY_POST = expect(302, 403, admin=302)
# Party and manufacturer users report for their organisation, validators for the DCC.
REPORTERS = expect(302, 403, party=200, manufacturer=200, validator=200)
VALIDATOR_ONLY = expect(302, 403, validator=200)
MANUFACTURER_ONLY = expect(302, 403, manufacturer=200)
# Monthly editions: SECAS and validators (docs/decisions.md).
PUBLICATION_ROLES = expect(302, 403, secas=200, validator=200)

# endpoint -> (method, path template, expected status per role)
ROUTES: dict[str, tuple[str, str, dict[str, int]]] = {
    "main.index": ("GET", "/", SIGNED_IN),
    "main.healthz": ("GET", "/healthz", expect(200, 200)),
    "static": ("GET", "/static/css/app.css", expect(200, 200)),
    "auth.login": ("GET", "/auth/login", expect(200, 302)),
    "auth.logout": ("GET", "/auth/logout", SIGNED_IN),
    "auth.change_password": ("GET", "/auth/password", SIGNED_IN),
    "auth.set_password": ("GET", "/auth/set-password/not-a-token", expect(404, 404)),
    "admin.index": ("GET", "/admin/", ADMIN_ONLY),
    "admin.organisations": ("GET", "/admin/organisations", ADMIN_ONLY),
    "admin.organisation": ("GET", "/admin/organisations/{organisation_id}", ADMIN_ONLY),
    "admin.user_list": ("GET", "/admin/users", ADMIN_ONLY),
    "admin.user_new": ("GET", "/admin/users/new", ADMIN_ONLY),
    "admin.user_detail": ("GET", "/admin/users/{user_id}", ADMIN_ONLY),
    "admin.user_action": ("POST", "/admin/users/{user_id}/action", ADMIN_ONLY_POST),
    "admin.catalogue_list": ("GET", "/admin/catalogue", ADMIN_ONLY),
    "admin.catalogue_import": ("GET", "/admin/catalogue/import", ADMIN_ONLY),
    "admin.manufacturer_aliases": (
        "GET",
        "/admin/catalogue/manufacturers/{manufacturer_id}",
        ADMIN_ONLY,
    ),
    "admin.audit_log": ("GET", "/admin/audit", ADMIN_ONLY),
    "admin.outbox_list": ("GET", "/admin/outbox", ADMIN_ONLY),
    "admin.outbox_retry": ("POST", "/admin/outbox/{message_id}/retry", ADMIN_ONLY_POST),
    # reports: {reference} is a published demo record involving the demo manufacturer;
    # {draft_key} is the demo supplier's draft. POSTs carry no version, so a user who may
    # act gets 409 (refused as stale) and nothing changes.
    "records.index": ("GET", "/records/", SIGNED_IN),
    "records.detail": ("GET", "/reports/{reference}", SIGNED_IN),
    "submission.new": ("GET", "/reports/new", REPORTERS),
    "submission.mine": ("GET", "/reports/mine", REPORTERS),
    "submission.edit": (
        "GET",
        "/reports/{draft_key}/edit",
        expect(302, 403, party=200, manufacturer=404, validator=404),
    ),
    # Duplicate hints for the form as typed (a fragment; empty for the matrix's post).
    "submission.similar": ("POST", "/reports/similar", REPORTERS),
    "submission.submit": (
        "POST",
        "/reports/{draft_key}/submit",
        expect(302, 403, party=409, manufacturer=404, validator=404),
    ),
    "submission.answer": (
        "POST",
        "/reports/{reference}/answer",
        expect(302, 403, party=409, manufacturer=409, validator=409),
    ),
    "validation.queue": ("GET", "/validation/", VALIDATOR_ONLY),
    "validation.detail": ("GET", "/validation/{reference}", VALIDATOR_ONLY),
    "validation.edit": ("GET", "/validation/{reference}/edit", VALIDATOR_ONLY),
    "validation.act": ("POST", "/validation/{reference}/start", expect(302, 403, validator=409)),
    "review.queue": ("GET", "/review/", MANUFACTURER_ONLY),
    "search.index": ("GET", "/search?q=HAN+8F35", SIGNED_IN),
    "legacy.detail": ("GET", "/legacy/INC0010001", SIGNED_IN),
    "legacy.upload": ("GET", "/legacy/import", VALIDATOR_ONLY),
    # A validator's POST promotes the record to a draft and goes to its edit page.
    "legacy.promote": ("POST", "/legacy/INC0010001/promote", expect(302, 403, validator=302)),
    "review.detail": ("GET", "/review/{reference}", MANUFACTURER_ONLY),
    # notifications
    "notifications.index": ("GET", "/notifications/", SIGNED_IN),
    "notifications.mark_all_read": ("POST", "/notifications/read", expect(302, 302)),
    # Nobody's notification: every signed-in role gets 404, the same as for someone else's.
    "notifications.mark_read": ("POST", "/notifications/999999/read", expect(302, 404)),
    # The matrix posts no delivery choice, so the form comes back with its error.
    "notifications.delivery": ("POST", "/notifications/delivery", expect(302, 422)),
    # superfluous alerts tracker: measured volumes for every signed-in role; {dmc_id} is a
    # demo DMC. A validator's POST makes a draft report and goes to its edit page.
    "alerts.index": ("GET", "/alerts/", SIGNED_IN),
    "alerts.dmc": ("GET", "/alerts/dmc/{dmc_id}", SIGNED_IN),
    "alerts.export": ("GET", "/alerts/top.csv", SIGNED_IN),
    "alerts.dmc_export": ("GET", "/alerts/dmc/{dmc_id}/trend.csv", SIGNED_IN),
    "alerts.upload": ("GET", "/alerts/import", VALIDATOR_ONLY),
    "alerts.draft": ("POST", "/alerts/dmc/{dmc_id}/draft", expect(302, 403, validator=302)),
    # monthly publication: {edition_month} has a ready version 1, built in the fixture. The
    # matrix posts no month, so the build form comes back with its error.
    "publication.index": ("GET", "/publications/", PUBLICATION_ROLES),
    "publication.build": (
        "POST",
        "/publications/build",
        expect(302, 403, secas=422, validator=422),
    ),
    "publication.download": ("GET", "/publications/{edition_month}.pdf", PUBLICATION_ROLES),
    "publication.download_version": (
        "GET",
        "/publications/{edition_month}/v1.csv",
        PUBLICATION_ROLES,
    ),
}
# The same admin pages with an id that does not exist: 404 for admins, 403 for the rest.
MISSING_OBJECTS = {
    "/admin/organisations/999999": expect(302, 403, admin=404),
    "/admin/users/999999": expect(302, 403, admin=404),
    "/admin/catalogue/manufacturers/999999": expect(302, 403, admin=404),
    "/admin/outbox/999999/retry": expect(302, 403, admin=404),
    "/legacy/INC9999999": expect(302, 404),
    "/legacy/INC9999999/promote": expect(302, 403, validator=404),
    "/alerts/dmc/999999": expect(302, 404),
    "/alerts/dmc/999999/trend.csv": expect(302, 404),
    "/alerts/dmc/999999/draft": expect(302, 403, validator=404),
    "/alerts/nothing.csv": expect(404, 404),  # no such route: 404 before sign-in
    "/publications/1999-01.pdf": expect(302, 403, secas=404, validator=404),
    "/publications/2026-13.csv": expect(302, 403, secas=404, validator=404),
    "/publications/1999-01/v1.pdf": expect(302, 403, secas=404, validator=404),
}
# The same routes on other objects of the seeded world ({reference} is published, by the
# supplier's organisation): the reporter's edit form opens only for the author's own draft;
# anyone else who may see the report goes back to its page with the reason.
OTHER_OBJECTS = {
    "/reports/{reference}/edit": expect(302, 403, party=302, manufacturer=302, validator=302),
}
POSTED = ("/retry", "/promote", "/draft")
NOT_HTML = {
    "static",
    "main.healthz",
    "publication.download",
    "publication.download_version",
    "alerts.export",
    "alerts.dmc_export",
}


def test_every_endpoint_has_an_entry(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints == set(ROUTES), (
        "add the new endpoint(s) to ROUTES with the expected answer per role"
    )


@pytest.fixture
def seeded(app):
    with app.app_context():
        demo.seed()
        sample = Path(__file__).resolve().parents[1] / "data" / "legacy_sample.csv"
        legacy_import.import_stream(io.BytesIO(sample.read_bytes()), actor=None)
        outbox.drain()
        last_month = publication_records.Month.current().previous()
        edition = publication.build_now(month=last_month.key)
        outbox.enqueue_email(to="x@example.test", subject="s", body="b")
        db.session.commit()
        return {
            "organisation_id": db.session.scalar(sa.select(Organisation.id).limit(1)),
            "user_id": db.session.scalar(
                sa.select(User.id).where(User.email == "supplier@demo.test")
            ),
            "manufacturer_id": db.session.scalar(sa.select(Manufacturer.id).limit(1)),
            "message_id": db.session.scalar(
                sa.select(OutboxMessage.id).order_by(OutboxMessage.id.desc()).limit(1)
            ),
            "reference": db.session.scalar(
                sa.select(Report.reference).where(
                    Report.title == demo_reports.DEMO_REPORTS[0][2]["title"]
                )
            ),
            "edition_month": edition.month,
            "dmc_id": db.session.scalar(sa.select(AlertDmc.id).where(AlertDmc.model == "AM-E470")),
            "draft_key": f"draft-{db.session.scalar(sa.select(Report.id).where(Report.state == ReportState.draft))}",
        }


def sign_in_as(client, role: str) -> None:
    if role == "anonymous":
        return
    email = {"party": "supplier@demo.test", "manufacturer": "maker@demo.test"}.get(
        role, f"{role}@demo.test"
    )
    response = client.post("/auth/login", data={"email": email, "password": demo.DEMO_PASSWORD})
    assert response.status_code == 302


@pytest.mark.parametrize("role", ROLES)
def test_each_route_answers_each_role_as_the_table_says(app, seeded, role):
    mismatches = []
    client = app.test_client()
    sign_in_as(client, role)
    for endpoint, (method, template, expected) in ROUTES.items():
        response = client.open(
            template.format(**seeded), method=method, data={"act-action": "send_link"}
        )
        if response.status_code != expected[role]:
            mismatches.append(
                f"{method} {template}: {response.status_code}, expected {expected[role]}"
            )
        if response.status_code == 302 and role == "anonymous" and endpoint != "auth.login":
            assert response.location.startswith("/auth/login"), endpoint
    for template, expected in (MISSING_OBJECTS | OTHER_OBJECTS).items():
        path = template.format(**seeded)
        method = "POST" if path.endswith(POSTED) else "GET"
        response = client.open(path, method=method)
        if response.status_code != expected[role]:
            mismatches.append(f"{method} {path}: {response.status_code}, expected {expected[role]}")
        elif (
            template in OTHER_OBJECTS
            and role != "anonymous"
            and response.status_code == 302
            and response.location != f"/reports/{seeded['reference']}"
        ):
            mismatches.append(f"{method} {path}: redirected to {response.location}")
    assert mismatches == []


@pytest.mark.parametrize("role", ROLES)
def test_every_page_a_role_can_open_is_accessible(app, seeded, role):
    client = app.test_client()
    sign_in_as(client, role)
    checked = 0
    for endpoint, (method, template, expected) in ROUTES.items():
        if method != "GET" or expected[role] != 200 or endpoint in NOT_HTML:
            continue
        response = client.get(template.format(**seeded))
        problems = accessibility_problems(
            response.get_data(as_text=True), disclaimer=app.config["DISCLAIMER"]
        )
        assert problems == [], f"{template}: {problems}"
        checked += 1
    assert checked > 0


def test_error_pages_are_accessible_and_styled(app, seeded):
    client = app.test_client()
    sign_in_as(client, "party")
    for path, status in (("/admin/", 403), ("/no-such-page", 404)):
        response = client.get(path)
        assert response.status_code == status
        assert (
            accessibility_problems(
                response.get_data(as_text=True), disclaimer=app.config["DISCLAIMER"]
            )
            == []
        )


def test_navigation_shows_administration_only_to_admins(app, seeded):
    for role in SIGNED_IN_ROLES:
        client = app.test_client()
        sign_in_as(client, role)
        html = client.get("/").get_data(as_text=True)
        assert ('href="/admin/"' in html) == (role == "admin"), role
