"""What `wf dev` prints: one coloured line per instance event, and attributed print() output.

``DevConsole`` subscribes to ``engine.listeners``; ``AttributedStdout`` replaces ``sys.stdout``
so that a ``print()`` inside workflow code comes out prefixed with its instance and step (read
from `wf.scope`), while the server's own output goes to the
real stream untouched.

A busy server prints thousands of lines a second, so a line is an f-string, with ANSI codes
when the stream is a terminal (about 3 us; rich took 100). Each is written and flushed at once:
it must show even when user code then blocks the event loop, and collecting the lines of one
loop iteration into one write saved under 1 us a line.
"""

from __future__ import annotations

import asyncio
import functools
import io
import os
import re
import sys
import threading
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO

from wf import scope
from wf.durations import format_duration, to_iso

if TYPE_CHECKING:
    from wf.clock import Clock
    from wf.engine import Engine, EngineEvent

__all__ = ["LEVELS", "AttributedStdout", "DevConsole", "format_event"]

# `--log-level` as wrangler orders them ("log", console.log, is chattier than "info"): a line
# shows when its level is at or after the chosen one.
LEVELS = ("debug", "log", "info", "warn", "error", "none")
_RANKS = {level: rank for rank, level in enumerate(LEVELS)}  # read for every line printed
_EVENT_LEVELS = {"step_failure": "warn", "warning": "warn", "errored": "error"}

_STYLES = {
    "queued": "dim",
    "started": "cyan",
    "step_start": "cyan",
    "step_success": "green",
    "step_failure": "red",
    "sleeping": "blue",
    "waiting_event": "blue",
    "event_received": "blue",
    "event_sent": "blue",
    "complete": "bold green",
    "errored": "bold red",
    "paused": "yellow",
    "waitingForPause": "yellow",
    "resumed": "yellow",
    "terminated": "bold magenta",
    "restarted": "yellow",
    "warning": "bold yellow",
    "divergence": "bold yellow",
}
_SGR = {  # the ANSI codes of the words in _STYLES
    "bold": "1",
    "dim": "2",
    "red": "31",
    "green": "32",
    "yellow": "33",
    "blue": "34",
    "magenta": "35",
    "cyan": "36",
}
_RESET = "\x1b[0m"
# Control characters that would move the cursor or ring the bell (as rich strips them).
_CONTROL = str.maketrans("", "", "\a\b\v\f\r")
_HAS_CONTROL = re.compile("[\a\b\v\f\r]").search


def _printable(text: str) -> str:
    """``text`` without those characters. Looked for first: ``translate`` with a deletion
    table walks every character in Python objects, and almost no line has one."""
    return text.translate(_CONTROL) if _HAS_CONTROL(text) else text


@functools.cache
def _sgr(style: str) -> str:
    """The escape sequence that starts ``style`` ("bold green")."""
    return "\x1b[" + ";".join(_SGR[word] for word in style.split()) + "m"


def _wants_color(stream: TextIO) -> bool:
    """Colour on a terminal, unless NO_COLOR is set or TERM is dumb; FORCE_COLOR forces it."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("TERM", "").lower() in ("dumb", "unknown"):
        return False
    try:
        return stream.isatty()
    except (AttributeError, OSError, ValueError):  # a closed or unusual stream
        return False


def _error_text(error: Any) -> str:
    if isinstance(error, dict):
        name, message = error.get("name", "Error"), error.get("message", "")
        return f"{name}: {message}" if message else str(name)
    return str(error)


def _exception_line(error: Any) -> str:
    """A Python error's last line (``KeyError: 'k'``): its traceback is printed below it."""
    if isinstance(error, dict):
        lines = [line for line in str(error.get("message", "")).split("\n") if line.strip()]
        if len(lines) > 1 and lines[0].startswith("PythonError: Traceback"):
            return lines[-1].strip()
    return _error_text(error)


def format_event(event: EngineEvent) -> str:
    """The readable text of one engine event (without time and instance)."""
    info = event.info
    describe = _exception_line if info.get("traceback") else _error_text
    step = info.get("step")
    kind = event.kind
    if kind == "queued":
        return f"queued (trigger: {info.get('trigger', 'api')})"
    if kind == "started":
        return "started"
    if kind == "step_start":
        return f"step {step} started"
    if kind == "step_success":
        return f"step {step} succeeded on attempt {info.get('attempt', 1)}"
    if kind == "step_failure":
        text = f"step {step} failed on attempt {info.get('attempt', 1)}: "
        text += describe(info.get("error"))
        delay = info.get("retry_in")
        if delay is None:
            return text + "; no more retries"
        return text + f"; retrying in {format_duration(delay)}"
    if kind == "sleeping":
        until = info.get("until")
        if until is None:
            return f"sleeping in {step}"
        return f"sleeping in {step} until {to_iso(until)} ({format_duration(until - event.at)})"
    if kind == "waiting_event":
        return f"waiting for event '{info.get('type')}' in {step}"
    if kind == "event_received":
        return f"received event '{info.get('type')}' in {step}"
    if kind == "event_sent":
        return f"event '{info.get('type')}' sent"
    if kind == "complete":
        return "complete"
    if kind == "errored":
        error = info.get("error")
        return f"errored: {describe(error)}" if error else "errored"
    if kind == "waitingForPause":
        return "pausing after the running step"
    if kind == "restarted":
        origin = info.get("from_step")
        if origin:
            return f"restarted from step {origin.get('name')}-{origin.get('count') or 1}"
        return "restarted"
    if kind in ("warning", "divergence"):  # a divergence is a warning to the reader
        return f"warning: {info.get('message')}"
    return str(kind)


class DevConsole:
    """Prints server and instance lines to one stream, coloured when it is a terminal."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        color: bool | None = None,
        level: str = "log",
        workflows: frozenset[str] = frozenset(),
        batch: bool = False,
    ) -> None:
        self.stream = stream if stream is not None else sys.stdout
        # batch: lines written on the event loop go out together at the end of its tick (one
        # write and flush instead of one per line: a create prints three); elsewhere at once.
        self._batch = batch
        self._pending: list[str] = []
        self.color = _wants_color(self.stream) if color is None else color
        if level not in LEVELS:
            raise ValueError(f"log level {level!r} is not one of {', '.join(LEVELS)}")
        self._rank = LEVELS.index(level)
        self.workflows = workflows  # empty: every workflow
        self._lock = threading.Lock()
        self._clock: Clock | None = None
        self._stamp_key: tuple[float, bool] | None = None
        self._stamp_text = ""

    # -- engine events ----------------------------------------------------------------------------

    def attach(self, engine: Engine) -> None:
        """Print every event of ``engine`` from now on."""
        self._clock = engine.clock
        engine.listeners.append(self.on_event)

    def detach(self, engine: Engine) -> None:
        if self.on_event in engine.listeners:
            engine.listeners.remove(self.on_event)

    def shows(self, level: str, workflow: str | None = None) -> bool:
        """Whether a line of ``level`` (about ``workflow``, if any) is printed."""
        if _RANKS[level] < self._rank:
            return False
        return workflow is None or not self.workflows or workflow in self.workflows

    def on_event(self, event: EngineEvent) -> None:
        if not self.shows(_EVENT_LEVELS.get(event.kind, "info"), event.workflow):
            return
        stamp = self._span(self._stamp(event.at), "dim")
        who = self._span(f"{event.workflow}/{event.instance}", "bold")
        text = self._span(_printable(format_event(event)), _STYLES.get(event.kind, ""))
        trace = event.info.get("traceback")
        if trace:  # a failed attempt or run(): the user's frames, as a Worker error prints them
            text += "\n" + self._paint(str(trace).rstrip("\n"), "red").rstrip("\n")
        self._write(f"{stamp} {who} {text}\n")

    def _stamp(self, at: float) -> str:
        """Virtual time in UTC; with the date once time no longer follows the wall clock."""
        dated = self._clock is not None and self._clock.mode != "real"
        key = (at // 1000, dated)
        if key != self._stamp_key:  # most events share their second with the previous one
            moment = datetime.fromtimestamp(key[0], tz=UTC)
            self._stamp_text = moment.strftime("%Y-%m-%d %H:%M:%S" if dated else "%H:%M:%S")
            self._stamp_key = key
        return self._stamp_text

    # -- server lines -----------------------------------------------------------------------------

    def plain(self, message: str) -> None:
        """A line without styling."""
        self._write(message + "\n")

    def info(self, message: str, style: str = "") -> None:
        if self.shows("info"):
            self._write(self._paint(message, style))

    def request(self, method: str, path: str, status: int, reason: str, ms: float) -> None:
        """One request the Worker answered, as wrangler dev logs it: GET / 200 OK (3ms)."""
        if not self.shows("info"):
            return
        style = "red" if status >= 500 else "yellow" if status >= 400 else ""
        line = f"{method} {path} {self._span(f'{status} {reason}', style)} ({ms:.0f}ms)"
        self._write(_printable(line) + "\n")

    def success(self, message: str) -> None:
        self.info(message, "green")

    def warn(self, message: str) -> None:
        if self.shows("warn"):
            self._write(self._paint(message, "yellow"))

    def error(self, message: str, details: str | None = None) -> None:
        """An error line in bold red, with optional details (a traceback) below it in red."""
        if not self.shows("error"):
            return
        text = self._paint(message, "bold red")
        if details:
            text += self._paint(details.rstrip("\n"), "red")
        self._write(text)

    def clear(self) -> None:
        """Clear the terminal and its scrollback (the ``c`` hotkey of `wf dev`)."""
        self._write("\x1b[2J\x1b[3J\x1b[H")

    def output(self, label: str, line: str) -> None:
        """One line printed by user code, attributed to ``label`` ("workflow/instance step")."""
        if not self.shows("log", label.split("/", 1)[0]):
            return
        self._write(f"{self._span(f'[{label}]', 'magenta')} {_printable(line)}\n")

    def _paint(self, text: str, style: str) -> str:
        """``text`` with each of its lines in ``style``, and a final newline."""
        lines = _printable(text).split("\n")
        return "".join(self._span(line, style) + "\n" for line in lines)

    def _span(self, text: str, style: str) -> str:
        """``text`` in ``style`` on a colour stream, as is otherwise."""
        if not self.color or not style:
            return text
        return f"{_sgr(style)}{text}{_RESET}"

    def _write(self, text: str) -> None:
        # Off the loop (a thread, start-up) a line is written at once. asyncio's own
        # None-or-loop reader: no exception raised and caught for every line printed.
        loop = asyncio._get_running_loop() if self._batch else None
        with self._lock:
            if loop is None:
                self._pending.append(text)
                self._flush_pending()
                return
            self._pending.append(text)
            if len(self._pending) > 1:
                return  # the end of this tick writes it with the others
        loop.call_soon(self.flush)

    def flush(self) -> None:
        """Write out the lines held for the end of the tick."""
        with self._lock:
            self._flush_pending()

    def _flush_pending(self) -> None:
        if self._pending:
            text = "".join(self._pending)
            self._pending.clear()
            self.stream.write(text)
            self.stream.flush()

    def raw(self, text: str) -> int:
        """Text for the stream as it is (print() outside workflow code), in order with lines."""
        self._write(text)
        return len(text)


def _label(context: tuple[str, str, str | None]) -> str:
    workflow, instance, step = context
    return f"{workflow}/{instance} {step}" if step else f"{workflow}/{instance}"


def _workflow_code() -> tuple[str, str, str | None] | None:
    """(workflow, instance, step label) of the workflow code running now, else None."""
    running = scope.current.get()
    if running is None or running.workflow is None or running.instance is None:
        return None
    return running.workflow, running.instance, running.step


class AttributedStdout(io.TextIOBase):
    """``sys.stdout`` for `wf dev`: prints from workflow code get their instance and step.

    Outside workflow code (no instance in `wf.scope`) writes pass straight to the real stream.
    Inside, text is collected per step until a newline, then printed as attributed lines.
    """

    def __init__(self, console: DevConsole, stream: TextIO) -> None:
        super().__init__()
        self.console = console
        self.stream = stream
        self._pending: dict[tuple[str, str, str | None], str] = {}

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.stream, "encoding", "utf-8") or "utf-8"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()

    def write(self, text: str) -> int:
        context = _workflow_code()
        if context is None:
            return self.console.raw(text)  # in order with the console's lines
        buffered = self._pending.pop(context, "") + text
        *lines, rest = buffered.split("\n")
        for line in lines:
            self.console.output(_label(context), line)
        if rest:
            self._pending[context] = rest
        return len(text)

    def flush(self) -> None:
        for context, rest in list(self._pending.items()):
            del self._pending[context]
            self.console.output(_label(context), rest)
        self.console.flush()
