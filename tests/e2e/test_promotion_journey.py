"""A validator turns a legacy DSMS record into a register report: promotes it, completes what
the record could not say, and submits it on behalf of the DCC; the record links to it."""

import re

import pytest

from tests.e2e.journeys import (
    DEMO_LOGINS,
    reporter_submits_draft,
    user_signs_in,
    validator_completes_promoted_draft,
    validator_promotes_legacy_record,
)
from tests.e2e.test_report_journeys import check_page, heading

pytestmark = pytest.mark.e2e

NUMBER = "INC1000001"  # demo: an alert storm from AM-E470s on 3.2.0, closed with a workaround
TITLE = "Alert storm 8014 from AM-E470"


def test_a_validator_promotes_a_dsms_record_and_submits_it(page, live_server):
    base = live_server.url
    user_signs_in(page, base, DEMO_LOGINS["validator"])
    validator_promotes_legacy_record(page, base, NUMBER)

    # The edit form, pre-filled, says what to check.
    assert heading(page) == "Edit draft"
    assert f"Draft report created from DSMS record {NUMBER}" in (
        page.get_by_role("status").inner_text()
    )
    assert page.get_by_label("Title").input_value() == TITLE
    assert page.get_by_label("DSMS incident references").input_value() == NUMBER
    assert page.get_by_label("Fix description").input_value().startswith("Workaround:")
    device = page.get_by_role("group", name="Device 1", exact=True)
    assert "AM-E470 (ESME, hardware 1.0" in device.get_by_label(
        "Device from the catalogue"
    ).evaluate("select => select.selectedOptions[0].text")
    assert device.get_by_label("Firmware version").input_value() == "3.2.0"
    check_page(page, live_server, "promoted-draft-form")

    validator_completes_promoted_draft(
        page,
        kind="Unusual Device behaviour",
        occurrence="A subset of the estate",
        fix_type="Operational workaround",
    )
    assert "Draft saved" in page.get_by_role("status").inner_text()
    assert "Draft created from a DSMS record" in page.inner_text("main")
    reporter_submits_draft(page)
    assert "Report submitted as IDR-" in page.get_by_role("status").inner_text()
    reference = re.match(r"(IDR-\d{4}-\d{5}): ", heading(page)).group(1)

    # The DSMS record now links to the report, and offers no second promotion.
    page.goto(f"{base}/legacy/{NUMBER}")
    page.get_by_role("link", name=reference, exact=True).click()
    assert heading(page) == f"{reference}: {TITLE}"
    page.goto(f"{base}/legacy/{NUMBER}")
    assert page.get_by_role("button", name="Promote to draft report").count() == 0
    check_page(page, live_server, "promoted-legacy-record")
