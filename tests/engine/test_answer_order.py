"""An HTTP answer waits for its commit, not for the passes its write starts (issue 7).

The pass a create (or an event) wakes runs after the answers waiting for that commit: the
create is durable and answered before the instance's code runs.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from wf.engine import Engine
from wf.project import Project
from wf.server import create_app
from wf.store import Store

SOURCE = """
from workers import WorkflowEntrypoint

class Marker(WorkflowEntrypoint):
    async def run(self, event, step):
        with open(event["payload"]["marker"], "a") as out:
            out.write(event["instanceId"] + "\\n")
        got = await step.wait_for_event("wait", "go", timeout="1 day")
        with open(event["payload"]["marker"], "a") as out:
            out.write("got " + event["instanceId"] + "\\n")
        return got["payload"]
"""

BASE = "/cdn-cgi/explorer/api/workflows/marker/instances"


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


async def test_answers_go_out_before_the_passes_they_start(make_engine, tmp_path: Path) -> None:
    engine: Engine = await make_engine(
        SOURCE, {"marker": "Marker"}, store=Store(tmp_path / "state.sqlite3")
    )
    app = create_app(engine, Project(engine.config))
    marker = tmp_path / "runs.txt"
    seen: dict[str, list[str]] = {}

    async def on_prepare(request: web.Request, response: web.StreamResponse) -> None:
        seen[request.path] = lines(marker)  # what instance code has run when the answer goes

    app.on_response_prepare.append(on_prepare)
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        params = {"marker": str(marker)}
        answers = await asyncio.gather(
            *(client.post(BASE, json={"id": f"i{n}", "params": params}) for n in range(5))
        )
        assert [a.status for a in answers] == [200] * 5
        await engine.settle()
        assert sorted(lines(marker)) == [f"i{n}" for n in range(5)]
        sent = await client.post(f"{BASE}/i0/events/go", json={"n": 1})
        assert sent.status == 200
        await engine.settle()
    finally:
        await client.close()
    assert seen[BASE] == []  # no create's answer waited for an instance's code
    assert "got i0" not in seen[f"{BASE}/i0/events/go"]
    assert lines(marker)[-1] == "got i0"
    assert engine.status("marker", "i0")["output"] == {"n": 1}
