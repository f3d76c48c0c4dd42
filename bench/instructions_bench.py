"""Instructions per in-process create and per send_event, before and after, under callgrind.

Usage (from the repository root; needs valgrind)::

    .venv/bin/python bench/instructions_bench.py                  # c4f7c54 vs the working tree
    .venv/bin/python bench/instructions_bench.py --before REV --n 300

Wall-clock and CPU figures of the durability bench swing 1.5x between runs on a shared
machine; the count of machine instructions does not (repeat runs agree to 0.1 %). Each tree
runs bench/durability_bench.py's in-process load (the Worker binding's ``create`` then
``send_event``, 50 at a time, on a file store and a manual clock) in a child under
``valgrind --tool=callgrind --instr-atstart=no``: a warm-up of N creates and events runs
uncounted, then the child switches counting on (``callgrind_control -i on``) for N creates
until the engine is idle, dumps, and does the same for N events. Imports, start-up and
warm-up are not counted; syscalls (the commits' writes) are not instructions and are not
counted either, so this measures the Python and SQLite work only.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import durability_bench as bench

CHILD = """\
import asyncio, os, subprocess, sys, tempfile, warnings
from pathlib import Path
warnings.simplefilter("ignore", DeprecationWarning)
sys.path.insert(0, sys.argv[1])
import durability_bench as bench
n, project = int(sys.argv[2]), Path(sys.argv[3])

def counting(*args):
    subprocess.run(["callgrind_control", *args, str(os.getpid())], capture_output=True)

async def main():
    from emulator.clock import Clock
    from emulator.config import load_config
    from emulator.engine import Engine
    from emulator.project import Project
    from emulator.store import Store
    config = load_config(project)
    classes = Project(config).load().workflow_classes
    store = Store(Path(tempfile.mkdtemp()) / "state.sqlite3")
    clock = Clock("manual", now=bench.START)
    engine = Engine(config, classes, store=store, clock=clock, **bench.env_option())
    await engine.start()
    binding, handles = engine.env.WAITER, {}
    async def create(key, i):
        handles[key] = await binding.create(id=key, params={"i": i})
    async def send(key, i):
        await handles[key].send_event(type="go", payload={"i": i})
    for prefix, counted in (("w", False), ("m", True)):
        for call in (create, send):
            if counted:
                counting("-i", "on")
            await bench.concurrently(n, 50, lambda i: call(f"{prefix}{i}", i))
            while not engine.idle():
                await asyncio.sleep(0)
            if counted:
                counting("-i", "off")
                counting("-d", call.__name__)
            await engine.settle()
    await engine.close()
    store.close()

asyncio.run(main())
"""


def callgrind_dumps(
    tree: Path, child: str, args: list[str], work: Path, timeout: float
) -> dict[str, int]:
    """Run ``child`` (``python -P -c``) on one tree under callgrind, counting only where it
    switches counting on; the instructions of each dump it makes, by the dump's name
    (``callgrind_control -d NAME``)."""
    out = Path(tempfile.mkdtemp(dir=work)) / "callgrind.out"
    subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={out}",
            sys.executable,
            "-P",
            "-c",
            child,
            str(Path(__file__).resolve().parent),
            *args,
        ],
        cwd=tree,
        env=bench.tree_env(tree),
        capture_output=True,
        check=True,
        timeout=timeout,
    )
    return dump_totals(out)


def dump_totals(out: Path) -> dict[str, int]:
    """The instructions of each dump callgrind wrote beside ``out`` (``out.1``, ``out.2``...),
    by the name given to ``callgrind_control -d NAME``."""
    totals = {}
    for dump in sorted(out.parent.glob(f"{out.name}.*")):
        lines = dump.read_text().splitlines()
        name = next(x for x in lines if x.startswith("desc: Trigger:")).rsplit(" ", 1)[-1]
        totals[name] = int(next(x for x in lines if x.startswith("totals:")).split()[1])
    return totals


def count(tree: Path, project: Path, n: int, work: Path) -> tuple[float, float]:
    """Instructions per create and per event of one tree."""
    dumps = callgrind_dumps(tree, CHILD, [str(n), str(project)], work, timeout=900)
    return dumps["create"] / n, dumps["send"] / n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", default=bench.BEFORE)
    parser.add_argument("--after", help="a revision (default: the working tree)")
    parser.add_argument("--n", type=int, default=200)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="wf-instructions-"))
    trees = bench.make_trees(work, args.before, args.after)
    project = bench.write_project(work / "project")
    figures = {name: count(tree, project, args.n, work) for name, tree in trees.items()}
    print(
        f"instructions per call (callgrind, n={args.n}, 50 in flight; before {args.before}, "
        f"after {bench.describe_after(args.after)})"
    )
    (bc, be), (ac, ae) = figures["before"], figures["after"]
    print(f"  create():     before {bc:>10,.0f}  after {ac:>10,.0f}  {ac / bc:.3f}x")
    print(f"  send_event(): before {be:>10,.0f}  after {ae:>10,.0f}  {ae / be:.3f}x")
    subprocess.run(["rm", "-rf", str(work)], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
