"""The edition benchmark still runs (at a small size: it is not a timed test)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_publication_benchmark_prints_its_table():
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "publication_bench.py"), "--sizes", "5"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    header, row, target = result.stdout.splitlines()
    assert header.split() == [
        "records",
        "seconds",
        "pages",
        "PDF",
        "KB",
        "CSV",
        "KB",
        "peak",
        "RSS",
        "MB",
    ]
    records, seconds, pages, *_sizes, peak = row.split()
    assert records == "5" and float(seconds) > 0 and int(pages) >= 3 and int(peak) > 0
    assert target.startswith("target: 500 records")
