"""The programmatic entries: create_app over an engine, and serve() in the running loop."""

from __future__ import annotations

import asyncio
import json
import shutil
import urllib.request
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from tests.conftest import START
from tests.server.conftest import FIXTURES
from wf.bindings import Env
from wf.clock import Clock
from wf.config import load_config
from wf.engine import Engine
from wf.project import Project
from wf.server import DevOptions, create_app, serve


async def test_create_app_serves_an_engine(tmp_path: Path) -> None:
    project_dir = Path(shutil.copytree(FIXTURES / "quickstart", tmp_path / "qs"))
    config = load_config(project_dir)
    project = Project(config)
    engine = Engine(
        config, project.load().workflow_classes, clock=Clock("manual", now=START), make_env=Env
    )
    await engine.start()
    client = TestClient(TestServer(create_app(engine, project)))
    await client.start_server()
    try:
        started = await client.post("/start", json={"name": "Ida"})
        assert started.status == 201
        instance = (await started.json())["id"]
        advanced = await client.post("/cdn-cgi/wf/time/advance", json={"by": "7 days"})
        assert (await advanced.json())["result"]["pending_timers"] == 0
        details = await client.get(
            f"/cdn-cgi/explorer/api/workflows/onboarding/instances/{instance}"
        )
        body = await details.json()
        assert body["success"] is True and body["result"]["status"] == "complete"
    finally:
        await client.close()
        await engine.close()


async def test_serve_runs_until_stopped(tmp_path: Path) -> None:
    project_dir = Path(shutil.copytree(FIXTURES / "quickstart", tmp_path / "qs"))
    ready: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    stop = asyncio.Event()
    options = DevOptions(directory=project_dir, port=0, time="manual", reload=False)
    task = asyncio.create_task(serve(options, stop=stop, on_ready=ready.set_result))
    url = await asyncio.wait_for(ready, 20)

    def get_time() -> dict:
        with urllib.request.urlopen(url + "/cdn-cgi/wf/time") as answer:
            return dict(json.load(answer)["result"])

    assert (await asyncio.to_thread(get_time))["mode"] == "manual"
    stop.set()
    assert await asyncio.wait_for(task, 20) == 0
    assert (project_dir / ".wf" / "state.sqlite3").exists()


def test_public_surface() -> None:
    import wf.server

    assert sorted(wf.server.__all__) == [
        "DevOptions",
        "DevSession",
        "create_app",
        "run",
        "serve",
    ]
    for name in wf.server.__all__:
        assert getattr(wf.server, name) is not None
