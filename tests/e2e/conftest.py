"""A live portal (SQLite, demo data, CSRF on) served on loopback, and Debian's chromium driven
by Playwright. Without chromium the browser tests skip, unless REQUIRE_BROWSER=1 (CI)."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app import create_app
from app.extensions import db
from app.services import demo, outbox
from tests.conftest import _config
from tests.e2e import axe
from tests.support.smtp import free_port

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class LiveServer:
    def __init__(self, app, port: int):
        self.app = app
        self.url = f"http://127.0.0.1:{port}"
        self._server = make_server("127.0.0.1", port, app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self):
        self._thread.start()

    def stop(self):
        self._server.shutdown()
        self._thread.join(timeout=5)


@pytest.fixture
def live_server(tmp_path, sqlite_template) -> Iterator[LiveServer]:
    database = tmp_path / "register.sqlite"
    shutil.copy(sqlite_template, database)
    port = free_port()
    config = _config(tmp_path, f"sqlite:///{database}") | {
        "WTF_CSRF_ENABLED": True,
        "BASE_URL": f"http://127.0.0.1:{port}",
    }
    app = create_app(config, instance_path=str(tmp_path / "instance"))
    with app.app_context():
        demo.seed()
        outbox.drain(limit=10_000)  # as `flask seed-demo` does: the search index is ready
    server = LiveServer(app, port)
    server.start()
    yield server
    server.stop()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but there is no chromium at {CHROMIUM}")
        pytest.skip(f"no chromium at {CHROMIUM} (make test installs it where it can)")
    from playwright.sync_api import Locator, Page, sync_playwright

    # axe-core checks each page before a test leaves it (tests/e2e/axe.py).
    undo = axe.install(Page, Locator)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()
    undo()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    # The pages the test ended on (in any context it opened) are checked too.
    for other in browser.contexts:
        for open_page in other.pages:
            axe.check_before_leaving(open_page)
    for other in browser.contexts:
        other.close()


def screenshot(page, name: str) -> Path:
    """Keep a picture of the page for people to look at (screenshots/ is not committed)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def pytest_terminal_summary(terminalreporter):
    """How many pages axe checked in this process (none under xdist's controller)."""
    if axe.CHECKED:
        terminalreporter.write_line(
            f"axe: {len(axe.CHECKED)} page checks ({len(set(axe.CHECKED))} addresses); a "
            "serious or critical violation fails the test that met it"
        )
