"""Timers as a service on the clock: keyed by kind, re-arming replaces, firing in due order."""

from __future__ import annotations

from wf.clock import Clock
from wf.timers import TimerKind, Timers

START = 1_700_000_000_000.0


async def test_timers_fire_in_due_order_at_their_own_time() -> None:
    clock = Clock("manual", now=START)
    timers = Timers(clock)
    fired: list[tuple[str, float]] = []
    timers.set(TimerKind.WAKE, ("wf", "b"), START + 2_000, lambda: fired.append(("b", clock.now())))
    timers.set(TimerKind.CRON, ("wf", 0), START + 1_000, lambda: fired.append(("c", clock.now())))
    assert timers.due(TimerKind.WAKE, ("wf", "b")) == START + 2_000
    await clock.advance(5_000)
    assert fired == [("c", START + 1_000), ("b", START + 2_000)]
    assert timers.due(TimerKind.WAKE, ("wf", "b")) is None  # a fired timer is gone


async def test_setting_a_key_again_replaces_its_timer_and_cancel_removes_it() -> None:
    clock = Clock("manual", now=START)
    timers = Timers(clock)
    fired: list[str] = []
    timers.set(TimerKind.WAKE, "i", START + 1_000, lambda: fired.append("first"))
    timers.set(TimerKind.WAKE, "i", START + 3_000, lambda: fired.append("second"))
    timers.set(TimerKind.STEP_TIMEOUT, "i", START + 2_000, lambda: fired.append("timeout"))
    assert timers.cancel(TimerKind.STEP_TIMEOUT, "i")
    assert not timers.cancel(TimerKind.STEP_TIMEOUT, "i")
    assert timers.count(TimerKind.WAKE) == 1
    await clock.advance(5_000)
    assert fired == ["second"]


async def test_cancel_kind_leaves_the_other_kinds() -> None:
    clock = Clock("manual", now=START)
    timers = Timers(clock)
    fired: list[str] = []
    for n in range(3):
        timers.set(TimerKind.CRON, n, START + 1_000, lambda: fired.append("cron"))
    timers.set(TimerKind.WAKE, "i", START + 1_000, lambda: fired.append("wake"))
    timers.cancel_kind(TimerKind.CRON)
    await clock.advance(1_000)
    assert fired == ["wake"]
    timers.set(TimerKind.WAKE, "j", START + 9_000, lambda: fired.append("late"))
    timers.cancel_all()
    await clock.advance(10_000)
    assert fired == ["wake"]
