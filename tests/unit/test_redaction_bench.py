"""The redaction benchmark runs end to end at a small size (a smoke test, not a timing test)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "redaction_bench.py"


def test_the_redaction_benchmark_prints_its_figures():
    run = subprocess.run(
        [sys.executable, str(BENCH), "--rows", "40"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    out = run.stdout
    assert "| development corpus | " in out and "| held-out corpus | " in out
    assert "name lists: " in out and "forenames" in out
    for figure in ("redaction alone, 40 rows:", "legacy import (SQLite), 40 rows:"):
        assert figure in out and "rows/s with it" in out
