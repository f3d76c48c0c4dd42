"""Sleeps: long sleeps advanced in one call, sleep_until, limits, replay safety."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.conftest import START, describe

DAY = 86_400_000

SLEEPER = """
from datetime import datetime, timezone
from workers import WorkflowEntrypoint

class MyWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        p = event["payload"]
        if "until" in p:
            target = p["until"]
            if p.get("as_datetime"):
                target = datetime.fromtimestamp(target / 1000, tz=timezone.utc)
            await step.sleep_until("until", target)
        else:
            await step.sleep("nap", p["duration"])
        @step.do("after")
        async def after():
            return "awake"
        return await after()
"""


async def test_a_365_day_sleep_is_advanced_in_one_call(make_engine):
    engine = await make_engine(SLEEPER)
    engine.create("wf", {"id": "year", "params": {"duration": "365 days"}})
    await engine.settle()
    assert engine.status("wf", "year")["status"] == "waiting"
    assert describe(engine, "wf", "year")["wake_at"] == "2027-01-01T00:00:00.000Z"
    await engine.clock.advance("365 days")
    assert engine.status("wf", "year")["output"] == "awake"
    sleep = describe(engine, "wf", "year")["steps"][0]
    assert sleep == {
        "type": "sleep",
        "name": "nap-1",
        "start": "2026-01-01T00:00:00.000Z",
        "end": "2027-01-01T00:00:00.000Z",
        "finished": True,
    }


async def test_advancing_less_than_the_sleep_keeps_it_waiting(make_engine):
    engine = await make_engine(SLEEPER)
    engine.create("wf", {"id": "s", "params": {"duration": 60_000}})
    await engine.clock.advance("59 seconds")
    assert engine.status("wf", "s")["status"] == "waiting"
    await engine.clock.advance("1 second")
    assert engine.status("wf", "s")["status"] == "complete"


async def test_a_sleep_over_365_days_errors(make_engine):
    engine = await make_engine(SLEEPER)
    engine.create("wf", {"id": "long", "params": {"duration": "366 days"}})
    await engine.settle()
    status = engine.status("wf", "long")
    assert status["status"] == "errored"
    assert "365 days" in status["error"]["message"]


async def test_an_abbreviated_duration_is_refused_with_a_hint(make_engine):
    engine = await make_engine(SLEEPER)
    engine.create("wf", {"id": "abbr", "params": {"duration": "24h"}})
    await engine.settle()
    assert "24 hours" in engine.status("wf", "abbr")["error"]["message"]


async def test_sleep_until_a_future_time(make_engine):
    engine = await make_engine(SLEEPER)
    for instance_id, as_datetime in (("ms", False), ("dt", True)):
        engine.create(
            "wf",
            {"id": instance_id, "params": {"until": START + 3 * DAY, "as_datetime": as_datetime}},
        )
    await engine.clock.advance("2 days")
    assert engine.status("wf", "ms")["status"] == "waiting"
    await engine.clock.advance("1 day")
    assert engine.status("wf", "ms")["output"] == "awake"
    assert engine.status("wf", "dt")["output"] == "awake"


async def test_sleep_until_the_past_errors(make_engine):
    engine = await make_engine(SLEEPER)
    engine.create("wf", {"id": "past", "params": {"until": START - DAY}})
    await engine.settle()
    status = engine.status("wf", "past")
    assert status["status"] == "errored"
    assert status["error"]["message"] == "You can't sleep until a time in the past, time-traveler"


async def test_sleep_until_is_replay_safe_once_the_time_has_passed(make_engine):
    # The sleep is keyed by name only, so replays after the target time do not fail
    # (the local engine of wrangler dev keys by duration and throws here).
    engine = await make_engine(
        """
from workers import WorkflowEntrypoint

class MyWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        await step.sleep_until("until", event["payload"]["until"])
        await step.sleep("later", "1 day")
        return "done"
"""
    )
    engine.create("wf", {"id": "r", "params": {"until": START + DAY}})
    await engine.clock.advance("3 days")
    assert engine.status("wf", "r")["output"] == "done"


async def test_event_timestamp_and_virtual_time(make_engine):
    engine = await make_engine(
        """
from workers import WorkflowEntrypoint

class MyWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        await step.sleep("nap", "1 day")
        return {"ts": event.timestamp.isoformat(), "id": event.instanceId,
                "name": event.workflowName}
"""
    )
    engine.create("wf", {"id": "e"})
    await engine.clock.advance("1 day")
    expected = datetime.fromtimestamp(START / 1000, tz=UTC)
    assert engine.status("wf", "e")["output"] == {
        "ts": expected.replace(tzinfo=None).isoformat(),  # naive UTC, as Pyodide hands a Date
        "id": "e",
        "name": "wf",
    }
    assert engine.clock.now() == START + DAY
    assert datetime.fromtimestamp(engine.clock.now() / 1000, tz=UTC) - expected == timedelta(days=1)
