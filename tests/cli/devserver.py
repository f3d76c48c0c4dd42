"""A real `wf dev` in a subprocess, and the `wf` CLI run against it (for CLI and compat tests)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

READY = "Ready on"
START_TIMEOUT_S = 30.0


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
    return [sys.executable, "-c", "from cli.main import main; main()"]


def run_wf(
    *args: str, port: int | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run one `wf` command; ``port`` adds ``--port`` (client commands)."""
    command = [*wf_command(), *args]
    if port is not None:
        command += ["--port", str(port)]
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "NO_COLOR": "1"}
    env.pop("WF_PORT", None)
    return subprocess.run(
        command, capture_output=True, text=True, encoding="utf-8", timeout=timeout, env=env
    )


class DevServer:
    """`wf dev PROJECT --port P --time manual`, started and stopped by the test fixtures."""

    def __init__(self, project: Path, *extra: str) -> None:
        self.project = project
        self.port = free_port()
        self.lines: list[str] = []
        self._ready = threading.Event()
        command = [*wf_command(), "dev", str(project), "--port", str(self.port), *extra]
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
            errors="replace",
            env={**os.environ, "PYTHONUNBUFFERED": "1", "NO_COLOR": "1"},
        )
        # Drain the log in the background so the server never blocks on a full pipe.
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            if READY in line:
                self._ready.set()
        self._ready.set()  # the process ended: stop waiting

    def wait_ready(self, timeout: float = START_TIMEOUT_S) -> DevServer:
        deadline = time.monotonic() + timeout
        while not self._ready.wait(0.05):
            if time.monotonic() > deadline:
                break
        if not any(READY in line for line in self.lines):
            self.stop()
            log = "\n".join(self.lines[-30:])
            raise RuntimeError(
                f"wf dev did not print {READY!r} (exit {self.process.poll()}):\n{log}"
            )
        return self

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    @property
    def log(self) -> str:
        return "\n".join(self.lines)

    def wf(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run a client command against this server."""
        return run_wf(*args, port=self.port)

    def ok(self, *args: str) -> str:
        """Run a client command that must succeed; its stdout."""
        result = self.wf(*args)
        assert result.returncode == 0, (
            f"wf {' '.join(args)} failed ({result.returncode}):\n{result.stdout}{result.stderr}"
        )
        return result.stdout

    def json(self, *args: str) -> Any:
        """Run a client command with --json; its parsed output."""
        return json.loads(self.ok(*args, "--json"))

    def describe(self, workflow: str, instance_id: str) -> dict[str, Any]:
        return dict(self.json("instances", "describe", workflow, instance_id))

    def status(self, workflow: str, instance_id: str) -> str:
        return str(self.describe(workflow, instance_id)["status"])
