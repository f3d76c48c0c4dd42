"""`wf dev` in a subprocess over a temporary project, driven only through HTTP."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
READY = "Ready on"
START_TIMEOUT_S = 20.0
EXPLORER = "/cdn-cgi/explorer/api"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wf_command() -> list[str]:
    script = Path(sys.executable).with_name("wf")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from cli.main import main; main()"]


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


class Answer:
    """One HTTP answer: status, headers, body (and the body as JSON when it is JSON)."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = {name.lower(): value for name, value in headers.items()}
        self.body = body

    @property
    def text(self) -> str:
        return self.body.decode()

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def result(self) -> Any:
        """The envelope's result; the answer must be a success."""
        payload = self.json
        assert self.status < 400 and payload["success"], (self.status, payload)
        return payload["result"]

    @property
    def error(self) -> str:
        """The envelope's first error message; the answer must be a failure."""
        payload = self.json
        assert payload["success"] is False and payload["result"] is None, payload
        return str(payload["errors"][0]["message"])

    def __repr__(self) -> str:
        return f"Answer({self.status}, {self.body[:300]!r})"


class DevServer:
    """A `wf dev` subprocess; its stdout is collected in ``lines``."""

    def __init__(self, project: Path, *args: str, port: int | None = None) -> None:
        self.project = project
        self.args = args
        self.port = port or free_port()
        self.lines: list[str] = []
        self._ready = threading.Event()
        self.process = subprocess.Popen(
            [*wf_command(), "dev", str(project), "--port", str(self.port), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
            errors="replace",
            env={**os.environ, "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"},
        )
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            if READY in line:
                self._ready.set()
        self._ready.set()

    @property
    def log(self) -> str:
        return "\n".join(self.lines)

    def wait_log(self, *texts: str) -> None:
        """Wait until every text appears in the output (the pipe is read on a thread)."""
        wait_for(lambda: all(t in self.log for t in texts), what=f"{texts} in the log")

    def wait_ready(self) -> DevServer:
        self._ready.wait(START_TIMEOUT_S)
        if READY not in self.log:
            self.kill()
            raise AssertionError(f"wf dev did not start (exit {self.process.poll()}):\n{self.log}")
        return self

    def wait_exit(self, timeout: float = 10.0) -> int:
        code = self.process.wait(timeout=timeout)
        deadline = time.monotonic() + 2
        while not self._ready.is_set() and time.monotonic() < deadline:
            time.sleep(0.01)
        return code

    def signal(self, signum: int) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signum)

    def kill(self) -> None:
        """SIGKILL: no cleanup at all, as a crash."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    # -- HTTP -------------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 30.0,
    ) -> Answer:
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, body=data, headers=headers or {})
            response = connection.getresponse()
            return Answer(response.status, dict(response.getheaders()), response.read())
        finally:
            connection.close()

    def get(self, path: str, **kwargs: Any) -> Answer:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Answer:
        return self.request("POST", path, body, **kwargs)

    def explorer(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Answer:
        return self.request(method, EXPLORER + path, body, **kwargs)

    def describe(self, workflow: str, instance: str) -> dict[str, Any]:
        return dict(self.explorer("GET", f"/workflows/{workflow}/instances/{instance}").result)

    def status(self, workflow: str, instance: str) -> str:
        return str(self.describe(workflow, instance)["status"])

    def wait_status(self, workflow: str, instance: str, *statuses: str) -> dict[str, Any]:
        def check() -> dict[str, Any] | None:
            details = self.describe(workflow, instance)
            return details if details["status"] in statuses else None

        return dict(wait_for(check, what=f"{workflow}/{instance} to be {statuses}"))

    def advance(self, by: str) -> dict[str, Any]:
        return dict(self.post("/cdn-cgi/wf/time/advance", {"by": by}).result)

    def generation(self) -> int:
        return int(self.get("/cdn-cgi/wf/code").result["generation"])


@pytest.fixture
def dev_server() -> Iterator[Callable[..., DevServer]]:
    """Start `wf dev` over a project (``wait_ready`` done); every server is stopped at the end."""
    servers: list[DevServer] = []

    def start(project: Path, *args: str, port: int | None = None, ready: bool = True) -> DevServer:
        server = DevServer(project, *args, port=port)
        servers.append(server)
        return server.wait_ready() if ready else server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def quickstart(tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURES / "quickstart", tmp_path / "quickstart"))


@pytest.fixture
def approvals(tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURES / "approvals", tmp_path / "approvals"))
