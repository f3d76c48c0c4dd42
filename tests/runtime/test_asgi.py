"""`workers.asgi`: an ASGI app (raw, or FastAPI when installed) served from a Python Worker.

Semantics from workers-py packages/runtime-sdk/src/workers/asgi.py: `asgi.fetch(app, request,
env)` runs a lifespan startup/shutdown around the request, the scope carries `env`, `path` is
percent-decoded with `raw_path` and `query_string` as sent, and the answer is a JS Response.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from tests.conftest import START
from wf.testing import Emulator

RAW_APP = """
import json
from workers import WorkerEntrypoint, asgi

events = []


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            events.append(message["type"])
            if message["type"] == "lifespan.startup":
                scope["state"]["greeting"] = "hello"
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    answer = {
        "method": scope["method"],
        "path": scope["path"],
        "raw_path": scope["raw_path"].decode(),
        "query": scope["query_string"].decode(),
        "body": body.decode(),
        "env_var": scope["env"].GREETING,
        "state": scope["state"]["greeting"],
        "header": dict(scope["headers"]).get(b"x-test", b"").decode(),
        "lifespan": events,
    }
    await send({"type": "http.response.start", "status": 201,
                "headers": [(b"content-type", b"application/json"), (b"set-cookie", b"a=1"),
                            (b"set-cookie", b"b=2")]})
    await send({"type": "http.response.body", "body": json.dumps(answer).encode()[:5], "more_body": True})
    await send({"type": "http.response.body", "body": json.dumps(answer).encode()[5:]})


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return await asgi.fetch(app, request, self.env)
"""

FASTAPI_APP = """
from fastapi import Depends, FastAPI
from pydantic import BaseModel
from workers import WorkerEntrypoint, asgi

app = FastAPI()


class Job(BaseModel):
    name: str


@app.get("/hello/{name}")
async def hello(name: str, env=asgi.env):
    return {"message": f"{env.GREETING}, {name}"}


@app.post("/jobs")
async def create(job: Job, env=asgi.env):
    instance = await env.JOBS.create(params={"name": job.name})
    return {"id": instance.id}


class Jobs:
    pass


Default = asgi.entrypoint(app)

from workers import WorkflowEntrypoint


class JobFlow(WorkflowEntrypoint):
    async def run(self, event, step):
        return event["payload"]["name"]
"""


def write_project(root: Path, source: str) -> Path:
    (root / "src").mkdir(parents=True, exist_ok=True)
    (root / "src" / "entry.py").write_text(textwrap.dedent(source))
    (root / "wrangler.jsonc").write_text(
        json.dumps(
            {
                "name": "asgi-project",
                "main": "src/entry.py",
                "compatibility_date": "2026-08-14",
                "compatibility_flags": ["python_workers"],
                "vars": {"GREETING": "Hi"},
                "workflows": [{"name": "jobs", "binding": "JOBS", "class_name": "JobFlow"}],
            }
        )
    )
    return root


async def test_a_raw_asgi_app_gets_the_scope_body_env_and_lifespan(tmp_path: Path) -> None:
    source = (
        RAW_APP
        + "\n\nfrom workers import WorkflowEntrypoint\n\n\nclass JobFlow(WorkflowEntrypoint):\n    async def run(self, event, step):\n        return 1\n"
    )
    async with Emulator(write_project(tmp_path, source), now=START) as emu:
        reply = await emu.fetch(
            "/caf%C3%A9/x?q=1%202", method="POST", body="payload", headers={"x-test": "yes"}
        )
        assert reply.status == 201
        assert reply.headers.get("content-type") == "application/json"
        assert json.loads(await reply.text()) == {
            "method": "POST",
            "path": "/café/x",
            "raw_path": "/caf%C3%A9/x",
            "query": "q=1%202",
            "body": "payload",
            "env_var": "Hi",
            "state": "hello",
            "header": "yes",
            "lifespan": ["lifespan.startup"],
        }
        # shutdown ran after the response: the next request sees the whole cycle
        second = json.loads(await (await emu.fetch("/")).text())
        assert second["lifespan"][:3] == [
            "lifespan.startup",
            "lifespan.shutdown",
            "lifespan.startup",
        ]


async def test_an_app_without_a_response_fails_the_request(tmp_path: Path) -> None:
    source = """
from workers import WorkerEntrypoint, WorkflowEntrypoint, asgi


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        raise RuntimeError("no lifespan here")


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return await asgi.fetch(app, request, self.env)


class JobFlow(WorkflowEntrypoint):
    async def run(self, event, step):
        return 1
"""
    async with Emulator(write_project(tmp_path, source), now=START) as emu:
        with pytest.raises(RuntimeError, match="The application did not generate a response"):
            await emu.fetch("/")


async def test_a_fastapi_app_serves_routes_reads_env_and_starts_a_workflow(tmp_path: Path) -> None:
    pytest.importorskip("fastapi", reason="FastAPI is in the test extras; not installed here")
    async with Emulator(write_project(tmp_path, FASTAPI_APP), now=START) as emu:
        reply = await emu.fetch("/hello/Ada")
        assert reply.status == 200
        assert json.loads(await reply.text()) == {"message": "Hi, Ada"}
        created = await emu.fetch("/jobs", method="POST", json={"name": "build"})
        instance_id = json.loads(await created.text())["id"]
        instance = emu.introspect_instance("JOBS", instance_id)
        await instance.wait_for_status("complete")
        assert await instance.get_output() == "build"
        invalid = await emu.fetch("/jobs", method="POST", json={"nom": 1})
        assert invalid.status == 422
        missing = await emu.fetch("/nowhere")
        assert missing.status == 404
