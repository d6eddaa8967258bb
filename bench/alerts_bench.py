"""Alerts benchmark: import a generated daily alert-volume extract, import it again (nothing
changes), then time the superfluous alerts dashboard, the DMC page and a CSV download through
HTTP over a mix of periods, regions and alert codes. Prints a table of figures.

The extract is plausible rather than uniform: 120 DMCs (a few in alert storms) by 8 alert
codes by 3 regions by as many days as the row count needs, ending yesterday.

    .venv/bin/python bench/alerts_bench.py                       # 1,000,000 rows into SQLite
    .venv/bin/python bench/alerts_bench.py --rows 20000          # a quick look
    .venv/bin/python bench/alerts_bench.py --database-url postgresql://postgres@127.0.0.1:5432/test

With a PostgreSQL URL the benchmark works in a private schema, dropped at the end.
"""

from __future__ import annotations

import argparse
import logging
import math
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from itertools import cycle
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_app
from app.config import database_url
from app.extensions import db
from app.models import AlertDmc, AlertWeek, Organisation, OrganisationCategory, Role, User
from app.services import alerts_import, passwords

SEED = 137
CODES = ["8F35", "8F36", "8014", "8015", "8183", "8F48", "8F49", "8010"]
REGIONS = ["north", "central", "south"]
DEVICE_TYPES = ["ESME", "ESME", "ESME", "GSME", "CHF"]
PASSWORD = "Bench-Alerts-Password-2026"  # a throwaway benchmark user


def dmcs(count: int, rng: random.Random) -> list[tuple[str, str, str, str]]:
    return [
        (
            DEVICE_TYPES[n % len(DEVICE_TYPES)],
            f"Bench Maker {n % 11:02d}",
            f"BM-{n:03d}",
            f"{1 + n % 4}.{n % 7}.{rng.randint(0, 9)}",
        )
        for n in range(count)
    ]


def write_extract(path: Path, rows: int, dmc_count: int) -> tuple[int, int]:
    """Write `rows` rows (whole days but the last); returns (rows, days)."""
    rng = random.Random(SEED)
    per_day = len(REGIONS) * len(CODES) * dmc_count
    days = math.ceil(rows / per_day)
    names = dmcs(dmc_count, rng)
    storms = set(rng.sample(range(dmc_count), max(1, dmc_count // 20)))
    population = {(n, r): rng.randint(2, 80) * 1000 for n in range(dmc_count) for r in REGIONS}
    base = {(n, c): rng.uniform(0.005, 0.08) for n in range(dmc_count) for c in CODES}
    last = date.today() - timedelta(days=1)
    written = 0
    with path.open("w", encoding="utf-8") as out:
        out.write(",".join(alerts_import.COLUMNS) + "\n")
        for ago in range(days - 1, -1, -1):
            day = (last - timedelta(days=ago)).isoformat()
            for region in REGIONS:
                for code in CODES:
                    for n, (kind, maker, model, firmware) in enumerate(names):
                        if written == rows:
                            return written, days
                        devices = population[n, region]
                        rate = base[n, code]
                        if n in storms and code in ("8014", "8015") and ago < days // 2:
                            rate = 2 + 4 * (1 - ago / max(days // 2, 1))
                        alerts = int(devices * rate * rng.uniform(0.9, 1.1))
                        out.write(
                            f"{day},{region},{code},{kind},{maker},{model},{firmware},"
                            f"{alerts},{devices}\n"
                        )
                        written += 1
    return written, days


def make_app(url: str, work: Path):
    return create_app(
        {
            "APP_ENV": "testing",
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": url,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "OUTBOX_DRAIN_AFTER_REQUEST": False,
            "SEARCH_INDEX_DIR": str(work / "search_index"),
            "MAIL_DIR": str(work / "mail"),
        },
        instance_path=str(work / "instance"),
    )


def timed_import(path: Path) -> tuple[float, alerts_import.AlertImportSummary]:
    start = time.perf_counter()
    with path.open("rb") as handle:
        summary = alerts_import.import_stream(handle, actor=None, source=path.name)
    return time.perf_counter() - start, summary


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]


def latencies(client, paths: list[str], count: int) -> list[float]:
    for path in paths:  # warm up: one of each, not counted
        assert client.get(path).status_code == 200, path
    samples = []
    for path, _ in zip(cycle(paths), range(count), strict=False):
        start = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, path
    return samples


def dashboard_paths(last_week: date) -> list[str]:
    paths = []
    for weeks in (4, 13, 52):
        for region in ("", "north"):
            for code in ("", "8014"):
                paths.append(
                    f"/alerts/?weeks={weeks}&ending={last_week.isoformat()}"
                    f"&region={region}&alert_code={code}"
                )
    return paths


def sign_in(app):
    with app.app_context():
        org = Organisation(name="Bench Energy", category=OrganisationCategory.large_supplier)
        user = User(
            email="bench@example.test",
            full_name="Bench Reader",
            role=Role.party,
            organisation=org,
            password_hash=passwords.hash_password(PASSWORD),
        )
        db.session.add_all([org, user])
        db.session.commit()
    client = app.test_client()
    response = client.post(
        "/auth/login", data={"email": "bench@example.test", "password": PASSWORD}
    )
    assert response.status_code == 302
    return client


def run(url: str, work: Path, rows: int, requests: int, dmc_count: int) -> list[tuple[str, str]]:
    extract = work / "extract.csv"
    written, days = write_extract(extract, rows, dmc_count)
    print(f"Extract: {written:,} rows, {extract.stat().st_size / 1e6:.1f} MB", file=sys.stderr)
    app = make_app(url, work)
    figures: list[tuple[str, str]] = []
    with app.app_context():
        upgrade()
        seconds, summary = timed_import(extract)
        print(summary.text(), file=sys.stderr)
        assert summary.inserted == written, summary.text()
        figures.append(("import (rows/s)", f"{written / seconds:,.0f}"))
        figures.append(("import (seconds)", f"{seconds:,.1f}"))
        seconds, summary = timed_import(extract)
        assert summary.unchanged == written, summary.text()
        figures.append(("re-import, nothing changed (rows/s)", f"{written / seconds:,.0f}"))
        weekly = db.session.scalar(sa.select(sa.func.count()).select_from(AlertWeek))
        figures.append(("weekly sums (rows)", f"{weekly:,}"))
        last_week = db.session.scalar(sa.select(sa.func.max(AlertWeek.week)))
        first_dmcs = list(db.session.scalars(sa.select(AlertDmc.id).order_by(AlertDmc.id).limit(6)))
    client = sign_in(app)
    board = latencies(client, dashboard_paths(last_week), requests)
    dmc_pages = latencies(client, [f"/alerts/dmc/{n}" for n in first_dmcs], max(requests // 4, 6))
    downloads = latencies(client, ["/alerts/top.csv", "/alerts/above.csv"], max(requests // 10, 4))
    for name, samples in (
        ("dashboard", board),
        ("DMC page", dmc_pages),
        ("CSV download", downloads),
    ):
        figures.append((f"{name} p50 (ms)", f"{statistics.median(samples):,.0f}"))
        figures.append((f"{name} p95 (ms)", f"{percentile(samples, 0.95):,.0f}"))
    figures.append(("dashboard max (ms)", f"{max(board):,.0f}"))
    with app.app_context():
        db.engine.dispose()
    return [("days in the extract", str(days)), *figures]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url", default="", help="default: a new SQLite file")
    parser.add_argument("--requests", type=int, default=120, help="dashboard requests timed")
    parser.add_argument("--dmcs", type=int, default=120)
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # Alembic's INFO lines would bury the table
    with tempfile.TemporaryDirectory(prefix="alerts-bench-") as folder:
        work = Path(folder)
        url = database_url(args.database_url) if args.database_url else ""
        schema = None
        if url.startswith("postgresql"):
            schema = f"alerts_bench_{uuid.uuid4().hex[:8]}"
            engine = sa.create_engine(url)
            with engine.begin() as conn:
                conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
            joiner = "&" if "?" in url else "?"
            target = f"{url}{joiner}options=-csearch_path%3D{schema}"
        else:
            target = url or f"sqlite:///{work / 'bench.sqlite'}"
        try:
            figures = run(target, work, args.rows, args.requests, args.dmcs)
        finally:
            if schema:
                with engine.begin() as conn:
                    conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
                engine.dispose()
    backend = "PostgreSQL" if schema else "SQLite"
    print(f"\nAlerts benchmark: {args.rows:,} rows into {backend}, {args.dmcs} DMCs")
    print(f"{'figure':<40}{'value':>14}")
    for name, value in figures:
        print(f"{name:<40}{value:>14}")


if __name__ == "__main__":
    main()
