"""Live updates: ``GET /cdn-cgi/wf/live`` is a server-sent event stream of instance and clock
events, which the dashboard reloads on instead of polling every second."""

from __future__ import annotations

import http.client
import json
import time
from typing import Any

from tests.server.conftest import DevServer


class EventStream:
    """An open ``text/event-stream`` answer; every event read is kept in ``seen``."""

    def __init__(self, server: DevServer) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        self.connection.request("GET", "/cdn-cgi/wf/live")
        self.response = self.connection.getresponse()
        self.seen: list[tuple[str, dict[str, Any]]] = []

    def next(self, kind: str, match: Any = None, timeout: float = 10.0) -> dict[str, Any]:
        """The first event of ``kind`` (whose data ``match`` accepts), read now or before:
        instance and clock events interleave in no promised order."""
        found = self._find(kind, match)
        deadline = time.monotonic() + timeout
        event, data = "message", ""
        while found is None and time.monotonic() < deadline:
            line = self.response.readline().decode().rstrip("\n")
            if line.startswith("event: "):
                event = line[len("event: ") :]
            elif line.startswith("data: "):
                data = line[len("data: ") :]
            elif not line:
                if data:
                    self.seen.append((event, json.loads(data)))
                    found = self._find(kind, match)
                event, data = "message", ""
        if found is None:
            raise AssertionError(f"no {kind} event in {timeout} s: {self.seen}")
        return found

    def _find(self, kind: str, match: Any) -> dict[str, Any] | None:
        for event, data in self.seen:
            if event == kind and (match is None or match(data)):
                return data
        return None

    def close(self) -> None:
        self.connection.close()


def test_stream_pushes_instance_and_clock_events(quickstart, dev_server) -> None:
    server: DevServer = dev_server(quickstart, "--time", "manual", "--no-reload")
    stream = EventStream(server)
    try:
        assert stream.response.status == 200
        assert stream.response.getheader("Content-Type") == "text/event-stream"
        first = stream.next("time")  # the clock as it is, on connecting
        assert first["mode"] == "manual" and first["pending_timers"] == 0

        created = server.explorer(
            "POST", "/workflows/onboarding/instances", {"id": "ada", "params": {"name": "Ada"}}
        )
        assert created.status == 200
        started = stream.next("instance", lambda e: e["kind"] == "started")
        assert (started["workflow"], started["instance"]) == ("onboarding", "ada")
        sleeping = stream.next("instance", lambda e: e["kind"] == "sleeping")
        assert sleeping["info"]["step"] == "wait a week-1"
        timer = stream.next("time", lambda e: e["pending_timers"] == 1)  # the week's sleep
        assert timer["next_timer"] is not None

        server.advance("7 days")
        done = stream.next("instance", lambda e: e["kind"] == "complete")
        assert done["instance"] == "ada"
        due = timer["next_timer_ms"]
        moved = stream.next("time", lambda e: e["now_ms"] >= due)
        assert moved["pending_timers"] == 0
    finally:
        stream.close()


def test_streams_end_when_the_server_stops(quickstart, dev_server) -> None:
    server: DevServer = dev_server(quickstart, "--no-reload")
    stream = EventStream(server)
    stream.next("time")
    started = time.monotonic()
    server.stop()
    assert server.process.returncode == 0, server.log
    assert time.monotonic() - started < 8  # an open stream does not hold the shutdown
    try:
        rest = stream.response.read()
    except (TimeoutError, ConnectionError):
        rest = b""
    assert b"Traceback" not in rest
    stream.close()
