"""Redaction of personal data from free text before it is stored where it can be searched or
shown (DESIGN §4): MPANs, MPRNs, e-mail addresses, UK phone numbers, UK postcodes, the
person names listed in REDACTION_NAMES_FILE, and the person names found by context and
gazetteer (app/services/person_names.py) all become "[redacted]".

The patterns lean towards redacting: a six-to-ten digit number standing alone is taken for an
MPRN even when it is a count, because losing a count costs less than publishing a meter point.
Version strings (3.2.1), hex codes (0x8F35, 0x00020015) and references such as INC0012345 are
left alone: they are what people search for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from app.services.person_names import NameFinder, lexicon

REDACTED = "[redacted]"

EMAIL = re.compile(r"\b[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
# +44 or 0, then 9 or 10 more digits, with the usual spaces, dots, dashes or (0) and brackets.
UK_PHONE = re.compile(
    r"(?<![\w.])(?:\+44\s?(?:\(0\)\s?)?|\(?0)\d{2,4}\)?(?:[\s.-]?\d){6,8}(?!\w|\.\d)"
)
# Outward code + inward code, e.g. SW1A 1AA, M1 1AE, CR2 6XH (case-insensitive, space optional).
UK_POSTCODE = re.compile(
    r"\b(?:[A-Z]{1,2}[0-9][A-Z0-9]?|GIR)\s?[0-9][ABD-HJLNP-UW-Z]{2}\b", re.IGNORECASE
)
# Core MPAN: 13 digits, possibly written in groups separated by single spaces.
MPAN = re.compile(r"(?<![\w.])\d(?:[ ]?\d){12}(?!\w|\.\d)")
# MPRN: 6 to 10 digits standing alone (not part of a version, hex code or reference).
MPRN = re.compile(r"(?<![\w.])\d{6,10}(?!\w|\.\d)")

# Most specific first: a 13-digit MPAN must not be half-eaten as a phone number.
PATTERNS = (
    ("email", EMAIL),
    ("mpan", MPAN),
    ("phone", UK_PHONE),
    ("mprn", MPRN),
    ("postcode", UK_POSTCODE),
)


@dataclass
class Redaction:
    text: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.counts)


def names_pattern(names: Iterable[str]) -> re.Pattern | None:
    """One case-insensitive, whole-word pattern for the configured person names (longest
    first, so "Jane Smith" wins over "Jane")."""
    cleaned = sorted({n.strip() for n in names if n.strip()}, key=len, reverse=True)
    if not cleaned:
        return None
    alternatives = "|".join(r"\s+".join(map(re.escape, n.split())) for n in cleaned)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


@cache
def _names_from_file(path: str, mtime: float) -> re.Pattern | None:
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return names_pattern(line for line in lines if not line.lstrip().startswith("#"))


def configured_names(path: str | None) -> re.Pattern | None:
    """The pattern for REDACTION_NAMES_FILE (one name per line; # starts a comment); re-read
    when the file changes."""
    if not path or not Path(path).is_file():
        return None
    return _names_from_file(path, Path(path).stat().st_mtime)


def name_finder(catalogue_spellings: Iterable[str] = ()) -> NameFinder:
    """The default finder of person names, never taking a word of the catalogue's
    manufacturer and model names (and aliases) for one."""
    keep = {word for spelling in catalogue_spellings for word in re.findall(r"[^\W_]+", spelling)}
    return NameFinder(lexicon(), keep=keep)


def redact(
    text: str | None, names: re.Pattern | None = None, finder: NameFinder | None = None
) -> Redaction:
    """Replace personal data in `text` with [redacted], counting what was found: the
    patterns, then the configured `names`, then the names `finder` finds."""
    result = Redaction(text or "")
    if not result.text:
        return result
    patterns = PATTERNS + ((("name", names),) if names is not None else ())
    for kind, pattern in patterns:
        result.text, found = pattern.subn(REDACTED, result.text)
        if found:
            result.counts[kind] = result.counts.get(kind, 0) + found
    if finder is not None:
        result.text, found = finder.redact(result.text, REDACTED)
        if found:
            result.counts["name"] = result.counts.get("name", 0) + found
    return result
