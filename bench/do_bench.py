"""Durable Object RPC calls per second, from the Worker: wf beside wrangler.

Usage (from the repository root)::

    .venv/bin/python bench/do_bench.py              # 5 runs, both servers
    .venv/bin/python bench/do_bench.py --runs 3 -n 200
    .venv/bin/python bench/do_bench.py --no-wrangler

Both servers run the same Worker: `wrangler dev` 4.86.0 the JS project ``bench/do_ref/js``,
`wf dev` its Python port ``bench/do_ref/py``. One request makes N RPC calls on one object's stub
(sequentially, or all at once) and answers the time they took, measured inside the Worker
(``Date.now()`` in workerd, which moves on I/O; ``time.perf_counter()`` in wf), so HTTP stays
out of the figure. ``ping`` returns a constant; ``increment`` reads and writes storage.
Each server starts once on a fresh ``--persist-to`` folder, is warmed up with one request per
figure, and then measured in alternating runs. Figures: calls per second (N / elapsed), medians
of the runs, and the ratio wf / wrangler (above 1: wf is faster). wrangler is installed as
bench/server_bench.py does it; without npm, its column says why it was skipped.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import aiohttp

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from server_bench import (  # noqa: E402
    HOST,
    WRANGLER_VERSION,
    Peer,
    Server,
    WfPeer,
    free_port,
    machine,
    wrangler_peer,
)

PY_PROJECT = BENCH / "do_ref" / "py"
JS_PROJECT = BENCH / "do_ref" / "js"
FIGURES = {
    "ping": ("ping", False),
    "ping-concurrent": ("ping", True),
    "increment": ("increment", False),
    "increment-concurrent": ("increment", True),
}
LABELS = {
    "ping": "RPC `ping()`, one after another",
    "ping-concurrent": "RPC `ping()`, all at once",
    "increment": "RPC `increment()` (storage get + put), one after another",
    "increment-concurrent": "RPC `increment()`, all at once",
}


class DoWfPeer(WfPeer):
    """`wf dev` on ``bench/do_ref/py`` (real time)."""

    def command(self, port: int, state: Path) -> list[str]:
        cmd = super().command(port, state)
        cmd[cmd.index("dev") + 1] = str(PY_PROJECT)
        return [*cmd, "--time", "real", "--no-reload"]


def do_wrangler_peer(enabled: bool) -> Peer:
    """wrangler 4.86.0 (installed as server_bench does) serving ``bench/do_ref/js``."""
    peer = wrangler_peer(enabled, "--no-wrangler")
    if peer.skip:
        return peer
    project = peer.cwd / "do-bench"
    (project / "src").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(JS_PROJECT / "wrangler.jsonc", project / "wrangler.jsonc")
    shutil.copyfile(JS_PROJECT / "src" / "index.js", project / "src" / "index.js")
    link = project / "node_modules"
    if not link.exists():
        link.symlink_to(peer.cwd / "node_modules")
    peer.cwd = project
    return peer


async def call(session: aiohttp.ClientSession, port: int, figure: str, n: int, name: str) -> float:
    """Calls per second of one request."""
    op, concurrent = FIGURES[figure]
    query = f"op={op}&n={n}&name={name}&concurrent={int(concurrent)}"
    async with session.get(f"http://{HOST}:{port}/?{query}") as response:
        body: dict[str, Any] = await response.json(content_type=None)
        if response.status != 200:
            raise RuntimeError(f"{figure}: HTTP {response.status} {body}")
    elapsed_s = max(float(body["elapsed_ms"]), 0.001) / 1000
    return n / elapsed_s


async def measure(
    peers: list[Peer], runs: int, n: int, tmp: Path
) -> dict[str, dict[str, list[float]]]:
    results: dict[str, dict[str, list[float]]] = {p.name: {f: [] for f in FIGURES} for p in peers}
    servers: list[Server] = []
    try:
        for peer in peers:
            state = Path(tempfile.mkdtemp(prefix="state-", dir=tmp))
            server = peer.spawn(free_port(), state, state.with_suffix(".log"))
            servers.append(server)
            ready = await server.wait_ready()
            print(f"# {peer.name} ready after {ready:.2f} s", flush=True)
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=300)) as session:
            for server in servers:
                for figure in FIGURES:
                    await call(session, server.port, figure, n, "warm")
            for run in range(runs):
                line = []
                for peer, server in zip(peers, servers, strict=True):
                    for figure in FIGURES:
                        rate = await call(session, server.port, figure, n, f"run{run}")
                        results[peer.name][figure].append(rate)
                    line.append(
                        f"{peer.name}: "
                        + "  ".join(f"{f}={results[peer.name][f][-1]:,.0f}/s" for f in FIGURES)
                    )
                print(f"run {run}: " + " | ".join(line), flush=True)
    finally:
        for server in servers:
            server.stop()
    return results


def table(results: dict[str, dict[str, list[float]]], names: list[str]) -> list[str]:
    pair = len(names) == 2
    lines = [
        "| figure | " + " | ".join(names) + (" | ratio wf / wrangler |" if pair else " |"),
        "|---" * (len(names) + 1 + pair) + "|",
    ]
    for figure in FIGURES:
        medians = [statistics.median(results[name][figure]) for name in names]
        cells = [f"{m:,.0f} calls/s" for m in medians]
        ratio = [f"{medians[1] / medians[0]:.2f}x"] if pair and medians[0] else []
        lines.append(f"| {LABELS[figure]} | " + " | ".join(cells + ratio) + " |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Durable Object RPC calls/s: wf vs wrangler dev")
    parser.add_argument("--runs", type=int, default=5, help="measured runs (default 5)")
    parser.add_argument("-n", type=int, default=500, help="calls per request (default 500)")
    parser.add_argument("--no-wrangler", action="store_true", help="measure wf only")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.n < 1:
        parser.error("--runs and -n must be at least 1")
    info = machine()
    shown = " ".join(sys.argv[1:] if argv is None else argv)
    print(f"wf Durable Object bench: .venv/bin/python bench/do_bench.py {shown}".rstrip())
    print(
        f"machine: {info['nproc']} cpus, Python {info['python']}, {info['platform']}; "
        f"{info['date']}; load average {info['load']}; wf at {info['revision']}"
    )
    with tempfile.TemporaryDirectory(prefix="wf-do-bench-") as tmp:
        wrangler = do_wrangler_peer(not args.no_wrangler)
        peers: list[Peer] = []
        if wrangler.skip:
            print(f"NOTE: wrangler dev SKIPPED: {wrangler.skip}")
        else:
            wrangler.name = f"wrangler dev {WRANGLER_VERSION}"
            peers.append(wrangler)
        peers.append(DoWfPeer("wf dev", True, Path(tmp) / "pycache"))
        print(f"{args.runs} runs; {args.n} calls per request\n")
        try:
            results = asyncio.run(measure(peers, args.runs, args.n, Path(tmp)))
        except (RuntimeError, TimeoutError, aiohttp.ClientError) as exc:
            print(f"bench failed: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 1
    print()
    print("\n".join(table(results, [p.name for p in peers])))
    print(f"\nmedians of {args.runs} runs; load average at the end: {machine()['load']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
