"""The ``step`` object handed to ``run()``: the step cache, retries, sleeps and events.

One ``StepRunner`` lives for one pass of ``run()`` (a replay from the top). It answers each
step call from the stored history when it can; otherwise it executes the step, records it,
and, when the instance must wait (a sleep, an event, a retry delay, a pause), raises
``Hibernate`` so that no coroutine is held while the instance waits.
"""

from __future__ import annotations

import asyncio
import contextvars
import copy
import inspect
import json
import math
import os
import re
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from emulator import serialization, usertime
from emulator.durations import (
    DAY,
    SECOND,
    DurationError,
    format_duration,
    parse_duration,
    parse_timestamp,
)
from emulator.errors import (
    Hibernate,
    InstanceFatal,
    StepError,
    WorkflowFatalError,
    WorkflowInternalError,
    WorkflowTimeoutError,
    error_info,
)
from emulator.runtime.workers import JsDict
from emulator.runtime.workers._rpc import check_rpc
from emulator.runtime.workers.workflows import NonRetryableError
from emulator.store import InstanceRow, StepRow
from emulator.watchdog import user_code

if TYPE_CHECKING:
    from emulator.engine import Engine

MAX_STEP_NAME = 256
MAX_SLEEP_MS = 365 * DAY
MAX_RETRIES = 10_000
DEFAULT_RETRIES: dict[str, Any] = {"limit": 5, "delay": 10_000, "backoff": "exponential"}
DEFAULT_TIMEOUT = "10 minutes"
DEFAULT_EVENT_TIMEOUT = "24 hours"
CONFIG_DOCS = "See https://developers.cloudflare.com/workflows/build/sleeping-and-retrying/"
_CONTROL_CHARS = re.compile(r"[\x00-\x1f]")
TYPE_PATTERN = re.compile(r"^[a-zA-Z0-9_][a-zA-Z0-9\-_]*$")
_INTERRUPTED = {
    "name": "WorkflowInternalError",
    "message": "Attempt failed due to internal workflows error",
}

# (workflow, instance id, step label) of the code running now; the console attributes print().
current_step: contextvars.ContextVar[tuple[str, str, str | None] | None] = contextvars.ContextVar(
    "wf_current_step", default=None
)


@dataclass
class LiveInstance:
    """An instance whose ``run()`` is executing in this process."""

    row: InstanceRow
    task: asyncio.Task[None] | None = None
    pause_requested: bool = False
    executing: int = 0
    rewake: bool = False
    runner: StepRunner | None = None
    fresh: bool = False  # just created: no history to load


@dataclass
class StepRef:
    """A step picked out by name and 1-based occurrence, as ``cloudflare:test`` names it."""

    name: str
    index: int | None = None

    def matches(self, name: str, count: int) -> bool:
        return self.name == name and (self.index is None or self.index == count)


@dataclass
class Modifiers:
    """Test-time changes to how an instance's steps behave (see ``emulator.testing``)."""

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


def invalid_config(name: str, detail: str) -> WorkflowFatalError:
    return WorkflowFatalError(
        f'Step config for "{name}" is in a invalid format. {CONFIG_DOCS} ({detail})'
    )


def resolve_config(name: str, user: Any) -> tuple[dict[str, Any], Callable[..., Any] | None]:
    """Validate a step config and merge it over the defaults (shallow, ``retries`` one deeper).

    Returns the config to persist and the dynamic delay function, if ``retries.delay`` is one.
    """
    base: dict[str, Any] = {"retries": dict(DEFAULT_RETRIES), "timeout": DEFAULT_TIMEOUT}
    if user is None:
        return base, None
    if not isinstance(user, dict):
        raise invalid_config(name, "config must be a dict")
    unknown = set(user) - {"retries", "timeout", "sensitive"}
    if unknown:
        raise invalid_config(name, f"unknown key {sorted(unknown)[0]!r}")
    retries = user.get("retries", {})
    if not isinstance(retries, dict):
        raise invalid_config(name, "retries must be a dict")
    unknown = set(retries) - {"limit", "delay", "backoff"}
    if unknown:
        raise invalid_config(name, f"unknown key retries.{sorted(unknown)[0]}")
    missing = [key for key in ("limit", "delay") if key not in retries]
    if "retries" in user and missing:
        # workers-sdk lib/validators.ts: a retries object needs both limit and delay.
        raise invalid_config(name, f"retries needs {' and '.join(missing)}")
    delay_fn = None
    if "limit" in retries:
        limit = retries["limit"]
        if isinstance(limit, bool) or not isinstance(limit, int | float) or limit < 0:
            raise invalid_config(name, "retries.limit must be a number >= 0")
        if limit > MAX_RETRIES:
            raise invalid_config(name, f"retries.limit must be at most {MAX_RETRIES}")
    if "delay" in retries:
        delay = retries["delay"]
        if callable(delay):
            delay_fn = delay
        else:
            try:
                parse_duration(delay)
            except DurationError as exc:
                raise invalid_config(name, f"retries.delay: {exc}") from None
    if "backoff" in retries and retries["backoff"] not in ("constant", "linear", "exponential"):
        raise invalid_config(name, "retries.backoff must be constant, linear or exponential")
    if "timeout" in user:
        try:
            if parse_duration(user["timeout"]) == 0:
                raise invalid_config(name, "timeout must not be 0")
        except DurationError as exc:
            raise invalid_config(name, f"timeout: {exc}") from None
    if "sensitive" in user and user["sensitive"] != "output":
        raise invalid_config(name, "sensitive must be 'output'")
    merged: dict[str, Any] = {**base, **user}
    merged["retries"] = {**base["retries"], **retries}
    if delay_fn is not None:
        del merged["retries"]["delay"]
    return merged, delay_fn


def backoff_delay(retries: dict[str, Any], attempt: int, base: float) -> float:
    """Wait before the next attempt, after attempt number ``attempt`` (1-based) failed."""
    backoff = retries.get("backoff", "constant")
    if backoff == "exponential":
        # 2.0 ** 1024 is past a float; a delay that long is over the limit anyway.
        return base * 2.0 ** min(attempt - 1, 1023) if base else 0.0
    if backoff == "linear":
        return base * attempt
    return base


def validate_step_name(name: Any) -> str:
    if (
        not isinstance(name, str)
        or not name
        or len(name) > MAX_STEP_NAME
        or _CONTROL_CHARS.search(name)
    ):
        raise WorkflowFatalError(
            f'Step name "{name}" exceeds max length ({MAX_STEP_NAME} chars) '
            "or invalid characters found"
        )
    return name


def rebuild_error(info: dict[str, Any]) -> Exception:
    """The exception ``run`` sees for a failed step, as workers-py ``_from_js_error`` builds it.

    A Python error (a ``PythonError`` message) is rebuilt from the last line of its traceback:
    ``TypeError``/``ValueError``/``workers.workflows.NonRetryableError`` lines become that
    class with the whole line as message; anything else stays the JS error. A JS error named
    ``RangeError`` becomes ``ValueError``, ``TypeError`` a ``TypeError``, the rest stay JS
    errors (``StepError``, a ``JsException``).
    """
    name, message = str(info.get("name", "Error")), str(info.get("message", ""))
    exc: Exception
    if name == "NonRetryableError":
        exc = NonRetryableError(f"workers.workflows.NonRetryableError: {message}")
        exc._wf_error = {"name": name, "message": message}  # type: ignore[attr-defined]
        return exc
    if message.startswith("PythonError"):
        lines = message.split("\n")
        last = lines[-2] if len(lines) > 1 else lines[-1]
        if last.startswith("TypeError"):
            exc = TypeError(last)
        elif last.startswith("ValueError"):
            exc = ValueError(last)
        elif last.startswith("workers.workflows.NonRetryableError"):
            exc = NonRetryableError(last)
            original = last.partition(":")[2].strip()
            exc._wf_error = {"name": "NonRetryableError", "message": original}  # type: ignore[attr-defined]
        else:
            exc = StepError(name, message)
    elif name == "RangeError":
        exc = ValueError(message)
    elif name == "TypeError":
        exc = TypeError(message)
    else:
        exc = StepError(name, message)
    # Uncaught, a rebuilt Python error is a new PythonError; a JS error is rethrown as it was.
    return exc


def is_non_retryable(exc: BaseException) -> bool:
    if isinstance(exc, NonRetryableError) or type(exc).__name__ == "NonRetryableError":
        return True
    return getattr(exc, "name", None) == "NonRetryableError" or str(exc).startswith(
        "NonRetryableError"
    )


class StepRunner:
    """Executes or replays the step calls of one pass of an instance's ``run()``."""

    def __init__(self, engine: Engine, live: LiveInstance, history: list[StepRow]) -> None:
        self.engine = engine
        self.live = live
        self.row = live.row
        self.workflow = live.row.workflow
        self.instance_id = live.row.id
        self.cache: dict[tuple[str, str, int], StepRow] = {s.key: s for s in history}
        self.history = history
        self.counts: dict[tuple[str, str], int] = {}
        self.position = 0
        self.do_calls = 0
        self.closed = False
        self.wake_at: float | None = None
        self.warnings: list[str] = []
        self._ops = 0
        self._ops_idle = asyncio.Event()
        self._ops_idle.set()
        self.step_limit = engine.step_limit(self.workflow)

    # -- bookkeeping --------------------------------------------------------------------------

    @property
    def clock(self) -> Any:
        return self.engine.clock

    @property
    def store(self) -> Any:
        return self.engine.store

    @property
    def modifiers(self) -> Modifiers | None:
        return self.engine.modifiers.get((self.workflow, self.instance_id))

    def _enter(self, kind: str, name: str) -> tuple[int, StepRow | None]:
        """Common start of every step call: boundary checks, occurrence count, divergence."""
        if self.closed:
            raise Hibernate(reason="closed")
        if self.live.pause_requested:
            raise Hibernate(reason="pause")
        count = self.counts.get((kind, name), 0) + 1
        self.counts[(kind, name)] = count
        key = (kind, name, count)
        if self.position < len(self.history):
            expected = self.history[self.position]
            if expected.key != key:
                self._warn(
                    f"replay divergence at step {self.position + 1}: history has "
                    f"{expected.kind} '{expected.name}-{expected.count}', code now calls "
                    f"{kind} '{name}-{count}'"
                )
        self.position += 1
        return count, self.cache.get(key)

    def _warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)
            self.engine.warn(self.row, message)

    def _new_row(self, kind: str, name: str, count: int, **values: Any) -> StepRow:
        values.setdefault("state", "running")
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

    def _save(self, row: StepRow) -> None:
        self.engine.saved_step(row)

    def _hibernate(self, due: float | None, reason: str = "wait") -> Hibernate:
        if due is not None and (self.wake_at is None or due < self.wake_at):
            self.wake_at = due
        return Hibernate(due, reason)

    async def drain(self) -> None:
        """Wait until no step call of this pass is still working, then refuse new ones."""
        while self._ops:
            self._ops_idle.clear()
            await self._ops_idle.wait()
        self.closed = True

    def _op_started(self) -> None:
        self._ops += 1
        self._ops_idle.clear()

    def _op_finished(self) -> None:
        self._ops -= 1
        if self._ops == 0:
            self._ops_idle.set()

    # -- step.do ------------------------------------------------------------------------------

    async def do(
        self, name: Any, callback: Callable[[JsDict], Awaitable[Any]], config: Any = None
    ) -> Any:
        """Run (or replay) one ``step.do``."""
        self._op_started()
        try:
            return await self._do(name, callback, config)
        except (WorkflowFatalError, WorkflowTimeoutError, WorkflowInternalError) as exc:
            # Thrown by the engine, it crosses RPC into run(): the name joins the message.
            raise StepError(type(exc).__name__, str(exc)) from None
        finally:
            self._op_finished()

    async def _do(
        self, name: Any, callback: Callable[[JsDict], Awaitable[Any]], config: Any
    ) -> Any:
        name = validate_step_name(name)
        count, row = self._enter("do", name)
        self.do_calls += 1
        if self.do_calls > self.step_limit:
            raise WorkflowFatalError(
                f"The limit of {self.step_limit} steps has been reached. This limit can be "
                "changed in your worker configuration."
            )
        if row is not None and row.state == "complete":
            return serialization.loads(row.output)
        if row is not None and row.state == "errored":
            raise rebuild_error(json.loads(row.error or "{}"))
        resolved, delay_fn = resolve_config(name, config)
        if row is None:
            # saved with its first attempt, just below
            row = self._new_row("do", name, count, config=_config_json(resolved))
            self.engine.emit("step_start", self.row, step=f"{name}-{count}")
        else:
            stored = json.loads(row.config) if row.config else resolved
            resolved = stored  # the config of the first execution wins, as in production
        return await self._attempts(row, name, count, resolved, delay_fn, callback)

    async def _attempts(
        self,
        row: StepRow,
        name: str,
        count: int,
        config: dict[str, Any],
        delay_fn: Callable[..., Any] | None,
        callback: Callable[[JsDict], Awaitable[Any]],
    ) -> Any:
        retries = config.get("retries", DEFAULT_RETRIES)
        limit = int(retries.get("limit", DEFAULT_RETRIES["limit"]))
        if row.attempts and row.attempts[-1].get("end") is None:
            # The process died during this attempt: record it, then run the step again.
            row.attempts[-1].update(end=self.clock.now(), success=False, error=_INTERRUPTED)
            row.attempts[-1]["interrupted"] = True
            row.due = None
            self._save(row)
        while True:
            if row.due is not None:
                if self.clock.now() < row.due:
                    raise self._hibernate(row.due, "retry")
                row.due = None
            if self.live.pause_requested:
                raise Hibernate(reason="pause")
            # Every result so far must be durable before this step's code runs, or a crash
            # could run a completed step's side effects twice.
            await self.engine.durable()
            attempt = len(row.attempts) + 1
            entry: dict[str, Any] = {"start": self.clock.now(), "end": None, "success": None}
            row.attempts.append(entry)
            self.engine.save_step_soon(row)
            try:
                value = await self._attempt(name, count, attempt, config, callback)
                text = serialization.dumps(
                    serialization.step_result(value, self.engine.config.runtime_sdk),
                    f'step "{name}" result',
                )
            except (Hibernate, InstanceFatal, asyncio.CancelledError):
                raise
            except serialization.NotSerializable as exc:
                # workers-sdk context.ts: a DataCloneError on storing the value fails the
                # instance at once, without retry.
                attempt_error = {
                    "name": "WorkflowFatalError",
                    "message": f'Value returned from step "{name}" is not serialisable',
                }
                self._fail_attempt(row, entry, attempt_error)
                row.state, row.ended = "errored", self.clock.now()
                row.error = json.dumps(attempt_error)
                self._save(row)
                self._warn(f'step "{name}-{count}" returned a value production cannot store: {exc}')
                message = (
                    "The execution of the Workflow instance was terminated, as the step "
                    f'"{name}" returned a value which is not serialisable'
                )
                raise InstanceFatal("WorkflowFatalError", message) from None
            except Exception as exc:
                info = error_info(exc)
                failures = sum(1 for a in row.attempts if not a.get("interrupted"))
                retry = not is_non_retryable(exc) and failures <= limit
                delay = 0.0
                if retry:
                    outcome = await self._retry_delay(name, count, attempt, retries, delay_fn, exc)
                    if isinstance(outcome, Exception):
                        retry, info = False, error_info(outcome)
                    else:
                        delay = outcome
                self._fail_attempt(row, entry, info, delay if retry else None)
                self.engine.emit(
                    "step_failure",
                    self.row,
                    step=f"{name}-{count}",
                    attempt=attempt,
                    error=info,
                    retry_in=delay if retry else None,
                )
                if retry:
                    if delay > 0:
                        row.due = self.clock.now() + delay
                        self._save(row)
                        raise self._hibernate(row.due, "retry") from None
                    self._save(row)
                    continue
                row.state, row.ended = "errored", self.clock.now()
                row.error = json.dumps(info)
                self._save(row)
                raise rebuild_error(info) from None
            if serialization.size_of(text) > serialization.MAX_BYTES:
                info = {
                    "name": "WorkflowInternalError",
                    "message": f"Step {name}-{count} output is too large. "
                    "Maximum allowed size is 1MiB.",
                }
                self._fail_attempt(row, entry, info)
                row.state, row.ended, row.error = "errored", self.clock.now(), json.dumps(info)
                self._save(row)
                raise rebuild_error(info)
            entry.update(end=self.clock.now(), success=True)
            row.state, row.ended, row.output = "complete", self.clock.now(), text
            self._save(row)
            self.engine.emit("step_success", self.row, step=f"{name}-{count}", attempt=attempt)
            if self.engine.evict_after_steps:
                raise self._hibernate(self.clock.now(), "evict")
            return serialization.loads(text)

    def _fail_attempt(
        self, row: StepRow, entry: dict[str, Any], info: dict[str, Any], delay: float | None = None
    ) -> None:
        entry.update(end=self.clock.now(), success=False, error=info)
        if delay is not None:
            entry["retry_delay"] = delay

    async def _retry_delay(
        self,
        name: str,
        count: int,
        attempt: int,
        retries: dict[str, Any],
        delay_fn: Callable[..., Any] | None,
        error: Exception,
    ) -> float | Exception:
        mods = self.modifiers
        if mods is not None and mods.retry_delay_disabled(name, count):
            return 0.0
        if delay_fn is not None:
            try:
                argument = serialization.jsdict(
                    {"ctx": self._ctx(name, count, attempt, {}), "error": error}
                )
                result = delay_fn(argument)
                if inspect.isawaitable(result):
                    result = await asyncio.wait_for(result, 5)
                delay = parse_duration(result)
            except Exception as exc:
                return WorkflowFatalError(
                    f'The delay function for step "{name}-{count}" failed: {exc}'
                )
        else:
            base = parse_duration(retries.get("delay", DEFAULT_RETRIES["delay"]))
            delay = backoff_delay(retries, attempt, base)
        if not delay <= MAX_SLEEP_MS:
            # An instance can wait at most as long as a sleep may last.
            return WorkflowFatalError(
                f'Step "{name}-{count}": the delay before attempt {attempt + 1} would be '
                f"{format_duration(delay)}, more than the 365 days a workflow can wait"
            )
        return delay

    def _ctx(self, name: str, count: int, attempt: int, config: dict[str, Any]) -> JsDict:
        return serialization.jsdict(
            {
                "step": serialization.jsdict({"name": name, "count": count}),
                "attempt": attempt,
                "config": JsDict(config),
            }
        )

    async def _attempt(
        self,
        name: str,
        count: int,
        attempt: int,
        config: dict[str, Any],
        callback: Callable[[JsDict], Awaitable[Any]],
    ) -> Any:
        timeout_ms = parse_duration(config.get("timeout", DEFAULT_TIMEOUT))
        mods = self.modifiers
        if mods is not None:
            if mods.take_timeout(name, count):
                raise WorkflowTimeoutError(f"Execution timed out after {int(timeout_ms)}ms")
            error = mods.take_error(name, count)
            if error is not None:
                if isinstance(error, BaseException):
                    raise error
                raise StepError(str(error.get("name", "Error")), str(error.get("message", "")))
            mocked, value = mods.mocked_result(name, count)
            if mocked:
                return copy.deepcopy(value)
        ctx = self._ctx(name, count, attempt, _copy_config(config))
        # The step's code runs in this task; a timeout cancels the task, as asyncio.timeout does.
        task = asyncio.current_task()
        assert task is not None
        timed_out = False

        def expire() -> None:
            nonlocal timed_out
            timed_out = True
            task.cancel()

        timer = self.clock.call_later(
            timeout_ms,
            expire,
            label=f"step timeout {self.workflow}/{self.instance_id} {name}-{count}",
        )
        token = current_step.set((self.workflow, self.instance_id, f"{name}-{count}"))
        self.live.executing += 1
        try:
            with user_code(f'step "{name}-{count}" of {self.workflow}/{self.instance_id}'):
                value = await _call(callback, ctx)
                if self.engine.config.runtime_sdk:
                    # The SDK's python_to_rpc runs inside the callback: its refusal is the
                    # step's own TypeError, retried like any other.
                    check_rpc(value)
        except asyncio.CancelledError:
            if timed_out and task.uncancel() == 0:
                raise WorkflowTimeoutError(
                    f"Execution timed out after {int(timeout_ms)}ms"
                ) from None
            raise
        except Exception:
            if timed_out:
                task.uncancel()
                raise WorkflowTimeoutError(
                    f"Execution timed out after {int(timeout_ms)}ms"
                ) from None
            raise
        else:
            if timed_out:
                # The callback swallowed the cancellation; production's race was lost anyway.
                task.uncancel()
                raise WorkflowTimeoutError(f"Execution timed out after {int(timeout_ms)}ms")
            return value
        finally:
            current_step.reset(token)
            timer.cancel()
            self.live.executing -= 1
            self.engine.step_finished(self.live)

    # -- sleeps -------------------------------------------------------------------------------

    async def sleep(self, name: Any, duration: Any) -> None:
        """``step.sleep``: wait a duration, hibernating meanwhile."""
        name = validate_step_name(name)
        count, row = self._enter("sleep", name)
        if row is None:
            try:
                ms = parse_duration(duration)
            except DurationError as exc:
                raise WorkflowFatalError(f'Step "{name}": {exc}') from None
            self._check_sleep(name, ms)
            row = self._start_sleep(name, count, ms)
        await self._sleeping(row)

    async def sleep_until(self, name: Any, timestamp: Any) -> None:
        """``step.sleep_until``: wait until a datetime or epoch time, hibernating meanwhile."""
        name = validate_step_name(name)
        count, row = self._enter("sleep", name)
        if row is None:
            due = _epoch_ms(timestamp, name)
            if _is_number(timestamp) and 0 < due < SECONDS_LOOK_BELOW:
                self._warn(
                    f'step.sleep_until("{name}", {timestamp!r}){_user_call_site()}: a number is '
                    "epoch milliseconds, as in production; this one looks like seconds (it is "
                    "a time in 1970). Pass a datetime, or multiply by 1000."
                )
            now = self.clock.now()
            if due < now:
                raise StepError("Error", "You can't sleep until a time in the past, time-traveler")
            self._check_sleep(name, due - now)
            row = self._start_sleep(name, count, due - now)
        await self._sleeping(row)

    def _check_sleep(self, name: str, ms: float) -> None:
        if not ms <= MAX_SLEEP_MS:
            raise WorkflowFatalError(
                f'Step "{name}": a sleep can last at most 365 days (asked for {ms:.0f} ms)'
            )

    def _start_sleep(self, name: str, count: int, ms: float) -> StepRow:
        mods = self.modifiers
        if mods is not None and mods.sleep_disabled(name, count):
            ms = 0
        row = self._new_row("sleep", name, count, state="waiting")
        row.due = row.started + ms
        self._save(row)
        self.engine.emit("sleeping", self.row, step=f"{name}-{count}", until=row.due)
        return row

    async def _sleeping(self, row: StepRow) -> None:
        if row.state == "complete":
            return
        if self.clock.now() < (row.due or 0):
            raise self._hibernate(row.due, "sleep")
        row.state, row.ended = "complete", row.due
        self._save(row)

    # -- events -------------------------------------------------------------------------------

    async def wait_for_event(self, name: Any, event_type: Any, timeout: Any) -> Any:
        """``step.wait_for_event``: consume the oldest buffered event of a type, or hibernate."""
        name = validate_step_name(name)
        count, row = self._enter("waitForEvent", name)
        if row is not None and row.state == "complete":
            return serialization.loads(row.output)
        if row is not None and row.state == "errored":
            raise rebuild_error(json.loads(row.error or "{}"))
        if row is None:
            if (
                not isinstance(event_type, str)
                or not TYPE_PATTERN.fullmatch(event_type)
                or len(event_type) > 100
            ):
                raise WorkflowFatalError(f'Step "{name}": invalid event type {event_type!r}')
            try:
                ms = parse_duration(timeout)
            except DurationError as exc:
                raise WorkflowFatalError(f'Step "{name}": timeout: {exc}') from None
            if not SECOND <= ms <= MAX_SLEEP_MS:
                raise WorkflowFatalError(
                    f'Step "{name}": the timeout must be between 1 second and 365 days'
                )
            mods = self.modifiers
            if mods is not None and mods.event_timeout_forced(name, count):
                ms = 0
            row = self._new_row("waitForEvent", name, count, state="waiting")
            row.due = row.started + ms
            row.config = json.dumps({"type": event_type, "timeout": ms})
            self._save(row)
            self.engine.emit("waiting_event", self.row, step=f"{name}-{count}", type=event_type)
        wanted = json.loads(row.config or "{}").get("type", event_type)
        event = self.store.take_event(self.workflow, self.instance_id, wanted)
        if event is not None:
            value = {
                "payload": serialization.loads(event.payload),
                "timestamp": usertime.from_js_date(event.timestamp),
                "type": event.type,
            }
            row.state, row.ended = "complete", self.clock.now()
            row.output = serialization.dumps(value)
            self._save(row)
            self.engine.emit("event_received", self.row, step=f"{name}-{count}", type=wanted)
            return serialization.loads(row.output)
        if self.clock.now() >= (row.due or 0):
            ms = json.loads(row.config or "{}").get("timeout", 0)
            info = {
                "name": "WorkflowTimeoutError",
                "message": f"Execution timed out after {int(ms)}ms",
            }
            row.state, row.ended, row.error = "errored", self.clock.now(), json.dumps(info)
            self._save(row)
            raise rebuild_error(info)
        raise self._hibernate(row.due, "event")


_DEFAULT_CONFIG_JSON = json.dumps({"retries": DEFAULT_RETRIES, "timeout": DEFAULT_TIMEOUT})


def _config_json(config: dict[str, Any]) -> str:
    if (
        config.get("timeout") == DEFAULT_TIMEOUT
        and config.get("retries") == DEFAULT_RETRIES
        and (len(config) == 2)
    ):
        return _DEFAULT_CONFIG_JSON
    return json.dumps(config)


def _copy_config(config: dict[str, Any]) -> dict[str, Any]:
    """A copy for ``ctx["config"]``: user code may mutate it without touching the cache."""
    copied = dict(config)
    if isinstance(copied.get("retries"), dict):
        copied["retries"] = dict(copied["retries"])
    return copied


def _step_parameters(func: Callable[..., Any]) -> list[str]:
    """Every parameter name of a step function, in order (``*args`` and keyword-only too).

    Cached per code object for plain functions: a ``functools.wraps`` wrapper shares its code
    with other wrappers, so its signature is read each time.
    """
    code = getattr(func, "__code__", None)
    plain = code is not None and not hasattr(func, "__wrapped__")
    cached = _SIGNATURES.get(code) if plain else None
    if cached is None:
        cached = list(inspect.signature(func).parameters)
        if plain:
            _SIGNATURES[code] = cached
    return cached


_SIGNATURES: dict[Any, list[str]] = {}
_CTX = object()  # marks the slot where the step's ctx goes


async def _call(callback: Callable[[JsDict], Any], ctx: JsDict) -> Any:
    result = callback(ctx)
    if inspect.isawaitable(result):
        result = await result
    return result


# Epoch milliseconds below this (March 1973) are far more likely seconds.
SECONDS_LOOK_BELOW = 1e11


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _user_call_site() -> str:
    """`` at file:line`` of the innermost caller outside wf, or "" when there is none."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not os.path.abspath(filename).startswith(_EMULATOR_DIR) and "asyncio" not in filename:
            return f" at {filename}:{frame.f_lineno}"
        frame = frame.f_back  # type: ignore[assignment]
    return ""


_EMULATOR_DIR = os.path.dirname(os.path.abspath(__file__))


def _epoch_ms(timestamp: Any, name: str) -> float:
    if _is_number(timestamp):
        if not math.isfinite(timestamp):
            raise WorkflowFatalError(f'Step "{name}": sleep_until needs a finite time')
        # The SDK hands a number to the engine's sleepUntil as it is: epoch milliseconds.
        return float(timestamp)
    try:
        return parse_timestamp(timestamp)
    except (DurationError, TypeError):
        raise WorkflowFatalError(
            f'Step "{name}": sleep_until needs a datetime or epoch milliseconds, got {timestamp!r}'
        ) from None


class WorkflowStep:
    """The ``step`` argument of ``run(self, event, step)``: Cloudflare's Python step API."""

    def __init__(self, runner: StepRunner, implicit_dependencies: bool = True) -> None:
        self._runner = runner
        self._implicit = implicit_dependencies
        self.step_closures: dict[str, Callable[[], Awaitable[Any]]] = {}
        # keyed by the step's wrapper, as production's memo is: a redefined step runs anew
        self._memo: dict[Callable[[], Awaitable[Any]], Any] = {}
        self._in_flight: dict[Callable[[], Awaitable[Any]], asyncio.Future[Any]] = {}

    def do(self, *args: Any, **kwargs: Any) -> Callable[[Callable[..., Any]], Any]:
        """Decorate a function as a step; call the result (``await my_step()``) to run it.

        The signature follows the compatibility flag, as workers-py's ``_WorkflowStepWrapper``:
        ``do(name=None, *, concurrent=False, config=None)`` with implicit dependencies,
        ``do(name, depends=None, concurrent=False, config=None)`` otherwise.
        """
        if self._implicit and "depends" in kwargs:
            self._runner._warn(
                "step.do(depends=...) is the legacy signature; with implicit dependencies "
                "(python_workflows_implicit_dependencies) a step names its dependencies as "
                "parameters"
            )
        if args and callable(args[0]) and not isinstance(args[0], str):
            self._runner._warn(
                "@step.do without parentheses: production takes the function as the step's "
                "name and fails when the step is called; write @step.do() or @step.do('name')"
            )
        if self._implicit:
            return self._do_implicit(*args, **kwargs)
        return self._do_legacy(*args, **kwargs)

    def _do_legacy(
        self,
        name: Any,
        depends: list[Callable[..., Any]] | None = None,
        concurrent: bool = False,
        config: dict[str, Any] | None = None,
    ) -> Callable[[Callable[..., Any]], Any]:
        return self._decorator(name, depends, concurrent, config, implicit=False)

    def _do_implicit(
        self,
        name: Any = None,
        *,
        concurrent: bool = False,
        config: dict[str, Any] | None = None,
    ) -> Callable[[Callable[..., Any]], Any]:
        return self._decorator(name, None, concurrent, config, implicit=True)

    def _decorator(
        self,
        name: Any,
        depends: list[Callable[..., Any]] | None,
        concurrent: bool,
        config: dict[str, Any] | None,
        implicit: bool,
    ) -> Callable[[Callable[..., Any]], Any]:
        def decorator(func: Callable[..., Any]) -> Callable[[], Awaitable[Any]]:
            step_name = func.__name__ if name is None else name

            async def wrapper() -> Any:
                deps = self._dependencies(func, depends, implicit)
                return await self._invoke(step_name, wrapper, func, deps, concurrent, config)

            wrapper._step_name = step_name  # type: ignore[attr-defined]
            self.step_closures[step_name] = wrapper
            return wrapper

        return decorator

    def _dependencies(
        self, func: Callable[..., Any], depends: list[Callable[..., Any]] | None, implicit: bool
    ) -> list[Any]:
        """One entry per parameter, in order: a step to resolve, or ``_CTX`` for ctx's slot."""
        params = _step_parameters(func)
        if implicit:
            deps: list[Any] = []
            for param in params:
                if param in self.step_closures:  # a step named "ctx" wins, as in production
                    deps.append(self.step_closures[param])
                elif param == "ctx":
                    deps.append(_CTX)
                else:
                    raise TypeError(f"Received unexpected parameter {param}")
            return deps
        non_ctx = [p for p in params if p != "ctx"]
        if depends is None and non_ctx:
            raise TypeError(
                f"Step has {len(non_ctx)} non-ctx parameter(s) but no 'depends' list provided"
            )
        if depends is not None and len(depends) != len(non_ctx):
            raise TypeError(
                f"Step declares {len(non_ctx)} non-ctx parameter(s) but 'depends' has "
                f"{len(depends)} item(s)"
            )
        given = iter(depends or [])
        deps = []
        for param in params:
            if param == "ctx":
                deps.append(_CTX)
                continue
            dep = next(given)
            if not hasattr(dep, "_step_name"):
                raise TypeError(
                    f"'depends' entry for parameter {param!r} is not a function decorated "
                    "with step.do"
                )
            deps.append(dep)
        return deps

    async def _invoke(
        self,
        step_name: Any,
        key: Callable[[], Awaitable[Any]],
        func: Callable[..., Any],
        deps: list[Any],
        concurrent: bool,
        config: dict[str, Any] | None,
    ) -> Any:
        if concurrent:
            values = list(await asyncio.gather(*(self._resolve(d) for d in deps)))
        else:
            values = [await self._resolve(d) for d in deps]

        async def callback(ctx: JsDict) -> Any:
            # Positional, ctx in its own slot: a keyword-only parameter fails the attempt,
            # as production calls the function the same way.
            args = [ctx if value is _CTX else value for value in values]
            return await _call(lambda _c: func(*args), ctx)

        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._in_flight[key] = future
        try:
            result = await self._runner.do(step_name, callback, config)
        except BaseException as exc:
            if not future.done():
                if isinstance(exc, asyncio.CancelledError):
                    future.cancel()
                else:
                    future.set_exception(exc)
                    future.exception()  # a failure nobody waits on is not "never retrieved"
            raise
        finally:
            if self._in_flight.get(key) is future:
                del self._in_flight[key]
        self._memo[key] = result
        future.set_result(result)
        return result

    async def _resolve(self, dep: Any) -> Any:
        if dep is _CTX:
            return _CTX
        if dep in self._memo:
            return self._memo[dep]
        if dep in self._in_flight:
            return await asyncio.shield(self._in_flight[dep])
        return await dep()

    async def sleep(self, *args: Any, **kwargs: Any) -> None:
        """Sleep for a duration (milliseconds, or a string like ``"7 days"``).

        Production passes the arguments through to JS ``sleep(name, duration)``, Python keywords
        as one trailing object (Pyodide's rule), so ``sleep(name=..., duration=...)`` sends an
        object as the name and fails there as here.
        """
        if kwargs:
            self._runner._warn(
                f"step.sleep() takes its arguments positionally; keywords "
                f"{', '.join(sorted(kwargs))} reach production as one object in the next "
                "position: write step.sleep(name, duration)"
            )
        js_args = [*args, dict(kwargs)] if kwargs else list(args)
        name = js_args[0] if js_args else None
        duration = js_args[1] if len(js_args) > 1 else None
        await self._runner.sleep(name, duration)

    async def sleep_until(self, name: str, timestamp: datetime | float | int) -> None:
        """Sleep until a datetime (or epoch milliseconds)."""
        await self._runner.sleep_until(name, timestamp)

    async def wait_for_event(
        self, name: str, event_type: str, /, timeout: Any = DEFAULT_EVENT_TIMEOUT
    ) -> Any:
        """Wait for an event of a type; returns ``{"payload", "timestamp", "type"}``."""
        return await self._runner.wait_for_event(name, event_type, timeout)
