"""Writing CSV for people to open in spreadsheets."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

# A cell starting with one of these is run as a formula by spreadsheets (OWASP's list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(value: object) -> str:
    """The cell as text, prefixed with ' if a spreadsheet would take it for a formula. A
    number is written as it is: -3.5 is a number to a spreadsheet, not a formula."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_bytes(rows: Iterable[Iterable[object]]) -> bytes:
    """UTF-8 with a byte-order mark (so Excel reads accents right), RFC 4180 quoting, CRLF,
    every cell neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([neutralised(value) for value in row])
    return out.getvalue().encode("utf-8-sig")
