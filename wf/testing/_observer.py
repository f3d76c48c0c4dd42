"""Watching one engine for tests: waiters, failures and replay divergences.

One ``Observer`` per engine (``observer_for``) listens to its events. Waiters re-check their
condition whenever something happens to any instance (an event, or a pass of ``run()``
ending), so they need no polling; in manual time they also notice when the instance they
wait for is parked with nothing left that could move it, and fail at once saying why.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from wf import serialization
from wf.durations import to_iso
from wf.statuses import FINAL_STATUSES
from wf.statuses import REPORTED_STATUSES as STATUSES
from wf.testing._errors import ReplayDivergence, StepFailed, WaitTimeout, WorkflowFailed
from wf.vocabulary import EventKind

if TYPE_CHECKING:
    from wf.engine import Engine, EngineEvent
    from wf.testing._hooks import StepRef

Key = tuple[str, str]
_PENDING: Any = object()


@dataclass(frozen=True)
class Failure:
    """An instance that errored: its error and the step that failed for good, if any."""

    workflow: str
    instance_id: str
    error: dict[str, Any]
    step: str | None = None
    attempts: int = 0

    def describe(self) -> str:
        where = f"workflow instance {self.workflow}/{self.instance_id} errored"
        if self.step is not None:
            tries = f" after {self.attempts} attempt{'s' if self.attempts != 1 else ''}"
            where += f' at step "{self.step}"' + (tries if self.attempts else "")
        return f"{where}: {_error_text(self.error)}"


def _error_text(error: dict[str, Any] | None) -> str:
    if not error:
        return "(no error recorded)"
    name, message = error.get("name", "Error"), error.get("message", "")
    return f"{name}: {message}" if message else str(name)


class Observer:
    """Listens to one engine; shared by every emulator, introspector and HTTP route on it."""

    def __init__(self, engine: Engine) -> None:
        # A weak reference: the registry below must not keep a finished test's engine alive.
        self._engine = weakref.ref(engine)
        self.failures: dict[Key, Failure] = {}
        self.divergences: dict[Key, list[str]] = {}
        self.observed: set[Key] = set()  # failures the test has looked at
        self.observed_divergences: set[Key] = set()
        self.on_created: list[Callable[[Key], None]] = []
        self._futures: list[asyncio.Future[None]] = []
        self._watched: set[asyncio.Task[None]] = set()
        self.changes = 0
        engine.listeners.append(self._on_event)

    @property
    def engine(self) -> Engine:
        engine = self._engine()
        if engine is None:
            raise RuntimeError("the engine this observer watched is gone")
        return engine

    # -- listening --------------------------------------------------------------------------

    def _on_event(self, event: EngineEvent) -> None:
        key = (event.workflow, event.instance)
        if event.kind == "queued":
            for hook in list(self.on_created):
                hook(key)
        elif event.kind == "errored":
            self.failures[key] = self._failure(key, event.info.get("error") or {})
        elif event.kind == "restarted":
            self.failures.pop(key, None)
            self.divergences.pop(key, None)
            self.observed.discard(key)
            self.observed_divergences.discard(key)
        elif event.kind == EventKind.DIVERGENCE:
            self.divergences.setdefault(key, []).append(event.info["message"])
        self._watch(key)
        with contextlib.suppress(RuntimeError):  # no loop: nothing can be running
            # _wake runs right after some events (queued, resumed...): watch its task too.
            asyncio.get_running_loop().call_soon(self._watch, key)
        self._notify()

    def _watch(self, key: Key) -> None:
        """Be told when the pass of ``run()`` now executing ends (its status settles)."""
        task = self.engine.task_of(*key)
        if task is not None and task not in self._watched:
            self._watched.add(task)
            task.add_done_callback(self._pass_ended)

    def _pass_ended(self, task: asyncio.Task[None]) -> None:
        self._watched.discard(task)
        self._notify()

    def _notify(self) -> None:
        self.changes += 1
        futures, self._futures = self._futures, []
        for future in futures:
            if not future.done():
                future.set_result(None)

    def _failure(self, key: Key, error: dict[str, Any]) -> Failure:
        failed = None
        for step in self.engine.history(*key):
            if step.state == "errored":
                failed = step
        if failed is None:
            return Failure(key[0], key[1], dict(error))
        return Failure(
            key[0], key[1], dict(error), f"{failed.name}-{failed.count}", len(failed.attempts)
        )

    # -- waiting ----------------------------------------------------------------------------

    async def changed(self, timeout: float | None) -> None:
        """Return at the next change to any instance, or after ``timeout`` seconds."""
        future = asyncio.get_running_loop().create_future()
        self._futures.append(future)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(future, timeout)

    async def wait(
        self,
        key: Key,
        check: Callable[[], Any],
        *,
        what: str,
        timeout: float | None,
        stall_after: float | None,
        strict: bool = False,
    ) -> Any:
        """Re-run ``check`` at every change until it returns something other than pending.

        Raises WaitTimeout after ``timeout`` seconds, or after ``stall_after`` seconds in which
        the instance stayed parked (see ``parked``) with the clock still; ReplayDivergence
        first when ``strict`` and the instance diverged.
        """
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        stall: tuple[float, int, float] | None = None  # (clock now, changes, since)
        while True:
            if strict:
                self.raise_divergence(key)
            result = check()
            if result is not _PENDING:
                return result
            now = loop.time()
            if deadline is not None and now >= deadline:
                raise WaitTimeout(f"gave up {what} after {timeout:g} s: {self.where(key)}")
            wait = None if deadline is None else deadline - now
            if stall_after is not None and self.parked(key):
                marker = (self.engine.clock.now(), self.changes)
                if stall is None or stall[:2] != marker:
                    stall = (*marker, now)
                elif now - stall[2] >= stall_after:
                    raise WaitTimeout(
                        f"{what}: the instance cannot move on its own. {self.where(key)}. "
                        "Time is manual: advance the clock, send the event, or end the wait "
                        "with a modifier (disable_sleeps, mock_event, force_event_timeout)"
                    )
                left = stall_after - (now - stall[2])
                wait = left if wait is None else min(wait, left)
            else:
                stall = None
            await self.changed(wait)

    def parked(self, key: Key) -> bool:
        """Whether nothing in the engine can move this instance without outside help.

        True when no instance is executing and this one is paused, or waits on a timer while
        time is manual.
        """
        engine = self.engine
        if not engine.idle():
            return False
        row = engine.find(*key)
        if row is None:
            return False
        if row.status in ("paused", "waitingForPause"):
            return True
        return row.status == "waiting" and engine.clock.mode == "manual"

    def where(self, key: Key) -> str:
        """Where an instance stands, for messages: its status and what it waits for."""
        engine = self.engine
        row = engine.find(*key)
        label = f"{key[0]}/{key[1]}"
        if row is None:
            return f"instance {label} does not exist (yet)"
        text = f"instance {label} is {row.status}"
        if row.status == "waiting":
            text += self._waiting_on(key, row.wake_at)
        text += f" (virtual now {to_iso(engine.clock.now())}, time {engine.clock.mode})"
        return text

    def _waiting_on(self, key: Key, wake_at: float | None) -> str:
        for step in self.engine.history(*key):
            label = f"{step.name}-{step.count}"
            if step.kind == "sleep" and step.state == "waiting":
                return f', sleeping in step "{label}" until {to_iso(step.due)}'
            if step.kind == "waitForEvent" and step.state == "waiting":
                event_type = json.loads(step.config or "{}").get("type")
                return (
                    f', waiting for an event of type "{event_type}" in step "{label}" '
                    f"(times out at {to_iso(step.due)})"
                )
            if step.kind == "do" and step.state == "running" and step.due is not None:
                return (
                    f', waiting to retry step "{label}" at {to_iso(step.due)} '
                    f"({len(step.attempts)} attempts so far)"
                )
        return f", next wake-up at {to_iso(wake_at)}" if wake_at is not None else ""

    # -- conditions ---------------------------------------------------------------------------

    def status_check(self, key: Key, status: str) -> Callable[[], Any]:
        """A check for ``wait``: done at ``status``; WorkflowFailed at another final one."""
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}: use one of {', '.join(STATUSES)}")

        def check() -> Any:
            row = self.engine.find(*key)
            if row is None:
                return _PENDING
            if row.status == status:
                if status == "errored":
                    self.observed.add(key)
                return None
            if row.status in FINAL_STATUSES:
                raise self.failed(key, f'waiting for status "{status}"')
            return _PENDING

        return check

    def step_check(self, key: Key, ref: StepRef) -> Callable[[], Any]:
        """A check for ``wait``: the result of a ``do`` step once it completed."""
        label = f"{ref.name}-{ref.index or 1}"

        def check() -> Any:
            row = self.engine.find(*key)
            if row is None:
                return _PENDING
            for step in self.engine.history(*key):
                if step.kind != "do" or not ref.matches(step.name, step.count):
                    continue
                if step.state == "complete":
                    return serialization.loads(step.output)
                if step.state == "errored":
                    self.observed.add(key)
                    error = json.loads(step.error or "{}")
                    raise StepFailed(
                        f'step "{step.name}-{step.count}" of {key[0]}/{key[1]} failed after '
                        f"{len(step.attempts)} attempts: {_error_text(error)}",
                        step=f"{step.name}-{step.count}",
                        error=error,
                        attempts=len(step.attempts),
                    )
                break
            if row.status in FINAL_STATUSES:
                raise self.failed(key, f'waiting for step "{label}"')
            return _PENDING

        return check

    def failed(self, key: Key, doing: str) -> WorkflowFailed:
        """The error for an instance that reached a final status a waiter did not want."""
        row = self.engine.find(*key)
        status = row.status if row is not None else "deleted"
        failure = self.failures.get(key)
        self.observed.add(key)
        if status == "errored" and failure is not None:
            message = f"{doing}, but {failure.describe()}"
            return WorkflowFailed(
                message,
                workflow=key[0],
                instance_id=key[1],
                status=status,
                error=failure.error,
                step=failure.step,
            )
        error = json.loads(row.error) if row is not None and row.error else None
        return WorkflowFailed(
            f"{doing}, but instance {key[0]}/{key[1]} is {status}",
            workflow=key[0],
            instance_id=key[1],
            status=status,
            error=error,
        )

    def raise_divergence(self, key: Key) -> None:
        """Raise ReplayDivergence if the instance diverged (the test has now seen it)."""
        __tracebackhide__ = True
        warnings = self.divergences.get(key)
        if warnings:
            self.observed_divergences.add(key)
            raise ReplayDivergence(
                f"instance {key[0]}/{key[1]} replayed differently from its history (state "
                f"kept outside steps?): {warnings[0]}"
                + (f" (+{len(warnings) - 1} more)" if len(warnings) > 1 else ""),
                workflow=key[0],
                instance_id=key[1],
                warnings=list(warnings),
            )


_OBSERVERS: weakref.WeakKeyDictionary[Engine, Observer] = weakref.WeakKeyDictionary()


def observer_for(engine: Engine) -> Observer:
    """The engine's observer, attached on first use."""
    observer = _OBSERVERS.get(engine)
    if observer is None:
        observer = _OBSERVERS[engine] = Observer(engine)
    return observer
