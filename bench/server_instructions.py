"""Instructions the ``wf dev`` server executes per HTTP create and per HTTP event, before and
after, under callgrind.

Usage (from the repository root; needs valgrind)::

    .venv/bin/python bench/server_instructions.py                 # c4f7c54 vs the working tree
    .venv/bin/python bench/server_instructions.py --before REV --after REV2 --n 300

The server bench's throughput figures swing 1.5-2x between rounds on a shared machine; the
instructions the server process executes for the same requests do not. For each tree, ``wf dev
PROJECT --time manual --persist-to FRESH --no-reload`` (bench/durability_bench.py's project:
one ``step.wait_for_event``) runs under ``valgrind --tool=callgrind --instr-atstart=no``. A
warm-up of 50 creates and events runs uncounted; then counting is switched on
(``callgrind_control -i on``) for N ``POST .../instances`` (16 in flight, from an aiohttp client
in this process) until all N wait for their event, and off again; then the same for N ``POST
.../events/go`` until all N are complete. The bench learns that they wait or are complete by
reading the server's SQLite file itself, so no polling request is counted: the count is the
HTTP handling, the durable commits' Python and SQLite work, and the instances' runs. Syscalls
(the commits' writes) are not instructions. Only loopback is used; the server is stopped by PID.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import durability_bench as bench
from instructions_bench import dump_totals

IN_FLIGHT = 16
READY_TIMEOUT_S = 300.0  # the server starts under valgrind: tens of seconds
SETTLE_TIMEOUT_S = 600.0


def control(pid: int, *args: str) -> None:
    subprocess.run(["callgrind_control", *args, str(pid)], capture_output=True, check=False)


def count_status(db: Path, status: str) -> int:
    """Instances in ``status``, read from the server's file (WAL: committed rows only)."""
    if not db.exists():
        return 0
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as reader:
        row = reader.execute("SELECT COUNT(*) FROM instances WHERE status = ?", (status,))
        return int(row.fetchone()[0])


async def until(db: Path, status: str, total: int) -> None:
    deadline = time.perf_counter() + SETTLE_TIMEOUT_S
    while count_status(db, status) < total:
        if time.perf_counter() > deadline:
            raise RuntimeError(f"only {count_status(db, status)} of {total} are {status}")
        await asyncio.sleep(0.05)


async def measure(tree: Path, project: Path, work: Path, n: int) -> dict[str, int]:
    """Instructions per create and per event in one tree's server."""
    import aiohttp

    state = Path(tempfile.mkdtemp(prefix="state-", dir=work))
    db = state / "state.sqlite3"
    out = state / "callgrind.out"
    port = bench.free_port()
    log = open(work / f"server-{tree.name}.log", "wb")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={out}",
            sys.executable,
            "-P",
            "-c",
            "import warnings; warnings.simplefilter('ignore', DeprecationWarning)\n"
            + bench.ENTRY_POINT
            + "main()",
            *bench.dev_args(project, port, state),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=bench.tree_env(tree),
        cwd=tree,
    )
    base = f"http://{bench.HOST}:{port}"
    try:
        async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=IN_FLIGHT),
            timeout=aiohttp.ClientTimeout(total=SETTLE_TIMEOUT_S),
        ) as session:

            async def ready() -> None:
                deadline = time.perf_counter() + READY_TIMEOUT_S
                while time.perf_counter() < deadline and server.poll() is None:
                    try:
                        async with session.get(base + "/cdn-cgi/wf/time") as answer:
                            if answer.status == 200:
                                return
                    except aiohttp.ClientError:
                        pass
                    await asyncio.sleep(0.2)
                raise RuntimeError(f"wf dev did not start ({tree}); see {log.name}")

            async def post(path: str, body: Any) -> None:
                async with session.post(base + path, json=body) as answer:
                    await answer.read()
                    if answer.status != 200:
                        raise RuntimeError(f"POST {path}: {answer.status}")

            await ready()
            for prefix, size in (("w", bench.WARMUP), ("m", n)):
                done = bench.WARMUP if prefix == "m" else 0
                for name, call, status in (
                    ("create", bench.http_creates, "waiting"),
                    ("event", bench.http_events, "complete"),
                ):
                    if prefix == "m":
                        control(server.pid, "-i", "on")
                    await bench.concurrently(size, IN_FLIGHT, call(post, prefix))
                    await until(db, status, size + (done if status == "complete" else 0))
                    if prefix == "m":
                        control(server.pid, "-i", "off")
                        control(server.pid, "-d", name)
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=30)
        log.close()
    counted = dump_totals(out)
    if set(counted) != {"create", "event"}:
        raise RuntimeError(f"callgrind dumps {sorted(counted)} in {out.parent}, not create, event")
    return {name: value // n for name, value in counted.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", default=bench.BEFORE)
    parser.add_argument("--after", help="a revision (default: the working tree)")
    parser.add_argument("--n", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wf-server-instr-") as tmp:
        work = Path(tmp)
        trees = bench.make_trees(work, args.before, args.after)
        project = bench.write_project(work / "project")
        figures = {
            name: asyncio.run(measure(tree, project, work, args.n)) for name, tree in trees.items()
        }
    after = args.after or "the working tree"
    print(
        f"instructions the server executes per request (callgrind, n={args.n}, {IN_FLIGHT} "
        f"in flight; before {args.before}, after {after})"
    )
    for name, label in (("create", "POST create"), ("event", "POST event")):
        before, now = figures["before"][name], figures["after"][name]
        print(f"  {label:12} before {before:>11,}  after {now:>11,}  {now / before:.3f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
