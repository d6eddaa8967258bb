"""The disclaimer is on each page once on screen (at the top) and once in print (in the
footer), not two or three times (issue 14, 8f). The browser test checks what is visible."""

from __future__ import annotations

import re

import pytest

from tests.functional.test_report_pages import client_for
from tests.support.reports import build_cast, walk_to


@pytest.fixture
def cast(app):
    with app.app_context():
        return build_cast()


def test_each_page_has_the_disclaimer_once_on_screen_and_once_for_print(app, cast):
    with app.app_context():
        published = walk_to(cast, "published").reference
        draft = walk_to(cast, "draft").id
    disclaimer = re.escape(app.config["DISCLAIMER"].replace("&", "&amp;"))
    pages = {
        "author": [
            "/",
            "/records/",
            f"/reports/{published}",
            f"/reports/draft-{draft}",
            "/reports/new",
            f"/reports/draft-{draft}/edit",
            "/search?q=HAN",
        ],
        "other_party": [f"/reports/{published}"],
        "validator": [f"/validation/{published}", f"/validation/{published}/edit"],
    }
    checked = 0
    for viewer, paths in pages.items():
        client = client_for(app, cast, viewer)
        for path in paths:
            html = client.get(path).get_data(as_text=True)
            places = [
                html[max(0, m.start() - 300) : m.start()] for m in re.finditer(disclaimer, html)
            ]
            assert len(places) == 2, f"{path}: the disclaimer is there {len(places)} times"
            screen, printed = places
            # The first is the banner under the menu, left out of print; the second is in
            # the footer, shown only in print.
            assert 'class="disclaimer d-print-none" role="note"' in screen, path
            assert "<footer" in printed and 'class="mb-1 d-none d-print-block' in printed, path
            checked += 1
    assert checked == 10
