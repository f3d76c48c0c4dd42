"""Statuses and their transitions: create, pause, resume, terminate, restart, delete."""

from __future__ import annotations

import asyncio

import pytest

from tests.conftest import START, describe
from wf.errors import WorkflowError

FLOW = """
import asyncio
from pathlib import Path
from workers import WorkflowEntrypoint

class MyWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        p = event["payload"]
        gate = p.get("gate")

        @step.do("one")
        async def one():
            if gate:
                # blocks until the test creates the gate file, polling in real time
                # (asyncio.sleep would wait for the manual clock)
                loop = asyncio.get_running_loop()
                while not Path(gate).exists():
                    tick = loop.create_future()
                    loop.call_later(0.005, tick.set_result, None)
                    await tick
            return 1
        await one()
        await step.sleep("nap", "1 hour")

        @step.do("two")
        async def two():
            return 2
        await two()
        if p.get("fail"):
            raise RuntimeError("failed at the end")
        return "done"
"""


async def test_statuses_from_queued_to_complete(make_engine):
    engine = await make_engine(FLOW)
    seen: list[str] = []
    engine.listeners.append(lambda e: seen.append(e.kind))
    row = engine.create("wf", {"id": "a"})
    assert row.status == "queued"
    assert engine.status("wf", "a")["status"] == "queued"
    await engine.settle()
    assert engine.status("wf", "a")["status"] == "waiting"
    await engine.clock.advance("1 hour")
    assert engine.status("wf", "a") == {"status": "complete", "output": "done", "error": None}
    assert seen == [
        "queued",
        "started",
        "step_start",
        "step_success",
        "sleeping",
        "step_start",
        "step_success",
        "complete",
    ]
    details = describe(engine, "wf", "a")
    assert details["success"] is True
    assert details["queued"] == details["start"] == "2026-01-01T00:00:00.000Z"
    assert details["end"] == "2026-01-01T01:00:00.000Z"


async def test_uncaught_error_in_run_is_errored(make_engine):
    engine = await make_engine(FLOW)
    engine.create("wf", {"id": "f", "params": {"fail": True}})
    await engine.clock.advance("1 hour")
    assert engine.status("wf", "f") == {
        "status": "errored",
        "output": None,
        "error": {"name": "Error", "message": engine.status("wf", "f")["error"]["message"]},
    }
    assert engine.status("wf", "f")["error"]["message"].endswith(
        "\nRuntimeError: failed at the end\n"
    )
    assert describe(engine, "wf", "f")["success"] is False


async def test_running_status_while_a_step_executes(make_engine, tmp_path):
    engine = await make_engine(FLOW)
    gate = tmp_path / "gate"
    engine.create("wf", {"id": "r", "params": {"gate": str(gate)}})
    await asyncio.sleep(0.02)
    assert engine.status("wf", "r")["status"] == "running"
    gate.touch()
    await engine.settle()
    assert engine.status("wf", "r")["status"] == "waiting"


async def test_pause_during_a_step_waits_for_it_then_pauses(make_engine, tmp_path):
    engine = await make_engine(FLOW)
    gate = tmp_path / "gate"
    engine.create("wf", {"id": "p", "params": {"gate": str(gate)}})
    await asyncio.sleep(0.02)
    await engine.pause("wf", "p")
    assert engine.status("wf", "p")["status"] == "waitingForPause"
    gate.touch()
    await engine.settle()
    assert engine.status("wf", "p")["status"] == "paused"
    steps = describe(engine, "wf", "p")["steps"]
    assert [s["name"] for s in steps] == ["one-1"]  # the step finished; the sleep never began
    await engine.resume("wf", "p")
    await engine.settle()
    assert engine.status("wf", "p")["status"] == "waiting"


async def test_resume_from_waiting_for_pause_cancels_the_pause(make_engine, tmp_path):
    engine = await make_engine(FLOW)
    gate = tmp_path / "gate"
    engine.create("wf", {"id": "c", "params": {"gate": str(gate)}})
    await asyncio.sleep(0.02)
    await engine.pause("wf", "c")
    await engine.resume("wf", "c")
    assert engine.status("wf", "c")["status"] == "running"
    gate.touch()
    await engine.settle()
    assert engine.status("wf", "c")["status"] == "waiting"


async def test_pause_while_sleeping_shifts_the_timer_by_the_paused_time(make_engine):
    engine = await make_engine(FLOW)
    engine.create("wf", {"id": "s"})
    await engine.clock.advance("10 minutes")
    await engine.pause("wf", "s")
    assert engine.status("wf", "s")["status"] == "paused"
    await engine.clock.advance("5 hours")  # the sleep would have ended; paused, it does not
    assert engine.status("wf", "s")["status"] == "paused"
    await engine.resume("wf", "s")
    await engine.settle()
    assert engine.status("wf", "s")["status"] == "waiting"
    # 50 minutes of the hour were left when it paused
    await engine.clock.advance("49 minutes")
    assert engine.status("wf", "s")["status"] == "waiting"
    await engine.clock.advance("1 minute")
    assert engine.status("wf", "s")["status"] == "complete"


async def test_resume_of_an_instance_that_is_not_paused_has_no_effect(make_engine):
    engine = await make_engine(FLOW)
    engine.create("wf", {"id": "n"})
    await engine.settle()
    await engine.resume("wf", "n")
    assert engine.status("wf", "n")["status"] == "waiting"


async def test_terminate_while_waiting_and_not_once_finished(make_engine):
    engine = await make_engine(FLOW)
    engine.create("wf", {"id": "t"})
    await engine.settle()
    await engine.terminate("wf", "t")
    assert engine.status("wf", "t")["status"] == "terminated"
    await engine.clock.advance("2 hours")
    assert engine.status("wf", "t")["status"] == "terminated"
    steps = describe(engine, "wf", "t")["steps"]
    assert steps[-1] == {"type": "termination", "trigger": {"source": "api"}}
    with pytest.raises(WorkflowError, match="cannot_terminate"):
        await engine.terminate("wf", "t")
    await engine.resume("wf", "t")  # a terminated instance cannot be resumed
    assert engine.status("wf", "t")["status"] == "terminated"


async def test_terminate_a_running_step_and_a_paused_instance(make_engine, tmp_path):
    engine = await make_engine(FLOW)
    engine.create("wf", {"id": "run", "params": {"gate": str(tmp_path / "never")}})
    await asyncio.sleep(0.02)
    await engine.terminate("wf", "run")
    assert engine.status("wf", "run")["status"] == "terminated"
    assert not engine.is_live("wf", "run")
    engine.create("wf", {"id": "pz"})
    await engine.settle()
    await engine.pause("wf", "pz")
    await engine.terminate("wf", "pz")
    assert engine.status("wf", "pz")["status"] == "terminated"


async def test_restart_runs_from_scratch_with_the_same_params(make_engine):
    engine = await make_engine(FLOW)
    engine.create("wf", {"id": "rs", "params": {"fail": True}})
    await engine.clock.advance("1 hour")
    assert engine.status("wf", "rs")["status"] == "errored"
    await engine.restart("wf", "rs")
    assert engine.status("wf", "rs")["status"] == "queued"
    await engine.settle()
    details = describe(engine, "wf", "rs")
    assert details["status"] == "waiting"
    assert details["params"] == {"fail": True}
    assert [s["name"] for s in details["steps"]] == ["one-1", "nap-1"]
    assert details["start"] == "2026-01-01T01:00:00.000Z"


async def test_restart_from_a_step_keeps_earlier_results(make_engine):
    engine = await make_engine(FLOW)
    engine.create("wf", {"id": "from"})
    await engine.clock.advance("1 hour")
    before = describe(engine, "wf", "from")["steps"]
    await engine.restart("wf", "from", {"name": "nap", "type": "sleep"})
    await engine.settle()
    after = describe(engine, "wf", "from")
    assert after["status"] == "waiting"
    assert after["steps"][0] == before[0]  # one-1 kept, not run again
    assert after["steps"][1]["start"] == "2026-01-01T01:00:00.000Z"
    with pytest.raises(WorkflowError, match="not found in execution history"):
        await engine.restart("wf", "from", {"name": "nope"})


async def test_delete_removes_the_instance(make_engine):
    engine = await make_engine(FLOW)
    engine.create("wf", {"id": "del"})
    await engine.settle()
    await engine.delete("wf", "del")
    with pytest.raises(WorkflowError, match="not found") as info:
        engine.status("wf", "del")
    assert info.value.kind == "not_found"
    await engine.clock.advance("2 hours")  # its timer is gone too
    engine.create("wf", {"id": "del"})  # the id is free again


async def test_ids_are_validated(make_engine):
    engine = await make_engine(FLOW)
    for bad in ("has space", "-leading-dash", "x" * 101, "dot.ted", ""):
        with pytest.raises(WorkflowError, match="invalid id"):
            engine.create("wf", {"id": bad})
    engine.create("wf", {"id": "_ok-ID_1" + "x" * 92})


async def test_duplicate_create_fails_and_batch_skips_existing_ids(make_engine):
    engine = await make_engine(FLOW)
    engine.create("wf", {"id": "dup", "params": {"first": True}})
    with pytest.raises(WorkflowError, match="already_exists") as info:
        engine.create("wf", {"id": "dup", "params": {"second": True}})
    assert info.value.kind == "conflict"
    created = engine.create_batch(
        "wf", [{"id": "dup"}, {"id": "new1"}, {"id": "new2"}, {"id": "new1"}]
    )
    assert [row.id for row in created] == ["new1", "new2"]
    assert describe(engine, "wf", "dup")["params"] == {"first": True}
    with pytest.raises(WorkflowError, match="at least 1"):
        engine.create_batch("wf", [])
    with pytest.raises(WorkflowError, match="at most 100"):
        engine.create_batch("wf", [{} for _ in range(101)])


async def test_unknown_workflow(make_engine):
    engine = await make_engine(FLOW)
    with pytest.raises(WorkflowError, match="not found"):
        engine.create("nope", {})


async def test_generated_ids_are_uuids_and_latest_resolves(make_engine):
    engine = await make_engine(FLOW)
    first = engine.create("wf", {})
    second = engine.create("wf", {})
    assert len(first.id) == 36 and first.id != second.id
    assert engine.get("wf", "latest").id == second.id
    assert engine.clock.now() == START
