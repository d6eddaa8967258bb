import re

import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db
from app.models import AuditEvent, User
from app.services import outbox
from tests.conftest import TEST_PASSWORD, sign_in

WRONG = "Email or password is incorrect."


def test_login_page_has_labelled_fields_and_sign_in_button(client):
    html = client.get("/auth/login").get_data(as_text=True)
    assert re.search(r'<label[^>]*for="email"[^>]*>Email</label>', html)
    assert re.search(r'<label[^>]*for="password"[^>]*>Password</label>', html)
    assert re.search(r'<input[^>]*type="submit"[^>]*value="Sign in"', html)


def test_sign_in_and_out(client, make_user):
    user = make_user("party")
    response = sign_in(client, user)
    assert response.status_code == 302 and response.location == "/"
    assert "Welcome" in client.get("/").get_data(as_text=True)
    assert client.post("/auth/logout").status_code == 302
    assert client.get("/").status_code == 302


def test_next_is_followed_only_within_the_site(client, make_user):
    user = make_user("admin")
    assert (
        client.post(
            "/auth/login?next=/admin/users", data={"email": user.email, "password": user.password}
        ).location
        == "/admin/users"
    )
    client.post("/auth/logout")
    for evil in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        response = client.post(
            f"/auth/login?next={evil}", data={"email": user.email, "password": user.password}
        )
        assert response.location == "/"
        client.post("/auth/logout")


def test_wrong_password_and_unknown_account_look_the_same(client, make_user):
    user = make_user("party")
    wrong = client.post("/auth/login", data={"email": user.email, "password": "not-the-password"})
    unknown = client.post(
        "/auth/login", data={"email": "nobody@example.test", "password": "whatever-it-is"}
    )
    for response in (wrong, unknown):
        assert response.status_code == 422
        assert WRONG in response.get_data(as_text=True)


def test_empty_form_shows_errors_in_summary_and_beside_fields(client):
    response = client.post("/auth/login", data={})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "There is a problem" in html and 'href="#email"' in html
    assert 'id="email-error"' in html and 'aria-describedby="email-error"' in html
    assert "<title>Error: Sign in" in html


def test_five_failures_lock_the_account_for_a_while_without_revealing_it(client, make_user):
    user = make_user("party")
    for _ in range(5):
        assert WRONG in client.post(
            "/auth/login", data={"email": user.email, "password": "nope-nope-nope"}
        ).get_data(as_text=True)
    response = sign_in(client, user)  # even the right password now waits
    assert response.status_code == 429
    assert "Please wait 15 minutes" in response.get_data(as_text=True)
    unknown = [
        client.post("/auth/login", data={"email": "ghost@example.test", "password": "x"})
        for _ in range(6)
    ]
    assert unknown[-1].status_code == 429  # same answer for an account that does not exist


def test_twenty_failures_from_one_address_throttle_that_address(client, make_user):
    user = make_user("party")
    for n in range(20):
        client.post("/auth/login", data={"email": f"guess{n}@example.test", "password": "x"})
    assert sign_in(client, user).status_code == 429


def test_a_success_resets_the_account_count(client, make_user):
    user = make_user("party")
    for _ in range(4):
        client.post("/auth/login", data={"email": user.email, "password": "wrong-wrong-wrong"})
    assert sign_in(client, user).status_code == 302
    client.post("/auth/logout")
    for _ in range(4):
        client.post("/auth/login", data={"email": user.email, "password": "wrong-wrong-wrong"})
    assert sign_in(client, user).status_code == 302


def test_sign_in_and_failures_are_audited(app, client, make_user):
    user = make_user("party")
    client.post("/auth/login", data={"email": user.email, "password": "wrong-wrong-wrong"})
    sign_in(client, user)
    with app.app_context():
        actions = list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions == ["auth.login_failed", "auth.login"]


def test_deactivated_user_cannot_sign_in_and_their_session_ends(app, client, make_user):
    user = make_user("party")
    sign_in(client, user)
    assert client.get("/").status_code == 200
    with app.app_context():
        row = db.session.get(User, user.id)
        row.active = False
        row.end_sessions()
        db.session.commit()
    assert client.get("/").status_code == 302  # session is gone
    response = sign_in(client, user)
    assert "deactivated" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("current", "new", "confirm", "message"),
    [
        (
            "wrong-current-pass",
            "Brand-New-Lantern-77",
            "Brand-New-Lantern-77",
            "current password is not right",
        ),
        (TEST_PASSWORD, "short", "short", "at least 12 characters"),
        (TEST_PASSWORD, "passwordpassword", "passwordpassword", "too common"),
        (TEST_PASSWORD, "Brand-New-Lantern-77", "Brand-New-Lantern-78", "do not match"),
    ],
)
def test_change_password_refuses_bad_input(client, login_as, current, new, confirm, message):
    login_as("party")
    response = client.post(
        "/auth/password",
        data={"current_password": current, "new_password": new, "confirm_password": confirm},
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_change_password_keeps_this_session_and_ends_others(app, make_user):
    user = make_user("party")
    this, other = app.test_client(), app.test_client()
    sign_in(this, user)
    sign_in(other, user)
    response = this.post(
        "/auth/password",
        data={
            "current_password": TEST_PASSWORD,
            "new_password": "Brand-New-Lantern-77",
            "confirm_password": "Brand-New-Lantern-77",
        },
    )
    assert response.status_code == 302
    assert this.get("/").status_code == 200
    assert other.get("/").status_code == 302
    assert sign_in(other, user, "Brand-New-Lantern-77").status_code == 302


def _link_from_mail(app, smtp_server) -> str:
    with app.app_context():
        outbox.drain()
    body = smtp_server.messages[-1].get_content()
    return re.search(r"http://localhost(/auth/set-password/\S+)", body).group(1)


def test_admin_created_user_sets_password_through_single_use_link(
    app, client, login_as, make_org, smtp_server
):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)
    login_as("admin")
    org_id = make_org("Kestrel Power & Gas", "small_supplier")
    response = client.post(
        "/admin/users/new",
        data={
            "email": "New.Person@Kestrel.test",
            "full_name": "New Person",
            "organisation_id": org_id,
            "role": "party",
            "manufacturer_id": "",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    link = _link_from_mail(app, smtp_server)
    assert smtp_server.messages[-1]["To"] == "new.person@kestrel.test"
    fresh = app.test_client()
    assert fresh.get(link).status_code == 200
    weak = fresh.post(
        link, data={"new_password": "password1234", "confirm_password": "password1234"}
    )
    assert weak.status_code == 422  # the link still works after a refused attempt
    done = fresh.post(
        link,
        data={
            "new_password": "Kestrel-Orchard-Lamp-9",
            "confirm_password": "Kestrel-Orchard-Lamp-9",
        },
    )
    assert done.status_code == 302
    assert fresh.get(link).status_code == 404  # single use
    assert (
        fresh.post(
            "/auth/login",
            data={"email": "new.person@kestrel.test", "password": "Kestrel-Orchard-Lamp-9"},
        ).status_code
        == 302
    )


def test_expired_link_is_refused(app, client, make_user):
    user = make_user("party", with_password=False)
    from datetime import timedelta

    from app.models import PasswordToken
    from app.services import accounts

    with app.app_context():
        token = accounts.issue_password_link(db.session.get(User, user.id))
        db.session.commit()
        row = db.session.scalar(sa.select(PasswordToken))
        row.expires_at = row.expires_at - timedelta(days=30)
        db.session.commit()
    response = client.get(f"/auth/set-password/{token}")
    assert response.status_code == 404 and "expired" in response.get_data(as_text=True)


def test_a_new_link_cancels_the_old_one(app, make_user):
    user = make_user("party", with_password=False)
    from app.services import accounts

    with app.app_context():
        first = accounts.issue_password_link(db.session.get(User, user.id))
        db.session.commit()
        accounts.issue_password_link(db.session.get(User, user.id))
        db.session.commit()
    assert app.test_client().get(f"/auth/set-password/{first}").status_code == 404


def test_security_headers_on_every_response(client):
    for path in ("/auth/login", "/healthz", "/no-such-page"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert (
            "frame-ancestors 'none'" in csp
            and "script-src 'self'" in csp
            and "unsafe-inline" not in csp
        )
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["X-Frame-Options"] == "DENY"


def test_session_cookie_is_httponly_and_samesite_lax(client, make_user):
    response = sign_in(client, make_user("party"))
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_secure_cookie_and_hsts_outside_development(
    tmp_path, sqlite_template, pg_schema, make_user, app
):
    from tests.conftest import make_app

    prod = make_app(tmp_path, "sqlite", sqlite_template, pg_schema, APP_ENV="production")
    assert prod.config["SESSION_COOKIE_SECURE"]
    response = prod.test_client().get("/auth/login", base_url="https://localhost")
    assert "max-age" in response.headers["Strict-Transport-Security"]


def test_forms_without_csrf_token_are_refused(tmp_path, sqlite_template, pg_schema):
    from tests.conftest import make_app

    protected = make_app(tmp_path, "sqlite", sqlite_template, pg_schema, WTF_CSRF_ENABLED=True)
    client = protected.test_client()
    response = client.post("/auth/login", data={"email": "a@b.test", "password": "whatever"})
    assert response.status_code == 400
    assert "form had expired" in response.get_data(as_text=True)
    html = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    with_token = client.post(
        "/auth/login", data={"email": "a@b.test", "password": "whatever", "csrf_token": token}
    )
    assert with_token.status_code == 422 and WRONG in with_token.get_data(as_text=True)


def test_production_app_without_secret_key_fails_clearly(monkeypatch, tmp_path):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(Exception, match="SECRET_KEY"):
        create_app(instance_path=str(tmp_path))
