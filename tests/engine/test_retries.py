"""Retries: backoffs read from the history on a manual clock, exhaustion, NonRetryableError."""

from __future__ import annotations

import itertools

import pytest

from tests.conftest import START, describe

FLAKY = """
from workers import WorkflowEntrypoint
from workers.workflows import NonRetryableError

class MyWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        p = event["payload"]
        @step.do("flaky", config=p.get("config"))
        async def flaky(ctx):
            if ctx["attempt"] <= p["fail"]:
                if p.get("fatal"):
                    raise NonRetryableError("stop now")
                raise ValueError(f"boom {ctx['attempt']}")
            return {"attempt": ctx["attempt"]}
        return await flaky()
"""


def attempt_starts(engine, instance_id: str) -> list[float]:
    from wf.durations import parse_timestamp

    step = describe(engine, "wf", instance_id)["steps"][0]
    return [parse_timestamp(a["start"]) for a in step["attempts"]]


def gaps(starts: list[float]) -> list[float]:
    return [b - a for a, b in itertools.pairwise(starts)]


@pytest.mark.parametrize(
    ("backoff", "expected"),
    [
        ("constant", [1000, 1000, 1000]),
        ("linear", [1000, 2000, 3000]),
        ("exponential", [1000, 2000, 4000]),
    ],
)
async def test_backoff_delays(make_engine, backoff, expected):
    engine = await make_engine(FLAKY)
    config = {"retries": {"limit": 3, "delay": "1 second", "backoff": backoff}}
    engine.create("wf", {"id": "r", "params": {"fail": 3, "config": config}})
    await engine.settle()
    assert engine.status("wf", "r")["status"] == "waiting"
    await engine.clock.advance("1 minute")
    assert engine.status("wf", "r") == {
        "status": "complete",
        "output": {"attempt": 4},
        "error": None,
    }
    assert gaps(attempt_starts(engine, "r")) == expected


async def test_default_config_is_five_retries_ten_seconds_exponential(make_engine):
    engine = await make_engine(FLAKY)
    engine.create("wf", {"id": "d", "params": {"fail": 99}})
    await engine.clock.advance("1 hour")
    status = engine.status("wf", "d")
    assert status["status"] == "errored"
    assert status["error"]["name"] == "Error"
    assert status["error"]["message"].endswith("\nValueError: ValueError: boom 6\n")
    assert gaps(attempt_starts(engine, "d")) == [10_000, 20_000, 40_000, 80_000, 160_000]
    step = describe(engine, "wf", "d")["steps"][0]
    assert step["config"] == {
        "retries": {"limit": 5, "delay": 10_000, "backoff": "exponential"},
        "timeout": "10 minutes",
    }
    assert step["success"] is False
    assert [a["success"] for a in step["attempts"]] == [False] * 6


async def test_zero_delay_retries_run_without_waiting(make_engine):
    engine = await make_engine(FLAKY)
    config = {"retries": {"limit": 2, "delay": 0, "backoff": "constant"}}
    engine.create("wf", {"id": "z", "params": {"fail": 2, "config": config}})
    await engine.settle()
    assert engine.status("wf", "z")["output"] == {"attempt": 3}
    assert engine.clock.now() == START


async def test_limit_zero_means_one_attempt(make_engine):
    engine = await make_engine(FLAKY)
    config = {"retries": {"limit": 0, "delay": 0}}
    engine.create("wf", {"id": "once", "params": {"fail": 1, "config": config}})
    await engine.settle()
    assert engine.status("wf", "once")["status"] == "errored"
    assert len(describe(engine, "wf", "once")["steps"][0]["attempts"]) == 1


async def test_non_retryable_error_stops_at_once(make_engine):
    engine = await make_engine(FLAKY)
    engine.create("wf", {"id": "n", "params": {"fail": 5, "fatal": True}})
    await engine.settle()
    status = engine.status("wf", "n")
    assert status["status"] == "errored"
    # compatibility_date 2026-08-14 keeps the message (workflows_preserve_non_retryable_error_message)
    assert status["error"] == {"name": "NonRetryableError", "message": "stop now"}
    assert len(describe(engine, "wf", "n")["steps"][0]["attempts"]) == 1


async def test_non_retryable_error_before_the_preserve_flag(make_engine):
    engine = await make_engine(FLAKY, date="2026-01-10")
    engine.create("wf", {"id": "n", "params": {"fail": 5, "fatal": True}})
    await engine.settle()
    assert engine.status("wf", "n")["error"]["name"] == "WorkflowFatalError"


CAUGHT = """
from workers import WorkflowEntrypoint

class MyWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("bad", config={"retries": {"limit": 1, "delay": 0}})
        async def bad():
            raise TypeError("nope")
        try:
            await bad()
        except Exception as exc:
            caught = str(exc)
        @step.do("after")
        async def after():
            return "went on"
        # a failed step re-raises its error on every replay
        try:
            await bad()
        except Exception as exc:
            again = str(exc)
        return {"caught": caught, "after": await after(), "again": again}
"""


async def test_failed_step_error_is_catchable_and_cached(make_engine):
    engine = await make_engine(CAUGHT)
    engine.create("wf", {"id": "c"})
    await engine.settle()
    output = engine.status("wf", "c")["output"]
    assert output["caught"] == "TypeError: nope"
    assert output["after"] == "went on"
    # the second call is bad-2: a new step, which also fails
    assert output["again"] == "TypeError: nope"


TIMEOUT = """
import asyncio
from workers import WorkflowEntrypoint

class MyWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("slow", config={"timeout": "1 minute",
                                 "retries": {"limit": 1, "delay": "5 seconds"}})
        async def slow(ctx):
            if ctx["attempt"] == 1:
                await asyncio.Event().wait()  # hangs until the timeout
            return "second attempt"
        return await slow()
"""


async def test_timeout_applies_per_attempt_and_is_retried(make_engine):
    engine = await make_engine(TIMEOUT)
    engine.create("wf", {"id": "t"})
    await engine.clock.advance("2 minutes")
    status = engine.status("wf", "t")
    assert status["status"] == "complete"
    assert status["output"] == "second attempt"
    attempts = describe(engine, "wf", "t")["steps"][0]["attempts"]
    assert attempts[0]["error"] == {
        "name": "WorkflowTimeoutError",
        "message": "Execution timed out after 60000ms",
    }
    assert attempt_starts(engine, "t")[1] - attempt_starts(engine, "t")[0] == 65_000


DYNAMIC = """
from workers import WorkflowEntrypoint

class MyWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        def delay(info):
            return f"{info['ctx']['attempt'] * 3} seconds"
        @step.do("d", config={"retries": {"limit": 2, "delay": delay}})
        async def d(ctx):
            if ctx["attempt"] < 3:
                raise ValueError("again")
            return ctx["attempt"]
        return await d()
"""


async def test_dynamic_delay_function(make_engine):
    engine = await make_engine(DYNAMIC)
    engine.create("wf", {"id": "dyn"})
    await engine.clock.advance("1 minute")
    assert engine.status("wf", "dyn")["output"] == 3
    assert gaps(attempt_starts(engine, "dyn")) == [3000, 6000]
