"""The step runner: carries out the replay core's decisions for one pass of ``run()``.

One ``StepRunner`` lives for one pass (a replay from the top). It asks ``replay`` what each
step call does, executes a step's code when told to, records the outcome in the journal, and,
when the instance must wait (a sleep, an event, a retry delay, a pause), raises ``Hibernate``
so that no coroutine is held while the instance waits.
"""

from __future__ import annotations

import asyncio
import copy
import inspect
import json
import math
import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from emulator import serialization, usertime
from emulator.durations import DurationError, parse_duration, parse_timestamp
from emulator.engine import replay
from emulator.engine.hooks import EngineHooks
from emulator.engine.journal import Journal
from emulator.engine.limits import (
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT,
    is_valid_id,
    resolve_config,
    validate_step_name,
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
from emulator.step import _call, current_step
from emulator.store import InstanceRow, StepRow
from emulator.timers import TimerKind, Timers
from emulator.vocabulary import EventKind, StepKind, StepState
from emulator.watchdog import user_code

__all__ = ["LiveInstance", "RunnerSettings", "StepRunner", "is_non_retryable", "rebuild_error"]


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


@dataclass(frozen=True)
class RunnerSettings:
    """What the project's config says about running steps."""

    step_limit: int = 10_000
    evict_after_steps: bool = False  # hibernate after every step (tests of replay)
    runtime_sdk: bool = False  # the external SDK's RPC conversion (compatibility date)


class Emit(Protocol):
    def __call__(self, kind: EventKind, row: InstanceRow, **info: Any) -> None: ...


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
        self._ops_idle = asyncio.Event()
        self._ops_idle.set()

    # -- bookkeeping --------------------------------------------------------------------------

    def _enter(self, kind: StepKind, name: str) -> tuple[int, StepRow | None]:
        """Common start of every step call: boundary checks, occurrence count, divergence."""
        if self.closed:
            raise Hibernate(reason="closed")
        if self.live.pause_requested:
            raise Hibernate(reason="pause")
        key, divergence = self.cursor.call(kind, name)
        if divergence is not None:
            self.warn(divergence.message, EventKind.DIVERGENCE)
        return key[2], self.cache.get(key)

    def warn(self, message: str, kind: EventKind = EventKind.WARNING) -> None:
        """A warning on the instance, once per pass (and once per instance)."""
        if message not in self.warnings:
            self.warnings.append(message)
            self.journal.warn(message, kind)

    def _new_row(self, kind: StepKind, name: str, count: int, **values: Any) -> StepRow:
        values.setdefault("state", StepState.RUNNING)
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
        count, row = self._enter(StepKind.DO, name)
        self.do_calls += 1
        replay.check_step_limit(self.do_calls, self.settings.step_limit)
        cached = replay.decide_do(row)
        if isinstance(cached, replay.Cached):
            return serialization.loads(cached.output)
        if isinstance(cached, replay.CachedError):
            raise rebuild_error(cached.error)
        resolved, delay_fn = resolve_config(name, config)
        if row is None:
            # saved with its first attempt, just below
            row = self._new_row(StepKind.DO, name, count, config=_config_json(resolved))
            self.emit(EventKind.STEP_START, self.row, step=f"{name}-{count}")
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
        limit = replay.retry_limit(config)
        if row.attempts and row.attempts[-1].get("end") is None:
            # The process died during this attempt: record it, then run the step again.
            row.attempts[-1].update(end=self.clock.now(), success=False, error=replay.INTERRUPTED)
            row.attempts[-1]["interrupted"] = True
            row.due = None
            self.journal.record(row)
        while True:
            decision = replay.next_attempt(row.attempts, row.due, self.clock.now())
            if isinstance(decision, replay.WaitUntil):
                raise self._hibernate(decision.due, decision.reason)
            row.due = None
            if self.live.pause_requested:
                raise Hibernate(reason="pause")
            # Every result so far must be durable before this step's code runs, or a crash
            # could run a completed step's side effects twice.
            await self.journal.until_durable()
            attempt = len(row.attempts) + 1
            entry: dict[str, Any] = {"start": self.clock.now(), "end": None, "success": None}
            row.attempts.append(entry)
            self.journal.record_at_tick_end(row)
            try:
                value = await self._attempt(name, count, attempt, config, callback)
                text = serialization.encode_within(
                    serialization.step_result(value, self.settings.runtime_sdk),
                    f'step "{name}" result',
                )
            except (Hibernate, InstanceFatal, asyncio.CancelledError):
                raise
            except serialization.TooLarge:
                info = {
                    "name": "WorkflowInternalError",
                    "message": f"Step {name}-{count} output is too large. "
                    "Maximum allowed size is 1MiB.",
                }
                self._end_attempt(entry, info)
                self._fail(row, info)
                raise rebuild_error(info) from None
            except serialization.NotSerializable as exc:
                # workers-sdk context.ts: a DataCloneError on storing the value fails the
                # instance at once, without retry.
                attempt_error = {
                    "name": "WorkflowFatalError",
                    "message": f'Value returned from step "{name}" is not serialisable',
                }
                self._end_attempt(entry, attempt_error)
                self._fail(row, attempt_error)
                self.warn(f'step "{name}-{count}" returned a value production cannot store: {exc}')
                message = (
                    "The execution of the Workflow instance was terminated, as the step "
                    f'"{name}" returned a value which is not serialisable'
                )
                raise InstanceFatal("WorkflowFatalError", message) from None
            except Exception as exc:
                info = error_info(exc)
                retry = replay.should_retry(row.attempts, limit, is_non_retryable(exc))
                delay = 0.0
                if retry:
                    outcome = await self._retry_delay(name, count, attempt, config, delay_fn, exc)
                    if isinstance(outcome, Exception):
                        retry, info = False, error_info(outcome)
                    else:
                        delay = outcome
                self._end_attempt(entry, info, delay if retry else None)
                self.emit(
                    EventKind.STEP_FAILURE,
                    self.row,
                    step=f"{name}-{count}",
                    attempt=attempt,
                    error=info,
                    retry_in=delay if retry else None,
                )
                if retry:
                    if delay > 0:
                        row.due = self.clock.now() + delay
                        self.journal.record(row)
                        raise self._hibernate(row.due, "retry") from None
                    self.journal.record(row)
                    continue
                self._fail(row, info)
                raise rebuild_error(info) from None
            entry.update(end=self.clock.now(), success=True)
            row.state, row.ended, row.output = StepState.COMPLETE, self.clock.now(), text
            self.journal.record(row)
            self.emit(EventKind.STEP_SUCCESS, self.row, step=f"{name}-{count}", attempt=attempt)
            if self.settings.evict_after_steps:
                raise self._hibernate(self.clock.now(), "evict")
            return serialization.loads(text)

    def _end_attempt(
        self, entry: dict[str, Any], info: dict[str, Any], delay: float | None = None
    ) -> None:
        entry.update(end=self.clock.now(), success=False, error=info)
        if delay is not None:
            entry["retry_delay"] = delay

    def _fail(self, row: StepRow, info: dict[str, Any]) -> None:
        row.state, row.ended, row.error = StepState.ERRORED, self.clock.now(), json.dumps(info)
        self.journal.record(row)

    async def _retry_delay(
        self,
        name: str,
        count: int,
        attempt: int,
        config: dict[str, Any],
        delay_fn: Callable[..., Any] | None,
        error: Exception,
    ) -> float | Exception:
        override = self.hooks.retry_delay(self.workflow, self.instance_id, name, count)
        if override is not None:
            return override
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
            delay = replay.retry_delay(config.get("retries", DEFAULT_RETRIES), attempt)
        try:
            return replay.check_retry_delay(delay, name, count, attempt)
        except WorkflowFatalError as exc:
            return exc

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
        timeout_ms = replay.timeout_ms(config)
        mocked, value = self.hooks.before_attempt(
            self.workflow, self.instance_id, name, count, timeout_ms
        )
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

        slot = (self.workflow, self.instance_id, f"{name}-{count}", attempt)
        self.timers.set(TimerKind.STEP_TIMEOUT, slot, self.clock.now() + timeout_ms, expire)
        token = current_step.set((self.workflow, self.instance_id, f"{name}-{count}"))
        self.live.executing += 1
        try:
            with user_code(f'step "{name}-{count}" of {self.workflow}/{self.instance_id}'):
                value = await _call(callback, ctx)
                if self.settings.runtime_sdk:
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
            self.timers.cancel(TimerKind.STEP_TIMEOUT, slot)
            self.live.executing -= 1
            self.journal.step_ended()

    # -- sleeps -------------------------------------------------------------------------------

    async def sleep(self, name: Any, duration: Any) -> None:
        """``step.sleep``: wait a duration, hibernating meanwhile."""
        name = validate_step_name(name)
        count, row = self._enter(StepKind.SLEEP, name)
        if row is None:
            try:
                ms = parse_duration(duration)
            except DurationError as exc:
                raise WorkflowFatalError(f'Step "{name}": {exc}') from None
            replay.check_sleep(name, ms)
            row = self._start_sleep(name, count, ms)
        await self._sleeping(row)

    async def sleep_until(self, name: Any, timestamp: Any) -> None:
        """``step.sleep_until``: wait until a datetime or epoch time, hibernating meanwhile."""
        name = validate_step_name(name)
        count, row = self._enter(StepKind.SLEEP, name)
        if row is None:
            due = _epoch_ms(timestamp, name)
            if _is_number(timestamp) and 0 < due < SECONDS_LOOK_BELOW:
                self.warn(
                    f'step.sleep_until("{name}", {timestamp!r}){_user_call_site()}: a number is '
                    "epoch milliseconds, as in production; this one looks like seconds (it is "
                    "a time in 1970). Pass a datetime, or multiply by 1000."
                )
            ms = replay.sleep_until_due(name, due, self.clock.now())
            row = self._start_sleep(name, count, ms)
        await self._sleeping(row)

    def _start_sleep(self, name: str, count: int, ms: float) -> StepRow:
        ms = self.hooks.sleep_duration(self.workflow, self.instance_id, name, count, ms)
        row = self._new_row(StepKind.SLEEP, name, count, state=StepState.WAITING)
        row.due = row.started + ms
        self.journal.record(row)
        self.emit(EventKind.SLEEPING, self.row, step=f"{name}-{count}", until=row.due)
        return row

    async def _sleeping(self, row: StepRow) -> None:
        decision = replay.decide_sleep(row, self.clock.now())
        if isinstance(decision, replay.Cached):
            return
        if isinstance(decision, replay.WaitUntil):
            raise self._hibernate(decision.due, decision.reason)
        row.state, row.ended = StepState.COMPLETE, row.due
        self.journal.record(row)

    # -- events -------------------------------------------------------------------------------

    async def wait_for_event(self, name: Any, event_type: Any, timeout: Any) -> Any:
        """``step.wait_for_event``: consume the oldest buffered event of a type, or hibernate."""
        name = validate_step_name(name)
        count, row = self._enter(StepKind.WAIT_FOR_EVENT, name)
        if row is not None and row.state == StepState.COMPLETE:
            return serialization.loads(row.output)
        if row is not None and row.state == StepState.ERRORED:
            raise rebuild_error(json.loads(row.error or "{}"))
        if row is None:
            if not is_valid_id(event_type):
                raise WorkflowFatalError(f'Step "{name}": invalid event type {event_type!r}')
            try:
                ms = parse_duration(timeout)
            except DurationError as exc:
                raise WorkflowFatalError(f'Step "{name}": timeout: {exc}') from None
            replay.check_event_timeout(name, ms)
            ms = self.hooks.event_timeout(self.workflow, self.instance_id, name, count, ms)
            row = self._new_row(StepKind.WAIT_FOR_EVENT, name, count, state=StepState.WAITING)
            row.due = row.started + ms
            row.config = json.dumps({"type": event_type, "timeout": ms})
            self.journal.record(row)
            self.emit(EventKind.WAITING_EVENT, self.row, step=f"{name}-{count}", type=event_type)
        wanted = replay.waits_for(row) or event_type
        event = self.journal.take_event(wanted)
        if event is not None:
            value = {
                "payload": serialization.loads(event.payload),
                "timestamp": usertime.from_js_date(event.timestamp),
                "type": event.type,
            }
            row.state, row.ended = StepState.COMPLETE, self.clock.now()
            row.output = serialization.dumps(value)
            self.journal.record(row)
            self.emit(EventKind.EVENT_RECEIVED, self.row, step=f"{name}-{count}", type=wanted)
            return serialization.loads(row.output)
        decision = replay.decide_wait(row, self.clock.now())
        if isinstance(decision, replay.CachedError):
            row.state, row.ended = StepState.ERRORED, self.clock.now()
            row.error = json.dumps(decision.error)
            self.journal.record(row)
            raise rebuild_error(decision.error)
        raise self._hibernate(decision.due, decision.reason)


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


# wf's own frames: everything under emulator/, this package included.
_EMULATOR_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


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
