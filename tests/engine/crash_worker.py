"""A child process for ``test_crash.py``: runs workflows against a file store until killed.

Usage (the test runs it with ``sys.executable``)::

    python crash_worker.py PROJECT_DIR DB_PATH WORK_DIR hold   --workflow W --clock MODE --count N
    python crash_worker.py PROJECT_DIR DB_PATH WORK_DIR resume --workflow W --clock MODE
                           [--advance DURATION]

``hold`` starts an engine, creates N instances (``c0`` .. ``cN-1``, params ``{"dir": WORK_DIR,
...}``), writes ``WORK_DIR/ready`` once every instance is in the state the scenario wants
(``--ready-status``; the step scenario's code writes its own markers instead) and then waits
forever, to be killed with SIGKILL. ``resume`` starts a new engine on the same file (which
recovers the unfinished instances), optionally advances the clock, waits until every instance
has finished and prints one JSON line describing what it saw.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path

from wf.bindings import Env
from wf.clock import Clock
from wf.config import load_config
from wf.engine import Engine
from wf.project import Project
from wf.statuses import FINAL_STATUSES
from wf.store import Store

START = 1_767_225_600_000.0  # 2026-01-01T00:00:00Z, the manual clock's first now


def build_engine(project: Path, db: Path, clock_mode: str) -> Engine:
    config = load_config(project)
    classes = Project(config).load().workflow_classes
    clock = Clock("manual", now=START) if clock_mode == "manual" else Clock("real")
    return Engine(config, classes, store=Store(db), clock=clock, settle_quiet=0.05, make_env=Env)


def statuses(engine: Engine, workflow: str) -> dict[str, str]:
    rows = engine.store.list_instances(workflow, limit=10_000, newest_first=False)
    return {row.id: row.status for row in rows}


async def hold(args: argparse.Namespace) -> None:
    engine = build_engine(args.project, args.db, args.clock)
    await engine.start()
    params = {"dir": str(args.work), **json.loads(args.params)}
    for i in range(args.count):
        engine.create(args.workflow, {"id": f"c{i}", "params": params})
    if args.ready_status:
        while set(statuses(engine, args.workflow).values()) != {args.ready_status}:
            await asyncio.sleep(0.005)
        # A few loop turns so the engine's end-of-tick commit has run; the test then checks
        # the file itself, so an uncommitted state would still be caught.
        await asyncio.sleep(0.05)
        (args.work / "ready").write_text(json.dumps({"now": engine.clock.now()}))
    await asyncio.Event().wait()  # until SIGKILL


async def resume(args: argparse.Namespace) -> None:
    wall_start = time.monotonic()
    engine = build_engine(args.project, args.db, args.clock)
    await engine.start()
    report: dict[str, object] = {
        "now_at_start": engine.clock.now(),
        "statuses_at_start": statuses(engine, args.workflow),
    }
    if args.advance:
        await engine.clock.advance(args.advance)
    deadline = time.monotonic() + 8.0
    while time.monotonic() < deadline:
        current = statuses(engine, args.workflow)
        if current and all(s in FINAL_STATUSES for s in current.values()):
            break
        await asyncio.sleep(0.002)
    report["seconds_to_finish"] = time.monotonic() - wall_start
    final = statuses(engine, args.workflow)
    report["statuses"] = final
    report["outputs"] = {i: engine.status(args.workflow, i)["output"] for i in final}
    await engine.close()
    engine.store.close()
    print(json.dumps(report), flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("project", type=Path)
    parser.add_argument("db", type=Path)
    parser.add_argument("work", type=Path)
    parser.add_argument("phase", choices=("hold", "resume"))
    parser.add_argument("--workflow", required=True)
    parser.add_argument("--clock", choices=("manual", "real"), default="manual")
    parser.add_argument("--count", type=int, default=5)
    parser.add_argument("--params", default="{}", help="extra params, JSON")
    parser.add_argument("--ready-status", default=None)
    parser.add_argument("--advance", default=None)
    args = parser.parse_args(argv)
    asyncio.run(hold(args) if args.phase == "hold" else resume(args))


if __name__ == "__main__":
    main()
