"""Smoke test of the server benchmark: `--quick` runs `wf dev` and prints every figure.

Timings are never asserted; wrangler dev is not measured in --quick mode.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "server_bench.py"
LABELS = (
    "start to first response",
    "wf without .pyc",
    "HTTP trigger throughput",
    "create phase only",
    "server CPU time per round",
    "wrangler dev",
    "SKIPPED",
    "| figure |",
    "## Server",
)


def test_server_bench_quick_runs_and_prints_every_figure() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--markdown"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    for text in LABELS:
        assert text in done.stdout, f"{text!r} missing from:\n{done.stdout}"
