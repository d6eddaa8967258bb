"""Search benchmark: Whoosh (the register's search) against SQLite FTS5 on the same corpus.

Generates, from a fixed seed, legacy DSMS records (80-150 words each) and published reports;
measures import throughput (redaction + extraction + storage), indexing throughput, index size,
and query latency p50/p95/p99 over mixed queries with a warm searcher, through the service
function and through HTTP; then the same corpus and queries through SQLite FTS5 (bm25,
snippet). Prints a table with the ratio Whoosh/FTS5 for each figure.

    .venv/bin/python bench/search_bench.py               # 250,000 legacy + 20,000 reports
    .venv/bin/python bench/search_bench.py --scale 0.1   # a tenth, for a quick look
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import re
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import logging

from flask_migrate import upgrade

from app import create_app
from app.extensions import db
from app.models import (
    AffectedDevice,
    DeviceType,
    Impact,
    LegacyRecord,
    Occurrence,
    Organisation,
    OrganisationCategory,
    Report,
    ReportKind,
    ReportState,
    Role,
    User,
)
from app.services import demo, legacy_import
from app.services.search import index as search_index
from app.services.search.analysis import SECTION_BREAK
from app.services.search.documents import legacy_document, report_document
from app.services.search.query import SearchRequest, search, similar

SEED = 137
WORDS = [
    "meter",
    "hub",
    "comms",
    "han",
    "join",
    "leaves",
    "drops",
    "rejoin",
    "alert",
    "alerts",
    "storm",
    "outage",
    "restored",
    "supply",
    "firmware",
    "update",
    "upgrade",
    "rollback",
    "customer",
    "site",
    "engineer",
    "visit",
    "prepayment",
    "top-up",
    "credit",
    "valve",
    "tariff",
    "switch",
    "clock",
    "drift",
    "display",
    "blank",
    "readings",
    "missing",
    "half-hourly",
    "register",
    "voltage",
    "power",
    "factor",
    "threshold",
    "configuration",
    "reboot",
    "restart",
    "battery",
    "signal",
    "zigbee",
    "mesh",
    "install",
    "commission",
    "decommission",
    "pairing",
    "ppmid",
    "ihd",
    "cad",
    "gas",
    "electricity",
    "reported",
    "observed",
    "intermittent",
    "consistent",
    "estate",
    "subset",
    "region",
    "north",
    "central",
    "south",
    "after",
    "before",
    "during",
    "overnight",
    "morning",
    "daily",
    "weekly",
    "repeated",
    "several",
    "hundreds",
    "thousands",
    "since",
    "following",
    "the",
    "a",
    "an",
    "and",
    "of",
    "to",
    "in",
    "on",
    "at",
    "for",
    "with",
    "from",
    "by",
    "is",
    "was",
    "were",
    "are",
    "be",
    "been",
    "not",
    "no",
]
DEVICES = [
    ("Aldermoor", "AM-E470", "ESME"),
    ("AML", "AM-G210", "GSME"),
    ("Brackenfield", "BF-IHD5", "IHD"),
    ("Corriemoor", "CC-CH3N", "CHF"),
    ("Dunmere", "DI-GX200", "GSME"),
    ("Fernhill", "FT-HUB2", "CHF"),
    ("Glenholt", "GH-EM300", "ESME"),
    ("Harrowby", "HS-1PH-S2", "ESME"),
]
FIRMWARE = ["3.1.4", "3.2.0", "3.2.1", "3.3.0", "1.1.0", "2.0.7", "4.2.0", "0x00020015"]
ALERTS = ["8F35", "8014", "8015", "8F36", "8183", "N24"]


def sentence(rng: random.Random, words: int) -> str:
    out = []
    for _ in range(words):
        roll = rng.random()
        if roll < 0.04:
            out.append(rng.choice(DEVICES)[1])
        elif roll < 0.07:
            out.append(rng.choice(DEVICES)[0])
        elif roll < 0.10:
            out.append(rng.choice(FIRMWARE))
        elif roll < 0.12:
            out.append("0x" + rng.choice(ALERTS[:5]) if rng.random() < 0.5 else rng.choice(ALERTS))
        else:
            out.append(rng.choice(WORDS))
    return " ".join(out)


def legacy_csv(count: int, rng: random.Random) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=legacy_import.FIELDS)
    writer.writeheader()
    start = datetime(2019, 1, 1)
    for n in range(count):
        opened = start + timedelta(minutes=rng.randint(0, 60 * 24 * 365 * 6))
        writer.writerow(
            {
                "number": f"INC{n:08d}",
                "opened_at": opened.strftime("%Y-%m-%d %H:%M:%S"),
                "closed_at": (opened + timedelta(days=3)).strftime("%Y-%m-%d %H:%M:%S"),
                "state": "Closed",
                "priority": "3 - Moderate",
                "category": "Device",
                "subcategory": "HAN",
                "short_description": sentence(rng, 8),
                "description": sentence(rng, rng.randint(60, 120)),
                "close_notes": sentence(rng, rng.randint(10, 20)),
                "work_notes": sentence(rng, 5),
            }
        )
    return buffer.getvalue().encode()


def add_reports(count: int, rng: random.Random, author: User) -> None:
    now = datetime(2026, 1, 1)
    for n in range(count):
        maker, model, kind = rng.choice(DEVICES)
        report = Report(
            reference=f"IDR-2025-{n + 1:05d}",
            state=ReportState.published,
            author_id=author.id,
            organisation_id=author.organisation_id,
            kind=rng.choice(list(ReportKind)),
            title=sentence(rng, 8),
            description=sentence(rng, rng.randint(80, 150)),
            occurrence=Occurrence.intermittent,
            impact=Impact.medium,
            regions=[rng.choice(["north", "central", "south"])],
            alert_codes=[rng.choice(ALERTS)],
            published_at=now - timedelta(hours=n),
            submitted_at=now - timedelta(hours=n),
        )
        report.devices = [
            AffectedDevice(
                device_type=DeviceType(kind),
                manufacturer_name=maker,
                model_name=model,
                firmware_version=rng.choice(FIRMWARE),
            )
        ]
        db.session.add(report)
        if n % 2000 == 1999:
            db.session.commit()
    db.session.commit()


def queries(rng: random.Random, count: int) -> list[str]:
    kinds = [
        lambda: " ".join(rng.sample(WORDS[:60], 2)),
        lambda: " ".join(rng.sample(WORDS[:60], 3)),
        lambda: (
            f'"{rng.choice(["supply outage", "power factor", "comms hub", "firmware update"])}"'
        ),
        lambda: rng.choice(FIRMWARE),
        lambda: rng.choice(["0x8f35", "8F35", "8014", "N24"]),
        lambda: rng.choice(DEVICES)[1],
        lambda: f"{rng.choice(DEVICES)[1]} {rng.choice(['drops', 'alert', 'firmware'])}",
        lambda: f"{rng.choice(WORDS[:40])} -{rng.choice(WORDS[:40])}",
    ]
    return [kinds[i % len(kinds)]() for i in range(count)]


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    pick = lambda p: ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000  # noqa: E731
    return pick(0.50), pick(0.95), pick(0.99)


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# --- FTS5 baseline ----------------------------------------------------------------------

FTS_TOKEN = re.compile(r'"[^"]+"|-?\S+')


def fts_query(text: str) -> str:
    parts = []
    for token in FTS_TOKEN.findall(text):
        negate = token.startswith("-")
        body = token.lstrip("-").strip('"').replace('"', "")
        body = body[2:] if body.lower().startswith("0x") and len(body) == 6 else body
        parts.append(("NOT " if negate else "") + f'"{body}"')
    # FTS5 needs something positive before NOT
    positive = [p for p in parts if not p.startswith("NOT ")]
    negative = [p for p in parts if p.startswith("NOT ")]
    return " AND ".join(positive) + ("" if not negative else " " + " ".join(negative))


def fts_build(db_path: Path, rows) -> float:
    connection = sqlite3.connect(db_path)
    connection.execute(
        "CREATE VIRTUAL TABLE docs USING fts5(key UNINDEXED, title, dmc, body, "
        "tokenize = \"unicode61 tokenchars '.-'\")"
    )
    started = time.perf_counter()
    connection.executemany("INSERT INTO docs VALUES (?, ?, ?, ?)", rows)
    connection.commit()
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed


def fts_latencies(db_path: Path, texts: list[str]) -> list[float]:
    connection = sqlite3.connect(db_path)
    samples = []
    for text in texts:
        started = time.perf_counter()
        connection.execute(
            "SELECT key, snippet(docs, 3, '<mark>', '</mark>', '...', 20) FROM docs "
            "WHERE docs MATCH ? ORDER BY bm25(docs, 0.0, 3.0, 2.0, 1.0) LIMIT 20",
            (fts_query(text),),
        ).fetchall()
        samples.append(time.perf_counter() - started)
    connection.close()
    return samples


def make_app(work: Path):
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{work / 'bench.sqlite'}",
            "SEARCH_INDEX_DIR": str(work / "index"),
            "MAIL_DIR": str(work / "mail"),
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "OUTBOX_DRAIN_AFTER_REQUEST": False,
        },
        instance_path=str(work / "instance"),
    )


def build(work: Path, legacy_count: int, report_count: int) -> dict:
    """Import, index and build the FTS5 baseline; returns the build figures."""
    rng = random.Random(SEED)
    app = make_app(work)
    with app.app_context():
        upgrade()
        demo.seed()
        org = (
            db.session.query(Organisation)
            .filter_by(category=OrganisationCategory.large_supplier)
            .first()
        )
        author = db.session.query(User).filter_by(role=Role.party, organisation_id=org.id).first()
        print(
            f"Generating {legacy_count:,} legacy records and {report_count:,} reports...",
            file=sys.stderr,
        )
        data = legacy_csv(legacy_count, rng)
        started = time.perf_counter()
        summary = legacy_import.import_stream(io.BytesIO(data), actor=None, batch_size=2000)
        import_seconds = time.perf_counter() - started
        print(f"Imported: {summary.text()} in {import_seconds:.1f} s", file=sys.stderr)
        add_reports(report_count, rng, author)
        db.session.query(db.metadata.tables["outbox_message"]).delete()  # rebuild instead
        db.session.commit()
        started = time.perf_counter()
        documents = search_index.rebuild()
        index_seconds = time.perf_counter() - started
        print(f"Indexed {documents:,} documents in {index_seconds:.1f} s", file=sys.stderr)
        rows = []
        for record in db.session.query(LegacyRecord).yield_per(2000):
            rows.append((record.number, *legacy_document(record)["text"].split(SECTION_BREAK)))
        for report in db.session.query(Report).yield_per(2000):
            doc = report_document(report)
            if doc is not None:  # drafts are not searchable
                rows.append((doc["key"], *doc["text"].split(SECTION_BREAK)))
        fts_seconds = fts_build(work / "fts.sqlite", rows)
    figures = {
        "import rows/s (redact+extract+store)": (summary.inserted / import_seconds, None),
        "index build docs/s": (documents / index_seconds, len(rows) / fts_seconds),
        "import end to end rows/s (store+index)": (
            summary.inserted / (import_seconds + index_seconds * legacy_count / documents),
            None,
        ),
        "index size MB": (
            folder_size(work / "index") / 1e6,
            (work / "fts.sqlite").stat().st_size / 1e6,
        ),
    }
    (work / "build.json").write_text(json.dumps(figures))
    return figures


def reindex(work: Path, figures: dict) -> dict:
    """Rebuild the index of an existing corpus, updating the indexing figures."""
    app = make_app(work)
    with app.app_context():
        started = time.perf_counter()
        documents = search_index.rebuild()
        seconds = time.perf_counter() - started
        legacy = db.session.query(LegacyRecord).count()
    import_rate = figures["import rows/s (redact+extract+store)"][0]
    figures["index build docs/s"] = (documents / seconds, figures["index build docs/s"][1])
    figures["import end to end rows/s (store+index)"] = (
        legacy / (legacy / import_rate + seconds * legacy / documents),
        None,
    )
    figures["index size MB"] = (folder_size(work / "index") / 1e6, figures["index size MB"][1])
    (work / "build.json").write_text(json.dumps(figures))
    print(f"Indexed {documents:,} documents in {seconds:.1f} s", file=sys.stderr)
    return figures


def service_latencies(work: Path, texts: list[str]) -> tuple[list[float], list[float]]:
    """Search latencies, and duplicate-hint latencies for drafts written from the corpus's
    vocabulary."""
    app = make_app(work)
    rng = random.Random(SEED + 2)
    with app.app_context():
        user = db.session.query(User).filter_by(email="network@demo.test").one()
        search(user, SearchRequest(q="meter"))  # warm the searcher and caches
        samples = []
        for text in texts:
            started = time.perf_counter()
            search(user, SearchRequest(q=text))
            samples.append(time.perf_counter() - started)
        hints = []
        for _ in range(max(len(texts) // 4, 10)):
            maker, model, kind = rng.choice(DEVICES)
            started = time.perf_counter()
            similar(
                user,
                title=sentence(rng, 8),
                description=sentence(rng, 60),
                dmc=f"{kind} {maker} {model} {rng.choice(FIRMWARE)}",
            )
            hints.append(time.perf_counter() - started)
    return samples, hints


def http_worker(work: Path, texts: list[str]) -> dict:
    """One web worker's view: a fresh process, signed in, serving /search."""
    app = make_app(work)
    client = app.test_client()
    client.post("/auth/login", data={"email": "network@demo.test", "password": demo.DEMO_PASSWORD})
    started = time.perf_counter()
    client.get("/search?q=meter")
    first = time.perf_counter() - started
    samples = []
    for text in texts:
        started = time.perf_counter()
        response = client.get("/search", query_string={"q": text})
        samples.append(time.perf_counter() - started)
        assert response.status_code == 200, (text, response.status_code)
    return {
        "samples": samples,
        "first": first,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--queries", type=int, default=240)
    parser.add_argument(
        "--work", help="folder to build the corpus in; if it holds one already, reuse it"
    )
    parser.add_argument(
        "--reindex", action="store_true", help="with --work: rebuild the index, keep the data"
    )
    parser.add_argument("--http-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    legacy_count, report_count = int(250_000 * args.scale), int(20_000 * args.scale)
    logging.disable(logging.WARNING)
    texts = queries(random.Random(SEED + 1), args.queries)
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="search-bench-"))
    if args.http_worker:
        print(json.dumps(http_worker(work, texts)))
        return
    work.mkdir(parents=True, exist_ok=True)
    if (work / "build.json").exists():
        print(f"Reusing the corpus in {work}", file=sys.stderr)
        figures = {k: tuple(v) for k, v in json.loads((work / "build.json").read_text()).items()}
        if args.reindex:
            figures = reindex(work, figures)
    else:
        figures = build(work, legacy_count, report_count)
    service, hints = service_latencies(work, texts)
    worker = subprocess.run(
        [
            sys.executable,
            __file__,
            "--http-worker",
            "--work",
            str(work),
            "--queries",
            str(args.queries),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    http = json.loads(worker.stdout.splitlines()[-1])
    fts = fts_latencies(work / "fts.sqlite", texts)
    for label, samples in (("service", service), ("HTTP", http["samples"])):
        for name, value, base in zip(
            ("p50", "p95", "p99"), percentiles(samples), percentiles(fts), strict=True
        ):
            figures[f"query {label} {name} ms"] = (value, base)
    hint_p50, hint_p95, _ = percentiles(hints)
    figures["duplicate hints p50 ms"] = (hint_p50, None)
    figures["duplicate hints p95 ms"] = (hint_p95, None)
    figures["web worker first query ms (cold caches)"] = (http["first"] * 1000, None)
    figures["web worker peak RSS MB"] = (http["peak_rss_mb"], None)

    with sqlite3.connect(work / "fts.sqlite") as connection:
        documents = connection.execute("SELECT count(*) FROM docs").fetchone()[0]
    print(
        f"\nCorpus: {documents:,} documents (legacy records + reports); "
        f"{len(texts)} mixed queries (words, phrases, versions, hex codes, models, exclusion)\n"
    )
    print(f"{'figure':<44}{'Whoosh':>12}{'FTS5':>12}{'Whoosh/FTS5':>13}")
    for name, (value, base) in figures.items():
        ratio = f"{value / base:>12.2f}" if base else f"{'-':>12}"
        base_text = f"{base:>12.1f}" if base is not None else f"{'-':>12}"
        print(f"{name:<44}{value:>12.1f}{base_text} {ratio}")
    print(f"\nWork folder: {work}")


if __name__ == "__main__":
    main()
