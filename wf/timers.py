"""Timers as a service on the clock: every time-based thing registers here, by kind.

A timer is ``(kind, key) -> due``: at most one per kind and key, so re-arming replaces.
A new time-based feature (a binding's expiry, a queue delay, a Durable Object alarm) adds a
``TimerKind`` and calls ``set``/``cancel``; it never runs its own scheduler. Timers fire on
the clock, in due order, each at its own due time, in every time mode (``advance`` fires
them one by one, ``auto`` jumps to the next one when the engine is idle).

Interface (all a new kind needs)::

    timers.set(TimerKind.QUEUE_DELAY, (queue, message_id), due_ms, deliver)
    timers.cancel(TimerKind.QUEUE_DELAY, (queue, message_id))
    timers.due(TimerKind.QUEUE_DELAY, (queue, message_id))   # -> float | None
    timers.cancel_kind(TimerKind.QUEUE_DELAY)                # e.g. when the binding closes

A callback runs once, synchronously, from the clock; it should only schedule work (wake an
instance, start a task), since the clock fires the next timer after the engine settles.
Times are virtual epoch milliseconds (``clock.now()``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Hashable
from enum import StrEnum

from wf.clock import Clock, Timer
from wf.usertime import USER_SLEEP_LABEL

__all__ = ["TimerKind", "Timers"]


class TimerKind(StrEnum):
    """What a timer is for (its label on the clock)."""

    WAKE = "wake"  # an instance's sleep, retry delay or event timeout: its next wake-up
    STEP_TIMEOUT = "step timeout"  # one attempt's ``timeout``
    CRON = "cron"  # the next firing of a ``schedules`` entry
    QUEUE = "queue"  # a queue's delivery: a message's delay, a retry delay, a batch timeout
    WORKER_CRON = "worker cron"  # the next run of the Worker's scheduled() handler
    DO_ALARM = "DO alarm"  # a Durable Object's alarm
    USER_SLEEP = "asyncio.sleep"  # user code's asyncio.sleep in manual, scale and auto time
    RETENTION = "retention"  # the earliest removal of a finished instance (a background timer)


class _Sleep:
    """A user ``asyncio.sleep``'s timer, as `wf.usertime` sees it: cancelled once gone."""

    __slots__ = ("key", "timers")

    def __init__(self, timers: Timers, key: int) -> None:
        self.timers, self.key = timers, key

    @property
    def cancelled(self) -> bool:
        return self.timers.due(TimerKind.USER_SLEEP, self.key) is None  # fired or cancelled

    def cancel(self) -> None:
        self.timers.cancel(TimerKind.USER_SLEEP, self.key)


class Timers:
    """Keyed timers of every kind on one clock."""

    __slots__ = ("_sleeps", "_timers", "clock")

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._timers: dict[tuple[TimerKind, Hashable], Timer] = {}
        self._sleeps = itertools.count()  # a key per user sleep: each is its own timer

    def user_sleep(self, delay_ms: float, wake: Callable[[], None]) -> _Sleep:
        """A ``TimerKind.USER_SLEEP`` timer ``delay_ms`` from now (`wf.usertime.SleepTimers`)."""
        key = next(self._sleeps)
        self.set(TimerKind.USER_SLEEP, key, self.clock.now() + delay_ms, wake, USER_SLEEP_LABEL)
        return _Sleep(self, key)

    def set(
        self,
        kind: TimerKind,
        key: Hashable,
        due: float,
        callback: Callable[[], None],
        label: str | Callable[[tuple[TimerKind, Hashable]], str] | None = None,
        *,
        background: bool = False,
    ) -> None:
        """Run ``callback`` when virtual time reaches ``due``; replaces this key's timer.

        ``label`` names it on the clock (``wf time status`` reads it); the kind by default.
        A function of the slot ``(kind, key)`` is called only when the label is read.
        ``background``: skips and auto time never jump to it (`Clock.call_at`)."""
        slot = (kind, key)
        timers = self._timers
        old = timers.pop(slot, None)
        if old is not None:
            old.cancel()
        timer = self.clock.call_at(due, callback, label or kind, background=background)
        timer.registry, timer.key = timers, slot  # forgotten here as it fires
        timers[slot] = timer

    def cancel(self, kind: TimerKind, key: Hashable) -> bool:
        """Cancel this key's timer; False when there was none."""
        timer = self._timers.pop((kind, key), None)
        if timer is None:
            return False
        timer.cancel()
        return True

    def due(self, kind: TimerKind, key: Hashable) -> float | None:
        """When this key's timer fires, or None."""
        timer = self._timers.get((kind, key))
        return None if timer is None else timer.due

    def cancel_kind(self, kind: TimerKind) -> None:
        """Cancel every timer of a kind."""
        for slot in [s for s in self._timers if s[0] == kind]:
            self._timers.pop(slot).cancel()

    def cancel_all(self) -> None:
        """Cancel every timer (the engine closes)."""
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()

    def count(self, kind: TimerKind) -> int:
        """How many timers of a kind are pending."""
        return sum(1 for s in self._timers if s[0] == kind)
