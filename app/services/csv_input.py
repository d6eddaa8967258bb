"""Reading uploaded or on-disk CSV files line by line, so that a bad byte is reported with
the line it is on and a large file is never held in memory."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

NUL_MARK = "\ufffe"  # stands in for NUL, which the csv module refuses outright


@dataclass
class RowError:
    """A row an import refused: its line number in the file, and why."""

    line: int
    reason: str


class UndecodableLine(ValueError):
    def __init__(self, line: int):
        super().__init__(f"line {line} is not UTF-8 text")
        self.line = line


def utf8_lines(binary: Iterable[bytes]) -> Iterator[str]:
    """Decode a binary stream as UTF-8 (with or without BOM), one physical line at a time.
    A newline byte never occurs inside a multi-byte UTF-8 sequence, so splitting first is
    safe."""
    for number, raw in enumerate(binary, start=1):
        try:
            yield raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError:
            raise UndecodableLine(number) from None


def text_lines(binary: BinaryIO) -> Iterator[str]:
    """UTF-8 (a BOM is dropped) line by line; undecodable bytes become U+FFFD so the row they
    are in can be rejected by line, and NUL is swapped for a mark the csv module accepts."""
    text = io.TextIOWrapper(binary, encoding="utf-8-sig", errors="replace", newline="")
    try:
        for line in text:
            yield line.replace("\x00", NUL_MARK)
    finally:
        text.detach()  # the caller owns the file: do not close it with the wrapper


def numbered_rows(reader) -> Iterator[tuple[int, list[str] | RowError]]:
    """(line, fields) for each record of a csv.reader, numbered by the physical line it
    starts on (a quoted field may span lines); a record the csv module cannot read comes as a
    RowError, and blank lines are skipped."""
    previous = reader.line_num
    while True:
        line = previous + 1
        try:
            raw = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            previous = reader.line_num
            yield line, RowError(line, f"unreadable CSV: {exc}")
            continue
        previous = reader.line_num
        if raw and raw != [""]:
            yield line, raw
