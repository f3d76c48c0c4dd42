"""Running the Worker's non-HTTP handlers (``queue``, ``scheduled``) for a host.

``wf dev`` and the test ``Emulator`` both run them as they run ``fetch``: user code is marked
for the watchdog (a handler that blocks the loop is stopped at ``limits.cpu_ms``), reads the
virtual clock, and its ``ctx.wait_until`` work is awaited before the invocation ends, as
workerd waits for it before it reports a queue batch's outcome.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from wf.engine import ExecutionContext
from wf.project import WorkerError, call_queue, call_scheduled
from wf.scope import user_code
from wf.usertime import user_time

if TYPE_CHECKING:
    from wf.clock import Clock
    from wf.project import LoadedCode


class WorkerEvents:
    """Calls the current code's ``queue`` and ``scheduled`` handlers with the current env."""

    def __init__(
        self,
        code: Callable[[], LoadedCode | None],
        env: Callable[[], Any],
        clock: Clock,
        *,
        worker: str | None = None,
    ) -> None:
        # How messages name it: "the Worker's" (the first), or "Worker auth's".
        self._name = "the Worker's" if worker is None else f"Worker {worker}'s"
        self._code = code
        self._env = env
        self._clock = clock

    async def queue(self, batch: Any) -> None:
        """One batch through ``queue(self, batch)``; its exception propagates."""
        await self._run("queue", batch)

    async def scheduled(self, controller: Any) -> None:
        """One cron firing through ``scheduled(self, controller)``."""
        await self._run("scheduled", controller)

    async def _run(self, kind: str, argument: Any) -> None:
        from wf.runtime.workers._env import scoped_env

        code = self._code()
        if code is None:
            raise WorkerError(f"{self._name} code is not loaded")
        env = self._env()
        ctx = ExecutionContext()
        call = call_queue if kind == "queue" else call_scheduled
        # Scoped, not process-wide: several Workers' handlers may run at once.
        with (
            scoped_env(env),
            user_code(f"{self._name} {kind} handler"),
            user_time(self._clock),
        ):
            await call(code, argument, env, ctx)
            while ctx._tasks:
                await asyncio.gather(*list(ctx._tasks), return_exceptions=True)
