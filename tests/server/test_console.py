"""The console of `wf dev`: event lines and print() attributed to its instance and step."""

from __future__ import annotations

import io

import pytest

from emulator.console import AttributedStdout, DevConsole, format_event
from emulator.engine import EngineEvent
from emulator.step import current_step

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
    token = current_step.set(("wf", "i1", "charge-1"))
    try:
        print("partial", end="", file=stdout)
        print(" line", file=stdout)
        print("two\nlines", file=stdout)
    finally:
        current_step.reset(token)
    token = current_step.set(("wf", "i1", None))
    try:
        print("in run()", file=stdout)
    finally:
        current_step.reset(token)
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
    token = current_step.set(("wf", "i1", "s-1"))
    try:
        print("in\rstep", file=stdout)
    finally:
        current_step.reset(token)
    assert out.getvalue().splitlines() == ["00:00:00 wf/i1 step s-1 started", "[wf/i1 s-1] instep"]
