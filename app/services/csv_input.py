"""Reading uploaded or on-disk CSV files line by line, so that a bad byte is reported with
the line it is on and a large file is never held in memory."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass


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
