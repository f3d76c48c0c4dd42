"""A real `wf dev` in a subprocess, and the `wf` CLI run beside it (shared by the test suites).

The suites add their own ways in: HTTP requests (tests/server) or `wf` client commands
(tests/cli, tests/compat), by subclassing :class:`DevServer`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Self

READY = "Ready on"


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wf_command() -> list[str]:
    """How to run `wf`: the venv's script next to this Python, else through the interpreter."""
    script = Path(sys.executable).with_name("wf")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from wf.cli.main import main; main()"]


def run_wf(
    *args: str, port: int | None = None, timeout: float = 60, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run one `wf` command; ``port`` adds ``--port`` (client commands); ``env`` adds variables."""
    command = [*wf_command(), *args]
    if port is not None:
        command += ["--port", str(port)]
    environment = {**os.environ, "PYTHONIOENCODING": "utf-8", "NO_COLOR": "1"}
    environment.pop("WF_PORT", None)
    for name in ("COLUMNS", "LINES"):  # pytest-xdist workers set them (80x24)
        environment.pop(name, None)
    environment.update(env or {})
    return subprocess.run(
        command, capture_output=True, text=True, encoding="utf-8", timeout=timeout, env=environment
    )


def wait_for(check: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    """Poll ``check`` until it returns something truthy (for servers and reloads, not time)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


class DevServer:
    """`wf dev PROJECT --port P ARGS...` as a subprocess; its stdout is collected in ``lines``.

    Also a context manager that stops the server on exit.
    """

    start_timeout: float = 20.0
    """Seconds :meth:`wait_ready` waits for the "Ready on" line."""

    def __init__(
        self, project: Path, *args: str, port: int | None = None, stdin: int = subprocess.DEVNULL
    ) -> None:
        self.project = project
        self.args = args
        self.port = port or free_port()
        self.lines: list[str] = []
        self._ready = threading.Event()
        self.process = subprocess.Popen(
            [*wf_command(), "dev", str(project), "--port", str(self.port), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=stdin,
            text=True,
            encoding="utf-8",
            errors="replace",
            env={**os.environ, "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"},
        )
        # Drain the log in the background so the server never blocks on a full pipe.
        self._drainer = threading.Thread(target=self._drain, daemon=True)
        self._drainer.start()

    def _drain(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            if READY in line:
                self._ready.set()
        self._ready.set()  # the process ended: stop waiting

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def log(self) -> str:
        """Everything the server printed so far."""
        return "\n".join(self.lines)

    def wait_log(self, *texts: str) -> None:
        """Wait until every text appears in the output (the pipe is read on a thread)."""
        wait_for(lambda: all(t in self.log for t in texts), what=f"{texts} in the log")

    def wait_ready(self) -> Self:
        """Wait for "Ready on"; if it never comes, kill the server and fail with its log."""
        self._ready.wait(self.start_timeout)
        if READY not in self.log:
            self.kill()
            raise AssertionError(
                f"wf dev did not print {READY!r} (exit {self.process.poll()}):\n{self.log}"
            )
        return self

    def wait_exit(self, timeout: float = 10.0) -> int:
        """Wait for the process to end on its own; its exit code, with its log read to the end."""
        code = self.process.wait(timeout=timeout)
        self._drainer.join(timeout=2)
        return code

    def signal(self, signum: int) -> None:
        """Send ``signum`` if the process still runs."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signum)

    def kill(self) -> None:
        """SIGKILL: no cleanup at all, as a crash."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM and wait for a clean exit; SIGKILL after 10 s."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
