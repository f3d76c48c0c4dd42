"""Queues through `wf dev` beside `wrangler dev`: send-to-consume latency and messages/s.

Usage (from the repository root)::

    .venv/bin/python bench/queues_dev_bench.py              # 5 runs, both servers
    .venv/bin/python bench/queues_dev_bench.py --runs 3 --sends 20 -n 2000
    .venv/bin/python bench/queues_dev_bench.py --no-wrangler

Both servers run the same Worker: `wrangler dev` 4.86.0 the JS project
``bench/queues_ref/js``, `wf dev` its Python port ``bench/queues_ref/py`` (real time). Both
queues have ``max_batch_timeout: 0``.

- Latency: a request sends one message stamped with the Worker's clock to a consumer with
  ``max_batch_size: 1``; the queue handler records its own clock minus the stamp (``Date.now()``
  in workerd, whole milliseconds; ``time.perf_counter()`` in wf). The bench waits for each
  message before sending the next, so one message is in the queue at a time. Figure: the
  median of the ``--sends`` samples of a run, then the median of the runs.
- Messages/s: one request sends N messages with ``sendBatch`` of 100 to a consumer with
  ``max_batch_size: 100``; figure: N over the time from the first send to the start of the
  handler's last batch, measured inside the Worker, median of the runs.

Each server starts once on a fresh ``--persist-to`` folder and is warmed up; runs alternate
between servers. wrangler is installed as bench/server_bench.py does it; without npm its column
says why it was skipped.
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

PY_PROJECT = BENCH / "queues_ref" / "py"
JS_PROJECT = BENCH / "queues_ref" / "js"
POLL_S = 0.002
WAIT_S = 60.0


class QueuesWfPeer(WfPeer):
    """`wf dev` on ``bench/queues_ref/py`` (real time)."""

    def command(self, port: int, state: Path) -> list[str]:
        cmd = super().command(port, state)
        cmd[cmd.index("dev") + 1] = str(PY_PROJECT)
        return [*cmd, "--time", "real", "--no-reload"]


def queues_wrangler_peer(enabled: bool) -> Peer:
    """wrangler 4.86.0 (installed as server_bench does) serving ``bench/queues_ref/js``."""
    peer = wrangler_peer(enabled, "--no-wrangler")
    if peer.skip:
        return peer
    project = peer.cwd / "queues-bench"
    (project / "src").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(JS_PROJECT / "wrangler.jsonc", project / "wrangler.jsonc")
    shutil.copyfile(JS_PROJECT / "src" / "index.js", project / "src" / "index.js")
    link = project / "node_modules"
    if not link.exists():
        link.symlink_to(peer.cwd / "node_modules")
    peer.cwd = project
    return peer


async def get(session: aiohttp.ClientSession, port: int, query: str) -> dict[str, Any]:
    async with session.get(f"http://{HOST}:{port}/?{query}") as response:
        body: dict[str, Any] = await response.json(content_type=None)
        if response.status != 200:
            raise RuntimeError(f"{query}: HTTP {response.status} {body}")
        return body


async def wait_until(
    session: aiohttp.ClientSession, port: int, done: Any, what: str
) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_S
    while True:
        state = await get(session, port, "op=stats")
        if done(state):
            return state
        if loop.time() > deadline:
            raise TimeoutError(f"{what}: not consumed after {WAIT_S:g} s ({state})")
        await asyncio.sleep(POLL_S)


async def latency(session: aiohttp.ClientSession, port: int, sends: int) -> float:
    """Median milliseconds from send() to the handler, one message at a time."""
    await get(session, port, "op=reset")
    for i in range(sends):
        await get(session, port, "op=latency")
        await wait_until(session, port, lambda s, i=i: len(s["latencies"]) > i, "latency")
    state = await get(session, port, "op=stats")
    return float(statistics.median(state["latencies"]))


async def rate(session: aiohttp.ClientSession, port: int, n: int) -> float:
    """Messages per second from the first sendBatch to the last batch's handler."""
    await get(session, port, f"op=bulk&n={n}")
    state = await wait_until(session, port, lambda s: s["bulk"] >= n, "messages/s")
    elapsed_s = max(float(state["last"]) - float(state["first"]), 1.0) / 1000
    return n / elapsed_s


async def measure(
    peers: list[Peer], runs: int, sends: int, n: int, tmp: Path
) -> dict[str, dict[str, list[float]]]:
    results: dict[str, dict[str, list[float]]] = {p.name: {"lat": [], "rate": []} for p in peers}
    servers: list[Server] = []
    try:
        for peer in peers:
            state = Path(tempfile.mkdtemp(prefix="state-", dir=tmp))
            server = peer.spawn(free_port(), state, state.with_suffix(".log"))
            servers.append(server)
            ready = await server.wait_ready()
            print(f"# {peer.name} ready after {ready:.2f} s", flush=True)
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=300)) as session:
            for server in servers:  # warm-up
                await latency(session, server.port, 3)
                await rate(session, server.port, 200)
            for run in range(runs):
                line = []
                for peer, server in zip(peers, servers, strict=True):
                    results[peer.name]["lat"].append(await latency(session, server.port, sends))
                    results[peer.name]["rate"].append(await rate(session, server.port, n))
                    line.append(
                        f"{peer.name}: latency {results[peer.name]['lat'][-1]:.2f} ms, "
                        f"{results[peer.name]['rate'][-1]:,.0f} messages/s"
                    )
                print(f"run {run}: " + " | ".join(line), flush=True)
    finally:
        for server in servers:
            server.stop()
    return results


def table(results: dict[str, dict[str, list[float]]], names: list[str], n: int) -> list[str]:
    pair = len(names) == 2
    lines = [
        "| figure | " + " | ".join(names) + (" | ratio |" if pair else " |"),
        "|---" * (len(names) + 1 + pair) + "|",
    ]
    lat = [statistics.median(results[name]["lat"]) for name in names]
    rates = [statistics.median(results[name]["rate"]) for name in names]
    # ratio above 1: wf is better (lower latency, more messages per second)
    lat_ratio = [f"{lat[0] / lat[1]:.2f}x (wrangler / wf)"] if pair and lat[1] else []
    rate_ratio = [f"{rates[1] / rates[0]:.2f}x (wf / wrangler)"] if pair and rates[0] else []
    lines.append(
        "| send to queue handler, one message at a time (median) | "
        + " | ".join([f"{m:.2f} ms" for m in lat] + lat_ratio)
        + " |"
    )
    lines.append(
        f"| messages/s, {n:,} messages in sendBatch of 100, batches of 100 | "
        + " | ".join([f"{r:,.0f} messages/s" for r in rates] + rate_ratio)
        + " |"
    )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Queues latency and messages/s: wf vs wrangler")
    parser.add_argument("--runs", type=int, default=5, help="measured runs (default 5)")
    parser.add_argument("--sends", type=int, default=30, help="latency samples a run (30)")
    parser.add_argument("-n", type=int, default=2000, help="messages for messages/s (2000)")
    parser.add_argument("--no-wrangler", action="store_true", help="measure wf only")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.sends < 1 or args.n < 1:
        parser.error("--runs, --sends and -n must be at least 1")
    info = machine()
    shown = " ".join(sys.argv[1:] if argv is None else argv)
    print(f"wf Queues bench: .venv/bin/python bench/queues_dev_bench.py {shown}".rstrip())
    print(
        f"machine: {info['nproc']} cpus, Python {info['python']}, {info['platform']}; "
        f"{info['date']}; load average {info['load']}; wf at {info['revision']}"
    )
    with tempfile.TemporaryDirectory(prefix="wf-queues-bench-") as tmp:
        wrangler = queues_wrangler_peer(not args.no_wrangler)
        peers: list[Peer] = []
        if wrangler.skip:
            print(f"NOTE: wrangler dev SKIPPED: {wrangler.skip}")
        else:
            wrangler.name = f"wrangler dev {WRANGLER_VERSION}"
            peers.append(wrangler)
        peers.append(QueuesWfPeer("wf dev", True, Path(tmp) / "pycache"))
        print(f"{args.runs} runs; {args.sends} latency samples and {args.n} messages a run\n")
        try:
            results = asyncio.run(measure(peers, args.runs, args.sends, args.n, Path(tmp)))
        except (RuntimeError, TimeoutError, aiohttp.ClientError) as exc:
            print(f"bench failed: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 1
    print()
    print("\n".join(table(results, [p.name for p in peers], args.n)))
    print(f"\nmedians of {args.runs} runs; load average at the end: {machine()['load']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
