"""Bounds on time: every duration, timestamp, scale and retry delay is checked before it acts."""

from __future__ import annotations

import pytest

from tests.conftest import START, describe
from wf.clock import Clock
from wf.durations import MAX_TIME, DurationError, parse_duration, to_iso


async def test_advancing_past_the_end_of_time_moves_nothing() -> None:
    clock = Clock("manual", now=MAX_TIME - 1000)
    with pytest.raises(DurationError, match="virtual time stays between"):
        await clock.advance("1 day")
    with pytest.raises(DurationError, match="virtual time stays between"):
        await clock.advance_to(MAX_TIME + 1)
    assert clock.now() == MAX_TIME - 1000


@pytest.mark.parametrize("value", [float("inf"), float("nan"), 1e300, "300000 years", -1])
def test_durations_are_finite_and_at_most_1000_years(value: object) -> None:
    with pytest.raises(DurationError):
        parse_duration(value, lenient=True)


def test_to_iso_never_fails() -> None:
    assert to_iso(1e20) == "9999-12-31T00:00:00.000Z"
    assert to_iso(float("nan")) == "9999-12-31T00:00:00.000Z"
    assert to_iso(START) == "2026-01-01T00:00:00.000Z"


HUGE_RETRY = """
from workers import WorkflowEntrypoint

class MyWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("flaky", config={"retries": {"limit": 10000, "delay": "100 days", "backoff": "exponential"}})
        async def flaky():
            raise ValueError("no")
        return await flaky()
"""


async def test_a_retry_delay_over_365_days_fails_the_step_clearly(make_engine) -> None:
    engine = await make_engine(HUGE_RETRY)
    engine.create("wf", {"id": "r"})
    await engine.clock.run_until_idle()
    status = engine.status("wf", "r")
    assert status["status"] == "errored"
    assert "the delay before attempt 4 would be" in status["error"]["message"]
    assert "more than the 365 days" in status["error"]["message"]
    details = describe(engine, "wf", "r")
    assert [a["success"] for a in details["steps"][0]["attempts"]] == [False] * 3
    assert details["steps"][0]["attempts"][-1]["error"]["name"] == "WorkflowFatalError"


SLEEP_UNTIL_NAN = """
from workers import WorkflowEntrypoint

class MyWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        await step.sleep_until("never", float("nan"))
"""


async def test_sleep_until_a_non_finite_time_is_an_error(make_engine) -> None:
    engine = await make_engine(SLEEP_UNTIL_NAN)
    engine.create("wf", {"id": "n"})
    await engine.settle()
    status = engine.status("wf", "n")
    assert status["status"] == "errored" and "finite" in status["error"]["message"]
    assert engine.clock.pending() == 0
