"""The superfluous alerts tracker in the browser: a supplier narrows the dashboard to one
region and alert code and reads the chart and its table; a validator opens the storming DMC
and starts a draft report from its alert profile."""

import pytest

from tests.e2e.journeys import (
    DEMO_LOGINS,
    reader_chooses_alerts,
    reader_opens_superfluous_alerts,
    user_signs_in,
    validator_starts_draft_from_alert_profile,
)
from tests.e2e.test_report_journeys import check_page, heading

pytestmark = pytest.mark.e2e

STORM = "AM-E470 (ESME) firmware 3.2.0"  # the demo's 8014 storm: model codes, no manufacturer


def test_a_supplier_reads_the_alerts_of_one_region_and_alert_code(page, live_server):
    base = live_server.url
    user_signs_in(page, base, DEMO_LOGINS["party"])
    reader_opens_superfluous_alerts(page, base)
    assert heading(page) == "Superfluous alerts"
    reader_chooses_alerts(page, region="North", alert_code="8014 Power Factor Threshold Below")

    assert "region=north" in page.url and "alert_code=8014" in page.url
    chart = page.get_by_role("img", name="DMCs with the most alerts per device")
    assert chart.is_visible()
    assert "north; 8014 Power Factor Threshold Below" in chart.locator("title").first.text_content()
    table = page.get_by_role("table", name="DMCs with the most alerts per device")
    rows = table.locator("tbody tr")
    assert STORM in rows.first.inner_text()
    assert rows.first.get_by_role("link", name=STORM).is_visible()
    # The chart beside the table draws the same figures, in the same order.
    bars = chart.locator("g.bar > title").all_text_contents()
    rates = [row.locator("td").nth(3).inner_text() for row in rows.all()]
    assert [bar.rsplit(": ", 1)[1].split()[0] for bar in bars] == rates
    assert bars[0].startswith(f"{STORM}: ")
    assert page.get_by_role("link", name="Download the ranking as CSV").is_visible()
    check_page(page, live_server, "alerts-dashboard-north-8014")


def test_a_validator_starts_a_draft_report_from_a_storming_dmc(page, live_server):
    base = live_server.url
    user_signs_in(page, base, DEMO_LOGINS["validator"])
    reader_opens_superfluous_alerts(page, base)
    reader_chooses_alerts(page, region="North", alert_code="8014 Power Factor Threshold Below")
    table = page.get_by_role("table", name="DMCs with the most alerts per device")
    table.get_by_role("link", name=STORM).click()
    assert heading(page) == f"Aldermoor Metering Ltd {STORM}"  # its own page names the maker
    assert page.get_by_role(
        "img", name=f"Alerts per device per day, week by week, of {STORM}"
    ).is_visible()
    check_page(page, live_server, "alerts-dmc")
    validator_starts_draft_from_alert_profile(page)
    assert heading(page) == "Edit draft"
    assert "Draft report created from the alert profile" in page.get_by_role("status").inner_text()
    assert page.get_by_label("Title").input_value().startswith("Superfluous alerts 8014")
    assert page.get_by_label("Alert codes").input_value() == "8014"
