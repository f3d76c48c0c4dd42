"""`wf dev` hotkeys as `wrangler dev` has them (b: open the dashboard, c: clear, x: exit), read
only when stdin is a terminal; with stdin piped (tests, scripts) they are off."""

from __future__ import annotations

import asyncio
import os
import pty
import sys
import termios

import pytest

from tests.server.conftest import DevServer
from wf.server.hotkeys import HINT, Hotkeys


class Tty:
    """The terminal side a user types into, and the file `wf dev` reads as stdin."""

    def __init__(self) -> None:
        self.master, slave = pty.openpty()
        self.stdin = os.fdopen(slave, "r")

    def close(self) -> None:
        os.close(self.master)
        self.stdin.close()


async def _until(check, timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def test_keys_open_clear_and_exit_then_the_terminal_is_restored() -> None:
    tty = Tty()
    said: list[str] = []
    opened: list[str] = []
    cleared: list[bool] = []
    stop = asyncio.Event()
    before = termios.tcgetattr(tty.stdin.fileno())
    keys = Hotkeys(
        "http://127.0.0.1:8787/cdn-cgi/wf/",
        clear=lambda: cleared.append(True),
        exit=stop.set,
        say=said.append,
        stdin=tty.stdin,
        open_url=opened.append,
    )
    try:
        assert keys.start() and keys.active
        cbreak = termios.tcgetattr(tty.stdin.fileno())
        assert not cbreak[3] & termios.ICANON and not cbreak[3] & termios.ECHO
        os.write(tty.master, b"bzc")  # z is not a hotkey: ignored
        await _until(lambda: opened and cleared)
        assert opened == ["http://127.0.0.1:8787/cdn-cgi/wf/"]
        assert said == ["Opening http://127.0.0.1:8787/cdn-cgi/wf/ in a browser"]
        os.write(tty.master, b"X")
        await asyncio.wait_for(stop.wait(), 5)
    finally:
        keys.stop()
        assert termios.tcgetattr(tty.stdin.fileno()) == before
        tty.close()


async def test_breakpoint_gives_the_terminal_back_first(monkeypatch: pytest.MonkeyPatch) -> None:
    tty = Tty()
    before = termios.tcgetattr(tty.stdin.fileno())
    seen: list[list[object]] = []
    monkeypatch.setattr(
        sys, "breakpointhook", lambda: seen.append(termios.tcgetattr(tty.stdin.fileno()))
    )
    keys = Hotkeys("u", clear=lambda: None, exit=lambda: None, say=print, stdin=tty.stdin)
    try:
        assert keys.start()
        breakpoint()  # what pdb gets: the terminal as it was, and no hotkey reader
        assert seen == [before] and not keys.active
    finally:
        keys.stop()
        tty.close()


async def test_not_a_terminal_means_no_hotkeys(tmp_path) -> None:
    with open(tmp_path / "input", "w+") as piped:
        keys = Hotkeys("u", clear=lambda: None, exit=lambda: None, say=print, stdin=piped)
        assert not keys.start() and not keys.active


def test_wf_dev_on_a_terminal_exits_on_x(quickstart) -> None:
    tty = Tty()
    try:
        server = DevServer(quickstart, "--no-reload", stdin=tty.stdin.fileno())
        try:
            server.wait_ready()
            server.wait_log(HINT.strip())
            os.write(tty.master, b"x")
            assert server.wait_exit(timeout=10) == 0
            assert "Shutting down..." in server.log
        finally:
            server.stop()
    finally:
        tty.close()


def test_wf_dev_with_stdin_piped_has_no_hotkeys(quickstart, dev_server) -> None:
    server: DevServer = dev_server(quickstart, "--no-reload")
    assert "[b] open" not in server.log
