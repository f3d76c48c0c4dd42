"""The journal of one instance, as the step runner sees it: history, records, events.

Backed by the store and the engine's group commit; the runner never sees the engine. Each
verb says what is durable when it returns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from wf.engine.commit import GroupCommit
from wf.store import EventRow, StepRow, Store
from wf.vocabulary import EventKind

if TYPE_CHECKING:
    from wf.tracebacks import Tracebacks

__all__ = ["Journal"]


class Journal:
    """History and writes of one instance, for one pass of its ``run()``."""

    def __init__(
        self,
        store: Store,
        commit: GroupCommit,
        workflow: str,
        instance_id: str,
        history: list[StepRow],
        warn: Callable[[str, EventKind], None],
        tracebacks: Tracebacks | None = None,
    ) -> None:
        self._store = store
        self._commit = commit
        self._warn = warn
        self._tracebacks = tracebacks
        self.workflow = workflow
        self.instance_id = instance_id
        self.history = history  # the steps recorded before this pass, in order
        # The three verbs of every step, bound straight to the group commit: one call less
        # per step on the hot path (the methods below document them).
        self.record = commit.record  # type: ignore[method-assign]
        self.record_at_tick_end = commit.record_at_tick_end  # type: ignore[method-assign]
        self.until_durable = commit.durable  # type: ignore[method-assign]

    def record(self, row: StepRow) -> None:
        """Write a step now; durable at the next commit (by the end of this tick)."""
        self._commit.record(row)

    def record_at_tick_end(self, row: StepRow) -> None:
        """Write a step at the end of this tick if ``record`` has not come first.

        For an attempt's start: only worth writing when its code still runs then.
        """
        self._commit.record_at_tick_end(row)

    async def until_durable(self) -> None:
        """Return once every record so far (of every instance) is committed."""
        await self._commit.durable()

    def record_traceback(
        self, step: str, attempt: int, started: float, exc: BaseException
    ) -> str | None:
        """Keep a failed attempt's traceback with the failure (same transaction); its text."""
        if self._tracebacks is None:
            return None
        return self._tracebacks.record(self.workflow, self.instance_id, step, attempt, started, exc)

    def take_event(self, event_type: str) -> EventRow | None:
        """Remove the oldest buffered event of a type (FIFO); gone for good at the next commit."""
        return self._store.take_event(self.workflow, self.instance_id, event_type)

    def warn(self, message: str, kind: EventKind = EventKind.WARNING) -> None:
        """Add a warning to the instance (shown by ``describe``), once; listeners hear ``kind``."""
        self._warn(message, kind)

    def step_ended(self) -> None:
        """A step's code returned: progress, for whoever waits for the engine to settle."""
        self._commit.progress += 1
