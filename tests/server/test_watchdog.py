"""User code that blocks the event loop is stopped at limits.cpu_ms; wf dev carries on."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import write_project

BLOCKING = """
import time

from workers import Response, WorkerEntrypoint, WorkflowEntrypoint


class Blocker(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("block", config={"retries": {"limit": 0, "delay": 0}})
        async def block():
            time.sleep(60)  # blocks the event loop: production stops it at the CPU limit
            return "never"

        return await block()


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        if request.url.endswith("/spin"):
            while True:
                pass
        return Response("ok")
"""


def blocking_project(root: Path) -> Path:
    write_project(root, BLOCKING, {"blocker": "Blocker"})
    config = root / "wrangler.jsonc"
    config.write_text(config.read_text().replace('"vars":', '"limits": {"cpu_ms": 300},\n  "vars":'))
    return root


def test_a_step_that_blocks_the_loop_fails_and_the_server_goes_on(tmp_path, dev_server):
    server = dev_server(blocking_project(tmp_path), "--time", "manual")
    created = server.explorer("POST", "/workflows/blocker/instances", {"id": "b"})
    assert created.status == 200, created
    details = server.wait_status("blocker", "b", "errored")
    # the step's error reaches run() across RPC, so its name is folded into the message
    assert details["error"]["name"] == "Error"
    assert details["error"]["message"].startswith("CpuLimitExceeded: ")
    assert 'step "block-1" of blocker/b blocked the event loop' in details["error"]["message"]
    # the server answers again; the Worker too
    assert server.get("/cdn-cgi/wf/time").status == 200
    assert server.get("/").text == "ok"


def test_a_worker_that_spins_answers_500(tmp_path, dev_server):
    server = dev_server(blocking_project(tmp_path), "--time", "manual")
    answer = server.get("/spin")
    assert answer.status == 500
    assert answer.text.startswith("CpuLimitExceeded: the Worker's fetch of GET /spin blocked")
    assert server.get("/").text == "ok"
