"""Retention on the clock: the earliest removal is a (background) timer of the clock.

An advance past it removes the instance without any read; it is listed with the clock's
timers; skips and auto time never jump *to* it, but a jump past it removes the instance.
"""

from __future__ import annotations

import asyncio
import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import START
from wf.bindings import Env
from wf.clock import Clock, Mode
from wf.config import load_config
from wf.engine import Engine
from wf.project import Project
from wf.store import InstanceRow, Store
from wf.vocabulary import EventKind, InstanceStatus

HOUR = 3_600_000.0

SOURCE = """
from workers import WorkflowEntrypoint

class Nap(WorkflowEntrypoint):
    async def run(self, event, step):
        naps = event["payload"].get("naps")
        if naps:
            await step.sleep("nap", naps)
        return "done"
"""


@pytest.fixture
async def engines(tmp_path: Path) -> Any:
    made: list[Engine] = []

    async def factory(mode: Mode = "manual") -> Engine:
        root = tmp_path / mode
        (root / "src").mkdir(parents=True)
        (root / "src" / "entry.py").write_text(textwrap.dedent(SOURCE))
        config = {
            "name": "retention-timer",
            "main": "src/entry.py",
            "compatibility_date": "2026-08-14",
            "compatibility_flags": ["python_workers"],
            "workflows": [{"name": "naps", "binding": "NAPS", "class_name": "Nap"}],
        }
        (root / "wrangler.jsonc").write_text(json.dumps(config))
        loaded = load_config(root)
        engine = Engine(
            loaded,
            Project(loaded).load().workflow_classes,
            store=Store(),
            clock=Clock(mode, now=START),
            settle_quiet=0.05,
            make_env=Env,
        )
        await engine.start()
        made.append(engine)
        return engine

    yield factory
    for engine in made:
        await engine.close()


def purged(engine: Engine) -> list[str]:
    """The ids of the instances removed from now on, as the engine reports them."""
    removed: list[str] = []
    engine.listeners.append(
        lambda event: removed.append(event.instance) if event.kind == EventKind.PURGED else None
    )
    return removed


async def finished(engine: Engine, instance_id: str) -> None:
    """Until the instance is complete: auto time's jumps run on the event loop, not on a call."""
    for _ in range(500):  # bounded: the jumps need event-loop turns, not wall-clock time
        await engine.settle()
        row = engine.store.get_instance("naps", instance_id)
        if row is not None and row.status == "complete":
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{instance_id} did not complete")


async def test_an_advance_past_the_expiry_removes_the_instance_without_a_read(
    engines: Any,
) -> None:
    engine = await engines()
    removed = purged(engine)
    await engine.env.NAPS.create(id="a", retention={"successRetention": "1 hour"})
    await engine.settle()
    ended = engine.store.get_instance("naps", "a").ended
    [timer] = [t for t in engine.clock.timers() if t.label == "retention"]
    assert timer.due == ended + HOUR
    await engine.clock.advance("59 minutes")
    assert removed == [] and engine.store.get_instance("naps", "a") is not None
    await engine.clock.advance("1 minute")
    assert removed == ["a"]
    assert engine.store.get_instance("naps", "a") is None
    assert [t for t in engine.clock.timers() if t.label == "retention"] == []


async def test_the_timer_moves_to_the_next_removal_in_due_order(engines: Any) -> None:
    engine = await engines()
    removed = purged(engine)
    await engine.env.NAPS.create(id="late", retention={"successRetention": "3 hours"})
    await engine.env.NAPS.create(id="soon", retention={"successRetention": "1 hour"})
    await engine.settle()
    dues = [t.due for t in engine.clock.timers() if t.label == "retention"]
    assert dues == [START + HOUR]  # one timer: the earliest removal
    await engine.clock.advance("2 hours")
    assert removed == ["soon"]
    assert [t.due for t in engine.clock.timers() if t.label == "retention"] == [START + 3 * HOUR]
    await engine.clock.advance("1 hour")
    assert removed == ["soon", "late"]


async def test_skip_does_not_jump_to_a_removal(engines: Any) -> None:
    engine = await engines()
    await engine.env.NAPS.create(id="a", retention={"successRetention": "1 hour"})
    await engine.settle()
    assert [t.label for t in engine.clock.timers()] == ["retention"]  # listed...
    assert engine.clock.pending() == 0 and engine.clock.next_due() is None  # ...not a target
    assert await engine.clock.skip_to_next() is None
    assert engine.clock.now() == START
    assert engine.status("naps", "a")["status"] == "complete"


async def test_auto_time_removes_on_a_jump_past_the_expiry_but_never_jumps_to_it(
    engines: Any,
) -> None:
    engine = await engines("auto")
    removed = purged(engine)
    await engine.env.NAPS.create(id="kept", retention={"successRetention": "1 hour"})
    await engine.settle()
    assert engine.status("naps", "kept")["status"] == "complete"
    assert engine.clock.now() < START + HOUR and removed == []  # idle, yet no jump to it
    # A 2-hour sleep: auto time jumps to its end, past the removal, which fires on the way.
    await engine.env.NAPS.create(id="sleeper", params={"naps": "2 hours"})
    await finished(engine, "sleeper")
    assert engine.clock.now() >= START + 2 * HOUR
    assert removed == ["kept"]


async def test_a_restarted_instance_is_not_due_for_removal_until_it_ends_again(
    engines: Any,
) -> None:
    engine = await engines()
    removed = purged(engine)
    await engine.env.NAPS.create(
        id="a", params={"naps": "2 hours"}, retention={"successRetention": "1 hour"}
    )
    await engine.settle()
    await engine.clock.advance("150 minutes")  # ended at 2 h, due for removal at 3 h
    assert engine.store.expiring_instances(5) == [("naps", "a", START + 3 * HOUR)]
    await engine.restart("naps", "a")  # asleep again until 4 h 30
    await engine.settle()
    assert engine.status("naps", "a")["status"] == "waiting"
    assert engine.store.expiring_instances(5) == []
    assert [t for t in engine.clock.timers() if t.label == "retention"] == []
    await engine.clock.advance("2 hours")  # 4 h 30: past the old due, ended again
    assert removed == [] and engine.status("naps", "a")["status"] == "complete"
    assert engine.store.expiring_instances(5) == [("naps", "a", START + 5.5 * HOUR)]
    await engine.clock.advance("1 hour")
    assert removed == ["a"]


def _vm_steps(store: Store, read: Any) -> int:
    """SQLite virtual-machine steps ``read`` takes: the work a query does, without a timer."""
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0

    store._db.set_progress_handler(count, 1)
    try:
        read()
    finally:
        store._db.set_progress_handler(None, 1)
    return steps


@pytest.mark.parametrize("kept", [100, 5_000])
def test_finding_the_next_removal_does_not_walk_every_finished_instance(kept: int) -> None:
    # Each removal asks for the expired instances and the next due: with thousands of finished
    # instances kept for days, a walk of them all at each removal would stall the engine.
    store = Store()
    for n in range(kept + 1):
        row = InstanceRow("w", f"i{n}", n, InstanceStatus.COMPLETE, "{}", "api", "v1", START)
        store.insert_instance(row)
        store.save_instance(row, expires=START + (1 if n == 0 else 10 + n) * HOUR)
    assert store.next_expiry() == START + HOUR
    expired, next_due = store.expired_instances(START + HOUR)
    assert [r.id for r in expired] == ["i0"] and next_due == START + 11 * HOUR
    work = _vm_steps(store, store.next_expiry) + _vm_steps(
        store, lambda: store.expired_instances(START + HOUR)
    )
    assert work < 200, f"{work} SQLite steps with {kept} finished instances kept"
