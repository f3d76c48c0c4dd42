"""Waiters, output and error readers, history, and disposal of introspectors."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.testing.conftest import PAYMENT
from wf.testing import StepFailed, WaitTimeout, WorkflowFailed, WorkflowTestError
from wf.testing._hooks import hooks_for

FLOW = """
from workers import WorkflowEntrypoint


class MyWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        mode = event["payload"].get("mode")

        @step.do("count")
        async def first():
            return 1

        @step.do("count")
        async def second():
            return 2

        values = [await first(), await second()]
        if mode == "early":
            raise ValueError("gave up before the last step")

        @step.do(config={"retries": {"limit": 0, "delay": 0}})
        async def last():
            if mode == "fail":
                raise RuntimeError("last step broke")
            return sum(values)

        await step.sleep("rest", "1 hour")
        return await last()
"""


async def test_wait_for_step_result_by_name_and_occurrence(make_emulator):
    emu = await make_emulator(FLOW)
    inst = emu.introspect_instance("WF", "a")
    await emu.env.WF.create(id="a")
    assert await inst.wait_for_step_result({"name": "count"}) == 1
    assert await inst.wait_for_step_result({"name": "count", "index": 2}) == 2
    await inst.wait_for_status("waiting")
    assert await inst.wait_for_step_result({"name": "count"}) == 1  # already there: at once


async def test_wait_for_step_result_raises_when_the_step_fails_for_good(make_emulator):
    emu = await make_emulator(FLOW)
    inst = emu.introspect_instance("WF", "a")
    await emu.env.WF.create(id="a", params={"mode": "fail"})
    await emu.clock.advance("1 hour")
    with pytest.raises(StepFailed) as failed:
        await inst.wait_for_step_result({"name": "last"})
    assert failed.value.step == "last-1"
    assert failed.value.error["name"] == "Error"
    assert failed.value.error["message"].endswith("\nRuntimeError: last step broke\n")


async def test_wait_for_step_result_fails_fast_when_the_step_is_never_reached(make_emulator):
    emu = await make_emulator(FLOW)
    inst = emu.introspect_instance("WF", "a")
    await emu.env.WF.create(id="a", params={"mode": "early"})
    started = time.perf_counter()
    with pytest.raises(WorkflowFailed, match="ValueError: gave up before the last step"):
        await inst.wait_for_step_result({"name": "last"})
    assert time.perf_counter() - started < 1


async def test_wait_for_status_waiting_then_complete(make_emulator):
    emu = await make_emulator(FLOW)
    inst = emu.introspect_instance("WF", "a")
    await emu.env.WF.create(id="a")
    await inst.wait_for_status("waiting")
    await emu.clock.advance("1 hour")
    await inst.wait_for_status("complete")
    assert await inst.get_output() == 3


async def test_wait_for_status_fails_fast_on_another_final_status(make_emulator):
    emu = await make_emulator(FLOW)
    inst = emu.introspect_instance("WF", "a")
    await emu.env.WF.create(id="a", params={"mode": "fail"})
    await inst.wait_for_status("waiting")
    await emu.clock.advance("1 hour")
    with pytest.raises(WorkflowFailed) as failed:
        await inst.wait_for_status("complete")
    assert failed.value.status == "errored"
    assert failed.value.step == "last-1"
    assert str(failed.value).startswith(
        'waiting for status "complete", but workflow instance wf/a errored at step "last-1" '
        "after 1 attempt: Error: PythonError: Traceback"
    )
    assert str(failed.value).endswith("\nRuntimeError: last step broke\n")


async def test_wait_for_status_paused_and_terminated(make_emulator):
    emu = await make_emulator(FLOW)
    inst = emu.introspect_instance("WF", "a")
    handle = await emu.env.WF.create(id="a")
    await inst.wait_for_status("waiting")
    await handle.pause()
    await inst.wait_for_status("paused")
    await handle.terminate()
    await inst.wait_for_status("terminated")
    with pytest.raises(WorkflowFailed, match="is terminated"):
        await inst.wait_for_status("complete")


async def test_queued_resolves_at_once_and_unknown_statuses_are_refused(make_emulator):
    emu = await make_emulator(FLOW)
    inst = emu.introspect_instance("WF", "not-created")
    await inst.wait_for_status("queued")
    with pytest.raises(ValueError, match="unknown status 'done'"):
        await inst.wait_for_status("done")


async def test_a_waiter_can_start_before_the_instance_exists(make_emulator):
    emu = await make_emulator(FLOW)
    inst = emu.introspect_instance("WF", "later")
    waiting = asyncio.ensure_future(inst.wait_for_status("waiting"))
    await asyncio.sleep(0)
    await emu.env.WF.create(id="later")
    await waiting


async def test_a_parked_instance_in_manual_time_fails_the_waiter_fast(make_emulator):
    emu = await make_emulator(FLOW, stall_after=0.05)
    inst = emu.introspect_instance("WF", "a")
    await emu.env.WF.create(id="a")
    started = time.perf_counter()
    with pytest.raises(WaitTimeout) as stalled:
        await inst.wait_for_status("complete")
    assert time.perf_counter() - started < 1
    message = str(stalled.value)
    assert 'sleeping in step "rest-1" until 2026-01-01T01:00:00.000Z' in message
    assert "advance the clock" in message


async def test_advancing_from_another_task_while_waiting(make_emulator):
    emu = await make_emulator(FLOW)
    inst = emu.introspect_instance("WF", "a")
    await emu.env.WF.create(id="a")
    await asyncio.gather(inst.wait_for_status("complete"), emu.clock.advance("1 hour"))


async def test_a_waiter_gives_up_after_its_timeout(make_emulator):
    emu = await make_emulator(FLOW, time="real")
    inst = emu.introspect_instance("WF", "a")
    await emu.env.WF.create(id="a")
    with pytest.raises(WaitTimeout, match=r"gave up waiting for status \"complete\" after 0.05 s"):
        await inst.wait_for_status("complete", timeout=0.05)


async def test_get_output_and_get_error_refuse_the_wrong_status(make_emulator):
    emu = await make_emulator(FLOW)
    inst = emu.introspect_instance("WF", "a")
    await emu.env.WF.create(id="a")
    await inst.wait_for_status("waiting")
    with pytest.raises(WorkflowTestError, match="is waiting, not complete"):
        await inst.get_output()
    with pytest.raises(WorkflowTestError, match="is waiting, not errored"):
        await inst.get_error()


async def test_get_error_returns_name_and_message(make_emulator):
    emu = await make_emulator(FLOW)
    inst = emu.introspect_instance("WF", "a")
    await emu.env.WF.create(id="a", params={"mode": "early"})
    await inst.wait_for_status("errored")
    error = await inst.get_error()
    assert error["name"] == "Error"
    assert error["message"].endswith("\nValueError: gave up before the last step\n")
    with pytest.raises(WorkflowFailed, match="errored"):
        await inst.get_output()


async def test_the_history_is_data(make_emulator):
    emu = await make_emulator(FLOW)
    inst = emu.introspect_instance("WF", "a")
    await emu.env.WF.create(id="a")
    await inst.wait_for_status("waiting")
    assert [(s["type"], s["name"]) for s in inst.history()] == [
        ("step", "count-1"),
        ("step", "count-2"),
        ("sleep", "rest-1"),
    ]
    assert inst.history()[1]["output"] == 2
    assert inst.describe()["status"] == "waiting"


async def test_dispose_deletes_the_instance_and_its_modifiers(make_emulator):
    emu = await make_emulator(PAYMENT)
    async with emu.introspect_instance("WF", "p") as inst:
        await inst.modify(lambda m: m.disable_sleeps())
        await emu.env.WF.create(id="p")
        await inst.wait_for_status("complete")
    assert emu.engine.store.get_instance("wf", "p") is None
    assert ("wf", "p") not in hooks_for(emu.engine).modifiers
