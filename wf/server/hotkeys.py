"""The hotkeys of `wf dev`, as `wrangler dev` has them: ``b`` opens the dashboard in a browser,
``c`` clears the console, ``x`` exits.

Only when stdin is a terminal: tests and scripts pipe stdin, and a key read from a pipe would
steal their input. The terminal goes to cbreak mode (keys arrive one at a time, unechoed) and is
restored on exit, and as soon as ``breakpoint()`` is called, so that pdb reads whole lines with
echo again (the hotkeys stay off from then on).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import threading
from collections.abc import Callable
from typing import Any, TextIO

HINT = "  [b] open the dashboard in a browser, [c] clear console, [x] to exit"


def _open_browser(url: str) -> None:
    import webbrowser

    # A browser launcher may block (it waits for the browser on some systems): not on the loop.
    threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()


class Hotkeys:
    """Single-key commands read from a terminal stdin while `wf dev` runs."""

    def __init__(
        self,
        url: str,
        *,
        clear: Callable[[], None],
        exit: Callable[[], None],
        say: Callable[[str], None],
        stdin: TextIO | None = None,
        open_url: Callable[[str], None] = _open_browser,
    ) -> None:
        self.url = url
        self._clear = clear
        self._exit = exit
        self._say = say
        self._stdin = stdin if stdin is not None else sys.stdin
        self._open = open_url
        self._fd: int | None = None
        self._saved: list[Any] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._hook: Callable[..., Any] | None = None

    @property
    def active(self) -> bool:
        return self._fd is not None

    def start(self) -> bool:
        """Read keys from now on; False (and nothing changed) when stdin is not a terminal."""
        try:
            fd = self._stdin.fileno()
        except (AttributeError, OSError, ValueError):
            return False
        if not os.isatty(fd):
            return False
        import termios
        import tty

        try:
            self._saved = termios.tcgetattr(fd)
            tty.setcbreak(fd)
        except termios.error:
            return False
        self._fd = fd
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(fd, self._read)
        self._hook = sys.breakpointhook
        sys.breakpointhook = self._before_breakpoint
        return True

    def stop(self) -> None:
        """Stop reading and give the terminal back as it was."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        if self._loop is not None:
            with contextlib.suppress(Exception):
                self._loop.remove_reader(fd)
        if self._saved is not None:
            import termios

            with contextlib.suppress(termios.error):
                termios.tcsetattr(fd, termios.TCSADRAIN, self._saved)
        if self._hook is not None and sys.breakpointhook == self._before_breakpoint:
            sys.breakpointhook = self._hook

    def _before_breakpoint(self, *args: Any, **kwargs: Any) -> Any:
        hook = self._hook or sys.__breakpointhook__
        self.stop()  # pdb needs the terminal as it was: line input, with echo
        return hook(*args, **kwargs)

    def _read(self) -> None:
        if self._fd is None:
            return
        try:
            data = os.read(self._fd, 64)
        except OSError:
            data = b""
        if not data:  # the terminal went away
            self.stop()
            return
        for key in data.decode("utf-8", "replace").lower():
            self.press(key)

    def press(self, key: str) -> None:
        """Act on one key; other keys are ignored, as wrangler does."""
        if key == "b":
            self._say(f"Opening {self.url} in a browser")
            self._open(self.url)
        elif key == "c":
            self._clear()
        elif key == "x":
            self._exit()
