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


# Reporting, validating, reviewing and reading a report.


def reporter_opens_new_report(page, base_url: str) -> None:
    """From the start page, as a signed-in SEC Party user."""
    page.goto(base_url)
    page.get_by_role("link", name="Report an issue").first.click()


def reporter_describes_the_issue(page, *, title: str, description: str) -> None:
    page.get_by_label("Title").fill(title)
    page.get_by_label("What happens").fill(description)


def reporter_chooses_device(page, number: int, *, model: str, firmware: str) -> None:
    """Pick, for Device `number`, the catalogue entry whose label contains `model`."""
    device = page.get_by_role("group", name=f"Device {number}", exact=True)
    chooser = device.get_by_label("Device from the catalogue")
    label = chooser.locator("option", has_text=model).first.inner_text().strip()
    chooser.select_option(label=label)
    device.get_by_label("Firmware version").fill(firmware)


def user_chooses(page, question: str, answer: str) -> None:
    """Choose one answer of a question asked with radios (e.g. "Impact", "High")."""
    group = page.get_by_role("group", name=question, exact=True)
    group.get_by_role("radio", name=answer, exact=True).check()


def reporter_answers_the_questions(
    page,
    *,
    kind: str = "Defect",
    occurrence: str = "Intermittent",
    impact: str = "Medium",
    root_cause: str = "Unknown",
    fix_known: str = "No fix is known yet",
) -> None:
    """The questions that start unanswered (kind, occurrence, impact, root cause, fix)."""
    user_chooses(page, "Kind of report", kind)
    user_chooses(page, "Occurrence", occurrence)
    user_chooses(page, "Impact", impact)
    user_chooses(page, "Root cause", root_cause)
    user_chooses(page, "Is a fix known?", fix_known)


def reporter_chooses_regions(page, *regions: str) -> None:
    group = page.get_by_role("group", name="CSP regions", exact=True)
    for region in regions:
        group.get_by_role("checkbox", name=region, exact=True).check()


def reporter_adds_another_device(page) -> None:
    page.get_by_role("button", name="Add another device").click()


def reporter_saves_draft(page) -> None:
    page.get_by_role("button", name="Save draft").click()


def reporter_submits_draft(page) -> None:
    page.get_by_role("button", name="Submit to the DCC for validation").click()


def validator_opens_report_from_queue(page, base_url: str, reference: str) -> None:
    page.goto(f"{base_url}/validation/")
    page.get_by_role("link", name=reference, exact=True).click()


def validator_starts_validation(page) -> None:
    page.get_by_role("button", name="Start validation").click()


def validator_sends_to_manufacturer_review(page) -> None:
    page.get_by_role("button", name="Send to manufacturer review").click()


def validator_approves_for_publication(page) -> None:
    page.get_by_role("button", name="Approve for publication").click()


def validator_publishes_record(page, note: str = "") -> None:
    if note:
        page.get_by_label("Publication note (optional)").fill(note)
    page.get_by_role("button", name="Publish record").click()


def manufacturer_opens_report_from_queue(page, base_url: str, reference: str) -> None:
    page.goto(f"{base_url}/review/")
    page.get_by_role("link", name=reference, exact=True).click()


def manufacturer_sends_response(
    page, response: str, *, statement: str = "", publish_statement: bool = False
) -> None:
    page.get_by_role("radio", name=response, exact=True).check()
    if statement:
        page.get_by_label("Statement", exact=True).fill(statement)
    if publish_statement:
        page.get_by_label("Publish this statement with the record").check()
    page.get_by_role("button", name="Send response").click()


def reader_opens_published_record(page, base_url: str, reference: str) -> None:
    page.goto(f"{base_url}/records/")
    page.get_by_role("link", name=reference, exact=True).click()


def validator_promotes_legacy_record(page, base_url: str, number: str) -> None:
    page.goto(f"{base_url}/legacy/{number}")
    page.get_by_role("button", name="Promote to draft report").click()


def validator_completes_promoted_draft(page, *, kind: str, occurrence: str, fix_type: str) -> None:
    """Choose what a DSMS record cannot say, then save the draft."""
    user_chooses(page, "Kind of report", kind)
    user_chooses(page, "Occurrence", occurrence)
    page.get_by_label("Fix type").select_option(label=fix_type)
    reporter_saves_draft(page)


# The monthly publication.


def user_builds_edition(page, base_url: str, month_label: str) -> None:
    """From the start page, as a SECAS user or validator."""
    page.goto(base_url)
    page.get_by_role("link", name="Publications", exact=True).click()
    page.get_by_label("Edition month").select_option(label=month_label)
    page.get_by_role("button", name="Build edition").click()


def user_downloads_edition(page, fmt: str, month_label: str, version: int = 1):
    """Click the edition's download link; returns Playwright's Download."""
    link = page.get_by_role(
        "link", name=f"Download {fmt.upper()} of the {month_label} edition, version {version}"
    )
    with page.expect_download() as download:
        link.click()
    return download.value


# The superfluous alerts tracker.


def reader_opens_superfluous_alerts(page, base_url: str) -> None:
    page.goto(base_url)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Alerts").click()


def reader_chooses_alerts(page, *, region: str, alert_code: str, period: str = "") -> None:
    """Choose by the words on screen, e.g. region "North", alert code "8014 Power Factor…"."""
    if period:
        page.get_by_label("Period", exact=True).select_option(label=period)
    page.get_by_label("CSP region", exact=True).select_option(label=region)
    page.get_by_label("Alert code", exact=True).select_option(label=alert_code)
    page.get_by_role("button", name="Show alerts").click()


def validator_starts_draft_from_alert_profile(page) -> None:
    page.get_by_role("button", name="Start a draft report from this alert profile").click()
