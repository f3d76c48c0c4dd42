"""Instructions per engine-bench workload, before and after, under callgrind.

Usage (from the repository root; needs valgrind)::

    .venv/bin/python bench/engine_instructions.py                  # c4f7c54 vs the working tree
    .venv/bin/python bench/engine_instructions.py --before REV --asleep 2000

The engine bench's timed figures swing 1.5x from one run to the next on a shared machine;
the count of machine instructions a workload executes does not. Each tree runs
bench/engine_bench.py's workloads (this tree's bench code, that tree's packages) in a child
under ``valgrind --tool=callgrind --instr-atstart=no``; each workload runs twice uncounted
(warm-ups on the same engine: the engine bench reports the median of many runs, so a path
taken first in the second run, such as the 7-day sleep's first retention purge with its
one-time warning and newly prepared SQL, is steady-state work there too), then several
times counted (``callgrind_control -i on`` ... ``-i off``, then a dump): 10 runs of 100
steps, 3 of 200 x 3, 20 of the sleep, each about 300M instructions, so that when the cyclic
GC's collections fall is averaged out; the figure is the mean of one counted run. The
7-day sleep is counted once more with the after tree's default retention out of reach: each
of its runs ends as the previous run's instance is due for removal, and a tree without
retention (``c4f7c54``) removes none. The asleep figure creates N
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
asleep_n, scale = int(sys.argv[2]), int(sys.argv[3])
RUNS = {"seq100": 10, "many200": 3, "sleep7": 20}  # about 300M instructions each, at scale 1

def retention_out_of_reach():
    # The 7-day sleep's run N + 1 ends as run N's retention (7 days by default) runs out, so
    # each run also purges one instance; a tree without retention purges none.
    if not Path("wf/engine/expiry.py").exists():  # the tree's own (cwd), not an installed wf
        return False
    import wf.engine.expiry as expiry
    expiry.DEFAULT_RETENTION_MS = 1e15
    return True

def counting(*args):
    subprocess.run(["callgrind_control", *args, str(os.getpid())], capture_output=True)

async def counted(name, work):
    runs = RUNS[name.split(".")[0]] * scale
    for _ in range(2):
        await work()  # warm-ups, uncounted
    counting("-i", "on")
    for _ in range(runs):
        await work()
    counting("-i", "off")
    counting("-d", f"{name}.{runs}")

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
    counting("-d", "wake.1")

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
        if retention_out_of_reach():
            with eb.open_engine(project, db=None, clock="manual") as (engine, h):
                await engine.start()
                await counted("sleep7.kept", lambda: eb.sleep7(h))
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
    "sleep7.kept": "7-day sleep, memory store, no retention purge (after: out of reach)",
    "wake": "N asleep: one advance wakes all, to complete (file store)",
}


def count(tree: Path, asleep: int, scale: int, work: Path) -> dict[str, float]:
    """Mean instructions of one counted run of each workload in one tree."""
    dumps = callgrind_dumps(tree, CHILD, [str(asleep), str(scale)], work, timeout=3600)
    means = {}
    for dump, total in dumps.items():
        name, _, runs = dump.rpartition(".")  # "many200.file.3": 3 counted runs
        means[name] = total / int(runs)
    return means


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", default=trees_of.BEFORE)
    parser.add_argument("--after", help="a revision (default: the working tree)")
    parser.add_argument("--asleep", type=int, default=1_000, help="instances asleep at once")
    parser.add_argument(
        "--scale", type=int, default=1, help="count this many times the runs of each workload"
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="wf-engine-instructions-"))
    trees = trees_of.make_trees(work, args.before, args.after)
    counts = {name: count(tree, args.asleep, args.scale, work) for name, tree in trees.items()}
    print(
        "instructions per workload run (callgrind; mean of 10 x scale runs of 100 steps, "
        f"3 x scale of 200 x 3, 20 x scale of the sleep, after 2 warm-ups; scale {args.scale}; "
        f"before {args.before}, after {trees_of.describe_after(args.after)}; "
        f"N = {args.asleep:,})"
    )
    for tree in counts.values():  # a tree without retention: its 7-day sleep purges nothing
        tree.setdefault("sleep7.kept", tree.get("sleep7.memory", 0.0))
    for key, label in LABELS.items():
        before, after = counts["before"].get(key), counts["after"].get(key)
        if before is None or after is None:
            print(f"  {label:<60} missing in a tree's run")
            continue
        print(f"  {label:<60} {before:>14,.0f}  {after:>14,.0f}  {after / before:.3f}x")
    subprocess.run(["rm", "-rf", str(work)], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
