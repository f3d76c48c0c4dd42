"""The harness's side of the engine's hooks: modifiers that change how steps behave.

``ModifierHooks`` implements ``wf.engine.EngineHooks`` with ``Modifiers`` records, one
per instance (and one per workflow, copied onto every instance created afterwards).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from wf.engine import EngineHooks
from wf.errors import StepError, WorkflowTimeoutError

if TYPE_CHECKING:
    from wf.engine import Engine

__all__ = ["ModifierHooks", "Modifiers", "StepRef", "hooks_for"]


@dataclass
class StepRef:
    """A step picked out by name and 1-based occurrence, as ``cloudflare:test`` names it."""

    name: str
    index: int | None = None

    def matches(self, name: str, count: int) -> bool:
        return self.name == name and (self.index is None or self.index == count)


@dataclass
class Modifiers:
    """Test-time changes to how an instance's steps behave (see ``wf.testing``)."""

    disable_sleeps: bool | list[StepRef] = False
    disable_retry_delays: bool | list[StepRef] = False
    step_results: list[tuple[StepRef, Any]] = field(default_factory=list)
    step_errors: list[list[Any]] = field(default_factory=list)  # [ref, error, times|None, used]
    step_timeouts: list[list[Any]] = field(default_factory=list)  # [ref, times|None, used]
    event_timeouts: list[StepRef] = field(default_factory=list)
    events: list[tuple[str, Any]] = field(default_factory=list)

    @staticmethod
    def _selected(flag: bool | list[StepRef], name: str, count: int) -> bool:
        if isinstance(flag, bool):
            return flag
        return any(ref.matches(name, count) for ref in flag)

    def sleep_disabled(self, name: str, count: int) -> bool:
        return self._selected(self.disable_sleeps, name, count)

    def retry_delay_disabled(self, name: str, count: int) -> bool:
        return self._selected(self.disable_retry_delays, name, count)

    def mocked_result(self, name: str, count: int) -> tuple[bool, Any]:
        for ref, value in self.step_results:
            if ref.matches(name, count):
                return True, value
        return False, None

    def take_error(self, name: str, count: int) -> BaseException | dict[str, Any] | None:
        for entry in self.step_errors:
            ref, error, times, used = entry
            if ref.matches(name, count) and (times is None or used < times):
                entry[3] = used + 1
                return error  # type: ignore[no-any-return]
        return None

    def take_timeout(self, name: str, count: int) -> bool:
        for entry in self.step_timeouts:
            ref, times, used = entry
            if ref.matches(name, count) and (times is None or used < times):
                entry[2] = used + 1
                return True
        return False

    def event_timeout_forced(self, name: str, count: int) -> bool:
        return any(ref.matches(name, count) for ref in self.event_timeouts)

    def extend(self, other: Modifiers) -> None:
        """Add another set's changes to this one; where both mock a step, this set's wins."""
        self.disable_sleeps = _union(self.disable_sleeps, other.disable_sleeps)
        self.disable_retry_delays = _union(self.disable_retry_delays, other.disable_retry_delays)
        self.step_results.extend(other.step_results)
        self.step_errors.extend(other.step_errors)
        self.step_timeouts.extend(other.step_timeouts)
        self.event_timeouts.extend(other.event_timeouts)
        self.events.extend(other.events)


def _union(a: bool | list[StepRef], b: bool | list[StepRef]) -> bool | list[StepRef]:
    if a is True or b is True:
        return True
    if not a and not b:
        return False
    return [*(a or []), *(b or [])]


class ModifierHooks(EngineHooks):
    """The engine's hooks as the test harness's modifiers configure them."""

    def __init__(self) -> None:
        self.modifiers: dict[tuple[str, str], Modifiers] = {}
        self.workflow_modifiers: dict[str, Modifiers] = {}

    def instance_created(
        self, workflow: str, instance_id: str, *, restarted: bool = False
    ) -> Sequence[tuple[str, Any]]:
        key = (workflow, instance_id)
        if not restarted:
            template = self.workflow_modifiers.get(workflow)
            if template is not None:
                own = self.modifiers.get(key)
                if own is None:
                    self.modifiers[key] = copy.deepcopy(template)
                else:  # set for this id before it existed: keep them, add the workflow's
                    own.extend(copy.deepcopy(template))
        mods = self.modifiers.get(key)
        return list(mods.events) if mods is not None else ()

    def instance_removed(self, workflow: str, instance_id: str) -> None:
        self.modifiers.pop((workflow, instance_id), None)

    def before_attempt(
        self, workflow: str, instance_id: str, name: str, count: int, timeout_ms: float
    ) -> tuple[bool, Any]:
        mods = self.modifiers.get((workflow, instance_id))
        if mods is None:
            return False, None
        if mods.take_timeout(name, count):
            raise WorkflowTimeoutError(f"Execution timed out after {int(timeout_ms)}ms")
        error = mods.take_error(name, count)
        if error is not None:
            if isinstance(error, BaseException):
                raise error
            raise StepError(str(error.get("name", "Error")), str(error.get("message", "")))
        return mods.mocked_result(name, count)

    def sleep_duration(
        self, workflow: str, instance_id: str, name: str, count: int, ms: float
    ) -> float:
        mods = self.modifiers.get((workflow, instance_id))
        return 0 if mods is not None and mods.sleep_disabled(name, count) else ms

    def retry_delay(self, workflow: str, instance_id: str, name: str, count: int) -> float | None:
        mods = self.modifiers.get((workflow, instance_id))
        return 0.0 if mods is not None and mods.retry_delay_disabled(name, count) else None

    def event_timeout(
        self, workflow: str, instance_id: str, name: str, count: int, ms: float
    ) -> float:
        mods = self.modifiers.get((workflow, instance_id))
        return 0 if mods is not None and mods.event_timeout_forced(name, count) else ms


def hooks_for(engine: Engine) -> ModifierHooks:
    """The harness's hooks on ``engine``, installed on first use."""
    hooks = engine.hooks
    if not isinstance(hooks, ModifierHooks):
        hooks = ModifierHooks()
        engine.hooks = hooks
    return hooks
