"""Introspectors: ``cloudflare:test``'s ``introspectWorkflowInstance`` and ``introspectWorkflow``.

An introspector reads and steers instances through the engine's public API and the
observer; it holds no state of its own that the engine does not also hold, so several
introspectors of one instance see the same thing.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from wf import serialization
from wf.instance_logs import LogLine
from wf.server.debugging import add_tracebacks, instance_logs, step_matches
from wf.server.views import instance_details
from wf.statuses import FINAL_STATUSES
from wf.testing._errors import WorkflowTestError
from wf.testing._modifier import Modifier, StepSelector, step_ref
from wf.testing._observer import Observer, observer_for

if TYPE_CHECKING:
    from wf.engine import Engine

ModifyFn = Callable[[Modifier], Awaitable[Any] | Any]


@dataclass(frozen=True)
class WaitOptions:
    """How waiters wait: ``timeout`` and ``stall_after`` in real seconds (None: no limit)."""

    timeout: float | None = 10.0
    stall_after: float | None = 0.25
    strict_replay: bool = False


async def _call(fn: ModifyFn, modifier: Modifier) -> None:
    result = fn(modifier)
    if inspect.isawaitable(result):
        await result


class InstanceIntrospector:
    """Observe and steer one instance (which may not exist yet).

    Modifiers set before ``create`` apply from the first step; set later, they apply to every
    step that has not run yet. Waiters return as soon as their condition holds (at once if it
    already does) and fail fast when the instance reaches a final status that rules it out.
    Use it as ``async with emu.introspect_instance(...) as inst:`` to dispose of it at the end.
    """

    def __init__(
        self, engine: Engine, workflow: str, instance_id: str, options: WaitOptions
    ) -> None:
        self._engine = engine
        self.workflow = workflow
        self.id = instance_id
        self._options = options
        self._observer: Observer = observer_for(engine)
        self.modifier = Modifier(engine, workflow, instance_id)

    def __repr__(self) -> str:
        return f"<InstanceIntrospector {self.workflow}/{self.id}>"

    @property
    def _key(self) -> tuple[str, str]:
        return (self.workflow, self.id)

    async def modify(self, fn: ModifyFn) -> Self:
        """Call ``fn(m)`` (sync or async) with this instance's ``Modifier``; returns self."""
        await _call(fn, self.modifier)
        return self

    # -- waiters ------------------------------------------------------------------------------

    async def wait_for_step_result(
        self, step: StepSelector, *, timeout: float | None = None
    ) -> Any:
        """The value a ``step.do`` returned, once it completed (``index`` defaults to 1).

        Raises StepFailed when the step failed for good (not on an attempt that will be
        retried), WorkflowFailed when the instance ended without completing the step, and
        WaitTimeout as described on ``wait_for_status``. Only ``do`` steps have results.
        """
        ref = step_ref(step)
        return await self._wait(
            self._observer.step_check(self._key, ref),
            f'waiting for step "{ref.name}-{ref.index or 1}"',
            timeout,
        )

    async def wait_for_status(self, status: str, *, timeout: float | None = None) -> None:
        """Return when the instance has ``status``; any status works, ``waiting`` included.

        ``queued`` returns at once, as in ``cloudflare:test``. Reaching another final status
        first (say ``errored`` while waiting for ``complete``) raises WorkflowFailed with the
        error and the failing step. In manual time, an instance that is parked (sleeping,
        waiting for an event or a retry, paused) while nothing runs and the clock stands
        still for ``stall_after`` seconds raises WaitTimeout saying where it is parked:
        advance the clock (from another task if you must wait at the same time).
        """
        check = self._observer.status_check(self._key, status)
        if status == "queued":
            return None
        await self._wait(check, f'waiting for status "{status}"', timeout)
        return None

    async def _wait(self, check: Callable[[], Any], what: str, timeout: float | None) -> Any:
        options = self._options
        return await self._observer.wait(
            self._key,
            check,
            what=what,
            timeout=options.timeout if timeout is None else timeout,
            stall_after=options.stall_after,
            strict=options.strict_replay,
        )

    async def get_output(self) -> Any:
        """The value ``run()`` returned; WorkflowFailed/WorkflowTestError unless complete."""
        row = self._engine.get(self.workflow, self.id)
        if row.status == "complete":
            return serialization.loads(row.output)
        if row.status in FINAL_STATUSES:
            raise self._observer.failed(self._key, "get_output()")
        raise WorkflowTestError(
            f"get_output(): instance {self.workflow}/{self.id} is {row.status}, not complete"
        )

    async def get_error(self) -> dict[str, Any]:
        """The ``{"name", "message"}`` the instance errored with; WorkflowTestError otherwise.

        Reading it marks the error as expected, so the pytest plugin does not fail the test.
        """
        row = self._engine.get(self.workflow, self.id)
        if row.status != "errored":
            raise WorkflowTestError(
                f"get_error(): instance {self.workflow}/{self.id} is {row.status}, not errored"
            )
        self._observer.observed.add(self._key)
        return dict(json.loads(row.error or "{}"))

    # -- reading ------------------------------------------------------------------------------

    def describe(self) -> dict[str, Any]:
        """The instance details as the REST API gives them (status, output, error, steps...),
        with wf's ``traceback`` beside each error that has one."""
        row = self._engine.get(self.workflow, self.id)
        details = instance_details(row, self._engine.store.load_steps(self.workflow, row.id))
        return add_tracebacks(self._engine, details)

    def logs(self, step: str | None = None) -> list[LogLine]:
        """What the instance's code printed and logged, oldest first (its last 1,000 entries).

        Each entry has ``message``, ``level`` (``log`` for ``print()``, else the logging
        level), ``step`` (``"charge-1"``; None in ``run()`` itself), ``attempt`` and ``at``
        (virtual ms). ``step`` keeps one step's: a label (``"charge-1"``) or a name.
        """
        lines, _ = instance_logs(self._engine, self.workflow, self.id, step=step)
        return lines

    def traceback(self, step: str | None = None) -> str | None:
        """The stored traceback of the instance's error, or of a step's latest failed attempt
        (``step``: a label or a name); None when there is none."""
        details = self.describe()
        if step is None:
            return details.get("traceback")
        found = None
        for entry in details["steps"]:
            if step_matches(entry.get("name"), step) and entry.get("traceback"):
                found = entry["traceback"]
        return found

    def history(self) -> list[dict[str, Any]]:
        """The steps so far, oldest first, as data.

        Each is a dict with ``type`` (``step``, ``sleep``, ``waitForEvent``, ``termination``)
        and ``name`` (``"charge-1"``); ``step`` entries carry ``success``, ``output``,
        ``config`` and ``attempts`` (each with ``start``, ``end``, ``success``, ``error`` and,
        when a retry followed, ``retry_delay`` in ms).
        """
        steps: list[dict[str, Any]] = self.describe()["steps"]
        return steps

    # -- disposal -----------------------------------------------------------------------------

    async def dispose(self) -> None:
        """Drop this instance's modifiers and delete the instance with all its state."""
        self.modifier.clear()
        if self._engine.find(self.workflow, self.id) is not None:
            await self._engine.delete(self.workflow, self.id)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.dispose()


class WorkflowIntrospector:
    """Steer every instance of a workflow created while it is active.

    ``modify_all`` records modifiers that are copied onto each instance created afterwards
    (they do not reach instances that already exist); ``get`` lists the instances created
    since the session began. One session per workflow at a time, as in ``cloudflare:test``.
    """

    def __init__(
        self,
        engine: Engine,
        workflow: str,
        options: WaitOptions,
        on_dispose: Callable[[WorkflowIntrospector], None] = lambda _w: None,
    ) -> None:
        self._engine = engine
        self.workflow = workflow
        self._options = options
        self._ids: list[str] = []
        self._on_dispose = on_dispose
        self._observer = observer_for(engine)
        self._observer.on_created.append(self._created)
        self.modifier = Modifier(engine, workflow)
        self._active = True

    def __repr__(self) -> str:
        return f"<WorkflowIntrospector {self.workflow}>"

    def _created(self, key: tuple[str, str]) -> None:
        if key[0] == self.workflow:
            self._ids.append(key[1])

    async def modify_all(self, fn: ModifyFn) -> Self:
        """Call ``fn(m)`` with the workflow's ``Modifier``; applies to instances created later."""
        await _call(fn, self.modifier)
        return self

    async def get(self) -> list[InstanceIntrospector]:
        """Introspectors for the instances created since this session began, oldest first."""
        return [
            InstanceIntrospector(self._engine, self.workflow, i, self._options) for i in self._ids
        ]

    async def dispose(self) -> None:
        """End the session: its modifiers stop applying, and its instances are deleted."""
        if not self._active:
            return
        self._active = False
        if self._created in self._observer.on_created:
            self._observer.on_created.remove(self._created)
        self.modifier.clear()
        for instance in await self.get():
            await instance.dispose()
        self._on_dispose(self)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.dispose()
