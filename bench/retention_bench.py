"""Retention removals with many finished instances kept: the store's work per removal.

Usage (from the repository root)::

    .venv/bin/python bench/retention_bench.py                    # 3b4cfa8 vs the working tree
    .venv/bin/python bench/retention_bench.py --before REV --kept 0 1000 10000 50000

Each removal of a finished instance whose retention ran out asks the store for the expired
instances and for the next removal due (``Store.expired_instances``, and before ``9a91e5b``
also ``Store.next_expiry``), then deletes the instance with its steps and events. With the
default retention of 7 days, a busy ``wf dev`` keeps thousands of finished instances, and a
removal comes due every time one of them reaches its 7 days. For each tree and each K, a child
process fills an in-memory store with K finished instances (kept for days) and then times 500
removals of one more instance each (its row and 3 steps inserted, then found and deleted as
the engine's purge does): the median of 5 rounds, in microseconds per removal.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import durability_bench as trees_of

BEFORE = "3b4cfa8"  # the last revision whose removal queries walked every finished instance
REMOVALS = 500
ROUNDS = 5

CHILD = """\
import json, sys, time
from wf.store import InstanceRow, Store

kept, removals, rounds = (int(a) for a in sys.argv[1:4])
store = Store()
STEP = ("INSERT INTO steps (workflow, instance, kind, name, count, pos, state, started) "
        "VALUES ('w', ?, ?, ?, 1, ?, 'complete', 0)")

def finished(name, seq, expires):
    row = InstanceRow("w", name, seq, "complete", "{}", "api", "v1", 0.0)
    store.insert_instance(row)
    store.save_instance(row, expires=expires)

for n in range(kept):
    finished(f"k{n}", n, 1e12 + n)  # kept for days yet
store.commit()

def removal_round(offset):
    spent = 0.0
    for n in range(removals):
        name = f"r{offset + n}"
        finished(name, kept + offset + n, 5.0)
        for pos, kind in enumerate(("do", "sleep", "do")):
            store._db.execute(STEP, (name, kind, f"s{pos}", pos))
        started = time.perf_counter()
        found = store.expired_instances(10.0)
        rows = found[0] if isinstance(found, tuple) else found  # (rows, next due) since 9a91e5b
        for row in rows:
            store.delete_instance(row.workflow, row.id)
        if not isinstance(found, tuple):
            store.next_expiry()
        spent += time.perf_counter() - started
        assert [row.id for row in rows] == [name]
    store.commit()
    return spent / removals * 1e6

print(json.dumps([removal_round(r * removals) for r in range(rounds)]))
"""


def per_removal_us(tree: Path, kept: int) -> float:
    done = subprocess.run(
        [sys.executable, "-P", "-c", CHILD, str(kept), str(REMOVALS), str(ROUNDS)],
        cwd=tree,
        env=trees_of.tree_env(tree),
        capture_output=True,
        text=True,
        check=True,
        timeout=1800,
    )
    rounds: list[float] = json.loads(done.stdout.strip().splitlines()[-1])
    return statistics.median(rounds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", default=BEFORE)
    parser.add_argument("--after", help="a revision (default: the working tree)")
    parser.add_argument("--kept", type=int, nargs="+", default=[0, 1_000, 10_000])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wf-retention-") as tmp:
        trees = trees_of.make_trees(Path(tmp), args.before, args.after)
        after = args.after or "the working tree"
        print(
            f"us per retention removal (median of {ROUNDS} rounds of {REMOVALS}; "
            f"before {args.before}, after {after})"
        )
        print(f"  {'finished kept':>14}  {'before':>10}  {'after':>10}  after / before")
        for kept in args.kept:
            before, now = (per_removal_us(trees[name], kept) for name in ("before", "after"))
            print(f"  {kept:>14,}  {before:>10,.1f}  {now:>10,.1f}  {now / before:.3f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
