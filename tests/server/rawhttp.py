"""Raw HTTP over a socket (for requests no client library would send), and state snapshots."""

from __future__ import annotations

import contextlib
import json
import socket
import time
from dataclasses import dataclass, field
from typing import Any

from tests.server.conftest import DevServer


@dataclass
class RawAnswer:
    """What came back on the socket: the parsed status line, headers and body, if any."""

    data: bytes
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    closed: bool = False  # the server closed the connection
    client_port: int = 0  # the local port, which the server's console lines name

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def error(self) -> str:
        payload = self.json
        assert payload["success"] is False and payload["result"] is None, payload
        return str(payload["errors"][0]["message"])


def parse_answer(data: bytes, closed: bool) -> RawAnswer:
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    answer = RawAnswer(data, closed=closed)
    if not lines[0].startswith("HTTP/"):
        return answer
    answer.status = int(lines[0].split()[1])
    for line in lines[1:]:
        name, _, value = line.partition(":")
        answer.headers[name.strip().lower()] = value.strip()
    length = answer.headers.get("content-length")
    answer.body = body[: int(length)] if length is not None else body
    return answer


def send_raw(port: int, data: bytes, *, timeout: float = 10.0) -> RawAnswer:
    """Send ``data`` at once and read until the server closes or one whole answer came."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        # the server may answer and close before taking everything
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(data)
        answer = read_answer(sock, timeout=timeout)
        answer.client_port = sock.getsockname()[1]
        return answer


def read_answer(sock: socket.socket, *, timeout: float = 10.0) -> RawAnswer:
    """Read one answer (by its Content-Length) or up to the close of the connection."""
    deadline = time.monotonic() + timeout
    data = b""
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            break
        except ConnectionResetError:
            return parse_answer(data, closed=True)
        if not chunk:
            return parse_answer(data, closed=True)
        data += chunk
        answer = parse_answer(data, closed=False)
        length = answer.headers.get("content-length")
        if length is not None and len(answer.body) >= int(length):
            return answer
    return parse_answer(data, closed=False)


def snapshot(server: DevServer) -> dict[str, Any]:
    """Every instance of every workflow, described, plus the clock: what bad input must not move."""
    state: dict[str, Any] = {"time": server.get("/cdn-cgi/wf/time").result["now_ms"]}
    for workflow in server.explorer("GET", "/workflows").result:
        name = workflow["name"]
        listing = server.explorer("GET", f"/workflows/{name}/instances?per_page=100").result
        state[name] = {row["id"]: server.describe(name, row["id"]) for row in listing}
    return state


def new_lines(server: DevServer, start: int) -> list[str]:
    """The console lines printed since ``len(server.lines)`` was ``start``."""
    return server.lines[start:]
