"""`make run` serves where it is told (HOST, PORT) and on loopback:5000 by default."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def served_with(*args: str) -> str:
    """The `flask run` line `make run` would execute (make -n runs nothing)."""
    env = {k: v for k, v in os.environ.items() if k not in {"HOST", "PORT", "MAKEFLAGS"}}
    out = subprocess.run(
        ["make", "-n", "-C", str(ROOT), "run", *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return next(line for line in out.splitlines() if "flask run" in line)


pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="no make")


def test_make_run_serves_on_loopback_port_5000_by_default():
    assert served_with().endswith("flask run --host 127.0.0.1 --port 5000")


def test_make_run_takes_port_and_host():
    assert served_with("PORT=5001", "HOST=0.0.0.0").endswith("flask run --host 0.0.0.0 --port 5001")
    assert served_with("PORT=8080").endswith("flask run --host 127.0.0.1 --port 8080")
