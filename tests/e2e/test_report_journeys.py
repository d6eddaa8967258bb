"""A report's whole life in the browser: a supplier reports an issue with a two-Device DMC, a
DCC validator checks it, both manufacturers respond, the validator publishes it and another
SEC Party reads the record, which does not name the reporter."""

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Report
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import screenshot
from tests.e2e.journeys import (
    DEMO_LOGINS,
    manufacturer_opens_report_from_queue,
    manufacturer_sends_response,
    reader_opens_published_record,
    reporter_adds_another_device,
    reporter_answers_the_questions,
    reporter_chooses_device,
    reporter_chooses_regions,
    reporter_describes_the_issue,
    reporter_opens_new_report,
    reporter_saves_draft,
    reporter_submits_draft,
    user_chooses,
    user_signs_in,
    user_signs_out,
    validator_approves_for_publication,
    validator_opens_report_from_queue,
    validator_publishes_record,
    validator_sends_to_manufacturer_review,
    validator_starts_validation,
)
from tests.support.html_checks import accessibility_problems

pytestmark = pytest.mark.e2e

TITLE = "CHF drops the ESME from the HAN after a power cut"
DESCRIPTION = (
    "After a mains power cut the Comms Hub comes back but the AM-E470 does not rejoin the HAN "
    "for several hours."
)
STATEMENT = "We have reproduced this and a firmware fix is being tested."
REPORTER = "Brightwater Energy"


def check_page(page, live_server, name: str) -> None:
    """Require the page to pass the structural accessibility checks, and keep a picture of it.
    The HTML is read first: Playwright's screenshot leaves style="" on inputs it touched."""
    problems = accessibility_problems(
        page.content(), disclaimer=live_server.app.config["DISCLAIMER"]
    )
    screenshot(page, name)
    assert problems == [], f"{name}: {problems}"
    assert_accessible(page)


def heading(page) -> str:
    return page.get_by_role("heading", level=1).inner_text()


def test_a_report_goes_from_the_supplier_through_review_to_a_published_record(page, live_server):
    base = live_server.url

    # 1. The supplier reports the issue.
    user_signs_in(page, base, DEMO_LOGINS["party"])
    reporter_opens_new_report(page, base)
    assert page.url.endswith("/reports/new")
    assert heading(page) == "Report an issue, defect or unusual behaviour"
    check_page(page, live_server, "report-form")
    # Nothing is answered for the newcomer; the fix fields wait for "A fix is known".
    assert page.get_by_role("radio").and_(page.locator(":checked")).count() == 0
    assert page.get_by_label("Fix type").is_hidden()
    reporter_describes_the_issue(page, title=TITLE, description=DESCRIPTION)
    reporter_chooses_device(page, 1, model="AM-E470 (ESME, hardware 1.1", firmware="3.2.1")
    # With a title and a first Device, records like it are shown before anything is saved.
    hints = page.locator("#duplicate-hints")
    hints.get_by_role("heading", name="Already known? Records like this one").wait_for()
    assert hints.get_by_role("link").count() >= 1
    assert_accessible(page)
    screenshot(page, "report-form-hints")
    reporter_adds_another_device(page)
    # The form came back with a second Device, keeping what was typed.
    assert page.get_by_role("group", name="Device 2", exact=True).count() == 1
    assert page.get_by_label("Title").input_value() == TITLE
    assert page.get_by_label("What happens").input_value() == DESCRIPTION
    device_1 = page.get_by_role("group", name="Device 1", exact=True)
    assert "AM-E470" in device_1.get_by_label("Device from the catalogue").evaluate(
        "select => select.selectedOptions[0].text"
    )
    assert device_1.get_by_label("Firmware version").input_value() == "3.2.1"
    reporter_chooses_device(page, 2, model="CC-CH3N (CHF", firmware="0x01030000")
    page.get_by_label("Alert codes").fill("0x8f35, n24")

    # A first attempt without a title or the questions answered: the summary at the top,
    # and the error at each field.
    page.get_by_label("Title").fill("")
    reporter_saves_draft(page)
    summary = page.locator(".error-summary")
    assert "There is a problem" in summary.inner_text()
    assert "Title: Enter a title." in summary.inner_text()
    assert "Kind of report: Choose the kind of report." in summary.inner_text()
    assert "Is a fix known?: Say whether a fix is known." in summary.inner_text()
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")
    assert page.title().startswith("Error:")
    title = page.get_by_label("Title")
    assert title.get_attribute("aria-invalid") == "true"
    assert "Enter a title." in page.locator("#title-error").inner_text()
    assert page.get_by_label("Alert codes").input_value() == "0x8f35, n24"
    assert page.get_by_role("group", name="Device 2", exact=True).count() == 1
    check_page(page, live_server, "report-form-error")
    summary.get_by_role("link", name="Kind of report: Choose the kind of report.").click()
    assert page.evaluate("document.activeElement.id") == "kind-0"
    summary.get_by_role("link", name="Title: Enter a title.").click()
    assert page.evaluate("document.activeElement.id") == "title"
    title.fill(TITLE)
    reporter_answers_the_questions(page, fix_known="A fix is known")
    assert page.get_by_label("Fix type").is_visible()
    user_chooses(page, "Is a fix known?", "No fix is known yet")
    assert page.get_by_label("Fix type").is_hidden()
    reporter_chooses_regions(page, "North", "Central")
    reporter_saves_draft(page)

    assert "Draft saved" in page.get_by_role("status").inner_text()
    assert heading(page).endswith(TITLE)
    assert "North, Central" in page.locator("dl.record").inner_text()
    check_page(page, live_server, "report-draft")
    reporter_submits_draft(page)
    assert "Report submitted as IDR-" in page.get_by_role("status").inner_text()
    reference = re.match(r"(IDR-\d{4}-\d{5}): ", heading(page)).group(1)
    record = page.locator("dl.record")
    assert "8F35, N24" in record.inner_text()
    check_page(page, live_server, "report-submitted")
    user_signs_out(page)

    # 2. The validator finds it, starts validation and sends it to the manufacturers.
    user_signs_in(page, base, DEMO_LOGINS["validator"])
    validator_opens_report_from_queue(page, base, reference)
    assert heading(page) == f"{reference}: {TITLE}"
    check_page(page, live_server, "validation-submitted")
    validator_starts_validation(page)
    assert "Validation started." in page.get_by_role("status").inner_text()
    validator_sends_to_manufacturer_review(page)
    assert "Sent to manufacturer review" in page.get_by_role("status").inner_text()
    check_page(page, live_server, "validation-manufacturer-review")
    user_signs_out(page)

    # 3. Both manufacturers agree; Aldermoor gives a statement to publish.
    user_signs_in(page, base, DEMO_LOGINS["manufacturer"])
    manufacturer_opens_report_from_queue(page, base, reference)
    assert heading(page) == f"{reference}: {TITLE}"
    assert re.search(r"Respond by the end of \w+day \d{2} \w+ \d{4}", page.inner_text("main"))
    # The reporter did not consent to being named to the manufacturers.
    assert REPORTER not in page.content()
    assert "A Large Supplier" in page.locator("dl.record").inner_text()
    check_page(page, live_server, "review-detail")
    manufacturer_sends_response(page, "Agrees", statement=STATEMENT, publish_statement=True)
    assert "Your response is recorded" in page.get_by_role("status").inner_text()
    assert "Recorded so far: Agrees" in page.inner_text("main")
    user_signs_out(page)

    user_signs_in(page, base, "hub@demo.test")
    page.goto(f"{base}/review/")
    check_page(page, live_server, "review-queue")
    manufacturer_opens_report_from_queue(page, base, reference)
    assert REPORTER not in page.content()
    manufacturer_sends_response(page, "Agrees")
    assert "Your response is recorded" in page.get_by_role("status").inner_text()
    user_signs_out(page)

    # 4. The validator approves and publishes.
    user_signs_in(page, base, DEMO_LOGINS["validator"])
    validator_opens_report_from_queue(page, base, reference)
    reviews = page.get_by_role("table", name="Responses of the manufacturers involved")
    assert (
        reviews.get_by_role("row").filter(has_text="Aldermoor").filter(has_text="Agrees").count()
        == 1
    )
    assert (
        reviews.get_by_role("row").filter(has_text="Corriemoor").filter(has_text="Agrees").count()
        == 1
    )
    validator_approves_for_publication(page)
    assert "Approved for publication." in page.get_by_role("status").inner_text()
    validator_publishes_record(page)
    assert "Published." in page.get_by_role("status").inner_text()
    check_page(page, live_server, "validation-published")
    user_signs_out(page)

    # 5. Another SEC Party reads the published record.
    user_signs_in(page, base, DEMO_LOGINS["network"])
    reader_opens_published_record(page, base, reference)
    assert heading(page) == f"{reference}: {TITLE}"
    # The disclaimer: once on screen, at the top; printed, once, in the footer.
    disclaimer = page.get_by_text("No recommendations are made or intended")
    assert [d.is_visible() for d in disclaimer.all()] == [True, False]
    assert disclaimer.first.locator("xpath=ancestor::header").count() == 1
    page.emulate_media(media="print")
    assert [d.is_visible() for d in disclaimer.all()] == [False, True]
    assert disclaimer.last.locator("xpath=ancestor::footer").count() == 1
    page.emulate_media(media="screen")
    dmc = page.get_by_role("table", name="Devices in the Device Model Combination (DMC)")
    rows = dmc.get_by_role("row")
    assert (
        rows.filter(has_text="AM-E470").filter(has_text="ESME").filter(has_text="3.2.1").count()
        == 1
    )
    assert rows.filter(has_text="CC-CH3N").filter(has_text="CHF").count() == 1
    statements = page.locator("blockquote")
    assert STATEMENT in statements.inner_text()
    assert "Aldermoor Metering Ltd" in statements.inner_text()
    reported_by = page.locator("dl.record dt", has_text="Reported by").locator(
        "xpath=following-sibling::dd[1]"
    )
    assert reported_by.inner_text().strip() == "A Large Supplier"
    assert REPORTER not in page.content()
    check_page(page, live_server, "record-published")


def test_a_party_guessing_another_organisations_report_reference_gets_not_found(page, live_server):
    with live_server.app.app_context():
        reference = db.session.scalar(
            sa.select(Report.reference).where(
                Report.title == "Tariff switch not applied on polyphase meter"
            )
        )
    assert reference
    user_signs_in(page, live_server.url, DEMO_LOGINS["network"])
    response = page.goto(f"{live_server.url}/reports/{reference}")
    assert response.status == 404
    assert heading(page) == "Page not found"
    assert "Tariff switch" not in page.content()
    check_page(page, live_server, "report-guessed-reference-404")
    # Typed in lower case it is still the same answer: nothing tells it exists.
    response = page.goto(f"{live_server.url}/reports/{reference.lower()}")
    assert response.status == 404


def test_pressing_enter_in_the_report_form_saves_the_draft(page, live_server):
    base = live_server.url
    user_signs_in(page, base, DEMO_LOGINS["party"])
    reporter_opens_new_report(page, base)
    reporter_describes_the_issue(page, title="Enter saves the draft", description=DESCRIPTION)
    reporter_chooses_device(page, 1, model="AM-E470", firmware="3.2.1")
    reporter_answers_the_questions(page)
    page.get_by_label("Alert codes").fill("8F35")
    page.get_by_label("Alert codes").press("Enter")
    assert "Draft saved" in page.get_by_role("status").inner_text()
    assert heading(page).startswith("Draft #")
