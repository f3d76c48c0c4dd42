"""Call-me-back-at-virtual-time-t for the platform's own timers (queues, Worker cron).

One small class so that every timer of these services goes through one place: each key holds
at most one pending wake-up, and re-arming a key replaces it. Nothing here is durable: the
owners re-arm from their stored state at start, so a restart (or ``kill -9``) loses no timer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from emulator.clock import Clock, Timer


class Wakeups:
    """Keyed wake-ups on a clock; ``at(key, due, callback)`` replaces the key's earlier one."""

    def __init__(self, clock: Clock, label: str) -> None:
        self.clock = clock
        self._label = label
        self._timers: dict[Hashable, Timer] = {}

    def at(self, key: Hashable, due: float, callback: Callable[[], None]) -> None:
        """Run ``callback`` once virtual time reaches ``due`` (at once, soon, if it has)."""
        self.cancel(key)

        def fire() -> None:
            self._timers.pop(key, None)
            callback()

        if due <= self.clock.now():
            # Already due: a manual clock would otherwise hold it until the next advance.
            handle = asyncio.get_running_loop().call_soon(fire)
            self._timers[key] = _Soon(handle)  # type: ignore[assignment]
            return
        self._timers[key] = self.clock.call_at(due, fire, label=f"{self._label} {key}")

    def due(self, key: Hashable) -> float | None:
        """When the key's wake-up is due (None: none pending, or due at once)."""
        timer = self._timers.get(key)
        return getattr(timer, "due", None)

    def cancel(self, key: Hashable) -> None:
        timer = self._timers.pop(key, None)
        if timer is not None:
            timer.cancel()

    def cancel_all(self) -> None:
        for key in list(self._timers):
            self.cancel(key)


class _Soon:
    """A wake-up already due, run at the next turn of the event loop."""

    def __init__(self, handle: asyncio.Handle) -> None:
        self._handle = handle

    def cancel(self) -> None:
        self._handle.cancel()


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
        from emulator import usertime

        loop = asyncio.get_running_loop()
        while True:
            await inner()
            # A task leaves its source in its done callback, which runs a turn after it ends.
            tasks = [t for source in sources for t in source()]
            if not tasks:
                return
            if all(t.done() for t in tasks):
                await asyncio.sleep(0)
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
