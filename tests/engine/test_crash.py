"""Crash recovery: a process running workflows on a file store is killed with SIGKILL, and a
second process on the same file finishes them.

Each step appends ``"{instance}:{step}"`` to a side-effect file, so the tests prove that every
step that had COMPLETED before the kill ran exactly once, while the step in flight at the kill
runs again (as on Cloudflare). The child processes run ``crash_worker.py``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import START, write_project
from wf.durations import DAY
from wf.store import Store

pytestmark = pytest.mark.skipif(os.name != "posix", reason="needs SIGKILL")

WORKER = Path(__file__).with_name("crash_worker.py")
N = 5
IDS = [f"c{i}" for i in range(N)]

SOURCE = """
import asyncio
import os

from workers import WorkflowEntrypoint


async def real_pause(seconds):
    # Polls the real world: asyncio.sleep in manual time waits for the clock to be advanced.
    loop = asyncio.get_running_loop()
    tick = loop.create_future()
    loop.call_later(seconds, tick.set_result, None)
    await tick


def note(folder, line):
    with open(os.path.join(folder, "effects.log"), "a") as f:
        f.write(line + "\\n")


class StepCrash(WorkflowEntrypoint):
    async def run(self, event, step):
        folder, me = event["payload"]["dir"], event["instanceId"]

        @step.do("one")
        async def one():
            note(folder, f"{me}:one")
            return 1

        @step.do("two")
        async def two():
            note(folder, f"{me}:two")
            # The engine commits this attempt's start at the end of the loop tick in which
            # the step began: yield once, so the kill lands after it and can be observed.
            await real_pause(0.01)
            with open(os.path.join(folder, f"{me}.in-two"), "w"):
                pass
            # Blocks until the test releases it: the first process is killed in here.
            while not os.path.exists(os.path.join(folder, "release")):
                await real_pause(0.005)
            return 2

        @step.do("three")
        async def three():
            note(folder, f"{me}:three")
            return 3

        return [await one(), await two(), await three()]


class SleepCrash(WorkflowEntrypoint):
    async def run(self, event, step):
        folder, me = event["payload"]["dir"], event["instanceId"]

        @step.do("before")
        async def before():
            note(folder, f"{me}:before")
            return "before"

        first = await before()
        await step.sleep("nap", event["payload"]["nap"])

        @step.do("after")
        async def after():
            note(folder, f"{me}:after")
            return "after"

        return [first, await after()]
"""


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path, Path]:
    project = write_project(
        tmp_path / "project",
        SOURCE,
        {"step-crash": "StepCrash", "sleep-crash": "SleepCrash"},
    )
    work = tmp_path / "work"
    work.mkdir()
    return project, tmp_path / "state" / "state.sqlite3", work


def spawn_holder(
    project: Path, db: Path, work: Path, workflow: str, *extra: str
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            str(WORKER),
            str(project),
            str(db),
            str(work),
            "hold",
            "--workflow",
            workflow,
            "--count",
            str(N),
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(condition: Callable[[], bool], child: subprocess.Popen[str], what: str) -> None:
    """Poll until ``condition`` holds; fail at once if the child died, or after 5 s."""
    deadline = time.monotonic() + 5.0
    while not condition():
        if child.poll() is not None:
            _, err = child.communicate()
            pytest.fail(f"the first process exited ({child.returncode}) before {what}:\n{err}")
        if time.monotonic() > deadline:
            child.kill()
            _, err = child.communicate()
            pytest.fail(f"timed out waiting for {what}:\n{err}")
        time.sleep(0.005)


def sigkill(child: subprocess.Popen[str]) -> None:
    os.kill(child.pid, signal.SIGKILL)
    child.communicate(timeout=5)
    assert child.returncode == -signal.SIGKILL


def resume(project: Path, db: Path, work: Path, workflow: str, *extra: str) -> dict[str, object]:
    done = subprocess.run(
        [
            sys.executable,
            str(WORKER),
            str(project),
            str(db),
            str(work),
            "resume",
            "--workflow",
            workflow,
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    report: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def effects(work: Path) -> Counter[str]:
    path = work / "effects.log"
    return Counter(path.read_text().splitlines()) if path.exists() else Counter()


def test_sigkill_during_a_step(setup: tuple[Path, Path, Path]) -> None:
    project, db, work = setup
    child = spawn_holder(project, db, work, "step-crash")
    wait_for(
        lambda: all((work / f"{i}.in-two").exists() for i in IDS),
        child,
        "every instance reached step two",
    )
    sigkill(child)

    # What the killed process left on disk: step one done, step two started, not finished.
    store = Store(db)
    try:
        for i in IDS:
            row = store.get_instance("step-crash", i)
            assert row is not None and row.status == "running", row
            steps = {s.name: s for s in store.load_steps("step-crash", i)}
            assert steps["one"].state == "complete"
            assert steps["two"].state == "running"
            assert [a["end"] for a in steps["two"].attempts] == [None]
            assert "three" not in steps
    finally:
        store.close()
    assert effects(work) == Counter({f"{i}:{s}": 1 for i in IDS for s in ("one", "two")})

    (work / "release").touch()
    report = resume(project, db, work, "step-crash")

    assert report["statuses"] == dict.fromkeys(IDS, "complete")
    assert report["outputs"] == {i: [1, 2, 3] for i in IDS}
    # Completed steps ran exactly once; the one in flight at the kill ran again.
    assert effects(work) == Counter(
        {f"{i}:{s}": n for i in IDS for s, n in (("one", 1), ("two", 2), ("three", 1))}
    )
    store = Store(db)
    try:
        for i in IDS:
            two = next(s for s in store.load_steps("step-crash", i) if s.name == "two")
            first, second = two.attempts
            assert first["success"] is False
            assert first["error"]["name"] == "WorkflowInternalError"
            assert second["success"] is True
    finally:
        store.close()


def test_sigkill_during_a_sleep_on_manual_time(setup: tuple[Path, Path, Path]) -> None:
    project, db, work = setup
    child = spawn_holder(
        project,
        db,
        work,
        "sleep-crash",
        "--clock",
        "manual",
        "--params",
        json.dumps({"nap": "1 day"}),
        "--ready-status",
        "waiting",
    )
    wait_for((work / "ready").exists, child, "every instance was asleep")
    sigkill(child)

    store = Store(db)
    try:
        for i in IDS:
            row = store.get_instance("sleep-crash", i)
            assert row is not None and row.status == "waiting", row
            assert row.wake_at == START + DAY
    finally:
        store.close()
    assert effects(work) == Counter({f"{i}:before": 1 for i in IDS})

    report = resume(project, db, work, "sleep-crash", "--clock", "manual", "--advance", "1 day")

    # The manual clock continues where it was, and nothing woke before the advance.
    assert report["now_at_start"] == START
    assert report["statuses_at_start"] == dict.fromkeys(IDS, "waiting")
    assert report["statuses"] == dict.fromkeys(IDS, "complete")
    assert report["outputs"] == {i: ["before", "after"] for i in IDS}
    assert effects(work) == Counter({f"{i}:{s}": 1 for i in IDS for s in ("before", "after")})


def test_timer_due_during_downtime_fires_at_start(setup: tuple[Path, Path, Path]) -> None:
    project, db, work = setup
    nap_ms = 3_000  # a second wait would show; loading the project under load takes ~1.3 s
    child = spawn_holder(
        project,
        db,
        work,
        "sleep-crash",
        "--clock",
        "real",
        "--params",
        json.dumps({"nap": nap_ms}),
        "--ready-status",
        "waiting",
    )
    wait_for((work / "ready").exists, child, "every instance was asleep")
    sigkill(child)

    store = Store(db)
    try:
        rows = [store.get_instance("sleep-crash", i) for i in IDS]
    finally:
        store.close()
    assert all(r is not None and r.status == "waiting" for r in rows), rows
    due = max(r.wake_at or 0 for r in rows if r is not None)
    # Stay down until every sleep is due: the timers come due while no process runs.
    while time.time() * 1000 < due + 20:
        time.sleep(0.01)

    report = resume(project, db, work, "sleep-crash", "--clock", "real")

    assert report["statuses"] == dict.fromkeys(IDS, "complete")
    assert report["outputs"] == {i: ["before", "after"] for i in IDS}
    # Fired at start: no second wait of nap_ms (the figure includes loading the project).
    assert float(report["seconds_to_finish"]) < nap_ms / 1000  # type: ignore[arg-type]
    assert effects(work) == Counter({f"{i}:{s}": 1 for i in IDS for s in ("before", "after")})
