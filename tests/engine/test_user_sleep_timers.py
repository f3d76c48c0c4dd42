"""User code's ``asyncio.sleep`` in virtual time is a ``TimerKind.USER_SLEEP`` timer."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from tests.conftest import START
from wf.clock import Clock
from wf.timers import TimerKind, Timers
from wf.usertime import USER_SLEEP_LABEL, install, uninstall, use_timers, user_time


class Recorded:
    """A `wf.usertime.SleepTimers` that keeps every sleep it is given, over real `Timers`."""

    def __init__(self, clock: Clock) -> None:
        self.timers = Timers(clock)
        self.delays: list[float] = []

    def user_sleep(self, delay_ms: float, wake: Callable[[], None]) -> object:
        self.delays.append(delay_ms)
        return self.timers.user_sleep(delay_ms, wake)


async def test_a_user_sleep_goes_to_the_timers_the_clock_was_given() -> None:
    clock = Clock("manual", now=START)
    recorded = Recorded(clock)
    use_timers(clock, recorded)  # type: ignore[arg-type]
    install()
    try:

        async def user_code() -> float:
            with user_time(clock):
                await asyncio.sleep(90)
                return clock.now()

        task = asyncio.create_task(user_code())
        await asyncio.sleep(0)  # outside user code: real time, a turn of the loop
        assert recorded.delays == [90_000.0]
        assert recorded.timers.count(TimerKind.USER_SLEEP) == 1
        assert [t.label for t in clock.timers()] == [USER_SLEEP_LABEL]
        await clock.advance("89 seconds")
        assert not task.done()
        await clock.advance("1 second")
        assert await task == START + 90_000
        assert recorded.timers.count(TimerKind.USER_SLEEP) == 0  # fired: forgotten
    finally:
        uninstall()


async def test_a_cancelled_user_sleep_leaves_no_timer() -> None:
    clock = Clock("manual", now=START)
    timers = Timers(clock)
    use_timers(clock, timers)
    install()
    try:

        async def user_code() -> None:
            with user_time(clock):
                await asyncio.sleep(3600)

        task = asyncio.create_task(user_code())
        await asyncio.sleep(0)
        assert timers.count(TimerKind.USER_SLEEP) == 1
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        assert timers.count(TimerKind.USER_SLEEP) == 0
        assert clock.timers() == []
    finally:
        uninstall()


async def test_without_timers_a_user_sleep_waits_on_the_clock_itself() -> None:
    clock = Clock("manual", now=START)
    use_timers(clock, None)
    install()
    try:

        async def user_code() -> float:
            with user_time(clock):
                await asyncio.sleep(5)
                return clock.now()

        task = asyncio.create_task(user_code())
        await asyncio.sleep(0)
        assert [t.label for t in clock.timers()] == [USER_SLEEP_LABEL]
        await clock.advance("5 seconds")
        assert await task == START + 5_000
    finally:
        uninstall()
