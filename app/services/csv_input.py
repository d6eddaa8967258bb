"""Reading uploaded or on-disk CSV files line by line, so that a bad byte is reported with
the line it is on and a large file is never held in memory."""

from __future__ import annotations

import csv
import io
import re
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


def numbered_rows(
    reader, lines: RecordLines | None = None
) -> Iterator[tuple[int, list[str] | RowError]]:
    """(line, fields) for each record of a csv.reader, numbered by the physical line it
    starts on (a quoted field may span lines); a record the csv module cannot read comes as a
    RowError, and blank lines are skipped. Given the `lines` the reader reads, a record the
    csv module gave up on inside a quoted field (one too large) is skipped to its end, so
    that it counts once and the rest of its lines are not taken for records of their own."""
    previous = reader.line_num
    while True:
        line = previous + 1
        try:
            raw = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if lines is not None:
                _skip_rest_of_record(reader, lines, line)
            previous = reader.line_num
            yield line, RowError(line, f"unreadable CSV: {exc}")
            continue
        previous = reader.line_num
        if raw and raw != [""]:
            yield line, raw


class RecordLines:
    """The physical lines a csv.reader reads, remembering the last one, so that after an
    error the reader can be put back inside the quoted field it was reading."""

    def __init__(self, lines: Iterable[str]):
        self._lines = iter(lines)
        self._reopen = False
        self.last = ""

    def __iter__(self) -> RecordLines:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        if self._reopen:
            # An opening quote makes the reader take the line as the rest of a quoted field.
            self._reopen = False
            line = '"' + line
        self.last = line
        return line

    def reopen_quote(self) -> None:
        self._reopen = True


# The csv module's default dialect (with strict=False), one token at a time: what counts is
# whether a line ends inside a quoted field.
_QUOTED_REST = re.compile(r'[^"]*(?:""[^"]*)*')
_UNQUOTED_REST = re.compile(r"[^,\r\n]*")


def ends_in_quotes(text: str, *, in_quotes: bool) -> bool:
    """Whether a CSV line, begun inside a quoted field or not, ends inside one."""
    at = 0
    while True:
        if in_quotes:
            at = _QUOTED_REST.match(text, at).end()
            if at == len(text):
                return True
            at += 1  # the closing quote; what follows it, up to a comma, is literal
            in_quotes = False
        elif text.startswith('"', at):
            at += 1
            in_quotes = True
            continue
        at = _UNQUOTED_REST.match(text, at).end()
        if at == len(text) or text[at] != ",":
            return False
        at += 1


def _skip_rest_of_record(reader, lines: RecordLines, start: int) -> None:
    """After the reader failed on the record begun on line `start`: if it stopped inside a
    quoted field, read on (and drop) up to the end of that record."""
    while ends_in_quotes(lines.last, in_quotes=reader.line_num > start):
        lines.reopen_quote()
        start = reader.line_num + 1
        try:
            next(reader)
            return
        except StopIteration:
            return
        except csv.Error:
            continue
