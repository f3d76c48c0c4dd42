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
from collections.abc import Callable
from typing import Any

from wf import instance_logs, serialization
from wf.durations import parse_duration
from wf.engine import replay
from wf.engine.limits import (
    DEFAULT_RETRIES,
    resolve_config,
    validate_step_name,
)
from wf.engine.pass_state import Emit, LiveInstance, PassState, RunnerSettings
from wf.engine.sdk import (
    config_json,
    copy_config,
    is_non_retryable,
    rebuild_error,
)
from wf.engine.waits import Waits
from wf.errors import (
    Hibernate,
    InstanceFatal,
    StepError,
    WorkflowFatalError,
    WorkflowInternalError,
    WorkflowTimeoutError,
    error_info,
)
from wf.runtime.workers import JsDict
from wf.runtime.workers._rpc import check_rpc
from wf.step import StepCallback
from wf.store import StepRow
from wf.timers import TimerKind
from wf.vocabulary import EventKind, StepKind, StepState

__all__ = ["Emit", "LiveInstance", "PassState", "RunnerSettings", "StepRunner"]

# Enum members read once: an enum class's attribute lookup is slow on the per-step path.
_EVENT_STEP_FAILURE = EventKind.STEP_FAILURE
_EVENT_STEP_START = EventKind.STEP_START
_EVENT_STEP_SUCCESS = EventKind.STEP_SUCCESS
_KIND_DO = StepKind.DO
_STATE_COMPLETE = StepState.COMPLETE
_STATE_ERRORED = StepState.ERRORED
_TIMER_STEP_TIMEOUT = TimerKind.STEP_TIMEOUT


def attempt_error(info: dict[str, Any], preserve_non_retryable: bool) -> dict[str, Any]:
    """The error a failed attempt records; a NonRetryableError's as workflows-shared
    ``context.ts`` writes it: the error itself (its message without the ``NonRetryableError:``
    prefix RPC adds) with the preserving flag, else a ``WorkflowFatalError`` quoting the
    message as it crossed RPC."""
    if info.get("name") != "NonRetryableError" or preserve_non_retryable:
        return info
    message = str(info.get("message", ""))
    crossed = f"NonRetryableError: {message}" if message else "NonRetryableError"
    return {
        "name": "WorkflowFatalError",
        "message": f'Step threw a NonRetryableError with message "{crossed}"',
    }


def _timeout_label(slot: tuple[Any, Any]) -> str:
    """An attempt's timeout timer on the clock, as ``wf time status`` reads it (formatted only
    then: most attempts end long before, and their timers go unread)."""
    workflow, instance, step, _ = slot[1]
    return f"step timeout {workflow}/{instance} {step}"


class StepRunner(Waits):
    """Executes or replays the step calls of one pass of an instance's ``run()``."""

    # -- step.do ------------------------------------------------------------------------------

    async def do(self, name: Any, callback: StepCallback, config: Any = None) -> Any:
        """Run (or replay) one ``step.do``."""
        self._op_started()
        try:
            return await self._do(name, callback, config)
        except (WorkflowFatalError, WorkflowTimeoutError, WorkflowInternalError) as exc:
            # Thrown by the engine, it crosses RPC into run(): the name joins the message.
            raise StepError(type(exc).__name__, str(exc)) from None
        finally:
            self._op_finished()

    async def _do(self, name: Any, callback: StepCallback, config: Any) -> Any:
        name = validate_step_name(name)
        count, row = self._enter(_KIND_DO, name)
        self.do_calls += 1
        replay.check_step_limit(self.do_calls, self.settings.step_limit)
        cached = replay.decide_do(row)
        if isinstance(cached, replay.Cached):
            return serialization.loads(cached.output)
        if isinstance(cached, replay.CachedError):
            raise rebuild_error(cached.error)
        resolved, delay_fn = resolve_config(name, config)
        step = f"{name}-{count}"  # the step's label, formatted once for every use below
        if row is None:
            # saved with its first attempt, just below
            row = self._new_row(_KIND_DO, name, count, config=config_json(resolved))
            self.emit(_EVENT_STEP_START, self.row, step=step)
        else:
            stored = json.loads(row.config) if row.config else resolved
            resolved = stored  # the config of the first execution wins, as in production
        return await self._attempts(row, name, count, step, resolved, delay_fn, callback)

    async def _attempts(
        self,
        row: StepRow,
        name: str,
        count: int,
        step: str,
        config: dict[str, Any],
        delay_fn: Callable[..., Any] | None,
        callback: StepCallback,
    ) -> Any:
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
                value = await self._attempt(name, count, step, attempt, config, callback)
                text = serialization.encode_within(
                    serialization.step_result(value, self.settings.runtime_sdk),
                    f'step "{name}" result',
                )
            except (Hibernate, InstanceFatal, asyncio.CancelledError):
                raise
            except serialization.TooLarge:
                raise self._too_large(row, entry, name, count) from None
            except serialization.NotSerializable as exc:
                raise self._not_serialisable(row, entry, name, count, exc) from None
            except Exception as exc:
                retry = replay.should_retry(
                    row.attempts, replay.retry_limit(config), is_non_retryable(exc)
                )
                await self._failed(row, entry, name, count, attempt, retry, config, delay_fn, exc)
                continue  # no delay: the next attempt at once
            ended = self.clock.now()
            entry.update(end=ended, success=True)
            row.state, row.ended, row.output = _STATE_COMPLETE, ended, text
            self.journal.record(row)
            self.emit(_EVENT_STEP_SUCCESS, self.row, step=step, attempt=attempt)
            if self.settings.evict_after_steps:
                raise self._hibernate(self.clock.now(), "evict")
            return serialization.loads(text)

    def _too_large(self, row: StepRow, entry: dict[str, Any], name: str, count: int) -> Exception:
        info = {
            "name": "WorkflowInternalError",
            "message": f"Step {name}-{count} output is too large. Maximum allowed size is 1MiB.",
        }
        self._end_attempt(entry, info)
        self._fail(row, info)
        return rebuild_error(info)

    def _not_serialisable(
        self, row: StepRow, entry: dict[str, Any], name: str, count: int, exc: Exception
    ) -> InstanceFatal:
        # workers-sdk context.ts: a DataCloneError on storing the value fails the instance at
        # once, without retry.
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
        return InstanceFatal("WorkflowFatalError", message)

    async def _failed(
        self,
        row: StepRow,
        entry: dict[str, Any],
        name: str,
        count: int,
        attempt: int,
        retry: bool,
        config: dict[str, Any],
        delay_fn: Callable[..., Any] | None,
        exc: Exception,
    ) -> None:
        """Record a failed attempt; return to retry at once, else raise (a wait or the error)."""
        info = error_info(exc)
        delay = 0.0
        if retry:
            outcome = await self._retry_delay(name, count, attempt, config, delay_fn, exc)
            if isinstance(outcome, Exception):
                retry, info = False, error_info(outcome)
            else:
                delay = outcome
        recorded = attempt_error(info, self.settings.preserve_non_retryable)
        self._end_attempt(entry, recorded, delay if retry else None)
        trace = self.journal.record_traceback(f"{name}-{count}", attempt, entry["start"], exc)
        self.emit(
            _EVENT_STEP_FAILURE,
            self.row,
            step=f"{name}-{count}",
            attempt=attempt,
            error=recorded,
            retry_in=delay if retry else None,
            traceback=trace,
        )
        if retry:
            if delay > 0:
                row.due = self.clock.now() + delay
                self.journal.record(row)
                raise self._hibernate(row.due, "retry") from None
            self.journal.record(row)
            return
        self._fail(row, info)
        raise rebuild_error(info) from None

    def _end_attempt(
        self, entry: dict[str, Any], info: dict[str, Any], delay: float | None = None
    ) -> None:
        entry.update(end=self.clock.now(), success=False, error=info)
        if delay is not None:
            entry["retry_delay"] = delay

    def _fail(self, row: StepRow, info: dict[str, Any]) -> None:
        row.state, row.ended, row.error = _STATE_ERRORED, self.clock.now(), json.dumps(info)
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
        step: str,
        attempt: int,
        config: dict[str, Any],
        callback: StepCallback,
    ) -> Any:
        timeout_ms = replay.timeout_ms(config)
        mocked, value = self.hooks.before_attempt(
            self.workflow, self.instance_id, name, count, timeout_ms
        )
        if mocked:
            return copy.deepcopy(value)

        def ctx() -> JsDict:  # built only for a step function with a ctx parameter
            return self._ctx(name, count, attempt, copy_config(config))

        # The step's code runs in this task; a timeout cancels the task, as asyncio.timeout does.
        task = asyncio.current_task()
        assert task is not None
        timed_out = False

        def expire() -> None:
            nonlocal timed_out
            timed_out = True
            task.cancel()

        slot = (self.workflow, self.instance_id, step, attempt)
        self.timers.set(
            _TIMER_STEP_TIMEOUT, slot, self.clock.now() + timeout_ms, expire, _timeout_label
        )
        # The attempt's scope: the watchdog, the console and the instance's logs read it.
        entered = instance_logs.enter_step(self.workflow, self.instance_id, step, attempt)
        self.live.executing += 1
        try:
            value = await callback(ctx)
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
            instance_logs.leave(entered)
            self.timers.cancel(_TIMER_STEP_TIMEOUT, slot)
            self.live.executing -= 1
            self.journal.step_ended()
