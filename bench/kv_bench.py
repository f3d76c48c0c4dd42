"""KV binding cost: ``await env.KV.get(key)`` (and ``put``) inside a workflow step.

Usage (from the repository root)::

    .venv/bin/python bench/kv_bench.py              # 5 runs of 5,000 calls, in memory
    .venv/bin/python bench/kv_bench.py --persist    # the same on a SQLite file (WAL)

One step calls the binding N times in a loop; the figure is the step's wall time divided by
N, median of the runs (the step's own overhead is measured apart and subtracted).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from wf.testing import Emulator  # noqa: E402

SOURCE = """
import time
from workers import WorkflowEntrypoint


class Bench(WorkflowEntrypoint):
    async def run(self, event, step):
        n, op = event["payload"]["n"], event["payload"]["op"]

        @step.do()
        async def calls():
            kv = self.env.KV
            start = time.perf_counter()
            for i in range(n):
                if op == "get":
                    await kv.get("key")
                elif op == "put":
                    await kv.put(f"k{i % 100}", "value")
            return time.perf_counter() - start

        return await calls()
"""


def write_project(root: Path) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "src" / "entry.py").write_text(textwrap.dedent(SOURCE))
    (root / "wrangler.jsonc").write_text(
        '{"name": "kv-bench", "main": "src/entry.py", "compatibility_date": "2026-08-14",'
        ' "compatibility_flags": ["python_workers"],'
        ' "workflows": [{"name": "bench", "binding": "BENCH", "class_name": "Bench"}],'
        ' "kv_namespaces": [{"binding": "KV", "id": "bench"}]}'
    )
    return root


async def one_run(project: Path, op: str, n: int, persist: Path | None) -> float:
    """Seconds per call of one run."""
    async with Emulator(project, persist_to=persist) as emu:
        emu.kv("KV").put("key", "x" * 100)
        results = []
        for name, count in (("none", n), (op, n)):
            inst = emu.introspect_instance("BENCH", f"{name}-{time.perf_counter_ns()}")
            await emu.env.BENCH.create(id=inst.id, params={"n": count, "op": name})
            await inst.wait_for_status("complete")
            results.append(float(await inst.get_output()))
        return (results[1] - results[0]) / n


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--persist", action="store_true", help="a SQLite file, not memory")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        project = write_project(Path(tmp) / "project")
        for op in ("get", "put"):
            per_call = []
            for run in range(args.runs):
                persist = Path(tmp) / f"state-{op}-{run}" if args.persist else None
                per_call.append(await one_run(project, op, args.calls, persist))
            where = "SQLite file" if args.persist else "memory"
            print(
                f"await env.KV.{op}(...) in a step ({where}): "
                f"median {statistics.median(per_call) * 1e6:.1f} us/call "
                f"(runs: {', '.join(f'{x * 1e6:.1f}' for x in per_call)})"
            )


if __name__ == "__main__":
    asyncio.run(main())
