"""The ``ctx`` a Worker's and a Workflow's entrypoint is built with."""

from __future__ import annotations

import asyncio
from typing import Any

__all__ = ["ExecutionContext"]


class ExecutionContext:
    """The ``ctx`` of an entrypoint: ``wait_until`` keeps background work alive."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def wait_until(self, awaitable: Any) -> None:
        """Run an awaitable in the background."""
        task = asyncio.ensure_future(awaitable)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    waitUntil = wait_until

    def pass_through_on_exception(self) -> None:
        """Accepted for compatibility; there is no origin to fall back to locally."""
