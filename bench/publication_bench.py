"""Monthly edition benchmark: build editions of N published records (PDF and CSV, as
`flask publication build` does) and print seconds, pages, file sizes and peak memory.

Each build runs in a fresh process, so its peak resident memory (ru_maxrss) is the build's
own: Python, the app, WeasyPrint and the layout, nothing left over from another size. The
records are generated from a fixed seed and stored directly (the services are not what is
measured): 80-150 words of description, one to three Devices, a fix on two thirds.

    .venv/bin/python bench/publication_bench.py                 # 50 and 500 records
    .venv/bin/python bench/publication_bench.py --sizes 5 50    # any sizes

Target on the 2-core development machine: 500 records in at most 15 s and 400 MB.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_migrate import upgrade

from app import create_app
from app.extensions import db
from app.models import (
    AffectedDevice,
    DeviceType,
    FixType,
    Impact,
    Occurrence,
    Organisation,
    OrganisationCategory,
    Report,
    ReportKind,
    ReportRevision,
    ReportState,
    Role,
    User,
)
from app.services import publication
from app.services.report_data import snapshot

SEED = 137
MONTH = "2025-03"
WORDS = [
    "meter",
    "hub",
    "comms",
    "HAN",
    "join",
    "drops",
    "alert",
    "storm",
    "firmware",
    "update",
    "rejoin",
    "reboot",
    "tariff",
    "credit",
    "prepayment",
    "display",
    "reading",
    "register",
    "clock",
    "drift",
    "valve",
    "battery",
    "signal",
    "pairing",
    "mesh",
    "network",
    "intermittent",
    "consistent",
    "estate",
    "install",
    "visit",
    "engineer",
    "configuration",
    "threshold",
    "power",
    "factor",
    "voltage",
    "supply",
    "outage",
    "restored",
    "event",
    "log",
    "schedule",
    "switch",
    "import",
    "export",
    "reading",
    "missing",
    "delayed",
    "duplicated",
    "after",
    "before",
    "during",
    "overnight",
    "several",
    "hours",
    "days",
]
DEVICES = [
    ("ESME", "Aldermoor Metering Ltd", "AM-E470", "1.1", "3.2.1"),
    ("CHF", "Corriemoor Comms Ltd", "CC-CH3N", "B", "0x01020400"),
    ("GSME", "Dunmere Instruments", "DI-GX200", "2.1", "2.3.1"),
    ("GPF", "Fernhill Telemetry", "FT-HUB2", "2.0", "0x00030102"),
    ("IHD", "Glenholt Energy Devices", "GH-VIEW7", "1.0", "7.2"),
    ("PPMID", "Elmstead Controls", "EC-PP10", "1.0", "10.3"),
]
ALERTS = ["8F35", "8014", "8015", "8F36", "8183", "N24"]


def words(rng: random.Random, count: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(count))


def make_app(work: Path):
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{work / 'bench.sqlite'}",
            "SEARCH_INDEX_DIR": str(work / "index"),
            "MAIL_DIR": str(work / "mail"),
            "PUBLICATIONS_DIR": str(work / "publications"),
            "OUTBOX_DRAIN_AFTER_REQUEST": False,
        },
        instance_path=str(work / "instance"),
    )


def add_records(count: int) -> None:
    """`count` records published in MONTH, each with its first revision's snapshot."""
    rng = random.Random(SEED)
    org = Organisation(name="Bench Supplier", category=OrganisationCategory.large_supplier)
    author = User(email="bench@example.test", full_name="Bench", role=Role.party, organisation=org)
    db.session.add_all([org, author])
    db.session.flush()
    start = datetime(2025, 3, 3, 9)
    for n in range(count):
        at = start + timedelta(minutes=60 * n // max(count // 500, 1))
        report = Report(
            reference=f"IDR-2025-{n + 1:05d}",
            state=ReportState.published,
            author_id=author.id,
            organisation_id=org.id,
            kind=rng.choice(list(ReportKind)),
            title=words(rng, rng.randint(6, 12)).capitalize(),
            description=words(rng, rng.randint(80, 150)).capitalize() + ".",
            occurrence=Occurrence.intermittent,
            impact=Impact.medium,
            regions=rng.sample(["north", "central", "south"], rng.randint(1, 2)),
            alert_codes=rng.sample(ALERTS, rng.randint(0, 3)),
            # An edition lists only records with a fix the DCC has checked (decisions.md).
            fix_type=rng.choice(list(FixType)),
            fix_firmware=rng.choice(["3.3.0", "1.2.0", ""]),
            fix_description=words(rng, rng.randint(15, 40)),
            fix_validated=True,
            published_at=at,
            first_published_at=at,
            submitted_at=at - timedelta(days=20),
        )
        report.devices = [
            AffectedDevice(
                position=i,
                device_type=DeviceType(kind),
                manufacturer_name=maker,
                model_name=model,
                hardware_version=hardware,
                firmware_version=firmware,
            )
            for i, (kind, maker, model, hardware, firmware) in enumerate(
                rng.sample(DEVICES, rng.randint(1, 3))
            )
        ]
        report.revisions = [
            ReportRevision(number=1, at=at, note="First publication.", snapshot=snapshot(report))
        ]
        db.session.add(report)
    db.session.commit()


def prepare(work: Path, count: int) -> None:
    app = make_app(work)
    with app.app_context():
        upgrade()
        add_records(count)
        db.engine.dispose()


def build_in_this_process(work: Path) -> dict:
    app = make_app(work)
    with app.app_context():
        started = time.perf_counter()
        edition = publication.build_now(month=MONTH)
        seconds = time.perf_counter() - started
        sizes = {f.format: f.size_bytes for f in edition.files}
        return {
            "status": edition.status.value,
            "error": edition.error,
            "records": edition.record_count,
            "seconds": seconds,
            "pages": edition.page_count,
            "pdf_kb": sizes.get("pdf", 0) / 1024,
            "csv_kb": sizes.get("csv", 0) / 1024,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }


def measure(count: int, keep: bool) -> dict:
    work = Path(tempfile.mkdtemp(prefix="publication-bench-"))
    try:
        prepare(work, count)
        child = subprocess.run(
            [sys.executable, __file__, "--build-in", str(work)],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        if keep:
            print(f"kept: {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    figures = json.loads(child.stdout.strip().splitlines()[-1])
    if figures["status"] != "ready":
        raise SystemExit(f"the build of {count} records failed: {figures['error']}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 500])
    parser.add_argument("--keep", action="store_true", help="keep the files to look at them")
    parser.add_argument("--build-in", help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    if args.build_in:
        print(json.dumps(build_in_this_process(Path(args.build_in))))
        return
    columns = ("records", "seconds", "pages", "PDF KB", "CSV KB", "peak RSS MB")
    print(" ".join(f"{c:>{w}}" for c, w in zip(columns, (8, 8, 6, 8, 8, 12), strict=True)))
    for count in args.sizes:
        f = measure(count, args.keep)
        print(
            f"{f['records']:>8} {f['seconds']:>8.2f} {f['pages']:>6} {f['pdf_kb']:>8.0f} "
            f"{f['csv_kb']:>8.0f} {f['peak_rss_mb']:>12.0f}",
            flush=True,
        )
    print("target: 500 records in at most 15 s and 400 MB peak RSS (2-core machine)")


if __name__ == "__main__":
    main()
