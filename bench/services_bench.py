"""Service binding calls per second between two Workers of one session (in-process Emulator).

Usage (from the repository root)::

    .venv/bin/python bench/services_bench.py            # 5 runs of 500 calls per figure
    .venv/bin/python bench/services_bench.py --runs 3 -n 200

Two Workers are written to a temporary folder: ``front`` binds ``AUTH`` (the default
entrypoint of ``auth``). One request to ``front`` makes N calls through the binding (one after
another, or all at once) and answers the time they took, measured inside the Worker with
``time.perf_counter()``, so the request itself stays out of the figure. ``ping`` is an RPC
method returning a constant; ``echo`` sends a dict and gets it back (both conversions);
``fetch`` runs auth's fetch handler. Figures: calls per second (N / elapsed), medians of the
runs, after one warm-up request per figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import textwrap
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FRONT = """
import asyncio
import time

from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        _, _, query = request.url.partition("?")
        params = dict(part.split("=") for part in query.split("&"))
        kind, n, together = params["kind"], int(params["n"]), params["together"] == "1"

        def call():
            if kind == "ping":
                return self.env.AUTH.ping()
            if kind == "echo":
                return self.env.AUTH.echo({"id": 1, "tags": ["a", "b"], "nested": {"x": 2.5}})
            return self.env.AUTH.fetch("https://auth/x")

        start = time.perf_counter()
        if together:
            await asyncio.gather(*(call() for _ in range(n)))
        else:
            for _ in range(n):
                await call()
        return Response.json({"seconds": time.perf_counter() - start})
"""

AUTH = """
from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response("ok")

    async def ping(self):
        return 1

    async def echo(self, value):
        return value
"""

FIGURES = {
    "ping": ("ping", False, "RPC `ping()`, one after another"),
    "ping-concurrent": ("ping", True, "RPC `ping()`, all at once"),
    "echo": ("echo", False, "RPC `echo(dict)` (arguments and result converted)"),
    "fetch": ("fetch", False, "`env.AUTH.fetch(url)`, one after another"),
}


def _write(root: Path, name: str, source: str, extra: dict[str, object]) -> Path:
    (root / "src").mkdir(parents=True, exist_ok=True)
    (root / "src" / "entry.py").write_text(textwrap.dedent(source))
    config = {
        "name": name,
        "main": "src/entry.py",
        "compatibility_date": "2026-08-14",
        "compatibility_flags": ["python_workers"],
        **extra,
    }
    (root / "wrangler.jsonc").write_text(json.dumps(config))
    return root


async def measure(runs: int, n: int) -> dict[str, list[float]]:
    from wf.testing import Emulator

    results: dict[str, list[float]] = {key: [] for key in FIGURES}
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        front = _write(
            base / "front", "front", FRONT, {"services": [{"binding": "AUTH", "service": "auth"}]}
        )
        auth = _write(base / "auth", "auth", AUTH, {})
        async with Emulator(front, others=[auth]) as emu:
            for kind, together, _ in FIGURES.values():  # warm-up
                await emu.fetch(f"/?kind={kind}&n=10&together={int(together)}")
            for _ in range(runs):
                for key, (kind, together, _) in FIGURES.items():
                    answer = await emu.fetch(f"/?kind={kind}&n={n}&together={int(together)}")
                    seconds = float((await answer.json())["seconds"])
                    results[key].append(n / seconds)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("-n", type=int, default=500, help="calls per request")
    args = parser.parse_args()
    # perf_counter is real time on purpose here: wf warns that it ignores the virtual clock.
    warnings.filterwarnings("ignore", "time.perf_counter", RuntimeWarning)
    results = asyncio.run(measure(args.runs, args.n))
    print(f"service binding calls per second, {args.n} calls per run, median of {args.runs} runs")
    print(f"{'figure':<55} {'calls/s':>10}")
    for key, (_, _, label) in FIGURES.items():
        print(f"{label:<55} {statistics.median(results[key]):>10,.0f}")


if __name__ == "__main__":
    main()
