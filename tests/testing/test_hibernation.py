"""Hibernation mode: evict and replay after every step, so state kept outside steps breaks."""

from __future__ import annotations

import pytest

from tests.testing.conftest import QUICKSTART
from wf.testing import ReplayDivergence, WorkflowFailed

# A step sets a variable of run() instead of returning the value: it works while the same
# pass of run() goes on, and breaks once the instance is replayed after a hibernation.
LOST_STATE = """
from workers import WorkflowEntrypoint


class MyWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        user = None

        @step.do(config={"retries": {"limit": 0, "delay": 0}})
        async def load_user():
            nonlocal user
            user = {"name": "Ada"}

        @step.do(config={"retries": {"limit": 0, "delay": 0}})
        async def greet():
            return f"Hello, {user['name']}!"

        await load_user()
        return await greet()
"""

# A module-level list mutated outside steps grows at every replay: step names drift.
OUTSIDE_STEPS = """
from workers import WorkflowEntrypoint

processed = []


class MyWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        for item in event["payload"]["items"]:
            processed.append(item)

            @step.do(f"process {len(processed)}")
            async def process():
                return item * 2

            await process()
        return len(processed)
"""


async def test_state_set_inside_a_step_works_without_hibernation(make_emulator):
    emu = await make_emulator(LOST_STATE)
    inst = emu.introspect_instance("WF", "u")
    await emu.env.WF.create(id="u")
    await inst.wait_for_status("complete")
    assert await inst.get_output() == "Hello, Ada!"


async def test_hibernation_loses_state_set_inside_a_step(make_emulator):
    emu = await make_emulator(LOST_STATE, hibernate=True)
    inst = emu.introspect_instance("WF", "u")
    await emu.env.WF.create(id="u")
    with pytest.raises(WorkflowFailed) as failed:
        await inst.wait_for_status("complete")
    assert failed.value.step == "greet-1"
    # user is None after the replay
    assert (
        failed.value.error["message"].endswith("\n")
        and "\nTypeError: " in failed.value.error["message"]
    )


async def test_a_variable_mutated_outside_steps_passes_without_hibernation(make_emulator):
    emu = await make_emulator(OUTSIDE_STEPS)
    inst = emu.introspect_instance("WF", "b")
    await emu.env.WF.create(id="b", params={"items": [1, 2, 3]})
    await inst.wait_for_status("complete")
    assert await inst.get_output() == 3
    emu.check()


async def test_hibernation_catches_a_variable_mutated_outside_steps(make_emulator):
    emu = await make_emulator(OUTSIDE_STEPS, hibernate=True)
    inst = emu.introspect_instance("WF", "b")
    await emu.env.WF.create(id="b", params={"items": [1, 2, 3]})
    with pytest.raises(ReplayDivergence) as diverged:
        await inst.wait_for_status("complete")
    assert "history has do 'process 1-1', code now calls do 'process " in str(diverged.value)
    emu.check()  # the test has seen the divergence: the plugin's check lets it pass


async def test_an_unseen_divergence_fails_the_end_of_test_check(make_emulator):
    emu = await make_emulator(OUTSIDE_STEPS, hibernate=True)
    await emu.env.WF.create(id="b", params={"items": [1, 2]})
    await emu.settle()
    with pytest.raises(ReplayDivergence, match="replayed differently from its history"):
        emu.check()  # what the pytest plugin runs after each test


async def test_a_deterministic_workflow_passes_in_hibernation_mode(make_emulator):
    from wf.testing import Emulator

    async with Emulator(QUICKSTART, hibernate=True) as emu:
        inst = emu.introspect_instance("ONBOARDING", "ada")
        await emu.env.ONBOARDING.create(id="ada", params={"name": "Ada"})
        await inst.wait_for_status("waiting")
        await emu.clock.advance("7 days")
        await inst.wait_for_status("complete")
        assert (await inst.get_output())["welcome"] == {"message": "Welcome, Ada!"}
        assert inst.describe()["warnings"] == []
        emu.check()
