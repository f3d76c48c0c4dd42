"""The clock: modes, timers in due order, advancing, persistence of virtual time."""

from __future__ import annotations

import asyncio

import pytest

from tests.conftest import START
from wf.clock import Clock
from wf.durations import DurationError, parse_duration


class FakeWall:
    def __init__(self, now: float = START / 1000) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def test_manual_time_moves_only_when_told():
    clock = Clock("manual", now=START)
    await asyncio.sleep(0.01)
    assert clock.now() == START
    await clock.advance("1 minute")
    assert clock.now() == START + 60_000


async def test_advance_fires_timers_in_due_order_each_at_its_own_time():
    clock = Clock("manual", now=START)
    fired: list[tuple[str, float]] = []
    for label, due in (("c", 3000), ("a", 1000), ("b", 2000)):
        clock.call_at(START + due, lambda label=label: fired.append((label, clock.now())))
    late = clock.call_at(START + 10_000, lambda: fired.append(("late", clock.now())))
    await clock.advance("5 seconds")
    assert fired == [("a", START + 1000), ("b", START + 2000), ("c", START + 3000)]
    assert clock.now() == START + 5000
    assert clock.next_due() == late.due


async def test_a_timer_added_while_advancing_fires_if_inside_the_window():
    clock = Clock("manual", now=START)
    fired: list[float] = []

    def chain() -> None:
        fired.append(clock.now())
        if len(fired) < 3:
            clock.call_later(1000, chain)

    clock.call_later(1000, chain)
    await clock.advance("10 seconds")
    assert fired == [START + 1000, START + 2000, START + 3000]


async def test_skip_to_next_and_cancel():
    clock = Clock("manual", now=START)
    fired: list[str] = []
    cancelled = clock.call_at(START + 500, lambda: fired.append("cancelled"))
    clock.call_at(START + 7 * 86_400_000, lambda: fired.append("week"))
    cancelled.cancel()
    assert await clock.skip_to_next() == START + 7 * 86_400_000
    assert fired == ["week"]
    assert await clock.skip_to_next() is None


async def test_scale_mode_runs_n_virtual_seconds_per_real_second():
    wall = FakeWall()
    clock = Clock("scale", scale=3600, now=START, wall=wall)
    wall.now += 2
    assert clock.now() == START + 2 * 3600 * 1000


async def test_real_mode_follows_the_wall_clock_plus_advances():
    wall = FakeWall()
    clock = Clock("real", wall=wall)
    assert clock.now() == START
    await clock.advance("1 day")
    wall.now += 1
    assert clock.now() == START + 86_400_000 + 1000


async def test_real_mode_fires_timers_on_the_event_loop():
    clock = Clock("scale", scale=1000)
    done = asyncio.Event()
    clock.call_later(5000, done.set)  # 5 virtual seconds = 5 ms
    await asyncio.wait_for(done.wait(), 2)


async def test_auto_mode_jumps_to_the_next_timer_when_idle():
    clock = Clock("auto", now=START)
    done = asyncio.Event()
    clock.call_later(86_400_000, done.set)
    clock.notify_idle()
    await asyncio.wait_for(done.wait(), 2)
    assert clock.now() >= START + 86_400_000


async def test_mode_switch_keeps_virtual_time():
    wall = FakeWall()
    clock = Clock("manual", now=START + 5000, wall=wall)
    clock.set_mode("scale", 10)
    assert clock.now() == START + 5000
    wall.now += 1
    assert clock.now() == START + 15_000
    with pytest.raises(ValueError, match="unknown time mode"):
        clock.set_mode("warp")  # type: ignore[arg-type]


async def test_snapshot_and_restore_never_move_time_backwards():
    wall = FakeWall()
    clock = Clock("real", wall=wall)
    await clock.advance("2 days")
    state = clock.snapshot()
    wall.now += 60  # a minute of downtime
    restored = Clock("real", wall=wall)
    restored.restore(state)
    assert restored.now() == START + 2 * 86_400_000 + 60_000
    manual = Clock("manual", now=0)
    manual.restore({**state, "mode": "manual"}, mode="manual")
    assert manual.now() == START + 2 * 86_400_000


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        (1500, 1500),
        ("250", 250),
        ("10 seconds", 10_000),
        ("1 minute, 30 seconds", 90_000),
        ("2.5 hours", 9_000_000),
        ("1 week", 604_800_000),
        ("1 month", 2_592_000_000),
        ("1 year", 31_536_000_000),
        ("24 hour", 86_400_000),
    ],
)
def test_duration_grammar(text, ms):
    assert parse_duration(text) == ms


def test_short_forms_only_when_lenient():
    assert parse_duration("7d", lenient=True) == 7 * 86_400_000
    assert parse_duration("90s", lenient=True) == 90_000
    with pytest.raises(DurationError, match="use '24 hours'"):
        parse_duration("24h")
    with pytest.raises(DurationError):
        parse_duration("soon")
    with pytest.raises(DurationError):
        parse_duration(-1)
