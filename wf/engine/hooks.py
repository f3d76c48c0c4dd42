"""Where a test harness may change how an instance's steps behave.

The engine calls these at fixed points; ``EngineHooks`` itself does nothing, so the engine
knows nothing of testing. ``wf.testing`` implements them with its modifiers (mocked
results and errors, disabled sleeps and retry delays, forced timeouts, mock events).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["NO_HOOKS", "EngineHooks"]


class EngineHooks:
    """The no-op hooks: every step behaves as the code and the config say."""

    def instance_created(
        self, workflow: str, instance_id: str, *, restarted: bool = False
    ) -> Sequence[tuple[str, Any]]:
        """An instance was created (or restarted from scratch): events to buffer for it."""
        return ()

    def instance_removed(self, workflow: str, instance_id: str) -> None:
        """An instance was deleted or purged."""

    def before_attempt(
        self, workflow: str, instance_id: str, name: str, count: int, timeout_ms: float
    ) -> tuple[bool, Any]:
        """Before a step attempt's code runs: ``(True, value)`` to return ``value`` instead.

        Raising fails the attempt with that error, as if the step's code had raised it.
        """
        return False, None

    def sleep_duration(
        self, workflow: str, instance_id: str, name: str, count: int, ms: float
    ) -> float:
        """The duration a new sleep waits (ms)."""
        return ms

    def retry_delay(self, workflow: str, instance_id: str, name: str, count: int) -> float | None:
        """A delay (ms) to use instead of the configured one before a retry, or None."""
        return None

    def event_timeout(
        self, workflow: str, instance_id: str, name: str, count: int, ms: float
    ) -> float:
        """The timeout (ms) of a new ``wait_for_event``."""
        return ms


NO_HOOKS = EngineHooks()
