"""The console of `wf dev`: event lines and print() attributed to its instance and step."""

from __future__ import annotations

import asyncio
import io

import pytest

from wf.console import AttributedStdout, DevConsole, format_event
from wf.engine import EngineEvent
from wf.scope import Scope, current

AT = 1_767_225_600_000.0


def event(kind: str, **info: object) -> EngineEvent:
    return EngineEvent(kind, "wf", "i1", AT, dict(info))


def test_event_lines() -> None:
    assert format_event(event("queued", trigger="api")) == "queued (trigger: api)"
    assert (
        format_event(
            event(
                "step_failure",
                step="charge-1",
                attempt=2,
                error={"name": "ValueError", "message": "declined"},
                retry_in=20_000,
            )
        )
        == "step charge-1 failed on attempt 2: ValueError: declined; retrying in 20s"
    )
    assert format_event(event("step_failure", step="s-1", attempt=6, error={"name": "E"})).endswith(
        "no more retries"
    )
    assert format_event(event("sleeping", step="nap-1", until=AT + 7 * 86_400_000)) == (
        "sleeping in nap-1 until 2026-01-08T00:00:00.000Z (7d)"
    )
    assert format_event(event("waiting_event", step="w-1", type="approval")) == (
        "waiting for event 'approval' in w-1"
    )
    assert format_event(event("errored", error={"name": "E", "message": "m"})) == "errored: E: m"
    assert format_event(event("restarted", from_step={"name": "b", "count": 2})) == (
        "restarted from step b-2"
    )
    assert format_event(event("warning", message="replay divergence")) == (
        "warning: replay divergence"
    )


def test_console_prints_one_plain_line_per_event_when_not_a_terminal() -> None:
    out = io.StringIO()
    console = DevConsole(out)
    console.on_event(event("complete"))
    assert out.getvalue() == "00:00:00 wf/i1 complete\n"


def test_prints_are_attributed_to_their_step() -> None:
    out = io.StringIO()
    stdout = AttributedStdout(DevConsole(out), out)
    print("server line", file=stdout)
    token = current.set(Scope(None, "wf", "i1", "charge-1"))
    try:
        print("partial", end="", file=stdout)
        print(" line", file=stdout)
        print("two\nlines", file=stdout)
    finally:
        current.reset(token)
    token = current.set(Scope(None, "wf", "i1", None))
    try:
        print("in run()", file=stdout)
    finally:
        current.reset(token)
    assert out.getvalue().splitlines() == [
        "server line",
        "[wf/i1 charge-1] partial line",
        "[wf/i1 charge-1] two",
        "[wf/i1 charge-1] lines",
        "[wf/i1] in run()",
    ]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_colours_unless_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    out = Terminal()
    console = DevConsole(out)
    console.on_event(event("complete"))
    console.error("boom", "Traceback\n  line\n")
    assert out.getvalue().splitlines() == [
        "\x1b[2m00:00:00\x1b[0m \x1b[1mwf/i1\x1b[0m \x1b[1;32mcomplete\x1b[0m",
        "\x1b[1;31mboom\x1b[0m",
        "\x1b[31mTraceback\x1b[0m",
        "\x1b[31m  line\x1b[0m",
    ]
    monkeypatch.setenv("NO_COLOR", "1")
    out = Terminal()
    DevConsole(out).on_event(event("complete"))
    assert out.getvalue() == "00:00:00 wf/i1 complete\n"


async def test_a_line_is_out_before_user_code_can_block_the_loop() -> None:
    out = io.StringIO()
    console = DevConsole(out, color=False)
    stdout = AttributedStdout(console, out)
    console.on_event(event("step_start", step="s-1"))
    token = current.set(Scope(None, "wf", "i1", "s-1"))
    try:
        print("in\rstep", file=stdout)
    finally:
        current.reset(token)
    assert out.getvalue().splitlines() == ["00:00:00 wf/i1 step s-1 started", "[wf/i1 s-1] instep"]


def test_log_level_hides_the_chattier_lines() -> None:
    """wrangler's --log-level order: log (print) < info (events, requests) < warn < error."""
    out = io.StringIO()
    console = DevConsole(out, level="warn")
    console.on_event(event("complete"))  # info
    console.request("GET", "/", 200, "OK", 3.2)  # info
    console.output("wf/i1 s-1", "printed")  # log
    console.on_event(event("step_failure", step="s-1", attempt=1, error={"name": "E"}))  # warn
    console.error("boom")
    assert (
        out.getvalue() == "00:00:00 wf/i1 step s-1 failed on attempt 1: E; no more retries\nboom\n"
    )

    quiet = io.StringIO()
    DevConsole(quiet, level="none").error("boom")
    assert quiet.getvalue() == ""
    with pytest.raises(ValueError, match="is not one of debug, log, info, warn, error, none"):
        DevConsole(io.StringIO(), level="loud")


def test_a_workflow_filter_keeps_only_its_instances() -> None:
    out = io.StringIO()
    console = DevConsole(out, workflows=frozenset({"wf"}))
    console.on_event(EngineEvent("complete", "other", "i2", AT, {}))
    console.output("other/i2 s-1", "hidden")
    console.on_event(event("complete"))
    console.output("wf/i1 s-1", "shown")
    console.request("GET", "/", 200, "OK", 1.0)  # not about a workflow: kept
    assert out.getvalue() == "00:00:00 wf/i1 complete\n[wf/i1 s-1] shown\nGET / 200 OK (1ms)\n"


def test_request_lines_read_like_wrangler_dev() -> None:
    out = io.StringIO()
    console = DevConsole(out)
    console.request("POST", "/start?x=1", 201, "Created", 12.4)
    console.request("GET", "/spin", 500, "Internal Server Error", 301.0)
    assert out.getvalue() == (
        "POST /start?x=1 201 Created (12ms)\nGET /spin 500 Internal Server Error (301ms)\n"
    )


def test_wf_dev_logs_worker_requests_and_quiet_keeps_only_problems(
    quickstart, dev_server, tmp_path
) -> None:
    from tests.devserver import wait_for

    server = dev_server(quickstart, "--time", "manual")
    assert server.get("/").status == 200
    server.wait_log("GET / 200 OK (")
    server.get("/cdn-cgi/wf/time")
    assert "/cdn-cgi/wf/time" not in server.log  # the tool's own routes are not logged

    quiet = dev_server(quickstart, "--time", "manual", "--quiet", "--persist-to", str(tmp_path))
    created = quiet.explorer(
        "POST", "/workflows/onboarding/instances", {"id": "q", "params": {"name": "Q"}}
    )
    assert created.status == 200, created
    wait_for(lambda: quiet.status("onboarding", "q") == "waiting", what="q waiting")
    assert quiet.get("/").status == 200
    assert "Ready on" in quiet.log
    assert "onboarding/q" not in quiet.log and "GET / " not in quiet.log


async def test_batched_lines_go_out_together_at_the_end_of_the_tick_in_order() -> None:
    out = io.StringIO()
    console = DevConsole(out, color=False, batch=True)
    stdout = AttributedStdout(console, out)
    console.plain("first")
    stdout.write("a print outside workflow code\n")
    console.on_event(event("queued", trigger="api"))
    assert out.getvalue() == ""  # held until the loop's tick ends
    await asyncio.sleep(0)
    lines = out.getvalue().splitlines()
    assert lines[:2] == ["first", "a print outside workflow code"]
    assert lines[2].endswith("wf/i1 queued (trigger: api)")
    assert len(lines) == 3


def test_batched_console_writes_at_once_without_a_running_loop() -> None:
    out = io.StringIO()
    console = DevConsole(out, color=False, batch=True)
    console.plain("no loop here")
    assert out.getvalue() == "no loop here\n"


async def test_control_characters_are_removed_from_event_lines() -> None:
    out = io.StringIO()
    console = DevConsole(out, color=False)
    console.output("wf/i1 s", "ding\a and back\r")
    assert out.getvalue().rstrip("\n").endswith("ding and back")
