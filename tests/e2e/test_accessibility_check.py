"""The axe check itself: it finds what it should, and a page is checked when it is left."""

import pytest

from tests.e2e import axe

pytestmark = pytest.mark.e2e

# Grey on grey: an axe "serious" colour-contrast violation.
PLANT = """() => {
  const p = document.createElement("p");
  p.textContent = "Hard to read";
  p.className = "planted";
  p.setAttribute("class", "planted text-body-tertiary bg-secondary-subtle");
  document.querySelector("main").append(p);
}"""


def test_axe_lists_a_serious_violation_with_where_it_is(page, live_server):
    page.goto(f"{live_server.url}/auth/login")
    page.evaluate(PLANT)
    with pytest.raises(AssertionError) as failure:
        axe.assert_accessible(page)
    message = str(failure.value)
    assert "color-contrast (serious)" in message and ".planted" in message


def test_leaving_a_page_checks_it_first(page, live_server):
    page.goto(f"{live_server.url}/auth/login")
    page.evaluate(PLANT)
    with pytest.raises(AssertionError, match="color-contrast"):
        page.goto(f"{live_server.url}/auth/login?again=1")
    # Checked once: leaving it again does not repeat the check.
    page.goto(f"{live_server.url}/auth/login?again=2")
    assert axe.CHECKED.count(f"{live_server.url}/auth/login") == 1
