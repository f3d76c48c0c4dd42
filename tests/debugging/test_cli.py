"""Tracebacks and logs through `wf dev`: the console, `wf instances describe`, `wf logs`."""

from __future__ import annotations

import json
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.devserver import DevServer, wf_command
from tests.conftest import write_project
from tests.debugging.conftest import FLAKY
from tests.devserver import wait_for

WAITER = """

class Waiter(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do()
        async def hello():
            print("waiting for approval")
            return 1

        await hello()
        approval = await step.wait_for_event("approve", "approval", "1 hour")

        @step.do()
        async def after():
            print("approved:", approval["payload"]["ok"])
            return 2

        return await after()
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    root = tmp_path_factory.mktemp("debugging") / "shop"
    write_project(root, FLAKY + WAITER, {"shop": "MyWorkflow", "waiter": "Waiter"})
    with DevServer(root, "--time", "manual").wait_ready() as dev:
        yield dev


def _errored(server: DevServer, instance_id: str) -> None:
    server.ok("trigger", "shop", '{"fail": true}', "--id", instance_id)
    server.ok("time", "advance", "10 seconds")
    wait_for(lambda: server.status("shop", instance_id) == "errored", what="errored")


def test_the_console_prints_a_failed_attempts_traceback(server: DevServer) -> None:
    _errored(server, "console")
    server.wait_log("shop/console step ship-1 failed on attempt 1")
    log = server.log
    at = log.index("shop/console step charge-1 failed on attempt 1")
    line, *below = log[at:].split("\n")[:7]
    assert line.endswith("KeyError: 'missing_key'; retrying in 10s")
    assert below[0] == "Traceback (most recent call last):"
    assert '  File "src/entry.py", line 21, in charge' in below
    assert "KeyError: 'missing_key'" in below
    # print() output is still echoed, attributed to its instance and step
    assert "[shop/console charge-1] charging, attempt 1" in log


def test_describe_shows_tracebacks_and_the_last_log_lines(server: DevServer) -> None:
    _errored(server, "described")
    text = server.ok("instances", "describe", "shop", "described")
    assert "Traceback of ship-1:" in text
    assert '    File "src/entry.py", line 29, in ship' in text
    assert "  ValueError: no address" in text
    assert "Traceback:\n" in text  # run()'s own
    assert "Logs:" in text
    assert "charge-1 #2 warn  card declined once" in text
    assert "ship-1 #1 log   shipping" in text
    details = server.describe("shop", "described")
    assert details["traceback"].endswith("\n")
    ship = details["steps"][1]
    assert ship["traceback"].endswith("ValueError: no address\n")
    assert ship["attempts"][0]["traceback"] == ship["traceback"]
    assert ship["attempts"][0]["error"]["name"] == "Error"  # Cloudflare's field as it was
    assert [x["message"] for x in details["logs"] if x["step"] == "ship-1"] == ["shipping"]
    assert {"seq", "at", "step", "attempt", "level", "message"} <= set(details["logs"][0])


def test_wf_logs_prints_the_log_and_one_step(server: DevServer) -> None:
    _errored(server, "logged")
    text = server.ok("logs", "shop", "logged")
    lines = text.splitlines()
    assert lines[0].endswith("run() log   run starts for logged")
    assert any(line.endswith("charge-1 #1 log   charging, attempt 1") for line in lines)
    assert "2026-" in lines[0] and "UTC" in lines[0]
    only = server.ok("logs", "shop", "logged", "--step", "charge").splitlines()
    assert len(only) == 4 and all(" charge-1 #" in line for line in only)
    data = server.json("logs", "shop", "logged", "--step", "ship-1")
    assert data["status"] == "errored"
    assert [(x["step"], x["attempt"], x["message"]) for x in data["lines"]] == [
        ("ship-1", 1, "shipping")
    ]
    assert "No lines logged" in server.ok("logs", "shop", "logged", "--step", "nothing")


def test_wf_logs_of_an_unknown_instance_fails_with_one_line(server: DevServer) -> None:
    result = server.wf("logs", "shop", "nobody")
    assert result.returncode == 1
    assert "nobody" in result.stderr and "Traceback" not in result.stderr
    result = server.wf("logs", "nope", "x")
    assert result.returncode == 1 and "shop" in result.stderr  # lists the workflows


def test_the_logs_route_names_bad_input(server: DevServer) -> None:
    _errored(server, "routed")
    base = f"http://127.0.0.1:{server.port}/cdn-cgi/wf/logs/shop"
    with urllib.request.urlopen(f"{base}/routed?step=ship&after=0") as answer:
        result = json.loads(answer.read())["result"]
    assert result["status"] == "errored"
    assert [x["message"] for x in result["lines"]] == ["shipping"]
    with urllib.request.urlopen(f"{base}/routed?after={result['next']}") as answer:
        assert json.loads(answer.read())["result"]["lines"] == []  # nothing since
    for path, status, text in (
        ("/routed?after=soon", 400, "after must be a whole number, got 'soon'"),
        ("/routed?limit=-1", 400, "limit must be a whole number"),
        ("/nobody", 404, "nobody"),
    ):
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(base + path)
        assert caught.value.code == status
        body = json.loads(caught.value.read())
        assert text in body["errors"][0]["message"]


def _follow(server: DevServer, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*wf_command(), "logs", *args, "--follow", "--port", str(server.port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _first_line(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    return process.stdout.readline()


def test_follow_ends_when_the_instance_completes(server: DevServer) -> None:
    server.ok("trigger", "waiter", "--id", "followed")
    wait_for(lambda: server.status("waiter", "followed") == "waiting", what="waiting")
    follower = _follow(server, "waiter", "followed", "--json")
    try:
        first = json.loads(_first_line(follower))
        assert first["message"] == "waiting for approval"
        server.ok(
            "send-event", "waiter", "followed", "--type", "approval", "--payload", '{"ok": true}'
        )
        out, err = follower.communicate(timeout=20)
    finally:
        follower.kill()
    assert follower.returncode == 0, err
    last = [json.loads(line) for line in out.splitlines()]
    assert last[-1]["message"] == "approved: True"
    assert last[-1]["step"] == "after-1"


def test_follow_ends_on_ctrl_c(server: DevServer) -> None:
    server.ok("trigger", "waiter", "--id", "interrupted")
    wait_for(lambda: server.status("waiter", "interrupted") == "waiting", what="waiting")
    follower = _follow(server, "waiter", "interrupted")
    try:
        assert _first_line(follower).rstrip().endswith("hello-1 #1 log   waiting for approval")
        time.sleep(0.3)  # it polls now: the signal arrives while it waits for more
        follower.send_signal(signal.SIGINT)
        _, err = follower.communicate(timeout=20)
    finally:
        follower.kill()
    assert follower.returncode == 0
    assert "Traceback" not in err


def test_tracebacks_and_logs_survive_kill_9(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    write_project(root, FLAKY + WAITER, {"shop": "MyWorkflow", "waiter": "Waiter"})
    with DevServer(root, "--time", "manual").wait_ready() as first:
        _errored(first, "kept")
        before = first.describe("shop", "kept")
        first.kill()
    with DevServer(root, "--time", "manual").wait_ready() as second:
        after = second.describe("shop", "kept")
    assert after["traceback"] == before["traceback"]
    assert after["steps"][1]["traceback"] == before["steps"][1]["traceback"]
    assert after["logs"] == before["logs"]
    assert len(after["logs"]) == 7
