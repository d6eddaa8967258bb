"""An edition's files: the PDF (Jinja templates under templates/pdf/, laid out by
WeasyPrint) and the CSV of the same records.

WeasyPrint is imported only here, inside the functions, so the portal starts without it and
serves pages on a machine without Pango. Rendering reads nothing from the network: the one
fetcher it gets serves files under app/static/ (the stylesheet's fonts) and refuses the rest.
"""

from __future__ import annotations

import contextlib
import functools
import gc
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from flask import current_app

from app.services.csv_output import csv_bytes

if TYPE_CHECKING:
    from app.services.publication_records import EditionRecord

AUTHOR = "Issues & Defects Register (SEC modification MP137)"
# The first cell of the CSV's first row, the alerts exports' label for the same text.
DISCLAIMER_HEADING = "Disclaimer"


def _joined(values: list[str]) -> str:
    return ", ".join(values)


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


# The summary table of the PDF and the first columns of the CSV: (heading, value).
SUMMARY_COLUMNS: list[tuple[str, Callable[[EditionRecord], str]]] = [
    ("Reference", lambda r: r.reference),
    (
        "Change in month",
        lambda r: r.change + (" (notice: no checked fix)" if r.fix_withdrawn else ""),
    ),
    ("Kind", lambda r: r.kind),
    ("Device types", lambda r: _joined(r.device_types)),
    ("Manufacturers", lambda r: _joined(r.manufacturers)),
    ("Fix type", lambda r: r.fix_type),
]


# The rest of each record, as the PDF's record sections show it.
def _fix_check(record: EditionRecord) -> str:
    """Yes for every record listed; No marks a revision notice (the record leaves the list
    of identified fixes); empty for a withdrawal notice, which shows no fix."""
    if record.withdrawn:
        return ""
    return "Yes" if record.fix_checked else "No"


DETAIL_COLUMNS: list[tuple[str, Callable[[EditionRecord], str]]] = [
    ("Fix added or changed in month", lambda r: "Yes" if r.fix_changed else "No"),
    ("Fix checked by the DCC", _fix_check),
    ("Title", lambda r: r.title),
    (
        "DMC (device type | manufacturer | model | hardware | firmware)",
        lambda r: "\n".join(
            " | ".join(
                (d.device_type, d.manufacturer, d.model, d.hardware_version, d.firmware_version)
            )
            for d in r.devices
        ),
    ),
    ("CSP regions", lambda r: _joined(r.regions)),
    ("Alert codes", lambda r: _joined(r.alert_codes)),
    ("Description", lambda r: r.description),
    ("Fixed in firmware", lambda r: r.fix_firmware),
    ("Fix description", lambda r: r.fix_description),
    (
        "Manufacturer statements",
        lambda r: "\n\n".join(f"{maker}: {text}" for maker, text in r.statements),
    ),
    ("Revision", lambda r: str(r.revision or "")),
    ("Revision date", lambda r: _day(r.revised_on)),
    ("Revision note", lambda r: r.revision_note),
    ("Withdrawn on", lambda r: _day(r.withdrawn_on)),
    ("Withdrawal reason", lambda r: r.withdrawal_reason),
]
CSV_COLUMNS = SUMMARY_COLUMNS + DETAIL_COLUMNS


def render_csv(records: list[EditionRecord], disclaimer: str) -> bytes:
    """The disclaimer row first (`Disclaimer`, its text: a file passed on alone still carries
    it, and a loader skips one row), then the header row and the records; formula-looking
    cells neutralised (csv_output)."""
    rows = ([value(record) for _, value in CSV_COLUMNS] for record in records)
    return csv_bytes(
        [[DISCLAIMER_HEADING, disclaimer], [heading for heading, _ in CSV_COLUMNS], *rows]
    )


# --- PDF ----------------------------------------------------------------------------------


def static_root() -> Path:
    return Path(current_app.static_folder).resolve()


@functools.cache
def _fetcher_class():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticFilesOnly(URLFetcher):
        """Serves files under one folder; every other URL (network, other files) is refused,
        so an edition can neither leak a request nor embed anything but our own assets."""

        def __init__(self, root: Path):
            super().__init__(allowed_protocols={"file"})
            self.root = root

        def fetch(self, url, headers=None):
            path = local_path(url, self.root)
            if path is None:
                raise ValueError(f"refused to fetch {url!r}: only files under app/static/")
            return URLFetcherResponse(url, body=path.read_bytes())

    return StaticFilesOnly


def local_path(url: str, root: Path) -> Path | None:
    """The file under `root` that a file: URL names, or None for anything else."""
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        return None
    path = Path(unquote(parts.path)).resolve()
    return path if path.is_relative_to(root) and path.is_file() else None


def static_fetcher():
    return _fetcher_class()(static_root())


def _without_universal_pseudo_elements(sheet: str) -> str:
    return "\n".join(line for line in sheet.splitlines() if not line.startswith("::"))


@functools.cache
def _lean_html_class():
    """WeasyPrint's HTML with a leaner user-agent stylesheet. Its rules on bare
    pseudo-elements (::marker, ::footnote-*, ::note-*) give every element six extra computed
    styles: 150 MB of the 500-record edition. The edition has no lists, footnotes or notes.
    (`_ua_stylesheets` and `_ua_counter_style` are WeasyPrint's own hooks; the version is
    pinned and a test checks them.) The sheet's @counter-style rules go into a dictionary of
    its own: WeasyPrint's shared one already holds them, and it refuses (with a warning) to
    define `disc` and `decimal` twice."""
    from weasyprint import CSS, HTML
    from weasyprint.css.counters import CounterStyle
    from weasyprint.html import UA

    counter_style = CounterStyle()
    sheet = CSS(string=_without_universal_pseudo_elements(UA), counter_style=counter_style)

    class LeanHTML(HTML):
        def _ua_stylesheets(self, forms=False):
            return [sheet]

        def _ua_counter_style(self):
            return [counter_style.copy()]

    return LeanHTML


@contextlib.contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """WeasyPrint allocates millions of short-lived objects while it lays out and paints;
    each allocation burst wakes the cyclic collector, which then walks every object the
    process holds (the app, SQLAlchemy, the search index). Paused for the render, the
    500-record edition took about a fifth less time for 10 MB more memory (decisions.md)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        gc.collect()


def edition_html(**context) -> str:
    template = current_app.jinja_env.get_template("pdf/edition.html")
    return template.render(summary_columns=SUMMARY_COLUMNS, author=AUTHOR, **context)


def render_pdf(
    *,
    records: list[EditionRecord],
    month_key: str,
    month_label: str,
    version: int,
    issued_on: date,
    issued_at: datetime,
    reason: str,
    disclaimer: str,
) -> tuple[bytes, int]:
    """The edition as PDF bytes, and its number of pages."""
    from weasyprint.text.fonts import FontConfiguration

    html = edition_html(
        records=records,
        month_key=month_key,
        month_label=month_label,
        version=version,
        issued_on=issued_on,
        issued_at=issued_at,
        reason=reason,
        disclaimer=disclaimer,
    )
    with _cyclic_gc_paused():
        document = _lean_html_class()(
            string=html, base_url=static_root().as_uri() + "/", url_fetcher=static_fetcher()
        ).render(font_config=FontConfiguration())
        return document.write_pdf(), len(document.pages)
