"""Replay benchmark: what `wf replay` costs per history, in process and as a command.

Usage (from the repository root)::

    .venv/bin/python bench/replay_bench.py            # 7 runs of each figure, medians
    .venv/bin/python bench/replay_bench.py --runs 3

Figures (medians of ``--runs`` runs):

1. ``parse``: ``load_histories`` on a history of n completed ``step.do`` calls (the JSON
   Cloudflare's API returns), for n = 100, 1,000 and 10,000;
2. ``replay``: ``replay_history`` of that history against code that calls the n steps and then
   sleeps (the replay stops there), code loaded once;
3. ``command``: `wf replay` on a 100-step history as a fresh process (interpreter start-up,
   config, code import, replay, report).

Numbers are figures, not pass/fail thresholds; they depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from wf.config import load_config  # noqa: E402
from wf.history import load_histories  # noqa: E402
from wf.project import Project  # noqa: E402
from wf.replaycheck import replay_history  # noqa: E402

SOURCE = """
from workers import WorkflowEntrypoint


class Steps(WorkflowEntrypoint):
    async def run(self, event, step):
        total = 0
        for i in range(event["payload"]["n"]):
            @step.do(f"add {i}")
            async def add():
                return total + 1

            total = await add()
        await step.sleep("rest", "1 hour")
        return total
"""

CONFIG = {
    "name": "bench",
    "main": "src/entry.py",
    "compatibility_date": "2026-08-14",
    "compatibility_flags": ["python_workers"],
    "workflows": [{"name": "steps", "binding": "STEPS", "class_name": "Steps"}],
}


def history(n: int) -> str:
    at = "2026-08-01T10:00:00.000Z"
    steps = [
        {
            "type": "step",
            "name": f"add {i}-1",
            "start": at,
            "end": at,
            "success": True,
            "output": i + 1,
            "config": {"retries": {"limit": 5, "delay": 10000, "backoff": "exponential"}},
            "attempts": [{"start": at, "end": at, "success": True, "error": None}],
        }
        for i in range(n)
    ]
    result = {"status": "running", "params": {"n": n}, "queued": at, "start": at, "steps": steps}
    return json.dumps({"success": True, "errors": [], "messages": [], "result": result})


def median_ms(fn: object, runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "bench"
        (root / "src").mkdir(parents=True)
        (root / "src" / "entry.py").write_text(SOURCE)
        (root / "wrangler.jsonc").write_text(json.dumps(CONFIG))
        config = load_config(root)
        classes = dict(Project(config).load().workflow_classes)
        print("| steps in the history | parse (median) | replay (median) | replayed steps/s |")
        print("|---|---|---|---|")
        for n in (100, 1_000, 10_000):
            text = history(n)
            parse = median_ms(lambda text=text: load_histories(text, "h.json"), args.runs)
            [parsed] = load_histories(text, "h.json")
            report = replay_history(parsed, config, classes)
            assert report.ok and report.replayed == n, report.message

            def replay(text: str = text) -> None:
                [fresh] = load_histories(text, "h.json")
                replay_history(fresh, config, classes)

            total = median_ms(replay, args.runs)
            print(
                f"| {n:,} | {parse:.1f} ms | {total - parse:.1f} ms | "
                f"{n / ((total - parse) / 1000):,.0f} |"
            )
        path = Path(folder) / "h.json"
        path.write_text(history(100))
        wf = [str(Path(sys.executable).with_name("wf")), "replay", str(path), "--cwd", str(root)]

        def command() -> None:
            subprocess.run(wf, check=True, capture_output=True)

        spent = median_ms(command, args.runs)
        print(f"\n`wf replay` of a 100-step history, fresh process: {spent:.0f} ms")


if __name__ == "__main__":
    main()
