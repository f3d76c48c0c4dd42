"""Queues: send-to-consume latency and messages per second through the Worker's queue handler.

Usage (from the repository root)::

    .venv/bin/python bench/queues_bench.py              # 5 runs, in memory
    .venv/bin/python bench/queues_bench.py --persist    # the same on the SQLite file (WAL)

Latency: one ``send`` at a time to a consumer with ``max_batch_timeout: 0``, from the call to
the handler seeing the message (wall time, median). Throughput: ``sendBatch`` of 100 messages
until N are sent, consumed in batches of 100; messages per second from the first send to the
last ack (median of the runs). Every send is committed before it returns.
"""

from __future__ import annotations

import argparse
import asyncio
import json
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
from workers import WorkerEntrypoint

SEEN = []


class Default(WorkerEntrypoint):
    async def queue(self, batch):
        now = time.perf_counter()
        SEEN.extend(now for _ in batch.messages)
"""


def write_project(root: Path, batch_size: int) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "entry.py").write_text(textwrap.dedent(SOURCE))
    config = {
        "name": "queues-bench",
        "main": "entry.py",
        "compatibility_date": "2026-08-14",
        "compatibility_flags": ["python_workers"],
        "queues": {
            "producers": [{"binding": "JOBS", "queue": "jobs"}],
            "consumers": [{"queue": "jobs", "max_batch_size": batch_size, "max_batch_timeout": 0}],
        },
    }
    (root / "wrangler.jsonc").write_text(json.dumps(config))
    return root


async def latency(base: Path, sends: int, persist: bool) -> float:
    """Median seconds from send() to the handler, one message at a time."""
    project = write_project(base / "latency", 1)
    async with Emulator(project, persist_to=base / "state-l" if persist else None) as emu:
        seen = sys.modules["entry"].SEEN
        samples = []
        for i in range(sends):
            start = time.perf_counter()
            await emu.env.JOBS.send(i)
            while len(seen) <= i:
                await asyncio.sleep(0)
            samples.append(seen[i] - start)
        await emu.settle()
        return statistics.median(samples)


async def throughput(base: Path, total: int, persist: bool) -> float:
    """Messages per second, sent in batches of 100 and consumed in batches of 100."""
    project = write_project(base / "throughput", 100)
    async with Emulator(project, persist_to=base / "state-t" if persist else None) as emu:
        seen = sys.modules["entry"].SEEN
        start = time.perf_counter()
        for first in range(0, total, 100):
            await emu.env.JOBS.sendBatch([{"body": i} for i in range(first, first + 100)])
        await emu.settle()
        assert len(seen) == total, (len(seen), total)
        return total / (time.perf_counter() - start)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sends", type=int, default=200, help="sends for the latency figure")
    parser.add_argument("--messages", type=int, default=10_000, help="messages for messages/s")
    parser.add_argument("--persist", action="store_true", help="on a SQLite file, not memory")
    args = parser.parse_args()
    lat, rate = [], []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            lat.append(await latency(Path(tmp), args.sends, args.persist))
            rate.append(await throughput(Path(tmp), args.messages, args.persist))
    where = "file" if args.persist else "memory"
    print(f"queues.latency.{where}: send to queue handler {statistics.median(lat) * 1e3:.3f} ms")
    print(f"queues.rate.{where}: {statistics.median(rate):,.0f} messages/s (batches of 100)")


if __name__ == "__main__":
    asyncio.run(main())
