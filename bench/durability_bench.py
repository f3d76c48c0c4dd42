"""Durability benchmark: create and send-event throughput before and after acknowledgements
became durable, side by side in one run, over HTTP and in-process (issue 7).

Usage (from the repository root)::

    nice -n -10 .venv/bin/python bench/durability_bench.py   # 5 alternating runs per tree
    .venv/bin/python bench/durability_bench.py --quick       # 1 run, 200 instances
    .venv/bin/python bench/durability_bench.py --markdown    # also print the RESULTS.md table
    .venv/bin/python bench/durability_bench.py --before REV --after REV2 --runs 7 --n 1000

The two trees: "before" is ``git archive`` of ``--before`` (default c4f7c54, the code before
the durability change); "after" is ``--after REV`` or, by default, a copy of the working tree's
``emulator/`` and ``cli/`` made when the bench starts (so edits during the run do not leak in).
Every process runs one tree's packages: ``python -P`` with ``PYTHONPATH`` set to that tree,
started from inside it, and prints which ``emulator`` it imported.

Each run, for each tree (the trees alternate, and which goes first alternates too, so a change
of load weighs on both):

- **HTTP**: ``wf dev PROJECT --time manual --persist-to FRESH --no-reload`` from that tree; a
  warm-up of 50 creates and events, then N ``POST .../workflows/waiter/instances`` with
  ``{id, params}``, ``--concurrency`` at a time from an aiohttp client in this process; once all
  N wait in ``step.wait_for_event``, N ``POST .../instances/{id}/events/go``. Throughput is N /
  (first request sent to last answer read); p50/p99 are per-request latencies; server CPU is
  its user + sys time in the phase (from /proc).
- **in-process**: a child process builds an Engine on a file Store (manual clock, as
  bench/engine_bench.py does) and calls the Worker-binding path, ``await env.WAITER.create(id=,
  params=)`` then ``await handle.send_event(type=, payload=)``, ``--concurrency`` at a time.
  Throughput is N / (first call to every call returned and the engine idle): the instances the
  calls start (up to their wait, then to completion) run inside the window in both trees, as
  they do over HTTP. CPU is the child's own.

Figures are the medians over the runs (min-max). Two ratios after / before: of the medians,
and the median of each run's pair (the two trees measured back to back, so a change of load
weighs on both); the target, "no worse than 10 % below", is judged on the paired one (>= 0.90).
Only loopback is used; every process started here is stopped by PID.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BEFORE = "c4f7c54"
HOST = "127.0.0.1"
WORKFLOW = "waiter"
API = f"/cdn-cgi/explorer/api/workflows/{WORKFLOW}"
WARMUP = 50
START = 1_767_225_600_000.0  # 2026-01-01T00:00:00Z: the in-process manual clock starts here
START_TIMEOUT_S = 60.0
SETTLE_TIMEOUT_S = 120.0
TARGET_RATIO = 0.90

SOURCE = """\
from workers import WorkflowEntrypoint


class Waiter(WorkflowEntrypoint):
    async def run(self, event, step):
        got = await step.wait_for_event("wait", "go", timeout="1 hour")
        return got["payload"]
"""

CONFIG = {
    "name": "durability-bench",
    "main": "src/entry.py",
    "compatibility_date": "2026-08-14",
    "compatibility_flags": ["python_workers"],
    "workflows": [{"name": WORKFLOW, "binding": "WAITER", "class_name": "Waiter"}],
}


def write_project(root: Path) -> Path:
    (root / "src").mkdir(parents=True, exist_ok=True)
    (root / "src" / "entry.py").write_text(SOURCE)
    (root / "wrangler.jsonc").write_text(json.dumps(CONFIG, indent=2) + "\n")
    return root


# -- measuring --------------------------------------------------------------------------------


@dataclass
class Phase:
    """One phase (N creates or N events): wall seconds, latencies, CPU seconds of the server."""

    n: int
    wall_s: float
    latencies_ms: list[float]
    cpu_s: float | None = None

    @property
    def rate(self) -> float:
        return self.n / self.wall_s

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def figures(self) -> dict[str, float]:
        out = {"rate": self.rate, "p50": self.pct(0.50), "p99": self.pct(0.99)}
        if self.cpu_s is not None:
            out["cpu_ms_per_1000"] = self.cpu_s * 1000 * 1000 / self.n
        return out


async def concurrently(
    n: int, limit: int, call: Callable[[int], Awaitable[None]]
) -> tuple[float, list[float]]:
    """Run ``call(i)`` for i < n, ``limit`` at a time; wall seconds and each call's ms."""
    latencies = [0.0] * n
    next_index = 0

    async def worker() -> None:
        nonlocal next_index
        while next_index < n:
            i = next_index
            next_index += 1
            t0 = time.perf_counter()
            await call(i)
            latencies[i] = (time.perf_counter() - t0) * 1000

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(min(limit, n))))
    return time.perf_counter() - t0, latencies


def cpu_of(pid: int) -> float:
    """User + sys CPU seconds of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- the in-process child ------------------------------------------------------------------------


def env_option() -> dict[str, Any]:
    """``make_env=Env`` for a tree whose engine takes its env factory (newer trees)."""
    import inspect

    from emulator.engine import Engine

    if "make_env" not in inspect.signature(Engine).parameters:
        return {}
    from emulator.bindings import Env

    return {"make_env": Env}


async def child_inproc(project: Path, db: Path, n: int, limit: int) -> dict[str, Any]:
    """Runs in a child whose sys.path starts with one tree: that tree's engine and binding."""
    from emulator.clock import Clock
    from emulator.config import load_config
    from emulator.engine import Engine
    from emulator.project import Project
    from emulator.store import Store

    import emulator

    config = load_config(project)
    classes = Project(config).load().workflow_classes
    store = Store(db)
    engine = Engine(config, classes, store=store, clock=Clock("manual", now=START), **env_option())
    await engine.start()
    binding = engine.env.WAITER
    handles: dict[str, Any] = {}

    async def create(prefix: str, i: int) -> None:
        handles[f"{prefix}{i}"] = await binding.create(id=f"{prefix}{i}", params={"i": i})

    async def send(prefix: str, i: int) -> None:
        await handles[f"{prefix}{i}"].send_event(type="go", payload={"i": i})

    async def phase(prefix: str, count: int, call: Callable[[str, int], Awaitable[None]]) -> Phase:
        """Until every call returned and the engine is idle: the before-tree's calls return
        without yielding, so the instances they start would otherwise run after the clock
        stopped, and only the after-tree would pay for them."""
        cpu = time.process_time()
        t0 = time.perf_counter()
        _, latencies = await concurrently(count, limit, lambda i: call(prefix, i))
        while not engine.idle():
            await asyncio.sleep(0)
        wall = time.perf_counter() - t0
        return Phase(count, wall, latencies, time.process_time() - cpu)

    try:
        await phase("w", WARMUP, create)
        await engine.settle()
        await phase("w", WARMUP, send)
        await engine.settle()
        creates = await phase("i", n, create)
        await engine.settle()  # every instance waits for its event
        waiting = store.status_counts(WORKFLOW).get("waiting", 0)
        events = await phase("i", n, send)
        await engine.settle()
        counts = store.status_counts(WORKFLOW)
    finally:
        await engine.close()
        store.close()
    return {
        "emulator": emulator.__file__,
        "creates": creates.figures(),
        "events": events.figures(),
        "waiting_before_events": waiting,
        "counts": counts,
        "ok": waiting == n and counts.get("complete", 0) == n + WARMUP,
    }


# -- HTTP --------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


# `wf dev`'s entry point in either layout: `cli` (trees from before the `wf` package) first,
# since the editable install would otherwise hand an older tree today's `wf`. In newer trees
# `emulator` is the alias of `wf`, so the in-process child imports `emulator` in both.
ENTRY_POINT = (
    "try:\n    from cli.main import main\nexcept ImportError:\n    from wf.cli.main import main\n"
)


def dev_args(project: Path, port: int, state: Path) -> list[str]:
    """`wf dev`'s arguments in the server benches: manual time, a fresh state, no reloader."""
    return [
        "dev",
        str(project),
        "--port",
        str(port),
        "--time",
        "manual",
        "--persist-to",
        str(state),
        "--no-reload",
    ]


Post = Callable[[str, Any], Awaitable[None]]


def http_creates(post: Post, prefix: str) -> Callable[[int], Awaitable[None]]:
    """Call i: create instance ``{prefix}{i}`` (params ``{"i": i}``) over the explorer API."""
    return lambda i: post(API + "/instances", {"id": f"{prefix}{i}", "params": {"i": i}})


def http_events(post: Post, prefix: str) -> Callable[[int], Awaitable[None]]:
    """Call i: send the ``go`` event that instance ``{prefix}{i}`` waits for."""
    return lambda i: post(f"{API}/instances/{prefix}{i}/events/go", {"i": i})


def tree_env(tree: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(PYTHONPATH=str(tree), NO_COLOR="1", PYTHONUNBUFFERED="1")
    return env


class Server:
    """`wf dev` from one tree (python -P: the tree's packages, not the working directory's)."""

    def __init__(self, tree: Path, project: Path, state: Path, log: Path) -> None:
        self.port = free_port()
        self.log = log
        with open(log, "wb") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-P",
                    "-c",
                    "import warnings; warnings.simplefilter('ignore', DeprecationWarning)\n"
                    "import emulator; print('emulator from', emulator.__file__, flush=True)\n"
                    + ENTRY_POINT
                    + "main()",
                    *dev_args(project, self.port, state),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=tree_env(tree),
                cwd=tree,
            )
        self.base = f"http://{HOST}:{self.port}"

    def emulator_path(self) -> str:
        for line in self.log.read_text(errors="replace").splitlines():
            if line.startswith("emulator from "):
                return line.removeprefix("emulator from ")
        return "?"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


async def http_run(tree: Path, project: Path, work: Path, n: int, limit: int) -> dict[str, Any]:
    import aiohttp

    state = Path(tempfile.mkdtemp(prefix="state-", dir=work))
    server = Server(tree, project, state, work / f"server-{state.name}.log")
    connector = aiohttp.TCPConnector(limit=limit)
    try:
        async with aiohttp.ClientSession(connector=connector) as session:

            async def ready() -> None:
                deadline = time.perf_counter() + START_TIMEOUT_S
                while time.perf_counter() < deadline:
                    if server.process.poll() is not None:
                        break
                    try:
                        async with session.get(server.base + "/cdn-cgi/wf/time") as r:
                            if r.status == 200:
                                return
                    except aiohttp.ClientError:
                        pass
                    await asyncio.sleep(0.01)
                raise RuntimeError(f"wf dev did not start:\n{server.log.read_text()}")

            async def post(path: str, body: Any) -> None:
                async with session.post(server.base + path, json=body) as r:
                    await r.read()
                    if r.status != 200:
                        raise RuntimeError(f"POST {path}: {r.status} {await r.text()}")

            async def counts() -> dict[str, int]:
                async with session.get(server.base + API) as r:
                    return dict((await r.json())["result"]["instances"])

            async def settle(status: str, total: int) -> dict[str, int]:
                deadline = time.perf_counter() + SETTLE_TIMEOUT_S
                while True:
                    seen = await counts()
                    if seen.get(status, 0) >= total or time.perf_counter() > deadline:
                        return seen
                    await asyncio.sleep(0.02)

            async def phase(count: int, call: Callable[[int], Awaitable[None]]) -> Phase:
                cpu = cpu_of(server.process.pid)
                wall, latencies = await concurrently(count, limit, call)
                return Phase(count, wall, latencies, cpu_of(server.process.pid) - cpu)

            await ready()
            await concurrently(WARMUP, limit, http_creates(post, "w"))
            await settle("waiting", WARMUP)
            await concurrently(WARMUP, limit, http_events(post, "w"))
            await settle("complete", WARMUP)
            creates = await phase(n, http_creates(post, "i"))
            waiting = (await settle("waiting", n)).get("waiting", 0)
            events = await phase(n, http_events(post, "i"))
            final = await settle("complete", n + WARMUP)
    finally:
        server.stop()
        shutil.rmtree(state, ignore_errors=True)
    return {
        "emulator": server.emulator_path(),
        "creates": creates.figures(),
        "events": events.figures(),
        "waiting_before_events": waiting,
        "counts": final,
        "ok": waiting == n and final.get("complete", 0) == n + WARMUP,
    }


def inproc_run(tree: Path, project: Path, work: Path, n: int, limit: int) -> dict[str, Any]:
    db = Path(tempfile.mkdtemp(prefix="inproc-", dir=work)) / "state.sqlite3"
    done = subprocess.run(
        [
            sys.executable,
            "-P",
            str(Path(__file__).resolve()),
            "--child",
            "--project",
            str(project),
            "--db",
            str(db),
            "--n",
            str(n),
            "--concurrency",
            str(limit),
        ],
        capture_output=True,
        text=True,
        env=tree_env(tree),
        cwd=tree,
        timeout=600,
    )
    shutil.rmtree(db.parent, ignore_errors=True)
    if done.returncode != 0:
        raise RuntimeError(f"in-process child failed ({tree}):\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# -- the trees ----------------------------------------------------------------------------------


def git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()


def archive(revision: str, into: Path) -> Path:
    into.mkdir()
    tar = subprocess.run(["git", "archive", revision], cwd=ROOT, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=tar.stdout, check=True)
    return into


def make_trees(work: Path, before: str, after: str | None) -> dict[str, Path]:
    """``before``: git archive of a revision; ``after``: another revision, or by default a copy
    of the working tree's packages as they are now."""
    trees = {"before": archive(before, work / "before")}
    if after is not None:
        trees["after"] = archive(after, work / "after")
        return trees
    new = work / "after"
    new.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for package in ("wf", "emulator", "cli"):  # whichever the layout has
        if (ROOT / package).is_dir():
            shutil.copytree(ROOT / package, new / package, ignore=ignore)
    trees["after"] = new
    return trees


def describe_after(after: str | None) -> str:
    if after is not None:
        return git("rev-parse", "--short", after)
    head = git("rev-parse", "--short", "HEAD")
    dirty = git("status", "--porcelain", "--", "wf", "emulator", "cli")
    if not dirty:
        return f"{head} (working tree, clean)"
    changed = len(dirty.splitlines())
    return f"{head} + the working tree's uncommitted changes to {changed} files in wf/"


# -- report ---------------------------------------------------------------------------------------

ROWS = (
    ("http", "creates", "rate", "HTTP: creates/s"),
    ("http", "creates", "p50", "HTTP: create latency p50 (ms)"),
    ("http", "creates", "p99", "HTTP: create latency p99 (ms)"),
    ("http", "creates", "cpu_ms_per_1000", "HTTP: server CPU per 1,000 creates (ms)"),
    ("http", "events", "rate", "HTTP: events/s"),
    ("http", "events", "p50", "HTTP: event latency p50 (ms)"),
    ("http", "events", "p99", "HTTP: event latency p99 (ms)"),
    ("http", "events", "cpu_ms_per_1000", "HTTP: server CPU per 1,000 events (ms)"),
    ("inproc", "creates", "rate", "in-process: env.WF.create()/s"),
    ("inproc", "creates", "p50", "in-process: create latency p50 (ms)"),
    ("inproc", "creates", "p99", "in-process: create latency p99 (ms)"),
    ("inproc", "creates", "cpu_ms_per_1000", "in-process: CPU per 1,000 creates (ms)"),
    ("inproc", "events", "rate", "in-process: send_event()/s"),
    ("inproc", "events", "p50", "in-process: send_event latency p50 (ms)"),
    ("inproc", "events", "p99", "in-process: send_event latency p99 (ms)"),
    ("inproc", "events", "cpu_ms_per_1000", "in-process: CPU per 1,000 send_event (ms)"),
)


@dataclass
class Results:
    runs: dict[str, dict[str, list[dict[str, Any]]]] = field(
        default_factory=lambda: {t: {"http": [], "inproc": []} for t in ("before", "after")}
    )

    def median(self, tree: str, kind: str, phase: str, key: str) -> float:
        return statistics.median(r[phase][key] for r in self.runs[tree][kind])

    def paired(self, kind: str, phase: str, key: str) -> float:
        """Median of after / before over the runs' adjacent pairs (robust to load drift)."""
        pairs = zip(self.runs["before"][kind], self.runs["after"][kind], strict=True)
        return statistics.median(a[phase][key] / b[phase][key] for b, a in pairs)

    def spread(self, tree: str, kind: str, phase: str, key: str) -> str:
        values = [r[phase][key] for r in self.runs[tree][kind]]
        return f"{fmt(min(values), key)}-{fmt(max(values), key)}"


def fmt(value: float, key: str) -> str:
    if key == "rate":
        return f"{value:,.0f}"
    if key == "cpu_ms_per_1000":
        return f"{value:,.0f}"
    return f"{value:.2f}"


def table(results: Results, markdown: bool) -> str:
    lines = []
    if markdown:
        lines.append(
            "| figure | before | after | after / before (medians) | after / before "
            "(median of paired runs) | target met? |"
        )
        lines.append("|---|---|---|---|---|---|")
    for kind, phase, key, label in ROWS:
        before = results.median("before", kind, phase, key)
        after = results.median("after", kind, phase, key)
        ratio = after / before if before else float("nan")
        paired = results.paired(kind, phase, key)
        met = "-"
        if key == "rate":
            met = "yes" if paired >= TARGET_RATIO else "**no**"
        b = f"{fmt(before, key)} ({results.spread('before', kind, phase, key)})"
        a = f"{fmt(after, key)} ({results.spread('after', kind, phase, key)})"
        if markdown:
            lines.append(f"| {label} | {b} | {a} | {ratio:.2f}x | {paired:.2f}x | {met} |")
        else:
            lines.append(f"  {label:44} {b:>24} {a:>24}  {ratio:5.2f}x  {paired:5.2f}x  {met}")
    return "\n".join(lines)


async def main_async(args: argparse.Namespace) -> int:
    work = Path(tempfile.mkdtemp(prefix="wf-durability-"))
    try:
        trees = make_trees(work, args.before, args.after)
        project = write_project(work / "project")
        after_desc = describe_after(args.after)
        load = os.getloadavg()
        print(
            f"durability bench: before {args.before}, after {after_desc}; n={args.n}, "
            f"concurrency {args.concurrency}, {args.runs} runs; "
            f"{os.cpu_count()} CPUs, Python {platform.python_version()}, "
            f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load {load[0]:.2f} {load[1]:.2f}",
            flush=True,
        )
        results = Results()
        for run in range(args.runs):
            order = ("before", "after") if run % 2 == 0 else ("after", "before")
            for tree in order:
                http = await http_run(trees[tree], project, work, args.n, args.concurrency)
                inproc = inproc_run(trees[tree], project, work, args.n, args.concurrency)
                for kind, result in (("http", http), ("inproc", inproc)):
                    if not str(result["emulator"]).startswith(str(trees[tree])):
                        raise RuntimeError(f"{tree} ran {result['emulator']}, not its own tree")
                    if not result["ok"]:
                        raise RuntimeError(f"{tree} {kind}: instances did not finish: {result}")
                    results.runs[tree][kind].append(result)
                print(
                    f"  run {run + 1} {tree:6}: HTTP {http['creates']['rate']:,.0f} creates/s "
                    f"{http['events']['rate']:,.0f} events/s; in-process "
                    f"{inproc['creates']['rate']:,.0f} creates/s "
                    f"{inproc['events']['rate']:,.0f} events/s",
                    flush=True,
                )
        load = os.getloadavg()
        print(
            f"\nmedians of {args.runs} runs (min-max), after / before of the medians and "
            f"the median of the paired runs' ratios; load at the end {load[0]:.2f}"
        )
        print(table(results, markdown=False))
        if args.markdown:
            print()
            print(table(results, markdown=True))
        if args.json:
            Path(args.json).write_text(json.dumps(results.runs, indent=1))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", default=BEFORE, help="the revision before the change")
    parser.add_argument("--after", help="a revision to compare (default: the working tree)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--n", type=int, default=1000, help="creates (and events) per run")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--quick", action="store_true", help="1 run of 200")
    parser.add_argument("--markdown", action="store_true", help="also print the RESULTS.md table")
    parser.add_argument("--json", help="write every run's figures to this file")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--project", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = asyncio.run(child_inproc(args.project, args.db, args.n, args.concurrency))
        print(json.dumps(result))
        return 0
    if args.quick:
        args.runs, args.n = 1, 200
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
