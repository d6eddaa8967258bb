"""The search benchmark runs end to end at a small size (a smoke test, not a timing test)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "search_bench.py"


def test_the_search_benchmark_prints_its_table(tmp_path):
    run = subprocess.run(
        [
            sys.executable,
            str(BENCH),
            "--scale",
            "0.002",
            "--queries",
            "16",
            "--work",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    table = run.stdout
    assert "Whoosh/FTS5" in table and "documents (legacy records + reports)" in table
    for figure in (
        "import end to end rows/s (store+index)",
        "index size MB",
        "query service p95 ms",
        "query HTTP p95 ms",
        "duplicate hints p95 ms",
        "web worker peak RSS MB",
    ):
        line = next(line for line in table.splitlines() if line.startswith(figure))
        assert float(line[len(figure) :].split()[0]) > 0
