"""axe-core on every page the browser tests visit: no serious or critical violation.

axe.min.js is the copy pinned with axe-playwright-python (requirements-dev.txt), read from
disk and evaluated in the page through the DevTools protocol (which the CSP does not
govern); nothing is fetched. Each document is checked once, just before a test leaves it
(an action that may navigate: goto, reload, back, a click or a key press) and when the test
ends, so every page is checked in the state the person left it. `assert_accessible` checks
the page again, e.g. after a script has changed it."""

from __future__ import annotations

from pathlib import Path

import axe_playwright_python
from playwright.sync_api import Error as PlaywrightError

AXE_SOURCE = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text("utf-8")
BLOCKING = frozenset({"serious", "critical"})
# Every document checked in this process, for the record (url).
CHECKED: list[str] = []


def blocking_violations(page) -> list[dict]:
    """axe's serious and critical violations on the page as it is now."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SOURCE)
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [v for v in results["violations"] if v["impact"] in BLOCKING]


def describe(url: str, violations: list[dict]) -> str:
    lines = [f"axe: {len(violations)} serious or critical violation(s) on {url}"]
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} {v['helpUrl']}")
        for node in v["nodes"][:5]:
            lines.append(f"    {' '.join(node['target'])}: {node['failureSummary']}")
    return "\n".join(lines)


def assert_accessible(page) -> None:
    page.wait_for_load_state("load")
    violations = blocking_violations(page)
    page.evaluate("() => { window.__axeChecked = true; }")
    CHECKED.append(page.url)
    assert not violations, describe(page.url, violations)


def check_before_leaving(page) -> None:
    """Check the page's document unless it has been checked already (or is no HTML page:
    a blank new tab, a CSV shown as text)."""
    for attempt in range(3):
        if page.is_closed() or not page.url.startswith("http"):
            return
        page.wait_for_load_state("load")
        try:
            kind, checked = page.evaluate(
                "() => [document.contentType, Boolean(window.__axeChecked)]"
            )
            if kind == "text/html" and not checked:
                assert_accessible(page)
            return
        except PlaywrightError as exc:
            # The page was replaced while being read (a navigation still under way):
            # check the document it became.
            if "destroyed" not in str(exc) or attempt == 2:
                raise


# Actions after which the page may be another document.
_PAGE_ACTIONS = ("goto", "reload", "go_back", "click", "press")
_LOCATOR_ACTIONS = ("click", "press")


def install(page_class, locator_class) -> callable:
    """Make each action that may leave a page check it first; returns the undo."""
    originals = []

    def wrap(cls, name: str, page_of):
        original = getattr(cls, name)

        def checked(self, *args, **kwargs):
            check_before_leaving(page_of(self))
            return original(self, *args, **kwargs)

        originals.append((cls, name, original))
        setattr(cls, name, checked)

    for name in _PAGE_ACTIONS:
        wrap(page_class, name, lambda page: page)
    for name in _LOCATOR_ACTIONS:
        wrap(locator_class, name, lambda locator: locator.page)

    def undo():
        for cls, name, original in originals:
            setattr(cls, name, original)

    return undo
