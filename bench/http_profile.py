"""Profile `wf dev` under the durability bench's HTTP load (issue 7): where the server's CPU goes.

Usage (from the repository root)::

    .venv/bin/python bench/http_profile.py --n 600 --out prof.out   # cProfile of the server
    .venv/bin/python bench/http_profile.py --n 600 --no-profile     # CPU per request only

Starts ``wf dev --time manual`` of this checkout on a fresh ``--persist-to`` with cProfile
enabled in the server process, runs bench/durability_bench.py's HTTP load (a warm-up, then N
creates and N events, 50 in flight), prints the server's CPU per 1,000 requests and the
commits it made per phase, and writes the profile (``python -m pstats FILE``) when the server
stops. Only loopback is used; the server is stopped by PID.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import durability_bench as bench

START_SIGNAL = signal.SIGRTMIN + 1
STOP_SIGNAL = signal.SIGRTMIN + 2
SERVER = """\
import cProfile, gc, json, signal, sys, time
out = sys.argv.pop(1)
profile = cProfile.Profile()
gc_seen = {"collections": [0, 0, 0], "ms": [0.0, 0.0, 0.0], "collected": 0, "on": False}
gc_started = [0.0]
def on_gc(phase, info):
    if not gc_seen["on"]:
        return
    if phase == "start":
        gc_started[0] = time.perf_counter()
    else:
        gen = info["generation"]
        gc_seen["collections"][gen] += 1
        gc_seen["ms"][gen] += (time.perf_counter() - gc_started[0]) * 1000
        gc_seen["collected"] += info["collected"]
gc.callbacks.append(on_gc)
def start(*_):
    profile.disable()
    profile.clear()  # what ran before (start, warm-up) is not measured
    gc_seen["on"] = True
    if out != "-":
        profile.enable()
def stop(*_):
    profile.disable()
    gc_seen["on"] = False
    print("GC " + json.dumps(gc_seen), file=sys.stderr, flush=True)
    if out != "-":
        profile.dump_stats(out)
START_SIGNAL = signal.SIGRTMIN + 1  # not SIGUSR1: the step watchdog takes that one
STOP_SIGNAL = signal.SIGRTMIN + 2
def leave(*_):
    raise KeyboardInterrupt
if out:
    profile.enable()
    signal.signal(START_SIGNAL, start)
    signal.signal(STOP_SIGNAL, stop)
signal.signal(signal.SIGTERM, leave)
try:
    from cli.main import main
except ImportError:
    from wf.cli.main import main
try:
    main()
except (KeyboardInterrupt, SystemExit):
    pass
"""


async def drive(base: str, n: int, limit: int, pid: int, profile: bool) -> dict[str, Any]:
    import aiohttp

    api = base + bench.API
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=limit)) as session:

        async def post(path: str, body: Any) -> None:
            async with session.post(base + path, json=body) as r:
                await r.read()
                if r.status != 200:
                    raise RuntimeError(f"POST {path}: {r.status}")

        async def settle(status: str, total: int) -> None:
            while True:
                async with session.get(api) as r:
                    seen = (await r.json())["result"]["instances"]
                if seen.get(status, 0) >= total:
                    return
                await asyncio.sleep(0.02)

        deadline = time.perf_counter() + bench.START_TIMEOUT_S
        while True:
            try:
                async with session.get(base + "/cdn-cgi/wf/time") as r:
                    if r.status == 200:
                        break
            except aiohttp.ClientError:
                pass
            if time.perf_counter() > deadline:
                raise RuntimeError("wf dev did not start")
            await asyncio.sleep(0.05)

        await bench.concurrently(bench.WARMUP, limit, bench.http_creates(post, "w"))
        await settle("waiting", bench.WARMUP)
        await bench.concurrently(bench.WARMUP, limit, bench.http_events(post, "w"))
        await settle("complete", bench.WARMUP)
        out: dict[str, Any] = {}
        if profile:  # only the measured phases: not the start, not the warm-up
            os.kill(pid, START_SIGNAL)
        for name, call in (
            ("creates", bench.http_creates(post, "i")),
            ("events", bench.http_events(post, "i")),
        ):
            cpu = bench.cpu_of(pid)
            wall, latencies = await bench.concurrently(n, limit, call)
            phase = bench.Phase(n, wall, latencies, bench.cpu_of(pid) - cpu)
            out[name] = phase.figures()
            await settle(
                "waiting" if name == "creates" else "complete",
                n if name == "creates" else n + bench.WARMUP,
            )
        if profile:
            os.kill(pid, STOP_SIGNAL)
            await asyncio.sleep(1)
        return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=600)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--out", default="http-profile.out", help="where the profile goes")
    parser.add_argument("--no-profile", action="store_true", help="measure CPU only")
    parser.add_argument("--tree", type=Path, help="run this tree's server (default: this checkout)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wf-http-profile-") as tmp:
        work = Path(tmp)
        project = bench.write_project(work / "project")
        port = bench.free_port()
        # "-": the phases are marked (for the GC figures) but not profiled
        out = "-" if args.no_profile else str(Path(args.out).resolve())
        log = (work / "server.log").open("wb")
        process = subprocess.Popen(
            [
                sys.executable,
                "-P",
                "-c",
                SERVER,
                out,
                *bench.dev_args(project, port, work / "state"),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=args.tree or bench.ROOT,
            env=bench.tree_env(args.tree.resolve()) if args.tree else None,
        )
        try:
            figures = asyncio.run(
                drive(
                    f"http://{bench.HOST}:{port}", args.n, args.concurrency, process.pid, bool(out)
                )
            )
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()
        print(json.dumps(figures, indent=2))
        gc_lines = [
            line
            for line in (work / "server.log").read_text(errors="replace").splitlines()
            if line.startswith("GC ")
        ]
        if gc_lines:
            print("server's garbage collector during the phases:", gc_lines[-1][3:])
        if out != "-":
            print(f"profile: {out} (python -m pstats {out})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
