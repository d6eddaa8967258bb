"""Steps of the main journeys, named for what the person does."""

from __future__ import annotations

from app.services import demo

DEMO_LOGINS = {
    "party": "supplier@demo.test",
    "network": "network@demo.test",
    "manufacturer": "maker@demo.test",
    "validator": "validator@demo.test",
    "secas": "secas@demo.test",
    "ssc": "ssc@demo.test",
    "admin": "admin@demo.test",
}


def user_signs_in(page, base_url: str, email: str, password: str = demo.DEMO_PASSWORD) -> None:
    page.goto(f"{base_url}/auth/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def user_signs_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()


def admin_adds_a_user(
    page, base_url: str, *, email: str, name: str, organisation: str, role: str
) -> None:
    page.goto(f"{base_url}/admin/users")
    page.get_by_role("link", name="Add a user").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Full name").fill(name)
    page.get_by_label("Organisation").select_option(label=organisation)
    page.get_by_label("Role").select_option(label=role)
    page.get_by_role("button", name="Create user and send password link").click()


def new_user_sets_password(page, link: str, password: str) -> None:
    page.goto(link)
    page.get_by_label("New password", exact=True).fill(password)
    page.get_by_label("Confirm new password").fill(password)
    page.get_by_role("button", name="Set password").click()
