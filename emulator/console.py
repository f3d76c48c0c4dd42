"""What `wf dev` prints: one coloured line per instance event, and attributed print() output.

``DevConsole`` subscribes to ``engine.listeners``; ``AttributedStdout`` replaces ``sys.stdout``
so that a ``print()`` inside workflow code comes out prefixed with its instance and step (read
from the ContextVar ``emulator.step.current_step``), while the server's own output goes to the
real stream untouched.
"""

from __future__ import annotations

import io
import sys
import threading
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO

from emulator.durations import format_duration, to_iso
from emulator.step import current_step

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from emulator.clock import Clock
    from emulator.engine import Engine, EngineEvent

__all__ = ["AttributedStdout", "DevConsole", "format_event"]

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
}


def _error_text(error: Any) -> str:
    if isinstance(error, dict):
        name, message = error.get("name", "Error"), error.get("message", "")
        return f"{name}: {message}" if message else str(name)
    return str(error)


def format_event(event: EngineEvent) -> str:
    """The readable text of one engine event (without time and instance)."""
    info = event.info
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
        text += _error_text(info.get("error"))
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
        return f"errored: {_error_text(error)}" if error else "errored"
    if kind == "waitingForPause":
        return "pausing after the running step"
    if kind == "restarted":
        origin = info.get("from_step")
        if origin:
            return f"restarted from step {origin.get('name')}-{origin.get('count') or 1}"
        return "restarted"
    if kind == "warning":
        return f"warning: {info.get('message')}"
    return kind


class DevConsole:
    """Prints server and instance lines to one stream, coloured when it is a terminal."""

    def __init__(self, stream: TextIO | None = None, *, color: bool | None = None) -> None:
        self.stream = stream if stream is not None else sys.stdout
        self._color = color
        self._console: Console | None = None  # rich loads on first use: it costs ~40 ms
        self._lock = threading.Lock()
        self._clock: Clock | None = None

    @property
    def _rich(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(
                file=self.stream,
                highlight=False,
                soft_wrap=True,
                force_terminal=self._color,
                no_color=self._color is False,
            )
        return self._console

    # -- engine events ----------------------------------------------------------------------------

    def attach(self, engine: Engine) -> None:
        """Print every event of ``engine`` from now on."""
        self._clock = engine.clock
        engine.listeners.append(self.on_event)

    def detach(self, engine: Engine) -> None:
        if self.on_event in engine.listeners:
            engine.listeners.remove(self.on_event)

    def on_event(self, event: EngineEvent) -> None:
        from rich.text import Text

        line = Text()
        line.append(self._stamp(event.at), style="dim")
        line.append(" ")
        line.append(f"{event.workflow}/{event.instance}", style="bold")
        line.append(" ")
        line.append(format_event(event), style=_STYLES.get(event.kind, ""))
        self._emit(line)

    def _stamp(self, at: float) -> str:
        """Virtual time in UTC; with the date once time no longer follows the wall clock."""
        moment = datetime.fromtimestamp(at / 1000, tz=UTC)
        if self._clock is not None and self._clock.mode != "real":
            return moment.strftime("%Y-%m-%d %H:%M:%S")
        return moment.strftime("%H:%M:%S")

    # -- server lines -----------------------------------------------------------------------------

    def plain(self, message: str) -> None:
        """A line without styling (and without loading rich)."""
        with self._lock:
            self.stream.write(message + "\n")
            self.stream.flush()

    def info(self, message: str, style: str = "") -> None:
        from rich.text import Text

        self._emit(Text(message, style=style))

    def success(self, message: str) -> None:
        self.info(message, "green")

    def warn(self, message: str) -> None:
        self.info(message, "yellow")

    def error(self, message: str, details: str | None = None) -> None:
        """An error line in red, with optional details (a traceback) below it, dimmed."""
        from rich.text import Text

        text = Text(message, style="bold red")
        if details:
            text.append("\n" + details.rstrip("\n"), style="red")
        self._emit(text)

    def output(self, label: str, line: str) -> None:
        """One line printed by user code, attributed to ``label``."""
        from rich.text import Text

        text = Text()
        text.append(f"[{label}] ", style="magenta")
        text.append(line)
        self._emit(text)

    def _emit(self, text: Text) -> None:
        with self._lock:
            self._rich.print(text)
            self.stream.flush()


def _label(context: tuple[str, str, str | None]) -> str:
    workflow, instance, step = context
    return f"{workflow}/{instance} {step}" if step else f"{workflow}/{instance}"


class AttributedStdout(io.TextIOBase):
    """``sys.stdout`` for `wf dev`: prints from workflow code get their instance and step.

    Outside workflow code (no ``current_step``) writes pass straight to the real stream.
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
        context = current_step.get()
        if context is None:
            written = self.stream.write(text)
            self.stream.flush()  # piped output must not sit in a buffer
            return written
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
        self.stream.flush()
