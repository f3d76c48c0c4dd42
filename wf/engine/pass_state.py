"""The state of one pass of ``run()``: cache, cursor, warnings, hibernation, calls in flight."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Protocol

from wf.engine import replay
from wf.engine.hooks import EngineHooks
from wf.engine.journal import Journal
from wf.errors import (
    Hibernate,
)
from wf.store import InstanceRow, StepRow
from wf.timers import Timers
from wf.vocabulary import EventKind, StepKind, StepState

__all__ = ["Emit", "LiveInstance", "PassState", "RunnerSettings"]

# Enum members read once: an enum class's attribute lookup is slow on the per-step path.
_EVENT_DIVERGENCE = EventKind.DIVERGENCE
_EVENT_WARNING = EventKind.WARNING
_STATE_RUNNING = StepState.RUNNING


@dataclass
class LiveInstance:
    """An instance whose ``run()`` is executing in this process."""

    row: InstanceRow
    task: asyncio.Task[None] | None = None
    pause_requested: bool = False
    executing: int = 0
    rewake: bool = False
    runner: PassState | None = None
    fresh: bool = False  # just created: no history to load


@dataclass(frozen=True)
class RunnerSettings:
    """What the project's config says about running steps."""

    step_limit: int = 10_000
    evict_after_steps: bool = False  # hibernate after every step (tests of replay)
    runtime_sdk: bool = False  # the external SDK's RPC conversion (compatibility date)
    # workflows_preserve_non_retryable_error_message (compatibility date or flag)
    preserve_non_retryable: bool = True


class Emit(Protocol):
    def __call__(self, kind: EventKind, row: InstanceRow, **info: Any) -> None: ...


class PassState:
    """Bookkeeping shared by the step calls of one pass."""

    def __init__(
        self,
        live: LiveInstance,
        journal: Journal,
        timers: Timers,
        hooks: EngineHooks,
        emit: Emit,
        settings: RunnerSettings,
    ) -> None:
        self.live = live
        self.row = live.row
        self.workflow = live.row.workflow
        self.instance_id = live.row.id
        self.journal = journal
        self.timers = timers
        self.clock = timers.clock
        self.hooks = hooks
        self.emit = emit
        self.settings = settings
        self.cache: dict[tuple[str, str, int], StepRow] = {s.key: s for s in journal.history}
        self.cursor = replay.Cursor(journal.history)
        self.do_calls = 0
        self.closed = False
        self.wake_at: float | None = None
        self.warnings: list[str] = []
        self._ops = 0
        self._ops_idle: asyncio.Event | None = None  # made when drain() has to wait

    # -- bookkeeping --------------------------------------------------------------------------

    def _enter(self, kind: StepKind, name: str) -> tuple[int, StepRow | None]:
        """Common start of every step call: boundary checks, occurrence count, divergence."""
        if self.closed:
            raise Hibernate(reason="closed")
        if self.live.pause_requested:
            raise Hibernate(reason="pause")
        key, divergence = self.cursor.call(kind, name)
        if divergence is not None:
            self.warn(divergence.message, _EVENT_DIVERGENCE)
        return key[2], self.cache.get(key)

    def warn(self, message: str, kind: EventKind = _EVENT_WARNING) -> None:
        """A warning on the instance, once per pass (and once per instance)."""
        if message not in self.warnings:
            self.warnings.append(message)
            self.journal.warn(message, kind)

    def _new_row(self, kind: StepKind, name: str, count: int, **values: Any) -> StepRow:
        values.setdefault("state", _STATE_RUNNING)
        row = StepRow(
            workflow=self.workflow,
            instance=self.instance_id,
            kind=kind,
            name=name,
            count=count,
            pos=len(self.cache),
            started=self.clock.now(),
            **values,
        )
        self.cache[row.key] = row
        return row

    def _hibernate(self, due: float | None, reason: str = "wait") -> Hibernate:
        if due is not None and (self.wake_at is None or due < self.wake_at):
            self.wake_at = due
        return Hibernate(due, reason)

    async def drain(self) -> None:
        """Wait until no step call of this pass is still working, then refuse new ones."""
        while self._ops:
            if self._ops_idle is None:
                self._ops_idle = asyncio.Event()
            self._ops_idle.clear()
            await self._ops_idle.wait()
        self.closed = True

    def _op_started(self) -> None:
        self._ops += 1
        if self._ops_idle is not None:
            self._ops_idle.clear()

    def _op_finished(self) -> None:
        self._ops -= 1
        if self._ops == 0 and self._ops_idle is not None:
            self._ops_idle.set()
