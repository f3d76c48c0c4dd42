"""Modifiers: test-time changes to how steps behave, for one instance or a whole workflow.

A ``Modifier`` writes into the harness's ``Modifiers`` records (``_hooks.py``), which the
engine's hooks read every time a step runs. So, unlike ``cloudflare:test``, a modifier applied
after the instance started still takes effect for every step that has not run yet, and one
that ends a wait (``disable_sleeps``, ``disable_retry_delays``, ``force_event_timeout``)
also ends that wait if the instance is parked in it right now.

The JSON form used over HTTP (``spec_to_modifier`` / ``modifiers_to_spec``) maps one to one
onto the methods, so the in-process and HTTP APIs cannot drift apart.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NotRequired, TypedDict

from wf import serialization
from wf.engine import validate_event_type
from wf.errors import error_info
from wf.statuses import FINAL_STATUSES
from wf.testing._hooks import ModifierHooks, Modifiers, StepRef, hooks_for

if TYPE_CHECKING:
    from wf.engine import Engine


class StepSelector(TypedDict):
    """A step as ``cloudflare:test`` names it: ``{"name": "charge", "index": 2}``.

    ``index`` is the 1-based occurrence of that name in one run (the second ``step.do`` named
    "charge" is index 2). It defaults to 1, as there; ``None`` selects every occurrence.
    """

    name: str
    index: NotRequired[int | None]


ErrorSpec = BaseException | Mapping[str, Any] | str


def step_ref(step: StepSelector | Mapping[str, Any]) -> StepRef:
    """The engine's StepRef for a selector; ValueError names what is wrong with it."""
    if not isinstance(step, Mapping):
        raise ValueError(f'a step is {{"name": ..., "index": n}}, got {step!r}')
    unknown = set(step) - {"name", "index"}
    if unknown:
        raise ValueError(f"unknown key {sorted(unknown)[0]!r} in step {dict(step)!r}")
    name = step.get("name")
    if not isinstance(name, str) or not name:
        raise ValueError(f'a step needs a "name" (a non-empty string), got {dict(step)!r}')
    index = step.get("index", 1)
    if index is not None and (isinstance(index, bool) or not isinstance(index, int) or index < 1):
        raise ValueError(f'step "index" must be an integer >= 1 or null, got {index!r}')
    return StepRef(name, index)


def ref_label(ref: StepRef) -> str:
    """``name-index`` as the history names steps; ``name-*`` for every occurrence."""
    return f"{ref.name}-{'*' if ref.index is None else ref.index}"


def _times(times: Any) -> int | None:
    if times is None:
        return None
    if isinstance(times, bool) or not isinstance(times, int) or times < 1:
        raise ValueError(f"times must be an integer >= 1 (None: every attempt), got {times!r}")
    return times


def _error(error: ErrorSpec) -> BaseException | dict[str, Any]:
    if isinstance(error, BaseException):
        return error
    if isinstance(error, str):
        return {"name": "Error", "message": error}
    if isinstance(error, Mapping) and isinstance(error.get("message", ""), str):
        return {"name": str(error.get("name") or "Error"), "message": error.get("message", "")}
    raise ValueError(
        f'an error is an exception, a message, or {{"name": ..., "message": ...}}; got {error!r}'
    )


def _check_serializable(value: Any, what: str) -> None:
    try:
        text = serialization.dumps(value, what)
    except serialization.NotSerializable as exc:
        raise TypeError(str(exc)) from None
    if serialization.size_of(text) > serialization.MAX_BYTES:
        raise ValueError(f"{what} is larger than 1 MiB")


class Modifier:
    """The ``m`` handed to ``modify(fn)``: one method per ``cloudflare:test`` modifier.

    Methods return the modifier, so they chain:
    ``await inst.modify(lambda m: m.disable_sleeps().mock_step_result({"name": "pay"}, 1))``.
    For a workflow (``introspect_workflow(...).modify_all``) the changes are a template
    copied onto every instance created afterwards.
    """

    def __init__(self, engine: Engine, workflow: str, instance_id: str | None = None) -> None:
        self._engine = engine
        self.workflow = workflow
        self.instance_id = instance_id

    def __repr__(self) -> str:
        suffix = "" if self.instance_id is None else f"/{self.instance_id}"
        return f"<Modifier {self.workflow}{suffix}>"

    @property
    def modifiers(self) -> Modifiers:
        """The engine record this modifier writes (created on first use)."""
        hooks = hooks_for(self._engine)
        if self.instance_id is None:
            return hooks.workflow_modifiers.setdefault(self.workflow, Modifiers())
        return hooks.modifiers.setdefault((self.workflow, self.instance_id), Modifiers())

    @property
    def current(self) -> Modifiers | None:
        """The engine record in force, or None (reading it does not create one)."""
        if self.instance_id is None:
            return hooks_for(self._engine).workflow_modifiers.get(self.workflow)
        return hooks_for(self._engine).modifiers.get((self.workflow, self.instance_id))

    def clear(self) -> None:
        """Drop every modifier (events already delivered stay delivered)."""
        if self.instance_id is None:
            hooks_for(self._engine).workflow_modifiers.pop(self.workflow, None)
        else:
            hooks_for(self._engine).modifiers.pop((self.workflow, self.instance_id), None)

    # -- waits ------------------------------------------------------------------------------

    def disable_sleeps(self, steps: Sequence[StepSelector] | None = None) -> Modifier:
        """Sleeps (``sleep`` and ``sleep_until``) end at once: all, or the ``steps`` given.

        The sleep is still recorded in the history, lasting 0 ms. A matching sleep the
        instance is parked in right now ends now.
        """
        mods = self.modifiers
        mods.disable_sleeps = self._select(mods.disable_sleeps, steps)
        self._end_wait("sleep", mods.sleep_disabled)
        return self

    def disable_retry_delays(self, steps: Sequence[StepSelector] | None = None) -> Modifier:
        """Retries of failed steps start at once: all steps, or the ``steps`` given.

        Each attempt in the history records ``retry_delay`` 0. A matching retry delay the
        instance is parked in right now ends now.
        """
        mods = self.modifiers
        mods.disable_retry_delays = self._select(mods.disable_retry_delays, steps)
        self._end_wait("retry", mods.retry_delay_disabled)
        return self

    def force_event_timeout(self, step: StepSelector) -> Modifier:
        """The ``wait_for_event`` step given times out at once (raises in ``run``).

        If the instance is waiting in that step right now, the timeout happens now.
        """
        ref = step_ref(step)
        mods = self.modifiers
        mods.event_timeouts.append(ref)
        self._end_wait("waitForEvent", mods.event_timeout_forced)
        return self

    @staticmethod
    def _select(
        current: bool | list[StepRef], steps: Sequence[StepSelector] | None
    ) -> bool | list[StepRef]:
        if steps is None or current is True:
            return True
        if isinstance(steps, Mapping | str):
            raise ValueError('steps is a list of {"name": ..., "index": n}')
        return [*(current or []), *(step_ref(s) for s in steps)]

    def _end_wait(self, kind: str, selected: Any) -> None:
        """Fire the instance's pending wake-up now when it is parked in a matching wait."""
        if self.instance_id is None:
            return
        engine = self._engine
        row = engine.find(self.workflow, self.instance_id)
        if row is None or row.status != "waiting" or row.wake_at is None:
            return
        if engine.is_live(self.workflow, self.instance_id):
            return
        for step in engine.history(self.workflow, self.instance_id):
            if step.due != row.wake_at:
                continue
            waiting = (
                (kind == "sleep" and step.kind == "sleep" and step.state == "waiting")
                or (kind == "waitForEvent" and step.kind == kind and step.state == "waiting")
                or (kind == "retry" and step.kind == "do" and step.state == "running")
            )
            if waiting and selected(step.name, step.count):
                engine.fire_now(self.workflow, self.instance_id)
                return

    # -- step results -----------------------------------------------------------------------

    def mock_step_result(self, step: StepSelector, value: Any) -> Modifier:
        """The step returns ``value`` without running its code (attempts are still recorded).

        Mocking the same step twice is an error, as in ``cloudflare:test``. Combined with
        ``mock_step_error(step, ..., times=n)``, the first n attempts fail, then this value.
        """
        ref = step_ref(step)
        _check_serializable(value, f"mocked result of step {ref_label(ref)}")
        mods = self.modifiers
        if any(existing == ref for existing, _ in mods.step_results):
            raise ValueError(f"step {ref_label(ref)} already has a mocked result")
        mods.step_results.append((ref, value))
        return self

    def mock_step_error(
        self, step: StepSelector, error: ErrorSpec, times: int | None = None
    ) -> Modifier:
        """Attempts of the step raise ``error`` instead of running: all, or the next ``times``.

        ``error`` is an exception (its class name is the error's name, and a
        ``NonRetryableError`` stops retries), a message, or ``{"name", "message"}``.
        Retries follow the step's config, so with ``retries.limit`` 2 and ``times=2`` the
        third attempt runs the real code (or a mocked result).
        """
        ref = step_ref(step)
        self.modifiers.step_errors.append([ref, _error(error), _times(times), 0])
        return self

    def force_step_timeout(self, step: StepSelector, times: int | None = None) -> Modifier:
        """Attempts of the step time out at once: all, or the next ``times``.

        The attempt fails with ``WorkflowTimeoutError`` and is retried as a real timeout is.
        """
        ref = step_ref(step)
        self.modifiers.step_timeouts.append([ref, _times(times), 0])
        return self

    # -- events -----------------------------------------------------------------------------

    def mock_event(self, type: str, payload: Any = None) -> Modifier:
        """Deliver an event of ``type`` with ``payload``: buffered now if the instance exists,
        else at its creation (and again after a full restart).
        """
        validate_event_type(type)
        _check_serializable(payload, f"payload of mocked event {type!r}")
        self.modifiers.events.append((type, payload))
        if self.instance_id is not None:
            self._deliver(type, payload)
        return self

    def _deliver(self, event_type: str, payload: Any) -> None:
        engine = self._engine
        assert self.instance_id is not None
        row = engine.find(self.workflow, self.instance_id)
        if row is None or row.status in FINAL_STATUSES:
            return
        engine.send_event(self.workflow, self.instance_id, event_type, payload)


# -- the JSON form (HTTP and CLI) ------------------------------------------------------------

SPEC_KEYS = (
    "disable_sleeps",
    "disable_retry_delays",
    "mock_step_result",
    "mock_step_error",
    "force_step_timeout",
    "mock_event",
    "force_event_timeout",
)


def _entries(spec: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = spec.get(key)
    if value is None:
        return []
    if isinstance(value, Mapping):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise ValueError(f"{key} must be a list of objects")
    return value


def _steps_flag(spec: Mapping[str, Any], key: str) -> Sequence[StepSelector] | bool | None:
    value = spec.get(key)
    if value is None or value is False:
        return False
    if value is True:
        return None
    if isinstance(value, list):
        return value
    raise ValueError(f'{key} must be true or a list of {{"name": ..., "index": n}}')


def _required(entry: Mapping[str, Any], key: str, field: str) -> Any:
    if field not in entry:
        raise ValueError(f'each {key} entry needs "{field}": got {json.dumps(entry)}')
    return entry[field]


def apply_spec(modifier: Modifier, spec: Mapping[str, Any]) -> None:
    """Apply a JSON modifier spec (every key optional), checking all of it first.

    ``{"disable_sleeps": true | [step...], "disable_retry_delays": true | [step...],
    "mock_step_result": [{"step", "value"}], "mock_step_error": [{"step", "error", "times"?}],
    "force_step_timeout": [{"step", "times"?}], "mock_event": [{"type", "payload"?}],
    "force_event_timeout": [step...]}``, where a step is ``{"name", "index"?}``.
    ValueError (or TypeError) names the first problem; nothing is applied then.
    """
    if not isinstance(spec, Mapping):
        raise ValueError("a modifier spec must be a JSON object")
    unknown = set(spec) - set(SPEC_KEYS)
    if unknown:
        raise ValueError(f"unknown modifier {sorted(unknown)[0]!r} (known: {', '.join(SPEC_KEYS)})")
    # Check everything on a scratch copy first, so a bad entry applies nothing.
    scratch = _Scratch()
    scratch.workflow_modifiers[modifier.workflow] = copy.deepcopy(modifier.current or Modifiers())
    _apply(Modifier(scratch, modifier.workflow), spec)  # type: ignore[arg-type]
    _apply(modifier, spec)


def _apply(m: Modifier, spec: Mapping[str, Any]) -> None:
    for key, method in (
        ("disable_sleeps", m.disable_sleeps),
        ("disable_retry_delays", m.disable_retry_delays),
    ):
        steps = _steps_flag(spec, key)
        if steps is not False:
            method(steps)  # type: ignore[arg-type]
    for entry in _entries(spec, "mock_step_result"):
        m.mock_step_result(
            _required(entry, "mock_step_result", "step"),
            _required(entry, "mock_step_result", "value"),
        )
    for entry in _entries(spec, "mock_step_error"):
        m.mock_step_error(
            _required(entry, "mock_step_error", "step"),
            entry.get("error") or "mocked error",
            entry.get("times"),
        )
    for entry in _entries(spec, "force_step_timeout"):
        m.force_step_timeout(_required(entry, "force_step_timeout", "step"), entry.get("times"))
    for entry in _entries(spec, "mock_event"):
        m.mock_event(_required(entry, "mock_event", "type"), entry.get("payload"))
    for step in _entries(spec, "force_event_timeout"):
        m.force_event_timeout(step.get("step", step))


class _Scratch:
    """Stands in for an engine while a spec is checked: records go nowhere."""

    def __init__(self) -> None:
        self.hooks = ModifierHooks()
        self.workflow_modifiers = self.hooks.workflow_modifiers


def _step_json(ref: StepRef) -> dict[str, Any]:
    return {"name": ref.name, "index": ref.index}


def _flag_json(flag: bool | list[StepRef]) -> bool | list[dict[str, Any]]:
    return flag if isinstance(flag, bool) else [_step_json(r) for r in flag]


def modifiers_to_spec(mods: Modifiers | None) -> dict[str, Any]:
    """The JSON form of a modifier record; ``used`` counts the attempts already affected."""
    mods = mods or Modifiers()
    return {
        "disable_sleeps": _flag_json(mods.disable_sleeps),
        "disable_retry_delays": _flag_json(mods.disable_retry_delays),
        "mock_step_result": [
            {"step": _step_json(ref), "value": serialization.to_plain(serialization.dumps(value))}
            for ref, value in mods.step_results
        ],
        "mock_step_error": [
            {
                "step": _step_json(ref),
                "error": error_info(error) if isinstance(error, BaseException) else dict(error),
                "times": times,
                "used": used,
            }
            for ref, error, times, used in mods.step_errors
        ],
        "force_step_timeout": [
            {"step": _step_json(ref), "times": times, "used": used}
            for ref, times, used in mods.step_timeouts
        ],
        "mock_event": [
            {"type": t, "payload": serialization.to_plain(serialization.dumps(p))}
            for t, p in mods.events
        ],
        "force_event_timeout": [_step_json(ref) for ref in mods.event_timeouts],
    }
