"""SECAS builds last month's edition from the demo data and downloads the PDF. The build is
queued; the test drains the outbox as the production timer would."""

from pathlib import Path

import pytest

from app.services import outbox
from app.services.publication_records import Month
from tests.e2e.journeys import (
    DEMO_LOGINS,
    user_builds_edition,
    user_downloads_edition,
    user_signs_in,
)
from tests.e2e.test_report_journeys import check_page, heading

pytestmark = pytest.mark.e2e


def test_secas_builds_last_months_edition_and_downloads_the_pdf(page, live_server):
    base = live_server.url
    month = Month.current().previous()
    user_signs_in(page, base, DEMO_LOGINS["secas"])
    page.goto(f"{base}/publications/")
    # Only months that are over are offered, the month just completed first.
    offered = page.get_by_label("Edition month").locator("option").all_inner_texts()
    assert offered[0] == month.label and Month.current().label not in offered
    user_builds_edition(page, base, month.label)
    assert heading(page) == "Monthly publication"
    assert "is queued" in page.get_by_role("status").inner_text()
    assert "Queued" in page.locator("table").inner_text()
    check_page(page, live_server, "publications-queued")

    with live_server.app.app_context():
        assert outbox.drain().done >= 1
    page.reload()
    row = page.locator("tr", has_text=month.label)
    assert "Ready" in row.inner_text()
    check_page(page, live_server, "publications-ready")

    download = user_downloads_edition(page, "pdf", month.label)
    assert download.suggested_filename == f"idr-edition-{month.key}-v1.pdf"
    saved = Path(download.path())
    assert saved.read_bytes().startswith(b"%PDF-") and saved.stat().st_size > 10_000

    # The same link through the browser's session: what the server says it sends.
    response = page.request.get(f"{base}/publications/{month.key}.pdf")
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert int(response.headers["content-length"]) == saved.stat().st_size == len(response.body())
