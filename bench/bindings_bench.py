"""Binding cost inside a step: D1 ``first()``, KV ``get``, a 1,000-row D1 batch; wf beside wrangler.

Usage (from the repository root)::

    .venv/bin/python bench/bindings_bench.py              # 5 runs, both servers
    .venv/bin/python bench/bindings_bench.py --runs 3 -n 50
    .venv/bin/python bench/bindings_bench.py --no-wrangler

Both servers run the same workflow: `wrangler dev` 4.86.0 the JS reference project's
``bindings/`` folder (``$WF_WRANGLER_REF/bindings``, the wrangler-ref project), `wf dev` its
Python port in ``bench/bindings_ref/``. Each instance seeds its bindings in a first step, then a
second step does N calls (or one batch) and returns the time they took, measured inside the step
(``Date.now()`` in workerd, whose clock moves on I/O; ``time.perf_counter()`` in wf): HTTP, the
engine and the step's own bookkeeping stay out of the figure. Both servers are started once, on
fresh ``--persist-to`` directories (D1 and KV as files, as each keeps them by default), warmed up
with one instance per operation, and then measured in alternating runs, so both see the same load.

Figures: per-call microseconds for ``first`` and ``get`` (elapsed / N), milliseconds for the
batch; medians of the runs, and the ratio wrangler / wf (above 1: wf is faster). wrangler is
installed as bench/server_bench.py does it (``$WF_WRANGLER_CACHE``); without npm or the reference
project, its column says why it was skipped. Only 127.0.0.1 is used.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from server_bench import (  # noqa: E402
    DEFAULT_REF,
    HOST,
    WRANGLER_VERSION,
    Peer,
    Server,
    WfPeer,
    free_port,
    machine,
    wrangler_peer,
)

WF_PROJECT = BENCH / "bindings_ref"
OPS = ("first", "get", "batch")
BATCH_ROWS = 1000
COMPLETE_TIMEOUT_S = 300.0
POLL_EVERY_S = 0.05


class BindingsWfPeer(WfPeer):
    """`wf dev` on ``bench/bindings_ref`` (real time: the step times itself on the wall clock)."""

    def command(self, port: int, state: Path) -> list[str]:
        cmd = super().command(port, state)
        cmd[cmd.index("dev") + 1] = str(WF_PROJECT)  # server_bench's project -> this one
        return [*cmd, "--time", "real", "--no-reload"]


def bindings_wrangler_peer(enabled: bool) -> Peer:
    """wrangler 4.86.0 (installed as server_bench does) serving the reference's ``bindings/``."""
    peer = wrangler_peer(enabled, "--no-wrangler")
    if peer.skip:
        return peer
    ref = Path(os.environ.get("WF_WRANGLER_REF") or DEFAULT_REF) / "bindings"
    if not (ref / "src" / "index.js").is_file():
        peer.skip = "the reference's bindings/ folder is missing: set WF_WRANGLER_REF"
        return peer
    # A project folder of its own beside the installed wrangler, so server_bench's stays as it is.
    project = peer.cwd / "bindings"
    (project / "src").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ref / "wrangler.jsonc", project / "wrangler.jsonc")
    shutil.copyfile(ref / "src" / "index.js", project / "src" / "index.js")
    link = project / "node_modules"
    if not link.exists():
        link.symlink_to(peer.cwd / "node_modules")
    peer.cwd = project
    return peer


async def run_op(session: aiohttp.ClientSession, port: int, ident: str, op: str, n: int) -> float:
    """Create one instance and wait for it; the elapsed milliseconds its ``calls`` step reports."""
    base = f"http://{HOST}:{port}"
    async with session.post(f"{base}/create?id={ident}", data=json.dumps({"op": op, "n": n})) as r:
        created = await r.json(content_type=None)
        if r.status != 200:
            raise RuntimeError(f"create {ident}: HTTP {r.status} {created}")
    deadline = time.monotonic() + COMPLETE_TIMEOUT_S
    while time.monotonic() < deadline:
        async with session.get(f"{base}/status?id={ident}") as r:
            status: dict[str, Any] = await r.json(content_type=None)
        if status.get("status") == "complete":
            return float(status["output"]["elapsed_ms"])
        if status.get("status") in ("errored", "terminated"):
            raise RuntimeError(f"{ident} {status.get('status')}: {status.get('error')}")
        await asyncio.sleep(POLL_EVERY_S)
    raise RuntimeError(f"{ident} not complete after {COMPLETE_TIMEOUT_S:.0f} s")


def sizes(n: int) -> dict[str, int]:
    return {"first": n, "get": n, "batch": BATCH_ROWS}


def figure(op: str, elapsed_ms: float, n: int) -> float:
    """µs per call for first/get, ms for the whole batch."""
    return elapsed_ms / n * 1000 if op != "batch" else elapsed_ms


async def measure(
    peers: list[Peer], runs: int, n: int, tmp: Path
) -> dict[str, dict[str, list[float]]]:
    results: dict[str, dict[str, list[float]]] = {p.name: {op: [] for op in OPS} for p in peers}
    servers: list[Server] = []
    try:
        for peer in peers:
            state = Path(tempfile.mkdtemp(prefix="state-", dir=tmp))
            server = peer.spawn(free_port(), state, state.with_suffix(".log"))
            servers.append(server)
            ready = await server.wait_ready()
            print(f"# {peer.name} ready after {ready:.2f} s", flush=True)
        timeout = aiohttp.ClientTimeout(total=COMPLETE_TIMEOUT_S)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            tag = f"{int(time.time()):x}"
            for server in servers:  # warm-up: one of each
                for op in OPS:
                    await run_op(session, server.port, f"warm-{op}-{tag}", op, sizes(n)[op])
            for run in range(runs):
                line = []
                for peer, server in zip(peers, servers, strict=True):
                    for op in OPS:
                        count = sizes(n)[op]
                        ms = await run_op(session, server.port, f"{op}-{run}-{tag}", op, count)
                        results[peer.name][op].append(figure(op, ms, count))
                    line.append(
                        f"{peer.name}: "
                        + "  ".join(f"{op}={results[peer.name][op][-1]:.1f}" for op in OPS)
                    )
                print(f"run {run}: " + " | ".join(line), flush=True)
    finally:
        for server in servers:
            server.stop()
    return results


LABELS = {
    "first": "D1 `prepare(...).bind(...).first()`, per call",
    "get": "KV `get`, per call",
    "batch": f"D1 `batch()` of {BATCH_ROWS:,} inserts",
}
UNITS = {"first": "µs", "get": "µs", "batch": "ms"}


def table(results: dict[str, dict[str, list[float]]], names: list[str]) -> list[str]:
    lines = [
        "| figure | "
        + " | ".join(names)
        + (" | ratio wrangler / wf |" if len(names) == 2 else " |"),
        "|---" * (len(names) + 1 + (len(names) == 2)) + "|",
    ]
    for op in OPS:
        medians = [statistics.median(results[name][op]) for name in names]
        cells = [f"{m:,.1f} {UNITS[op]}" for m in medians]
        ratio = [f"{medians[0] / medians[1]:.2f}x"] if len(names) == 2 and medians[1] else []
        lines.append(f"| {LABELS[op]} | " + " | ".join(cells + ratio) + " |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="binding cost inside a step: wf vs wrangler dev")
    parser.add_argument("--runs", type=int, default=5, help="measured runs (default 5, >= 3)")
    parser.add_argument("-n", type=int, default=100, help="calls per first/get step (default 100)")
    parser.add_argument("--no-wrangler", action="store_true", help="measure wf only")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.n < 1:
        parser.error("--runs and -n must be at least 1")
    info = machine()
    shown = " ".join(sys.argv[1:] if argv is None else argv)
    print(f"wf bindings bench: .venv/bin/python bench/bindings_bench.py {shown}".rstrip())
    print(
        f"machine: {info['nproc']} cpus, Python {info['python']}, {info['platform']}; "
        f"{info['date']}; load average {info['load']}; wf at {info['revision']}"
    )
    with tempfile.TemporaryDirectory(prefix="wf-bindings-bench-") as tmp:
        wrangler = bindings_wrangler_peer(not args.no_wrangler)
        peers: list[Peer] = []
        if wrangler.skip:
            print(f"NOTE: wrangler dev SKIPPED: {wrangler.skip}")
        else:
            wrangler.name = f"wrangler dev {WRANGLER_VERSION}"
            peers.append(wrangler)
        peers.append(BindingsWfPeer("wf dev", True, Path(tmp) / "pycache"))
        print(f"{args.runs} runs; first/get: {args.n} calls per step; batch: {BATCH_ROWS} rows\n")
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
