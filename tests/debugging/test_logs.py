"""Logs per instance, in-process: print() and logging, per step and attempt, bounded, kept."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.conftest import START
from tests.debugging.conftest import MakeEmulator
from wf.instance_logs import MAX_LINE_CHARS, MAX_LINES
from wf.testing import Emulator


async def _run_flaky(emu: Emulator, instance_id: str = "a") -> None:
    await emu.env.SHOP.create(id=instance_id)
    await emu.settle()
    await emu.clock.advance("10 seconds")
    await emu.introspect_instance("SHOP", instance_id).wait_for_status("complete")


async def test_print_and_logging_are_kept_with_step_attempt_level_and_time(
    make_emulator: MakeEmulator,
) -> None:
    emu = await make_emulator()
    await _run_flaky(emu)
    lines = [(x.step, x.attempt, x.level, x.message, x.at) for x in emu.logs("SHOP", "a")]
    assert lines == [
        (None, None, "log", "run starts for a", START),
        ("charge-1", 1, "log", "charging, attempt 1", START),
        ("charge-1", 1, "warn", "card declined once", START),
        # the retry, 10 virtual seconds later, replays run() from the top
        (None, None, "log", "run starts for a", START + 10_000),
        ("charge-1", 2, "log", "charging, attempt 2", START + 10_000),
        ("charge-1", 2, "warn", "card declined once", START + 10_000),
        (None, None, "log", "run ends", START + 10_000),
    ]
    only = emu.introspect_instance("SHOP", "a").logs(step="charge")
    assert [x.message for x in only] == [
        "charging, attempt 1",
        "card declined once",
        "charging, attempt 2",
        "card declined once",
    ]
    assert [x.attempt for x in emu.logs("SHOP", "a", step="charge-1")] == [1, 1, 2, 2]
    assert emu.logs("SHOP", "a", step="ship") == []


async def test_output_is_still_printed(
    make_emulator: MakeEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    emu = await make_emulator()
    await _run_flaky(emu)
    assert "charging, attempt 2\n" in capsys.readouterr().out


async def test_partial_lines_and_exceptions_in_log_records(make_emulator: MakeEmulator) -> None:
    source = """
import logging
from workers import WorkflowEntrypoint

class MyWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do()
        async def talk():
            print("a", end="")
            print("b", "c", sep="-")
            print("unfinished", end="")
            try:
                {}["k"]
            except KeyError:
                logging.getLogger("x").exception("lookup failed")
            logging.getLogger("x").info("below the default level: not output, not kept")
            return 1

        await talk()
"""
    emu = await make_emulator(source)
    await emu.env.SHOP.create(id="p")
    await emu.introspect_instance("SHOP", "p").wait_for_status("complete")
    lines = emu.logs("SHOP", "p")
    assert [x.message for x in lines[:1]] == ["ab-c"]
    error = lines[1]
    assert error.level == "error"
    assert error.message.startswith("lookup failed\nTraceback")
    assert error.message.endswith("KeyError: 'k'")
    assert lines[2].message == "unfinished"  # the step ended: its last line is kept too
    assert len(lines) == 3


async def test_an_instance_keeps_its_last_lines_each_bounded(make_emulator: MakeEmulator) -> None:
    source = f"""
from workers import WorkflowEntrypoint

class MyWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do()
        async def chatty():
            for i in range({MAX_LINES + 500}):
                print(f"line {{i}}")
            print("x" * {MAX_LINE_CHARS + 10})
            return 1

        await chatty()
"""
    emu = await make_emulator(source)
    await emu.env.SHOP.create(id="n")
    await emu.introspect_instance("SHOP", "n").wait_for_status("complete")
    lines = emu.logs("SHOP", "n")
    assert len(lines) == MAX_LINES
    assert lines[0].message == "line 501"
    assert lines[-2].message == f"line {MAX_LINES + 499}"
    assert lines[-1].message == "x" * MAX_LINE_CHARS + "… [10 more characters]"
    stored = emu.engine.store.query("SELECT COUNT(*) FROM wf_logs")[0][0]
    assert MAX_LINES <= stored < MAX_LINES + 64


async def test_logs_survive_a_restart_and_go_with_a_deleted_instance(
    tmp_path: Path, make_emulator: MakeEmulator
) -> None:
    emu = await make_emulator(persist_to=tmp_path / "state")
    await _run_flaky(emu)
    before = emu.logs("SHOP", "a")
    await emu.close()
    again = await make_emulator(persist_to=tmp_path / "state")
    assert again.logs("SHOP", "a") == before
    await again.engine.delete("shop", "a")
    await again.env.SHOP.create(id="a", params={"x": 1})
    await again.settle()
    # a new instance with the same id starts with an empty log, not the deleted one's
    assert [x.message for x in again.logs("SHOP", "a")][:1] == ["run starts for a"]
    assert all(x.at >= again.clock.now() for x in again.logs("SHOP", "a"))


async def test_logging_outside_workflow_code_is_not_kept_and_still_reaches_handlers(
    make_emulator: MakeEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    emu = await make_emulator()
    await _run_flaky(emu)
    with caplog.at_level(logging.WARNING):
        logging.getLogger("test").warning("from the test itself")
    assert "from the test itself" in caplog.text
    assert all("from the test" not in x.message for x in emu.logs("SHOP", "a"))


async def test_stderr_is_kept_as_error_and_a_handler_s_output_is_not_kept_twice(
    make_emulator: MakeEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    source = """
import logging
import sys
from js import console
from workers import WorkflowEntrypoint

class MyWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do()
        async def talk():
            print("to stdout")
            print("to stderr", file=sys.stderr)
            console.error("from console.error")
            logger = logging.getLogger("mine")
            logger.addHandler(logging.StreamHandler(sys.stderr))  # the user's own handler
            logger.warning("handled once")
            logger.handlers.clear()
            print("partial", end="", file=sys.stderr)
            return 1

        await talk()
"""
    emu = await make_emulator(source)
    await emu.env.SHOP.create(id="e")
    await emu.introspect_instance("SHOP", "e").wait_for_status("complete")
    lines = [(x.level, x.message) for x in emu.logs("SHOP", "e")]
    assert lines == [
        ("log", "to stdout"),
        ("error", "to stderr"),
        ("error", "from console.error"),
        ("warn", "handled once"),
        ("error", "partial"),
    ]
    err = capsys.readouterr().err  # and the output still goes where it went
    assert "to stderr\n" in err and "handled once\n" in err and "from console.error" in err
