"""Tracebacks of failed attempts and of run(): the user's frames, kept, in-process."""

from __future__ import annotations

from pathlib import Path

from tests.debugging.conftest import MakeEmulator
from wf.tracebacks import MAX_CHARS, MAX_FRAMES, user_traceback


async def test_a_failed_attempt_keeps_its_traceback_of_user_frames(
    make_emulator: MakeEmulator,
) -> None:
    emu = await make_emulator()
    await emu.env.SHOP.create(id="a")
    await emu.settle()
    await emu.clock.advance("10 seconds")
    await emu.introspect_instance("SHOP", "a").wait_for_status("complete")
    step = emu.introspect_instance("SHOP", "a").describe()["steps"][0]
    first, second = step["attempts"]
    trace = first["traceback"]
    assert trace.startswith("Traceback (most recent call last):\n")
    assert 'File "src/entry.py", line 21, in charge' in trace
    assert 'File "src/entry.py", line 9, in lookup' in trace
    assert trace.endswith("KeyError: 'missing_key'\n")
    assert "/wf/" not in trace and "site-packages" not in trace  # wf's own frames are left out
    assert "traceback" not in second  # the retry succeeded
    assert "traceback" not in step  # so the step has no failure to show
    # Cloudflare's own fields are unchanged
    assert first["error"]["name"] == "Error"
    assert "KeyError: 'missing_key'" in first["error"]["message"]


async def test_an_errored_instance_has_the_step_and_run_tracebacks(
    make_emulator: MakeEmulator,
) -> None:
    emu = await make_emulator()
    await emu.env.SHOP.create(id="b", params={"fail": True})
    await emu.settle()
    await emu.clock.advance("10 seconds")
    inst = emu.introspect_instance("SHOP", "b")
    await inst.wait_for_status("errored")
    await inst.get_error()
    ship = inst.traceback("ship")
    assert ship is not None
    assert 'File "src/entry.py", line 29, in ship' in ship
    assert ship.endswith("ValueError: no address\n")
    assert inst.traceback("ship-1") == ship
    assert emu.traceback("SHOP", "b", step="ship") == ship
    run = inst.traceback()
    assert run is not None and 'File "src/entry.py", line 31, in run' in run
    assert inst.describe()["traceback"] == run
    assert inst.traceback("charge") is None  # charge recovered on its retry


async def test_a_platform_error_has_no_traceback(make_emulator: MakeEmulator) -> None:
    source = """
from workers import WorkflowEntrypoint
import asyncio

class MyWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do(config={"retries": {"limit": 0, "delay": "1 second"}, "timeout": "1 second"})
        async def slow():
            await asyncio.sleep(60)

        await slow()
"""
    emu = await make_emulator(source)
    await emu.env.SHOP.create(id="t")
    await emu.settle()
    await emu.clock.advance("2 seconds")
    inst = emu.introspect_instance("SHOP", "t")
    await inst.wait_for_status("errored")
    await inst.get_error()
    attempt = inst.describe()["steps"][0]["attempts"][0]
    assert attempt["error"]["name"] == "WorkflowTimeoutError"
    assert "traceback" not in attempt


async def test_tracebacks_survive_a_restart(tmp_path: Path, make_emulator: MakeEmulator) -> None:
    emu = await make_emulator(persist_to=tmp_path / "state")
    await emu.env.SHOP.create(id="c", params={"fail": True})
    await emu.settle()
    await emu.clock.advance("10 seconds")
    await emu.introspect_instance("SHOP", "c").wait_for_status("errored")
    before = emu.introspect_instance("SHOP", "c").describe()
    await emu.introspect_instance("SHOP", "c").get_error()
    await emu.close()
    again = await make_emulator(persist_to=tmp_path / "state")
    after = again.introspect_instance("SHOP", "c").describe()
    assert after["traceback"] == before["traceback"]
    assert after["steps"][1]["traceback"] == before["steps"][1]["traceback"]
    assert after["steps"][0]["attempts"][0]["traceback"].endswith("KeyError: 'missing_key'\n")
    await again.introspect_instance("SHOP", "c").get_error()


def _recurse(n: int) -> None:
    if n == 0:
        raise RuntimeError("deep")
    _recurse(n - 1)


def test_a_deep_traceback_is_bounded() -> None:
    try:
        _recurse(200)
    except RuntimeError as exc:
        text = user_traceback(exc, Path(__file__).parents[2])
    assert text is not None
    # 202 frames (this test's and 201 of _recurse): the first 10 and the last 30 are kept
    assert f"... {202 - MAX_FRAMES} frames left out ..." in text
    assert 'File "tests/debugging/test_tracebacks.py", line' in text
    assert text.endswith("RuntimeError: deep\n")
    assert len(text) <= MAX_CHARS + 100


def test_a_huge_message_is_cut() -> None:
    try:
        raise ValueError("x" * (MAX_CHARS * 2))
    except ValueError as exc:
        text = user_traceback(exc)
    assert text is not None
    assert "characters left out" in text
    assert len(text) < MAX_CHARS + 100
