"""Instructions per engine-bench workload, before and after, under callgrind.

Usage (from the repository root; needs valgrind)::

    .venv/bin/python bench/engine_instructions.py                  # c4f7c54 vs the working tree
    .venv/bin/python bench/engine_instructions.py --before REV --asleep 2000

The engine bench's timed figures swing 1.5x from one run to the next on a shared machine;
the count of machine instructions a workload executes does not. Each tree runs
bench/engine_bench.py's workloads (this tree's bench code, that tree's packages) in a child
under ``valgrind --tool=callgrind --instr-atstart=no``; each workload runs once uncounted (a
warm-up on the same engine, as the engine bench's first run is) and once counted
(``callgrind_control -i on`` ... ``-i off``, then a dump). The asleep figure creates N
instances that sleep "1 day", then counts the one ``advance`` that wakes them all, to
complete. Syscalls and waits (commits' writes, the real clock's timers) are not instructions;
this measures the Python and SQLite work.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import durability_bench as trees_of
from instructions_bench import callgrind_dumps

CHILD = """\
import asyncio, os, subprocess, sys, tempfile
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import engine_bench as eb
asleep_n = int(sys.argv[2])

def counting(*args):
    subprocess.run(["callgrind_control", *args, str(os.getpid())], capture_output=True)

async def counted(name, work):
    await work()  # warm-up, uncounted
    counting("-i", "on")
    await work()
    counting("-i", "off")
    counting("-d", name)

async def wake(engine, h):
    ids = h.ids(asleep_n, "nap")
    futures = h.expect(ids)
    for start in range(0, asleep_n, 100):
        batch = [{"id": i, "params": {"nap": "1 day"}} for i in ids[start:start + 100]]
        engine.create_batch("nap", batch)
    while not engine.idle():
        await asyncio.sleep(0.001)
    counting("-i", "on")
    await engine.clock.advance("1 day")
    await h.finished("nap", ids, futures)
    counting("-i", "off")
    counting("-d", "wake")

async def main():
    tmp = Path(tempfile.mkdtemp())
    with eb.project_dir() as project:
        for name, db, clock in (
            ("memory", None, "manual"), ("file", tmp / "a.sqlite3", "real"),
        ):
            with eb.open_engine(project, db=db, clock=clock) as (engine, h):
                await engine.start()
                await counted(f"seq100.{name}", lambda: eb.seq100(h))
                await counted(f"many200.{name}", lambda: eb.many200(h))
                await engine.close()
        for name, db in (("memory", None), ("file", tmp / "b.sqlite3")):
            with eb.open_engine(project, db=db, clock="manual") as (engine, h):
                await engine.start()
                await counted(f"sleep7.{name}", lambda: eb.sleep7(h))
                await engine.close()
        with eb.open_engine(project, db=tmp / "c.sqlite3", clock="manual") as (engine, h):
            await engine.start()
            await wake(engine, h)
            await engine.close()

asyncio.run(main())
"""

LABELS = {
    "seq100.memory": "100 sequential steps (memory store, manual clock)",
    "seq100.file": "100 sequential steps (file store, real clock)",
    "many200.memory": "200 instances x 3 steps (memory store, manual clock)",
    "many200.file": "200 instances x 3 steps (file store, real clock)",
    "sleep7.memory": "7-day sleep, one advance (memory store)",
    "sleep7.file": "7-day sleep, one advance (file store)",
    "wake": "N asleep: one advance wakes all, to complete (file store)",
}


def count(tree: Path, asleep: int, work: Path) -> dict[str, int]:
    """Instructions of each workload's counted run in one tree."""
    return callgrind_dumps(tree, CHILD, [str(asleep)], work, timeout=1800)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", default=trees_of.BEFORE)
    parser.add_argument("--after", help="a revision (default: the working tree)")
    parser.add_argument("--asleep", type=int, default=1_000, help="instances asleep at once")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="wf-engine-instructions-"))
    trees = trees_of.make_trees(work, args.before, args.after)
    counts = {name: count(tree, args.asleep, work) for name, tree in trees.items()}
    print(
        f"instructions per workload (callgrind; before {args.before}, after "
        f"{trees_of.describe_after(args.after)}; N = {args.asleep:,})"
    )
    for key, label in LABELS.items():
        before, after = counts["before"].get(key), counts["after"].get(key)
        if before is None or after is None:
            print(f"  {label:<60} missing in a tree's run")
            continue
        print(f"  {label:<60} {before:>14,}  {after:>14,}  {after / before:.3f}x")
    subprocess.run(["rm", "-rf", str(work)], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
