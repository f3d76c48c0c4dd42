"""Time as user code sees it: the emulator's clock, in UTC, with dates as production hands them over.

Sources: workers-py ``packages/runtime-sdk/src/workers/entrypoints.py`` (``run()`` receives
``python_from_rpc(event)``; ``wait_for_event`` returns ``python_from_rpc(...)``;
``sleep_until`` sends ``python_to_rpc(timestamp)``) and ``rpc.py`` (a JS ``Date`` becomes
``datetime.datetime.fromtimestamp(value.getTime() / 1000)``: naive, in the isolate's zone, which
is UTC on Workers; a datetime goes back as ``js.Date.new(obj.timestamp() * 1000)``).
"""

from __future__ import annotations

import asyncio
import os
import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tests.conftest import START, describe, write_project
from wf.testing import Emulator, WorkflowFailed

HOUR = 3_600_000
DAY = 24 * HOUR
START_DT = datetime(2026, 1, 1)  # START, naive UTC

WORKFLOW = """
import asyncio
import threading
import time
from datetime import date, datetime, timedelta, timezone

import js
from workers import Response, WorkerEntrypoint, WorkflowEntrypoint


def readings():
    return {
        "time": time.time(),
        "time_ns": time.time_ns(),
        "now": datetime.now().isoformat(),
        "now_utc": datetime.now(timezone.utc).isoformat(),
        "utcnow": datetime.utcnow().isoformat(),
        "today": date.today().isoformat(),
        "localtime_hour": time.localtime().tm_hour,
        "js_now": js.Date.now(),
    }


class Clocks(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("read")
        async def read():
            return readings()

        return {"in_run": readings(), "in_step": await read(),
                "event_ts": event.timestamp.isoformat(),
                "event_tz": repr(event.timestamp.tzinfo)}


class SleepsAnHourFromNow(WorkflowEntrypoint):
    async def run(self, event, step):
        await step.sleep_until("an hour from now", datetime.now() + timedelta(hours=1))
        return datetime.now().isoformat()


class Naps(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("nap", config={"timeout": event.payload.get("timeout", "10 minutes")})
        async def nap():
            before = time.time()
            await asyncio.sleep(event.payload["seconds"])
            return time.time() - before

        return await nap()


class NapsOutsideSteps(WorkflowEntrypoint):
    async def run(self, event, step):
        before = datetime.now()
        assert await asyncio.sleep(30, result="done") == "done"
        return (datetime.now() - before).total_seconds()


class Spawns(WorkflowEntrypoint):
    async def run(self, event, step):
        async def in_a_task():
            return datetime.now().isoformat()

        holder = {}
        thread = threading.Thread(target=lambda: holder.update(now=time.time()))
        thread.start()
        thread.join()
        return {"task": await asyncio.create_task(in_a_task()),
                "to_thread": (await asyncio.to_thread(datetime.now)).isoformat(),
                "thread": holder["now"]}


class Receives(WorkflowEntrypoint):
    async def run(self, event, step):
        got = await step.wait_for_event("wait", "ping", timeout="1 hour")
        return {"ts": got["timestamp"].isoformat(), "tz": repr(got["timestamp"].tzinfo),
                "naive": got.timestamp.tzinfo is None}


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response.json(readings())
"""

CLASSES = {
    "clocks": "Clocks",
    "hour": "SleepsAnHourFromNow",
    "naps": "Naps",
    "naps-outside": "NapsOutsideSteps",
    "spawns": "Spawns",
    "receives": "Receives",
}


@pytest.fixture
def project(tmp_path):
    return write_project(tmp_path, WORKFLOW, CLASSES)


async def test_user_code_reads_the_manual_clock_after_an_advance(project):
    """datetime.now(), time.time() and js.Date.now() agree with the clock in run(), steps, fetch."""
    async with Emulator(project, now=START) as emu:
        await emu.clock.advance("7 days")
        expected = START + 7 * DAY
        handle = await emu.env.CLOCKS.create(id="a")
        await emu.settle()
        out = (await handle.status())["output"]
        for where in ("in_run", "in_step"):
            r = out[where]
            assert r["time"] == expected / 1000
            assert r["time_ns"] == expected * 1_000_000
            assert r["now"] == "2026-01-08T00:00:00"
            assert r["now_utc"] == "2026-01-08T00:00:00+00:00"
            assert r["utcnow"] == "2026-01-08T00:00:00"
            assert r["today"] == "2026-01-08"
            assert r["js_now"] == expected
        response = await emu.fetch("/")
        assert (await response.json())["now"] == "2026-01-08T00:00:00"


async def test_sleep_until_an_hour_from_now_sleeps_one_hour(project):
    async with Emulator(project, now=START) as emu:
        await emu.clock.advance("7 days")
        handle = await emu.env.HOUR.create(id="h")
        await emu.settle()
        assert (await handle.status())["status"] == "waiting"
        await emu.clock.advance("59 minutes")
        assert (await handle.status())["status"] == "waiting"
        await emu.clock.advance("1 minute")
        status = await handle.status()
        assert status["status"] == "complete"
        assert status["output"] == "2026-01-08T01:00:00"


async def test_event_timestamp_is_a_naive_utc_datetime(project, monkeypatch):
    """``event.timestamp`` is ``fromtimestamp(ms / 1000)`` of the JS Date: naive, in UTC."""
    async with Emulator(project, now=START) as emu:
        handle = await emu.env.CLOCKS.create(id="a")
        await emu.settle()
        out = (await handle.status())["output"]
        assert out["event_ts"] == "2026-01-01T00:00:00"
        assert out["event_tz"] == "None"


async def test_a_received_event_has_a_naive_utc_timestamp(project):
    """``wait_for_event`` returns ``python_from_rpc(...)``: its Date ``timestamp`` is naive UTC."""
    async with Emulator(project, now=START) as emu:
        handle = await emu.env.RECEIVES.create(id="r")
        await emu.settle()
        await emu.clock.advance("30 minutes")
        await handle.send_event(type="ping", payload={})
        await emu.settle()
        out = (await handle.status())["output"]
        assert out == {"ts": "2026-01-01T00:30:00", "tz": "None", "naive": True}


async def test_user_code_runs_in_utc_whatever_the_machine_zone(project, monkeypatch):
    """Workers run in UTC: ``time.localtime()`` and naive ``datetime.now()`` are UTC there."""
    monkeypatch.setenv("TZ", "Asia/Kolkata")  # UTC+05:30
    time.tzset()
    try:
        async with Emulator(project, now=START) as emu:
            handle = await emu.env.CLOCKS.create(id="a")
            await emu.settle()
            out = (await handle.status())["output"]["in_step"]
            assert out["localtime_hour"] == 0
            assert out["now"] == "2026-01-01T00:00:00"
        assert os.environ["TZ"] == "Asia/Kolkata"  # restored once no emulator runs
    finally:
        monkeypatch.undo()
        time.tzset()


async def test_asyncio_sleep_in_manual_time_waits_for_an_advance(project):
    """Manual time: a step's ``asyncio.sleep(30)`` ends when the clock reaches it, not before."""
    async with Emulator(project, now=START) as emu:
        inst = emu.introspect_instance("NAPS", "n")
        await emu.env.NAPS.create(id="n", params={"seconds": 30})
        await emu.settle()
        assert emu.engine.status("naps", "n")["status"] == "running"  # parked on the clock
        await emu.clock.advance("29 seconds")
        assert emu.engine.status("naps", "n")["status"] == "running"
        await emu.clock.advance("1 second")
        await inst.wait_for_status("complete")
        assert await inst.get_output() == 30.0  # virtual seconds, as time.time() saw them


async def test_auto_time_skips_a_sleep_in_user_code(project):
    """A step that waits an hour costs no hour of CI: auto time jumps once all code waits."""
    async with Emulator(project, time="auto", now=START) as emu:
        inst = emu.introspect_instance("NAPS", "n")
        await emu.env.NAPS.create(id="n", params={"seconds": 3600, "timeout": "2 hours"})
        await inst.wait_for_status("complete")
        status = await (await emu.env.NAPS.get("n")).status()
        assert status["output"] == pytest.approx(3600, abs=60)  # auto time runs on too
        assert emu.clock.now() == pytest.approx(START + HOUR, abs=60_000)


async def test_scaled_time_shortens_a_sleep_in_user_code(project):
    async with Emulator(project, time="scale", scale=1000, now=START) as emu:
        inst = emu.introspect_instance("NAPS", "n")
        started = time.monotonic()
        await emu.env.NAPS.create(id="n", params={"seconds": 60})
        await inst.wait_for_status("complete")
        assert time.monotonic() - started < 5  # 60 s at 1000x is 60 ms
        status = await (await emu.env.NAPS.get("n")).status()
        assert status["output"] >= 60.0


async def test_a_step_timeout_fires_during_a_sleep_in_user_code(project):
    """In auto time the step's timeout (10 minutes by default) comes before a 1-hour sleep."""
    async with Emulator(project, time="auto", now=START) as emu:
        inst = emu.introspect_instance("NAPS", "n")
        await emu.env.NAPS.create(id="n", params={"seconds": 3600, "timeout": "5 seconds"})
        with pytest.raises(WorkflowFailed, match="timed out"):  # every attempt times out
            await inst.wait_for_status("complete")
        history = describe(emu.engine, "naps", "n")["steps"][0]["attempts"][0]
        assert "timed out" in str(history["error"])


async def test_tasks_and_to_thread_follow_the_clock_threads_do_not(project):
    """Context variables follow tasks and asyncio.to_thread, not a threading.Thread."""
    async with Emulator(project, now=START) as emu:
        await emu.clock.advance("1 day")
        handle = await emu.env.SPAWNS.create(id="s")
        await emu.settle()
        out = (await handle.status())["output"]
        assert out["task"] == out["to_thread"] == "2026-01-02T00:00:00"
        assert abs(out["thread"] - time.time()) < 60  # real time, not the virtual day


async def test_the_server_keeps_real_time(project):
    async with Emulator(project, now=START) as emu:
        await emu.clock.advance("7 days")
        real = time_machine.escape_hatch.time.time()
        assert abs(real - emu.clock.now() / 1000) > DAY / 1000  # the clock is elsewhere
        assert abs(time.time() - real) < 5
        assert abs(datetime.now(UTC).timestamp() - real) < 5
        assert await asyncio.wait_for(asyncio.sleep(0.01, result=1), 5) == 1  # a real sleep


def test_wf_dev_hands_user_code_the_virtual_clock(tmp_path):
    """`wf dev --time manual`: after an advance, the Worker's datetime.now() is the clock's."""
    from tests.server.conftest import DevServer

    project = write_project(tmp_path, WORKFLOW, CLASSES)
    with DevServer(project, "--time", "manual", "--no-reload").wait_ready() as dev:
        before = dev.get("/").json
        dev.advance("7 days")
        after = dev.get("/").json
    start = datetime.fromisoformat(before["now"])
    assert datetime.fromisoformat(after["now"]) - start == timedelta(days=7)
    assert abs(after["js_now"] - after["time"] * 1000) < 1  # js.Date.now() agrees (whole ms)
