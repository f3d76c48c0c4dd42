"""Worker cron: ``triggers.crons`` runs the Worker's ``scheduled`` handler on virtual time.

The handler gets workerd's ``ScheduledController`` as a JsProxy (the Python SDK does not
wrap it): ``controller.cron`` (the expression that fired), ``controller.scheduledTime``
(epoch milliseconds of the firing) and ``controller.noRetry()``. Each expression's last
firing is kept in the store, so a restart continues from it; firings missed while wf was not
running are skipped, as for ``workflows[].schedules``. ``trigger`` runs the handler by hand
(wrangler's ``/cdn-cgi/handler/scheduled?cron=...`` route).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from wf.cron import parse_cron
from wf.timers import TimerKind
from wf.wakeups import Wakeups, settle_with

if TYPE_CHECKING:
    from wf.clock import Clock
    from wf.store import Store

Run = Callable[[Any], Awaitable[None]]


class ScheduledController:
    """workerd's ``ScheduledController``."""

    def __init__(self, cron: str, scheduled_time: float) -> None:
        self.cron = cron
        self.scheduledTime = int(scheduled_time)
        self.retry = True

    def noRetry(self) -> None:
        """Accepted; wf does not retry a failed scheduled run anyway (see the README)."""
        self.retry = False


ScheduledController.__name__ = "ScheduledController"


@dataclass(frozen=True)
class Firing:
    """One run of the scheduled handler, for listeners and tests."""

    cron: str
    scheduled_time: float
    error: BaseException | None


class WorkerCron:
    """The ``triggers.crons`` timers of one Worker."""

    def __init__(self, clock: Clock, store: Store, *, worker: str | None = None) -> None:
        self.clock = clock
        self.store = store
        # Another Worker of the session keeps its last firings apart from the first's.
        self._prefix = "worker-cron:" if worker is None else f"worker-cron:{worker}:"
        self.crons: tuple[str, ...] = ()
        self.run: Run | None = None
        self.log: Callable[[str], None] | None = None
        self.error_log: Callable[[str, BaseException], None] | None = None
        self.history: list[Firing] = []
        self._wakeups = Wakeups(clock, TimerKind.WORKER_CRON)
        self._tasks: set[asyncio.Task[None]] = set()
        self._started = False

    def configure(self, crons: tuple[str, ...]) -> None:
        """Use these expressions (at load and after each reload)."""
        self.crons = crons
        if self._started:
            self._arm_all()

    def start(self, run: Run) -> None:
        self.run = run
        if self._started:
            return
        self._started = True
        settle_with(self.clock, self.busy)
        self._arm_all()

    async def stop(self) -> None:
        self._started = False
        self._wakeups.cancel_all()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    def busy(self) -> list[asyncio.Task[None]]:
        return list(self._tasks)

    async def trigger(self, cron: str, scheduled_time: float | None = None) -> Firing:
        """Run the handler now, by hand, and return how it went."""
        when = self.clock.now() if scheduled_time is None else scheduled_time
        return await self._fire_now(cron, when)

    # -- timers -------------------------------------------------------------------------------

    def _arm_all(self) -> None:
        self._wakeups.cancel_all()
        now = self.clock.now()
        for expression in self.crons:
            last = self.store.get_meta(self._prefix + expression)
            due = parse_cron(expression).next_after(max(float(last) if last else now, now))
            self._arm(expression, due)

    def _arm(self, expression: str, due: float) -> None:
        self._wakeups.at(expression, due, lambda: self._due(expression, due))

    def _due(self, expression: str, due: float) -> None:
        if expression not in self.crons or not self._started:
            return
        self.store.set_meta(self._prefix + expression, repr(due))
        task = asyncio.ensure_future(self._fire_quietly(expression, due))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        self._arm(expression, parse_cron(expression).next_after(due))

    async def _fire_quietly(self, cron: str, when: float) -> None:
        await self._fire_now(cron, when)

    async def _fire_now(self, cron: str, when: float) -> Firing:
        from wf.runtime.pyodide._host import JsHostObject

        error: BaseException | None = None
        if self.run is None:
            error = RuntimeError("the Worker is not running yet")
        else:
            controller = JsHostObject(ScheduledController(cron, when), "controller")
            try:
                await self.run(controller)
            except asyncio.CancelledError:
                raise
            except (Exception, SystemExit) as exc:  # user code must not take wf down
                error = exc
        firing = Firing(cron, when, error)
        self.history.append(firing)
        del self.history[:-1000]
        if error is not None and self.error_log is not None:
            self.error_log(
                f'scheduled handler for "{cron}" raised (wf does not retry it: UNCONFIRMED)', error
            )
        elif self.log is not None:
            self.log(f'SCHEDULED "{cron}" ok')
        return firing
