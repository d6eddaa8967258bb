"""Redaction benchmark: person names found by context and gazetteer (issue 14, item 3).

Prints, for tests/data/redaction_corpus.txt (the rules were tuned on it) and
tests/data/redaction_heldout.txt (written afterwards, measured as written): the recall of
the planted names, the words of text that must survive which were lost, and precision (of
the words redacted, the share that were planted names); then what loading the name lists
costs, and legacy import rows/s into SQLite without and with name finding (the same
import, with the name finder left out for "before").

    .venv/bin/python bench/redaction_bench.py               # 20,000 rows
    .venv/bin/python bench/redaction_bench.py --rows 50000
"""

from __future__ import annotations

import argparse
import csv
import io
import logging
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402

from app import create_app  # noqa: E402
from app.services import catalogue, demo_legacy, legacy_import, person_names  # noqa: E402
from app.services.redaction import REDACTED, name_finder, redact  # noqa: E402
from tests.support import redaction_corpus  # noqa: E402

CATALOGUE = ROOT / "app" / "data" / "demo_catalogue.csv"
CORPORA = {
    "development corpus": redaction_corpus.CORPUS,
    "held-out corpus": redaction_corpus.CORPUS.with_name("redaction_heldout.txt"),
}


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 2**20


def lexicon_cost() -> dict[str, float]:
    """Loading the name lists, in this process before anything else has."""
    before = _rss_mb()
    started = time.perf_counter()
    lexicon = person_names.lexicon()
    return {
        "seconds": time.perf_counter() - started,
        "rss_mb": _rss_mb() - before,
        "forenames": len(lexicon.forenames),
        "surnames": len(lexicon.surnames),
    }


def catalogue_spellings() -> list[str]:
    with CATALOGUE.open(encoding="utf-8") as handle:
        return [s for row in csv.DictReader(handle) for s in (row["manufacturer"], row["model"])]


def corpus_scores() -> dict[str, redaction_corpus.Score]:
    finder = name_finder(catalogue_spellings())
    return {
        name: redaction_corpus.score(lambda text: finder.redact(text, REDACTED)[0], path)
        for name, path in CORPORA.items()
    }


def legacy_csv(rows: int) -> bytes:
    """The demo's invented DSMS rows, each with a sentence of the corpus naming someone in
    its work notes, so that names are there to be found."""
    sentences = [
        redaction_corpus.PLANTED.sub(r"\1", line)
        for kind, line in redaction_corpus.corpus_lines()
        if kind == "P"
    ]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=legacy_import.FIELDS)
    writer.writeheader()
    for n, row in enumerate(demo_legacy.rows(rows)):
        writer.writerow(row | {"work_notes": sentences[n % len(sentences)]})
    return buffer.getvalue().encode("utf-8")


def redaction_rate(data: bytes, *, find_names: bool) -> float:
    """Rows/s of redacting the four text fields alone (no database)."""
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    finder = name_finder(catalogue_spellings()) if find_names else None
    started = time.perf_counter()
    for row in rows:
        for name in legacy_import.TEXT_FIELDS:
            redact(row[name], None, finder)
    return len(rows) / (time.perf_counter() - started)


def import_rate(data: bytes, *, find_names: bool) -> float:
    with tempfile.TemporaryDirectory() as work:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{work}/bench.sqlite",
                "SEARCH_INDEX_DIR": f"{work}/index",
                "MAIL_DIR": f"{work}/mail",
                "OUTBOX_DRAIN_AFTER_REQUEST": False,
            },
            instance_path=f"{work}/instance",
        )
        with app.app_context():
            upgrade()
            lines = CATALOGUE.read_text(encoding="utf-8").splitlines(keepends=True)
            catalogue.import_csv(actor=None, lines=lines)
            original = legacy_import.name_finder
            if not find_names:
                legacy_import.name_finder = lambda spellings: None
            try:
                started = time.perf_counter()
                summary = legacy_import.import_stream(io.BytesIO(data), actor=None)
                seconds = time.perf_counter() - started
            finally:
                legacy_import.name_finder = original
            assert not summary.errors, summary.text()
    return summary.inserted / seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20_000)
    args = parser.parse_args()
    logging.disable(logging.WARNING)

    cost = lexicon_cost()
    print("| corpus | planted names | recall | must-survive words | lost | precision |")
    print("|---|---|---|---|---|---|")
    for name, score in corpus_scores().items():
        print(
            f"| {name} | {score.planted} | {score.recall:.3f} | {score.kept_words} "
            f"| {len(score.lost)} | {score.precision:.3f} |"
        )
        for missed in score.survived:
            print(f"|   survived: {missed} | | | | | |")
        for lost in score.lost:
            print(f"|   lost: {lost} | | | | | |")
    print()
    print(
        f"name lists: {cost['forenames']:,} forenames, {cost['surnames']:,} surnames, "
        f"loaded in {cost['seconds']:.2f} s, {cost['rss_mb']:.0f} MB"
    )
    data = legacy_csv(args.rows)
    for what, rate in (
        ("redaction alone", redaction_rate),
        ("legacy import (SQLite)", import_rate),
    ):
        before = rate(data, find_names=False)
        after = rate(data, find_names=True)
        print(
            f"{what}, {args.rows:,} rows: {before:,.0f} rows/s without name finding, "
            f"{after:,.0f} rows/s with it ({after / before - 1:+.0%})"
        )


if __name__ == "__main__":
    main()
