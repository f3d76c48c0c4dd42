"""Call-me-back-at-virtual-time-t for the platform's own timers (queues, Worker cron).

An adapter over ``wf.timers``: each owner's wake-ups are timers of one ``TimerKind``,
one per key (re-arming a key replaces it). Nothing here is durable: the owners re-arm from
their stored state at start, so a restart (or ``kill -9``) loses no timer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING

from wf.timers import TimerKind, Timers

if TYPE_CHECKING:
    from wf.clock import Clock


class Wakeups:
    """Keyed wake-ups of one kind; ``at(key, due, callback)`` replaces the key's earlier one."""

    def __init__(self, clock: Clock, kind: TimerKind) -> None:
        self.clock = clock
        self._kind = kind
        self._timers = Timers(clock)
        self._soon: dict[Hashable, asyncio.Handle] = {}

    def at(self, key: Hashable, due: float, callback: Callable[[], None]) -> None:
        """Run ``callback`` once virtual time reaches ``due`` (at once, soon, if it has)."""
        self.cancel(key)
        if due <= self.clock.now():
            # Already due: a manual clock would otherwise hold it until the next advance.
            def fire() -> None:
                self._soon.pop(key, None)
                callback()

            self._soon[key] = asyncio.get_running_loop().call_soon(fire)
            return
        # The label (``queue KEY``, ``worker cron KEY``) is what ``wf time status`` shows.
        self._timers.set(self._kind, key, due, callback, f"{self._kind} {key}")

    def due(self, key: Hashable) -> float | None:
        """When the key's wake-up is due (None: none pending, or due at once)."""
        return self._timers.due(self._kind, key)

    def cancel(self, key: Hashable) -> None:
        handle = self._soon.pop(key, None)
        if handle is not None:
            handle.cancel()
        self._timers.cancel(self._kind, key)

    def cancel_all(self) -> None:
        for handle in self._soon.values():
            handle.cancel()
        self._soon.clear()
        self._timers.cancel_kind(self._kind)


def settle_with(clock: Clock, busy: Callable[[], list[asyncio.Task[None]]]) -> None:
    """Make ``clock.advance`` (and friends) also wait for the tasks ``busy()`` lists.

    The engine's settle waits for workflow instances; queue deliveries and scheduled runs are
    tasks of their own. A task whose user code only waits on the clock, or that makes no
    progress for a second of real time, counts as settled, so that advancing can go on.
    """
    if getattr(clock.settle, "_wf_busy", None) is not None:
        clock.settle._wf_busy.append(busy)  # type: ignore[attr-defined]
        return
    inner = clock.settle
    sources = [busy]

    async def settle() -> None:
        from wf import realtime, usertime

        loop = asyncio.get_running_loop()
        while True:
            await inner()
            # A task leaves its source in its done callback, which runs a turn after it ends.
            tasks = [t for source in sources for t in source()]
            if not tasks:
                return
            if all(t.done() for t in tasks):
                await realtime.next_round()
                continue
            quiet_until = loop.time() + 1.0
            while tasks and loop.time() < quiet_until:
                done, pending = await asyncio.wait(tasks, timeout=0.02)
                if done:
                    break
                if usertime.only_clock_waits(clock):
                    return
                tasks = list(pending)
            else:
                return

    settle._wf_busy = sources  # type: ignore[attr-defined]
    clock.settle = settle
    idle = clock.is_idle
    # Auto time jumps only when nothing runs: a batch or a scheduled run counts as running.
    clock.is_idle = lambda: idle() and not any(s() for s in sources)
