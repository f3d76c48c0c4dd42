"""Queues across Workers: the same send-to-consume latency and messages/s as
``queues_bench.py``, with the consumer in the producing Worker and in another Worker of the
session (``Emulator(front, others=[back])``), side by side.

Usage (from the repository root)::

    .venv/bin/python bench/queues_workers_bench.py            # 5 runs, in memory

Latency: one ``send`` at a time to a consumer with ``max_batch_timeout: 0``, from the call to
the handler seeing the message (wall time, median). Throughput: ``sendBatch`` of 100 until N
are sent, consumed in batches of 100 (median messages/s of the runs).
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

CONSUMER = """
import time
from workers import WorkerEntrypoint

SEEN = []


class Default(WorkerEntrypoint):
    async def queue(self, batch):
        now = time.perf_counter()
        SEEN.extend(now for _ in batch.messages)
"""


def _write(root: Path, name: str, queues: dict[str, object], module: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / f"{module}.py").write_text(textwrap.dedent(CONSUMER))
    config = {
        "name": name,
        "main": f"{module}.py",
        "compatibility_date": "2026-08-14",
        "compatibility_flags": ["python_workers"],
        "queues": queues,
    }
    (root / "wrangler.jsonc").write_text(json.dumps(config))
    return root


def projects(base: Path, batch_size: int, cross: bool) -> tuple[Path, list[Path], str]:
    """The first Worker (producer) and the others; the module whose SEEN the handler fills."""
    producer = {"producers": [{"binding": "JOBS", "queue": "jobs"}]}
    consumer = {
        "consumers": [{"queue": "jobs", "max_batch_size": batch_size, "max_batch_timeout": 0}]
    }
    if not cross:
        front = _write(base / "front", "front", {**producer, **consumer}, "front_entry")
        return front, [], "front_entry"
    front = _write(base / "front", "front", producer, "front_entry")
    back = _write(base / "back", "back", consumer, "back_entry")
    return front, [back], "back_entry"


async def latency(base: Path, sends: int, cross: bool) -> float:
    front, others, module = projects(base / "latency", 1, cross)
    async with Emulator(front, others=others) as emu:
        seen = sys.modules[module].SEEN
        samples = []
        for i in range(sends):
            start = time.perf_counter()
            await emu.env.JOBS.send(i)
            while len(seen) <= i:
                await asyncio.sleep(0)
            samples.append(seen[i] - start)
        await emu.settle()
        return statistics.median(samples)


async def throughput(base: Path, total: int, cross: bool) -> float:
    front, others, module = projects(base / "throughput", 100, cross)
    async with Emulator(front, others=others) as emu:
        seen = sys.modules[module].SEEN
        start = time.perf_counter()
        for first in range(0, total, 100):
            await emu.env.JOBS.sendBatch([{"body": i} for i in range(first, first + 100)])
        await emu.settle()
        assert len(seen) == total, (len(seen), total)
        return total / (time.perf_counter() - start)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sends", type=int, default=200)
    parser.add_argument("--messages", type=int, default=10_000)
    args = parser.parse_args()
    for cross in (False, True):
        lat, rate = [], []
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory() as tmp:
                lat.append(await latency(Path(tmp), args.sends, cross))
                rate.append(await throughput(Path(tmp), args.messages, cross))
        where = "other-worker" if cross else "same-worker"
        print(
            f"queues.latency.{where}: send to queue handler {statistics.median(lat) * 1e3:.3f} ms"
        )
        print(f"queues.rate.{where}: {statistics.median(rate):,.0f} messages/s (batches of 100)")


if __name__ == "__main__":
    asyncio.run(main())
