"""User code that blocks the event loop is stopped at limits.cpu_ms; wf dev carries on."""

from __future__ import annotations

import re
import subprocess
import threading
import time
from pathlib import Path

from tests.conftest import write_project
from tests.devserver import wait_for
from tests.server.conftest import Answer, DevServer

BLOCKING = """
import sys
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
        if request.url.endswith("/traced"):
            sys.settrace(lambda *args: None)  # what a debugger does
            try:
                time.sleep(0.6)  # twice limits.cpu_ms
            finally:
                sys.settrace(None)
            return Response("waited")
        if request.url.endswith("/nap"):
            time.sleep(0.6)  # twice limits.cpu_ms
            return Response("napped")
        if request.url.endswith("/pdb"):
            breakpoint()
            return Response("after the breakpoint")
        return Response("ok")
"""


def line_of(text: str) -> int:
    """The line of ``text`` in the project's src/entry.py (written from BLOCKING as it is)."""
    return BLOCKING.splitlines().index(text) + 1


def blocking_project(root: Path) -> Path:
    write_project(root, BLOCKING, {"blocker": "Blocker"})
    config = root / "wrangler.jsonc"
    config.write_text(
        config.read_text().replace('"vars":', '"limits": {"cpu_ms": 300},\n  "vars":')
    )
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
    # where the code was when it was stopped: the user's file and line
    sleep_line = line_of(
        "            time.sleep(60)  # blocks the event loop: production stops it at the CPU limit"
    )
    assert f"entry.py:{sleep_line} in block" in details["error"]["message"]
    # the server answers again; the Worker too
    assert server.get("/cdn-cgi/wf/time").status == 200
    assert server.get("/").text == "ok"


def test_a_worker_that_spins_answers_500(tmp_path, dev_server):
    server = dev_server(blocking_project(tmp_path), "--time", "manual")
    answer = server.get("/spin")
    assert answer.status == 500
    assert answer.text.startswith("CpuLimitExceeded: the Worker's fetch of GET /spin blocked")
    found = re.search(r"stopped at (\S+):(\d+) in fetch", answer.text)
    assert found, answer.text
    assert found[1].endswith("entry.py")
    assert int(found[2]) in (line_of("            while True:"), line_of("                pass"))
    assert server.get("/").text == "ok"


def test_code_under_a_trace_function_is_left_alone(tmp_path, dev_server):
    """A debugger traces the thread it stops; the watchdog then does not interrupt the code."""
    server = dev_server(blocking_project(tmp_path), "--time", "manual")
    answer = server.get("/traced")
    assert (answer.status, answer.text) == (200, "waited")
    assert server.get("/spin").status == 500  # and without one, it still stops a busy loop


def test_pdb_at_a_breakpoint_outlives_the_cpu_limit(tmp_path):
    """pdb reads commands from wf dev's stdin while the loop waits; the watchdog steps aside,
    so the session goes on and "c" continues the request."""
    with DevServer(blocking_project(tmp_path), "--time", "manual", stdin=subprocess.PIPE) as server:
        server.wait_ready()
        answers: list[Answer] = []
        request = threading.Thread(target=lambda: answers.append(server.get("/pdb")))
        request.start()
        server.wait_log('-> return Response("after the breakpoint")')  # pdb shows the line
        time.sleep(0.6)  # real time at the prompt, twice limits.cpu_ms
        assert server.process.stdin is not None
        server.process.stdin.write("c\n")
        server.process.stdin.flush()
        request.join(timeout=20)
        assert [(a.status, a.text) for a in answers] == [(200, "after the breakpoint")]
        assert "CpuLimitExceeded" not in server.log
        wait_for(lambda: server.get("/spin").status == 500, what="the watchdog back on")


def test_debug_turns_the_watchdog_off(tmp_path, dev_server):
    server = dev_server(blocking_project(tmp_path), "--time", "manual", "--debug")
    server.wait_log("debug: no CPU limit")
    answer = server.get("/nap")  # holds the loop for twice limits.cpu_ms, untraced
    assert (answer.status, answer.text) == (200, "napped")


def test_without_debug_the_same_nap_is_stopped(tmp_path, dev_server):
    server = dev_server(blocking_project(tmp_path), "--time", "manual")
    answer = server.get("/nap")
    assert answer.status == 500
    assert answer.text.startswith("CpuLimitExceeded: the Worker's fetch of GET /nap blocked")
