"""`wf dev` in a subprocess over a temporary project, driven only through HTTP."""

from __future__ import annotations

import http.client
import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import devserver
from tests.devserver import wait_for

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
EXPLORER = "/cdn-cgi/explorer/api"


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


class DevServer(devserver.DevServer):
    """A `wf dev` subprocess driven only through HTTP; its stdout is collected in ``lines``."""

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
