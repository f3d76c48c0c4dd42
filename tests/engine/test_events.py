"""Events: buffering, FIFO per type, durable consumption, timeouts."""

from __future__ import annotations

import pytest

from tests.conftest import describe
from wf.errors import WorkflowError

WAITER = """
from workers import WorkflowEntrypoint

class MyWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        p = event["payload"]
        @step.do("before")
        async def before():
            return "ready"
        await before()
        if p.get("sleep_first"):
            await step.sleep("nap", "1 hour")
        received = []
        for i in range(p.get("waits", 1)):
            try:
                got = await step.wait_for_event("approval", "approve", timeout=p.get("timeout", "1 day"))
                received.append({"payload": got["payload"], "type": got["type"],
                                 "ts": got["timestamp"].isoformat()})
            except Exception as exc:
                if not p.get("catch"):
                    raise
                received.append({"timed_out": str(exc)})
        return received
"""


async def test_event_sent_after_the_wait_wakes_the_instance(make_engine):
    engine = await make_engine(WAITER)
    engine.create("wf", {"id": "a"})
    await engine.settle()
    assert engine.status("wf", "a")["status"] == "waiting"
    engine.send_event("wf", "a", "approve", {"ok": True})
    await engine.settle()
    status = engine.status("wf", "a")
    assert status["status"] == "complete"
    assert status["output"][0]["payload"] == {"ok": True}
    assert status["output"][0]["type"] == "approve"
    step = describe(engine, "wf", "a")["steps"][1]
    assert step["type"] == "waitForEvent" and step["finished"] is True
    assert step["output"]["payload"] == {"ok": True}


async def test_event_sent_before_the_wait_is_buffered(make_engine):
    engine = await make_engine(WAITER)
    engine.create("wf", {"id": "b", "params": {"sleep_first": True}})
    await engine.settle()
    engine.send_event("wf", "b", "approve", {"early": 1})
    await engine.settle()
    assert engine.status("wf", "b")["status"] == "waiting"
    assert [e["type"] for e in engine.pending_events("wf", "b")] == ["approve"]
    await engine.clock.advance("1 hour")
    assert engine.status("wf", "b")["output"][0]["payload"] == {"early": 1}
    assert engine.pending_events("wf", "b") == []


async def test_two_waits_of_one_type_consume_two_events_in_order(make_engine):
    engine = await make_engine(WAITER)
    engine.create("wf", {"id": "c", "params": {"waits": 2, "sleep_first": True}})
    await engine.settle()
    engine.send_event("wf", "c", "approve", {"n": 1})
    engine.send_event("wf", "c", "ignored-type", {"n": 0})
    engine.send_event("wf", "c", "approve", {"n": 2})
    await engine.clock.advance("1 hour")
    output = engine.status("wf", "c")["output"]
    assert [r["payload"] for r in output] == [{"n": 1}, {"n": 2}]
    # the event of another type stays buffered, never consumed
    assert [e["type"] for e in engine.pending_events("wf", "c")] == ["ignored-type"]


async def test_event_timeout_uncaught_errors_the_instance(make_engine):
    engine = await make_engine(WAITER)
    engine.create("wf", {"id": "t", "params": {"timeout": "2 hours"}})
    await engine.clock.advance("2 hours")
    status = engine.status("wf", "t")
    assert status["status"] == "errored"
    assert status["error"] == {
        "name": "Error",
        "message": "WorkflowTimeoutError: Execution timed out after 7200000ms",
    }


async def test_event_timeout_caught_takes_the_default_path(make_engine):
    engine = await make_engine(WAITER)
    engine.create("wf", {"id": "t", "params": {"timeout": "30 days", "catch": True}})
    await engine.clock.advance("29 days")
    assert engine.status("wf", "t")["status"] == "waiting"
    await engine.clock.advance("1 day")
    assert engine.status("wf", "t")["output"] == [
        {"timed_out": "Error: WorkflowTimeoutError: Execution timed out after 2592000000ms"}
    ]
    # a later event is not consumed by the timed-out wait
    step = describe(engine, "wf", "t")["steps"][1]
    assert step["error"]["name"] == "WorkflowTimeoutError"


async def test_consumed_events_are_never_delivered_twice(make_engine):
    engine = await make_engine(WAITER)
    engine.create("wf", {"id": "once", "params": {"waits": 2}})
    await engine.settle()
    engine.send_event("wf", "once", "approve", {"n": 1})
    await engine.settle()
    # the first wait is satisfied and cached; the second still waits after replays
    assert engine.status("wf", "once")["status"] == "waiting"
    await engine.restart("wf", "once", {"name": "before", "count": 1, "type": "do"})
    await engine.settle()
    assert engine.status("wf", "once")["status"] == "waiting"
    engine.send_event("wf", "once", "approve", {"n": 2})
    engine.send_event("wf", "once", "approve", {"n": 3})
    await engine.settle()
    assert [r["payload"] for r in engine.status("wf", "once")["output"]] == [{"n": 2}, {"n": 3}]


async def test_invalid_event_type_and_finished_instance(make_engine):
    engine = await make_engine(WAITER)
    engine.create("wf", {"id": "v"})
    await engine.settle()
    with pytest.raises(WorkflowError, match="invalid_event_type"):
        engine.send_event("wf", "v", "has.dot", {})
    engine.send_event("wf", "v", "approve", {})
    await engine.settle()
    with pytest.raises(WorkflowError, match="complete"):
        engine.send_event("wf", "v", "approve", {})
    with pytest.raises(WorkflowError, match="not found"):
        engine.send_event("wf", "missing", "approve", {})


async def test_event_payload_over_one_mebibyte_is_refused(make_engine):
    engine = await make_engine(WAITER)
    engine.create("wf", {"id": "big"})
    await engine.settle()
    with pytest.raises(WorkflowError, match="1 MiB") as info:
        engine.send_event("wf", "big", "approve", "x" * (1024 * 1024 + 1))
    assert info.value.kind == "too_large"
