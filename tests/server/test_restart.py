"""Restart recovery: after SIGKILL or Ctrl-C the next `wf dev` resumes every unfinished instance."""

from __future__ import annotations

import signal
from pathlib import Path

from tests.conftest import write_project
from tests.server.conftest import wait_for

SOURCE = """
import asyncio
from pathlib import Path

from workers import WorkflowEntrypoint

HERE = Path(__file__).parent


async def real_pause(seconds):
    # Polls the real world: asyncio.sleep in manual time waits for the clock to be advanced.
    loop = asyncio.get_running_loop()
    tick = loop.create_future()
    loop.call_later(seconds, tick.set_result, None)
    await tick


def effect(text):
    with (HERE / "effects.txt").open("a") as out:
        out.write(text + "\\n")


class Sleeper(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("before")
        async def before():
            effect("sleeper before")

        await before()
        await step.sleep("nap", "1 day")

        @step.do("after")
        async def after():
            effect("sleeper after")
            return "rested"

        return await after()


class Blocker(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("setup")
        async def setup():
            effect("blocker setup")

        await setup()

        @step.do("block", config={"retries": {"limit": 0, "delay": 0}})
        async def block():
            effect("blocker block started")
            while not (HERE / "go").exists():
                await real_pause(0.02)
            effect("blocker block finished")
            return "unblocked"

        return await block()
"""


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_sigkill_while_sleeping_and_mid_step(tmp_path: Path, dev_server) -> None:
    project = write_project(tmp_path / "p", SOURCE, {"sleeper": "Sleeper", "blocker": "Blocker"})
    effects = project / "src" / "effects.txt"
    state = tmp_path / "state"
    first = dev_server(project, "--time", "manual", "--persist-to", str(state))
    first.explorer("POST", "/workflows/sleeper/instances", {"id": "s1"})
    first.wait_status("sleeper", "s1", "waiting")
    first.advance("2 hours")
    first.explorer("POST", "/workflows/blocker/instances", {"id": "b1"})
    wait_for(lambda: "blocker block started" in lines(effects), what="the blocking step")
    before_kill = first.get("/cdn-cgi/wf/time").result["now_ms"]
    first.kill()

    # No --time: the persisted manual mode and virtual now carry over.
    second = dev_server(project, "--persist-to", str(state))
    clock = second.get("/cdn-cgi/wf/time").result
    assert clock["mode"] == "manual" and clock["now_ms"] == before_kill
    assert (state / "state.sqlite3").exists()

    (project / "src" / "go").touch()
    second.wait_status("blocker", "b1", "complete")
    second.advance("22 hours")  # the sleep was due one day after it started
    assert second.describe("sleeper", "s1")["output"] == "rested"
    assert second.describe("blocker", "b1")["output"] == "unblocked"

    seen = lines(effects)
    # Completed steps ran once; the step killed mid-way ran again, as on Cloudflare.
    assert seen.count("sleeper before") == 1
    assert seen.count("sleeper after") == 1
    assert seen.count("blocker setup") == 1
    assert seen.count("blocker block started") == 2
    assert seen.count("blocker block finished") == 1


def test_ctrl_c_shuts_down_cleanly_and_state_survives(quickstart: Path, dev_server) -> None:
    server = dev_server(quickstart, "--time", "manual")
    instance = server.post("/start", {"name": "Bo"}).json["id"]
    server.wait_status("onboarding", instance, "waiting")
    server.signal(signal.SIGINT)
    assert server.wait_exit() == 0
    assert "Shutting down" in server.log
    assert (quickstart / ".wf" / "state.sqlite3").exists()

    again = dev_server(quickstart)  # default state dir; the manual mode is kept
    assert again.status("onboarding", instance) == "waiting"
    again.advance("7 days")
    assert again.status("onboarding", instance) == "complete"
    again.signal(signal.SIGTERM)
    assert again.wait_exit() == 0
