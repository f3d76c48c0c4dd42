"""Stops user code that blocks the event loop, so it cannot take `wf dev` down.

Everything in `wf dev` shares one event loop. A step or Worker that blocks it (``time.sleep``,
a busy loop, a synchronous network call) would freeze the server, every other instance and
the clock. Production stops such code at the CPU limit (``limits.cpu_ms``, 30 s by default);
the watchdog does the same locally: when the loop has not turned for that long, a thread sends
the main thread a signal whose handler raises ``CpuLimitExceeded`` inside the blocking code,
if that code is user code. The step's attempt fails (and is retried per its config), or the
Worker answers 500, and the server carries on.

A debugger holds the loop too (pdb waiting at a ``breakpoint()``, an IDE paused on a line), and
stopping it would throw the session away and leave its keystrokes to the next attempt: while one
is active (a trace function on the main thread, a ``sys.monitoring`` debugger, pydevd loaded
and tracing) the watchdog steps aside, and ``wf dev --debug`` turns it off.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
import time
from types import FrameType

from wf import scope

_SIGNAL = signal.SIGUSR1


class CpuLimitExceeded(Exception):
    """User code held the event loop longer than ``limits.cpu_ms``."""


class Watchdog:
    """Watches the event loop from a thread and interrupts user code that blocks it."""

    def __init__(self, limit_ms: float, *, poll_s: float = 0.05, enabled: bool = True) -> None:
        self.limit_ms = limit_ms
        self.enabled = enabled
        self._poll_s = poll_s
        self._beat = time.monotonic()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._handle: asyncio.TimerHandle | None = None
        self._previous: signal.Handlers | int | None = None

    def start(self) -> bool:
        """Install the signal handler and start watching; False off the main thread."""
        if not self.enabled:
            return False
        if threading.current_thread() is not threading.main_thread():
            return False  # signals reach only the main thread: nothing to interrupt with
        self._previous = signal.signal(_SIGNAL, self._interrupt)  # type: ignore[assignment]
        self._loop = asyncio.get_running_loop()
        self._heartbeat()
        self._thread = threading.Thread(target=self._watch, name="wf-watchdog", daemon=True)
        self._thread.start()
        return True

    def stop(self) -> None:
        """Stop watching and restore the previous signal handler."""
        self._stop.set()
        if self._handle is not None:
            self._handle.cancel()
        if self._thread is not None:
            self._thread.join(timeout=1)
            signal.signal(_SIGNAL, self._previous)
            self._thread = None

    def _heartbeat(self) -> None:
        self._beat = time.monotonic()
        if not self._stop.is_set():
            self._handle = self._loop.call_later(self._poll_s, self._heartbeat)

    def _watch(self) -> None:
        fired_for = None
        while not self._stop.wait(self._poll_s):
            beat = self._beat
            if (time.monotonic() - beat) * 1000 > self.limit_ms and fired_for != beat:
                fired_for = beat  # once per stall
                signal.pthread_kill(threading.main_thread().ident or 0, _SIGNAL)

    def _interrupt(self, signum: int, frame: FrameType | None) -> None:
        # The handler runs in the context of whatever the main thread was executing, so it
        # reads the blocking code's own scope (a step, the Worker).
        running = scope.current.get()
        if running is None:
            return  # the loop is held by wf itself, not by user code: nothing to stop
        if debugger_active():
            return  # a person is stepping through the code: the stall is theirs
        raise CpuLimitExceeded(
            f"{running.label()} blocked the event loop for more than {self.limit_ms:.0f} ms "
            f"(limits.cpu_ms){where(frame)}: await asyncio.sleep() instead of time.sleep(), "
            "and await I/O"
        )


def debugger_active() -> bool:
    """True when a debugger traces the calling thread (call it on the main thread).

    pdb and pydevd (debugpy, PyCharm) install a trace function; on Python 3.12+ a debugger may
    use ``sys.monitoring`` instead, under its DEBUGGER tool id.
    """
    if sys.gettrace() is not None:
        return True
    monitoring = getattr(sys, "monitoring", None)
    if monitoring is not None and monitoring.get_tool(monitoring.DEBUGGER_ID) is not None:
        return True
    pydevd = sys.modules.get("pydevd")
    return pydevd is not None and getattr(pydevd, "GetGlobalDebugger", lambda: None)() is not None


def where(frame: FrameType | None) -> str:
    """ ", stopped at FILE:LINE in FUNCTION" for the innermost frame of the user's code (else of
    a library it called), never of wf or the standard library."""
    skipped = (os.path.dirname(os.path.abspath(__file__)), os.path.dirname(os.__file__), "<")
    frames: list[FrameType] = []
    while frame is not None:
        if not frame.f_code.co_filename.startswith(skipped):
            frames.append(frame)
        frame = frame.f_back
    own = [f for f in frames if "site-packages" not in f.f_code.co_filename]
    if not frames:
        return ""
    chosen = (own or frames)[0]
    path = chosen.f_code.co_filename
    try:
        shown = os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        shown = path
    if shown.startswith(".."):
        shown = path
    return f", stopped at {shown}:{chosen.f_lineno} in {chosen.f_code.co_name}"
