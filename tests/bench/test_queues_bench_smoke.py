"""Smoke test of the queues benchmark: it runs and prints both figures (timings never asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "queues_bench.py"


def test_queues_bench_runs_and_prints_latency_and_rate() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--runs", "1", "--sends", "5", "--messages", "200"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "queues.latency.memory: send to queue handler" in done.stdout
    assert "queues.rate.memory:" in done.stdout and "messages/s" in done.stdout
