import re
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from app.services import outbox
from tests.e2e.conftest import screenshot
from tests.e2e.journeys import (
    DEMO_LOGINS,
    admin_adds_a_user,
    new_user_sets_password,
    user_signs_in,
    user_signs_out,
)
from tests.support.html_checks import accessibility_problems

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("who", list(DEMO_LOGINS))
def test_each_demo_role_signs_in_and_sees_its_navigation(page, live_server, who):
    user_signs_in(page, live_server.url, DEMO_LOGINS[who])
    assert page.get_by_role("heading", level=1).inner_text().startswith("Welcome")
    nav = page.get_by_role("navigation", name="Main")
    assert (nav.get_by_role("link", name="Administration").count() == 1) == (who == "admin")
    assert (
        "No recommendations are made or intended"
        in page.get_by_role("note", name="Disclaimer").inner_text()
    )
    assert (
        accessibility_problems(page.content(), disclaimer=live_server.app.config["DISCLAIMER"])
        == []
    )
    screenshot(page, f"home-{who}")
    user_signs_out(page)
    assert page.get_by_role("heading", level=1).inner_text() == "Sign in"


def test_wrong_password_shows_an_error_summary_that_takes_focus(page, live_server):
    user_signs_in(page, live_server.url, "supplier@demo.test", "not-the-password-at-all")
    summary = page.locator(".error-summary")
    assert "Email or password is incorrect." in summary.inner_text()
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")
    assert page.title().startswith("Error:")
    screenshot(page, "login-error")


def test_admin_invites_a_user_who_sets_a_password_and_signs_in(page, browser, live_server):
    user_signs_in(page, live_server.url, DEMO_LOGINS["admin"])
    admin_adds_a_user(
        page,
        live_server.url,
        email="new.analyst@brightwater.test",
        name="New Analyst",
        organisation="Brightwater Energy (Large Supplier)",
        role="SEC Party user",
    )
    assert "a link to set their password has been sent" in page.get_by_role("status").inner_text()
    screenshot(page, "admin-user-created")
    with live_server.app.app_context():
        outbox.drain()
    # The demo data's own notifications are in the folder too: take the newcomer's mail.
    messages = [
        message_from_bytes(p.read_bytes(), policy=policy.default)
        for p in Path(live_server.app.config["MAIL_DIR"]).glob("*.eml")
    ]
    mail = next(m for m in messages if m["To"] == "new.analyst@brightwater.test")
    body = mail.get_content()
    link = re.search(r"(http://127\.0\.0\.1:\d+/auth/set-password/\S+)", body).group(1)

    newcomer = browser.new_context().new_page()
    new_user_sets_password(newcomer, link, "short")
    assert "at least 12 characters" in newcomer.locator(".error-summary").inner_text()
    new_user_sets_password(newcomer, link, "Brightwater-Analyst-Kite-58")
    assert "Your password has been set" in newcomer.get_by_role("status").inner_text()
    user_signs_in(
        newcomer, live_server.url, "new.analyst@brightwater.test", "Brightwater-Analyst-Kite-58"
    )
    assert newcomer.get_by_role("heading", level=1).inner_text() == "Welcome, New Analyst"
    newcomer.goto(link)
    assert newcomer.get_by_role("heading", level=1).inner_text() == "This link cannot be used"


def test_admin_pages_look_right(page, live_server):
    user_signs_in(page, live_server.url, DEMO_LOGINS["admin"])
    for path, name in [
        ("/admin/users", "admin-users"),
        ("/admin/catalogue", "admin-catalogue"),
        ("/admin/audit", "admin-audit"),
        ("/admin/organisations", "admin-organisations"),
    ]:
        page.goto(live_server.url + path)
        assert (
            accessibility_problems(page.content(), disclaimer=live_server.app.config["DISCLAIMER"])
            == []
        )
        screenshot(page, name)
    page.goto(live_server.url + "/admin/catalogue?q=CC-CH3N")
    assert page.get_by_role("cell", name="CC-CH3N").count() == 2  # CHF and GPF of one Comms Hub
