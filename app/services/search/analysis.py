"""How text becomes search terms. Technical tokens are kept whole and normalised (3.2.1,
0x8F35 ≡ 8F35, 0x00020015, AM-E470 also as AM, E470 and AME470); prose is lower-cased and
stemmed. The same analyzer serves indexing and queries; in query mode each word yields one
canonical term, so a query never widens into alternatives.

A document's searchable text is one field made of sections joined by SECTION_BREAK (title,
then DMC, then the rest); each section's terms carry its boost, so a word in a title counts
more than the same word in a description without a second field to search."""

from __future__ import annotations

import re
from functools import lru_cache

from whoosh.analysis import STOP_WORDS, Token, Tokenizer
from whoosh.lang.porter2 import stem

WORD_PATTERN = "0[xX][0-9a-fA-F]+|[vV]?\\d+(?:\\.\\d+)+|\\w+(?:['\u2019-]\\w+)*"
SECTION_BREAK = "\x1e"  # ASCII record separator: never typed in a query or found in a record
SECTION_BOOSTS = (3.0, 2.0, 1.0)  # title, DMC, everything else
SECTION_GAP = 100  # positions between sections, so a phrase never spans two
_TOKENS = re.compile(f"{SECTION_BREAK}|{WORD_PATTERN}")
HEX = re.compile(r"^0x([0-9a-f]+)$")
VERSION = re.compile(r"^v?(\d+(?:\.\d+)+)$")


@lru_cache(maxsize=200_000)  # prose repeats: stemming each word once is most of the speed
def canonical(text: str) -> str:
    """The one term a word stands for (used for queries and as the main indexed form)."""
    if match := HEX.match(text):
        return match.group(1)
    if match := VERSION.match(text):
        return match.group(1)
    if "'" in text or "\u2019" in text:
        text = re.sub(r"['\u2019]s$", "", text).replace("'", "").replace("\u2019", "")
    if text.isalpha():
        return stem(text)
    return text


@lru_cache(maxsize=50_000)
def variants(text: str) -> tuple[str, ...]:
    """Extra terms indexed at the same position, so other spellings find the token."""
    extra = []
    if HEX.match(text):
        extra.append(text)  # "0x8f35" as typed, besides "8f35"
    if "-" in text:
        parts = [p for p in text.split("-") if p]
        extra += [canonical(p) for p in parts] + ["".join(parts)]
    return tuple(e for e in dict.fromkeys(extra) if e != canonical(text))


class RegisterTokenizer(Tokenizer):
    """Splits, lower-cases, drops stop words, normalises and adds variants in one pass.

    One generator instead of a chain of four (tokenizer and three filters) halves the time
    spent analysing text, which is most of the cost of indexing in pure Python."""

    stops = frozenset(STOP_WORDS)

    def __eq__(self, other):
        return other.__class__ is self.__class__

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        indexing = mode != "query"
        section, pos = 0, start_pos
        for match in _TOKENS.finditer(value):
            word = match.group(0)
            if word == SECTION_BREAK:
                section += 1
                pos += SECTION_GAP
                continue
            lowered = word.lower()
            stopped = lowered in self.stops
            if stopped and removestops:
                continue
            token.text = canonical(lowered)
            token.stopped = stopped
            token.boost = SECTION_BOOSTS[min(section, len(SECTION_BOOSTS) - 1)]
            if keeporiginal:
                token.original = word
            if positions:
                token.pos = pos
            if chars:
                token.startchar = start_char + match.start()
                token.endchar = start_char + match.end()
            pos += 1
            yield token
            if indexing and not stopped:
                for extra in variants(lowered):
                    token.text = extra
                    yield token


def register_analyzer() -> RegisterTokenizer:
    return RegisterTokenizer()
