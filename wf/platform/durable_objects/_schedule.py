"""Alarm timers on the emulator's clock: "call me back at virtual time t".

The one place alarms meet the clock: they are timers of ``TimerKind.DO_ALARM`` on the
emulator's timer service (``wf.timers``), one per object. Callbacks run as tasks;
``settle()`` waits for them, and the clock's own ``settle`` is chained to it, so
``emu.clock.advance(...)`` returns once the alarms it fired have run.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from wf import usertime
from wf.timers import TimerKind, Timers

if TYPE_CHECKING:
    from wf.clock import Clock

_ALARM = TimerKind.DO_ALARM

# How long (real seconds) settle() waits on alarm handlers that make no progress: a handler
# awaiting something that never comes must not hang an advance of the clock.
_QUIET_S = 1.0


class AlarmTimers:
    """One timer per key (an object); re-arming replaces the previous one."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._timers = Timers(clock)
        self.tasks: set[asyncio.Task[None]] = set()
        self._chained = False
        self._watcher: asyncio.Task[None] | None = None

    async def _idle_watch(self) -> None:
        try:
            while self._timers.count(_ALARM) and self.clock.mode == "auto":
                if usertime.running(self.clock) == 0 and not self.tasks:
                    self.clock.notify_idle()
                    return
                await asyncio.sleep(0.005)
        finally:
            self._watcher = None

    def arm(self, key: Any, due_ms: float, run: Callable[[], Awaitable[None]]) -> None:
        """Run ``run()`` once virtual time reaches ``due_ms`` (at once if it has)."""
        self.cancel(key)
        self._chain_settle()

        def fire() -> None:
            task = asyncio.get_running_loop().create_task(_run(run))
            self.tasks.add(task)
            task.add_done_callback(self._finished)

        self._timers.set(_ALARM, key, max(due_ms, self.clock.now()), fire, _ALARM)
        if self.clock.mode == "auto" and self._watcher is None:
            # The engine tells auto time when it is idle; a Worker or object that set an
            # alarm does not, so watch until no user code runs, then let the clock jump.
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                return  # armed before the loop runs (at start): the engine's start notifies
            self._watcher = loop.create_task(self._idle_watch(), context=contextvars.Context())

    def _finished(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        if not self.tasks:
            self.clock.notify_idle()  # auto time may move on once the handlers are done

    def cancel(self, key: Any) -> None:
        self._timers.cancel(_ALARM, key)

    def due(self, key: Any) -> float | None:
        return self._timers.due(_ALARM, key)

    def close(self) -> None:
        self._timers.cancel_kind(_ALARM)
        for task in self.tasks:
            task.cancel()
        if self._watcher is not None:
            self._watcher.cancel()

    async def settle(self) -> None:
        """Wait until the alarm handlers that are running have finished (or stalled)."""
        last_change = time.monotonic()
        seen = len(self.tasks)
        while self.tasks:
            await asyncio.wait(list(self.tasks), timeout=0.02)
            if len(self.tasks) != seen:
                seen, last_change = len(self.tasks), time.monotonic()
            elif time.monotonic() - last_change > _QUIET_S:
                return

    def _chain_settle(self) -> None:
        # The clock settles the engine after each timer it fires; alarms join that wait.
        if self._chained:
            return
        self._chained = True
        engine_settle = self.clock.settle

        async def settle() -> None:
            await engine_settle()
            while self.tasks:
                await self.settle()
                await engine_settle()
                if all(_stalled(task) for task in self.tasks):
                    return

        self.clock.settle = settle
        # Auto time jumps only when nothing runs: a running alarm handler counts.
        engine_idle = self.clock.is_idle
        self.clock.is_idle = lambda: engine_idle() and not self.tasks


def _stalled(task: asyncio.Task[None]) -> bool:
    return not task.done()


async def _run(run: Callable[[], Awaitable[None]]) -> None:
    await run()
