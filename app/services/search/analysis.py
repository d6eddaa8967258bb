"""How text becomes search terms. Technical tokens are kept whole and normalised (3.2.1,
0x8F35 ≡ 8F35, 0x00020015, AM-E470 also as AM, E470 and AME470); prose is lower-cased and
stemmed. The same analyzer serves indexing and queries; in query mode each word yields one
canonical term, so a query never widens into alternatives."""

from __future__ import annotations

import re
from functools import lru_cache

from whoosh.analysis import Filter, LowercaseFilter, RegexTokenizer, StopFilter
from whoosh.lang.porter2 import stem

WORD_PATTERN = "0[xX][0-9a-fA-F]+|[vV]?\\d+(?:\\.\\d+)+|\\w+(?:['\u2019-]\\w+)*"
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


def variants(text: str) -> list[str]:
    """Extra terms indexed at the same position, so other spellings find the token."""
    extra = []
    if HEX.match(text):
        extra.append(text)  # "0x8f35" as typed, besides "8f35"
    if "-" in text:
        parts = [p for p in text.split("-") if p]
        extra += [canonical(p) for p in parts] + ["".join(parts)]
    return extra


class TechnicalFilter(Filter):
    def __call__(self, tokens):
        for token in tokens:
            original = token.text
            token.text = canonical(original)
            yield token
            if token.mode == "query":
                continue
            for extra in variants(original):
                if extra != token.text:
                    token.text = extra
                    yield token


def register_analyzer():
    # Stop words go, so that AND-by-default does not require "the" in every match.
    return (
        RegexTokenizer(WORD_PATTERN) | LowercaseFilter() | StopFilter(minsize=1) | TechnicalFilter()
    )
