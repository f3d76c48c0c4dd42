"""What logs per instance cost a step: sequential steps that print nothing, one line, ten lines.

Usage (from the repository root)::

    .venv/bin/python bench/logs_bench.py            # medians of 5 runs of 300 steps
    .venv/bin/python bench/logs_bench.py --quick    # 2 runs of 50 steps

Each run starts an in-process ``Emulator`` on a file store (as ``wf dev`` keeps its state) and
times one instance's sequential ``step.do`` calls from ``create()`` to complete; stdout goes
to /dev/null so the terminal's speed is not measured. Printed: the median per step, and what
a printed line adds (the difference to the silent run, per line).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from wf.testing import Emulator

SOURCE = """
from workers import WorkflowEntrypoint

class Steps(WorkflowEntrypoint):
    async def run(self, event, step):
        lines = event["payload"]["lines"]
        for n in range(event["payload"]["steps"]):
            @step.do(f"s{n}")
            async def one():
                for i in range(lines):
                    print("step", n, "line", i)
                return n

            await one()
"""

CONFIG = """{
  "name": "bench-logs",
  "main": "src/entry.py",
  "compatibility_date": "2026-08-14",
  "compatibility_flags": ["python_workers"],
  "workflows": [{"name": "steps", "binding": "STEPS", "class_name": "Steps"}]
}
"""


async def one_run(root: Path, state: Path, steps: int, lines: int) -> tuple[float, float]:
    """Wall and CPU seconds of one instance's steps (CPU: what the machine's load hides)."""
    async with Emulator(root, persist_to=state) as emu:
        started, cpu = time.perf_counter(), time.process_time()
        await emu.env.STEPS.create(id="x", params={"steps": steps, "lines": lines})
        await emu.introspect_instance("STEPS", "x").wait_for_status("complete", timeout=300)
        elapsed = time.perf_counter() - started, time.process_time() - cpu
        assert len(emu.logs("STEPS", "x")) == min(steps * lines, 1000)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    runs, steps = (2, 50) if args.quick else (5, 300)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "project"
        (root / "src").mkdir(parents=True)
        (root / "src" / "entry.py").write_text(textwrap.dedent(SOURCE))
        (root / "wrangler.jsonc").write_text(CONFIG)
        print(f"load average {os.getloadavg()[0]:.2f}; median of {runs} runs of {steps} steps")
        walls: dict[int, float] = {}
        cpus: dict[int, float] = {}
        for lines in (0, 1, 10):
            times = []
            for run in range(runs):
                state = Path(folder) / f"state-{lines}-{run}"
                with open(os.devnull, "w") as null, contextlib.redirect_stdout(null):
                    times.append(asyncio.run(one_run(root, state, steps, lines)))
            walls[lines] = statistics.median(t[0] for t in times) / steps * 1e6
            cpus[lines] = statistics.median(t[1] for t in times) / steps * 1e6
            print(
                f"{lines:>2} printed lines per step: {walls[lines]:8.1f} us per step "
                f"[CPU {cpus[lines]:8.1f} us]"
            )
        for lines in (1, 10):
            wall = (walls[lines] - walls[0]) / lines
            cpu = (cpus[lines] - cpus[0]) / lines
            print(f"a printed line costs {wall:6.1f} us [CPU {cpu:6.1f} us] ({lines}-line run)")


if __name__ == "__main__":
    main()
