"""`wf mock ...` against the testing routes served in-process."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from click.testing import CliRunner, Result

from tests.testing.conftest import PAYMENT
from wf.cli.main import main
from wf.cli.mock import parse_step
from wf.testing import Emulator
from wf.testing.http import setup_routes

Wf = Callable[..., Awaitable[Result]]


@pytest.fixture
async def served(make_emulator) -> AsyncIterator[tuple[Emulator, Wf]]:
    emu = await make_emulator(PAYMENT)
    app = web.Application()
    setup_routes(app, lambda: emu.engine)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()

    async def wf(*args: str) -> Result:
        # The CLI blocks on urllib: run it in a thread while this loop serves it.
        argv = [*args, "--port", str(server.port)]
        return await asyncio.to_thread(CliRunner().invoke, main, argv)

    try:
        yield emu, wf
    finally:
        await server.close()


def test_parse_step():
    assert parse_step("charge") == {"name": "charge", "index": 1}
    assert parse_step("charge#2") == {"name": "charge", "index": 2}
    assert parse_step("a#b") == {"name": "a#b", "index": 1}
    assert parse_step("#3") == {"name": "#3", "index": 1}


async def test_add_show_and_clear(served):
    emu, wf = served
    result = await wf(
        "mock",
        "add",
        "wf",
        "p1",
        "--disable-sleeps",
        "--result",
        "charge",
        '{"charged": 3}',
        "--error",
        "receipt#1",
        "PrinterError: out of paper",
        "--times",
        "1",
        "--disable-retry-delays",
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Modifiers of wf/p1:",
        "  sleeps disabled: all",
        "  retry delays disabled: all",
        '  result of charge#1: {"charged": 3}',
        "  error in receipt#1 (1 attempts, used 0): PrinterError: out of paper",
    ]
    emu.engine.create("wf", {"id": "p1"})
    result = await wf("mock", "wait", "wf", "p1", "--status", "complete")
    assert (result.exit_code, result.output) == (0, "wf/p1 is complete.\n")
    assert await emu.introspect_instance("WF", "p1").get_output() == {"receipt": 3}

    result = await wf("mock", "show", "wf", "p1", "--json")
    assert json.loads(result.output)["mock_step_error"][0]["used"] == 1
    result = await wf("mock", "clear", "wf", "p1")
    assert result.output == "Cleared the modifiers of wf/p1.\n"
    result = await wf("mock", "show", "wf", "p1")
    assert result.output == "No modifiers.\n"


async def test_workflow_wide_events_and_spec(served, tmp_path):
    emu, wf = served
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"disable_sleeps": [{"name": "cool off"}]}))
    result = await wf("mock", "add", "wf", "--spec", f"@{spec}", "--event", "go", "[1]")
    assert result.exit_code == 0, result.output
    assert "Modifiers of every new instance of wf:" in result.output
    assert "  sleeps disabled: cool off#1" in result.output
    assert "  event go: [1]" in result.output
    emu.engine.create("wf", {"id": "n"})
    result = await wf("mock", "wait", "wf", "n", "--step", "receipt", "--json")
    assert json.loads(result.output) == {"step": "receipt-1", "value": {"receipt": 10}}


async def test_errors_are_one_line(served):
    emu, wf = served
    result = await wf("mock", "add", "wf", "p1")
    assert result.exit_code == 1
    assert (
        result.output == "Error: Nothing to add: give at least one modifier option (see --help)\n"
    )
    result = await wf("mock", "add", "nope", "x", "--disable-sleeps")
    assert result.output == "Error: Workflow 'nope' not found.\n"
    result = await wf("mock", "add", "wf", "x", "--result", "charge", "{bad")
    assert result.output.startswith('Error: Error while parsing --result: "{bad"')
    emu.engine.create("wf", {"id": "w"})
    result = await wf("mock", "wait", "wf", "w", "--status", "complete", "--stall-after", "0.05")
    assert result.exit_code == 1
    assert 'sleeping in step "cool off-1"' in result.output
    result = await wf("mock", "wait", "wf", "w")
    assert result.output == "Error: Give --status STATUS or --step STEP (one of them)\n"
