"""The Worker behind `wf dev`: fetch handlers, responses, errors, print attribution."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.conftest import write_project


def test_quickstart_week_long_sleep_is_fast_forwarded(quickstart: Path, dev_server) -> None:
    server = dev_server(quickstart, "--time", "manual")
    created = server.post("/start", {"name": "Ada"})
    assert created.status == 201
    instance = created.json["id"]

    status = server.get(f"/status/{instance}").json
    assert status["status"] == "waiting"

    server.advance("7 days")  # answers once the instance has settled

    status = server.get(f"/status/{instance}").json
    assert status["status"] == "complete"
    assert status["output"]["welcome"] == {"message": "Welcome, Ada!"}
    assert status["output"]["check_in"]["message"].startswith("One week in")

    details = server.describe("onboarding", instance)
    assert [(s["type"], s["name"]) for s in details["steps"]] == [
        ("step", "welcome-1"),
        ("sleep", "wait a week-1"),
        ("step", "check_in-1"),
    ]
    assert details["trigger"] == {"source": "binding"}
    assert details["params"] == {"name": "Ada"}
    assert details["success"] is True
    # One console line per event, attributed to the instance.
    server.wait_log(
        f"onboarding/{instance} sleeping in wait a week-1 until",
        f"onboarding/{instance} complete",
    )


WORKER = """
import asyncio

from workers import Response, WorkerEntrypoint, WorkflowEntrypoint


class Chatty(WorkflowEntrypoint):
    async def run(self, event, step):
        print("outside any step")

        @step.do("talk")
        async def talk():
            print("hello from", "a step")
            return 1

        return await talk()


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = request.url.split("/", 3)[-1]
        if path == "boom":
            raise ValueError("the Worker broke")
        if path == "missing":
            await self.env.CHATTY.get("no-such-instance")
        if path == "none":
            return None
        if path == "bytes":
            return Response(b"\\x00\\x01", status=202, headers={"X-Kind": "bytes"})
        if path == "json":
            return Response.json({"a": [1, 2]}, status=418)
        if path == "echo":
            return Response(await request.text(), headers={"content-type": "text/x-echo"})
        if path == "hang":
            await asyncio.Event().wait()
        if path == "chat":
            instance = await self.env.CHATTY.create(id="chat1")
            return Response(instance.id)
        return Response("hello " + request.method)
"""


def test_responses_and_errors(tmp_path: Path, dev_server) -> None:
    project = write_project(tmp_path / "p", WORKER, {"chatty": "Chatty"})
    server = dev_server(project, "--time", "manual")

    plain = server.get("/")
    assert (plain.status, plain.text) == (200, "hello GET")
    assert plain.headers["content-type"].startswith("text/plain")

    raw = server.get("/bytes")
    assert (raw.status, raw.body, raw.headers["x-kind"]) == (202, b"\x00\x01", "bytes")

    data = server.get("/json")
    assert (data.status, data.json) == (418, {"a": [1, 2]})
    assert data.headers["content-type"].startswith("application/json")

    echo = server.post("/echo", raw=b"ping")
    assert (echo.text, echo.headers["content-type"]) == ("ping", "text/x-echo")

    boom = server.get("/boom")
    assert boom.status == 500
    assert boom.text.strip() == "ValueError: the Worker broke"
    server.wait_log("Traceback", "ValueError: the Worker broke")

    # A binding's error not caught by the Worker is a 500 too, as workerd answers.
    missing = server.get("/missing")
    assert missing.status == 500
    assert "instance.not_found" in missing.text

    wrong = server.get("/none")
    assert wrong.status == 500
    assert "must return a workers.Response, got NoneType" in wrong.text

    assert server.get("/").status == 200  # the server goes on

    # A Worker that never answers holds only its own request.
    with pytest.raises(TimeoutError):
        server.get("/hang", timeout=0.3)
    assert server.get("/").status == 200

    # print() inside workflow code comes out attributed to its instance and step.
    assert server.get("/chat").text == "chat1"
    server.wait_status("chatty", "chat1", "complete")
    server.wait_log("[chatty/chat1 talk-1] hello from a step", "[chatty/chat1] outside any step")

    # Shutting down does not wait for the hanging request.
    server.signal(signal.SIGTERM)
    assert server.wait_exit() == 0


ON_FETCH = """
from workers import Response


async def on_fetch(request, env):
    return Response("old style, greeting " + env.GREETING)
"""


def test_module_level_on_fetch(tmp_path: Path, dev_server) -> None:
    project = write_project(tmp_path / "p", ON_FETCH, {})  # vars: GREETING = "hello"
    server = dev_server(project)
    answer = server.get("/anything?x=1")
    assert (answer.status, answer.text) == (200, "old style, greeting hello")
