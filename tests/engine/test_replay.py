"""Replay from the top: cached steps, hibernation losing outside state, divergence warnings."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import START, describe
from wf.clock import Clock
from wf.store import Store

COUNTING = """
from pathlib import Path
from workers import WorkflowEntrypoint

class MyWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        log = Path(event["payload"]["log"])
        outside = []
        @step.do("first")
        async def first():
            with log.open("a") as f:
                f.write("first\\n")
            outside.append("set in a step")
            return {"n": 1}
        value = await first()
        await step.sleep("nap", "1 day")
        @step.do("second")
        async def second():
            with log.open("a") as f:
                f.write("second\\n")
            return value["n"] + 1
        return {"second": await second(), "outside": outside}
"""


async def test_completed_steps_do_not_run_again_on_replay(make_engine, tmp_path):
    engine = await make_engine(COUNTING)
    log = tmp_path / "log.txt"
    engine.create("wf", {"id": "r", "params": {"log": str(log)}})
    await engine.clock.advance("1 day")
    assert log.read_text() == "first\nsecond\n"
    # state kept outside steps is lost across the hibernation, as in production
    assert engine.status("wf", "r")["output"] == {"second": 2, "outside": []}


async def test_hibernation_mode_replays_after_every_step(make_engine, tmp_path):
    engine = await make_engine(
        """
from workers import WorkflowEntrypoint

class MyWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        total = 0
        for i in range(3):
            @step.do(f"add {i}")
            async def add():
                nonlocal total
                total += 10   # a mutation outside the step's result: lost on replay
                return i
            await add()
        return total
""",
        evict_after_steps=True,
    )
    engine.create("wf", {"id": "h"})
    await engine.settle()
    # without eviction this would be 30; production would give 0 or 10 depending on hibernation
    assert engine.status("wf", "h")["output"] == 0


DIVERGE_V1 = """
from workers import WorkflowEntrypoint

class MyWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("alpha")
        async def alpha():
            return 1
        await alpha()
        await step.sleep("nap", "1 hour")
        return "v1"
"""

DIVERGE_V2 = DIVERGE_V1.replace('"alpha"', '"beta"').replace("v1", "v2")


async def test_replay_divergence_is_recorded_as_a_warning(make_engine, tmp_path):
    from wf.config import load_config
    from wf.project import Project

    engine = await make_engine(DIVERGE_V1)
    engine.create("wf", {"id": "d"})
    await engine.settle()
    # hot reload: the first step now has another name
    entry = next(Path(engine.config.root).glob("src/entry.py"))
    entry.write_text(DIVERGE_V2)
    config = load_config(engine.config.root)
    engine.reload(Project(config).load().workflow_classes, config)
    await engine.clock.advance("1 hour")
    details = describe(engine, "wf", "d")
    assert details["output"] == "v2"
    assert details["warnings"] == [
        "replay divergence at step 1: history has do 'alpha-1', code now calls do 'beta-1'"
    ]


async def test_config_of_the_first_execution_is_kept(make_engine):
    engine = await make_engine(
        """
from workers import WorkflowEntrypoint

class MyWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("cfg", config={"retries": {"limit": 3, "delay": 1000, "backoff": "constant"}})
        async def cfg(ctx):
            if ctx["attempt"] < 2:
                raise ValueError("once")
            return ctx["config"]
        return await cfg()
"""
    )
    engine.create("wf", {"id": "k"})
    await engine.clock.advance("1 second")
    assert engine.status("wf", "k")["output"]["retries"] == {
        "limit": 3,
        "delay": 1000,
        "backoff": "constant",
    }


async def test_a_restarted_engine_resumes_from_the_file_store(make_engine, tmp_path):
    path = tmp_path / "state.sqlite3"
    log = tmp_path / "log.txt"
    engine = await make_engine(COUNTING, store=Store(path))
    engine.create("wf", {"id": "p", "params": {"log": str(log)}})
    await engine.clock.advance("12 hours")
    await engine.close()
    engine.store.close()

    # a new process: a new engine on the same file; virtual time continues where it was
    engine2 = await make_engine(COUNTING, store=Store(path), clock=Clock("manual", now=START))
    assert engine2.clock.now() == START + 12 * 3_600_000
    assert engine2.status("wf", "p")["status"] == "waiting"
    await engine2.clock.advance("12 hours")
    assert engine2.status("wf", "p")["output"]["second"] == 2
    assert log.read_text() == "first\nsecond\n"
