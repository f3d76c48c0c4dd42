"""Smoke test of the engine benchmark: it runs and prints every figure (timings never asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "engine_bench.py"
KEYS = (
    "seq100.memory",
    "seq100.file",
    "many200.memory",
    "many200.file",
    "bytes.rows",
    "bytes.file",
    "kept.seq100",
    "kept.many200",
    "asleep.rss",
    "asleep.advance",
    "sleep7.memory",
    "sleep7.file",
)
LABELS = (
    "100 sequential steps, create to complete",
    "200 instances x 3 steps, create to all complete",
    "state per finished instance",
    "finished kept",
    "instances asleep at once: RSS",
    "one advance('1 day') wakes all",
    "7-day sleep, manual time, create to complete",
)


def test_engine_bench_quick_runs_and_prints_every_figure() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--markdown"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    for text in (*KEYS, *LABELS, "wrangler dev", "targets met", "| figure |"):
        assert text in done.stdout, f"{text!r} missing from:\n{done.stdout}"
