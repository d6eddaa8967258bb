"""The alerts benchmark runs: at a small size, in a subprocess, on SQLite (and PostgreSQL
when TEST_DATABASE_URL is set), printing its table of figures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PG_URL

BENCH = Path(__file__).resolve().parents[2] / "bench" / "alerts_bench.py"
FIGURES = (
    "import (rows/s)",
    "re-import, nothing changed (rows/s)",
    "dashboard p50 (ms)",
    "dashboard p95 (ms)",
    "DMC page p95 (ms)",
    "CSV download p95 (ms)",
)


@pytest.mark.parametrize("database", ["sqlite"] + (["postgresql"] if PG_URL else []))
def test_the_benchmark_prints_its_figures(database):
    command = [sys.executable, str(BENCH), "--rows", "3000", "--requests", "12", "--dmcs", "25"]
    if database == "postgresql":
        command += ["--database-url", PG_URL]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    table = result.stdout.split("Alerts benchmark: 3,000 rows into", 1)[1]
    for figure in FIGURES:
        line = next(line for line in table.splitlines() if line.startswith(figure))
        assert float(line[len(figure) :].strip().replace(",", "")) > 0, line
