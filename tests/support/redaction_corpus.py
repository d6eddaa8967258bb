"""Scoring name redaction on tests/data/redaction_corpus.txt (used by the unit test and by
bench/redaction_bench.py): recall of the planted names, and what was lost of the text that
must survive."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "data" / "redaction_corpus.txt"
PLANTED = re.compile(r"\{([^}]*)\}")
WORD = re.compile(r"[^\W\d_](?:[\w'\u2019-]*\w)?")


@dataclass
class Score:
    planted: int = 0
    caught: int = 0
    survived: list[str] = field(default_factory=list)  # planted names not fully redacted
    kept_words: int = 0  # words of text that must survive
    lost: list[str] = field(default_factory=list)  # ... of which these were lost

    @property
    def recall(self) -> float:
        return self.caught / self.planted

    @property
    def precision(self) -> float:
        """Of the words redacted, the share that were planted names."""
        planted_words = sum(len(_words(name)) for name in self._caught_names)
        redacted = planted_words + len(self.lost)
        return planted_words / redacted if redacted else 1.0

    _caught_names: list[str] = field(default_factory=list, repr=False)


def _words(text: str) -> list[str]:
    """Words that identify (an initial alone does not)."""
    return [w for w in WORD.findall(text) if len(w.rstrip(".")) > 1]


def corpus_lines(path: Path = CORPUS) -> list[tuple[str, str]]:
    lines = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        if raw[:3] in ("P: ", "K: "):
            lines.append((raw[0], raw[3:].replace("\\n", "\n")))
    return lines


def score(redact: Callable[[str], str], path: Path = CORPUS) -> Score:
    result = Score()
    for kind, line in corpus_lines(path):
        if kind == "K":
            _score_kept(result, line, redact(line))
        else:
            _score_planted(result, line, redact(PLANTED.sub(r"\1", line)))
    return result


def _score_kept(result: Score, line: str, output: str) -> None:
    words = Counter(WORD.findall(line))
    result.kept_words += sum(words.values())
    missing = words - Counter(WORD.findall(output))
    result.lost += list(missing.elements())


def _score_planted(result: Score, line: str, output: str) -> None:
    names = PLANTED.findall(line)
    result.planted += len(names)
    # The text between planted names must come through as it was; each name may become
    # anything (one or more [redacted], an initial left standing).
    pieces = PLANTED.split(line)
    pattern = "".join(re.escape(p) if i % 2 == 0 else "(.*?)" for i, p in enumerate(pieces))
    kept = "".join(pieces[0::2])
    result.kept_words += len(WORD.findall(kept))
    match = re.fullmatch(pattern, output, re.DOTALL)
    if match is None:
        # Some of the surrounding text was lost: count its words, judge names on the whole.
        missing = Counter(WORD.findall(kept)) - Counter(WORD.findall(output))
        result.lost += list(missing.elements())
        spans = [output] * len(names)
    else:
        spans = list(match.groups())
    for name, span in zip(names, spans, strict=True):
        left = {w.casefold() for w in _words(span)} & {w.casefold() for w in _words(name)}
        if left:
            result.survived.append(name)
        else:
            result.caught += 1
            result._caught_names.append(name)
