"""Passes of ``run()``: waking an instance, replaying it, and what its pass ends in.

An instance's ``run()`` is replayed from the top at every wake (first start, end of a sleep,
an event, resume, restart, crash recovery, hot reload). Between wakes it holds no coroutine:
the store has its history and the timers have one wake-up for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import json
from typing import TYPE_CHECKING, Any

from wf import instance_logs, realtime, serialization, usertime
from wf.engine.journal import Journal
from wf.engine.runner import LiveInstance, RunnerSettings, StepRunner
from wf.errors import (
    Hibernate,
    InstanceFatal,
    error_info,
)
from wf.runtime.workers import JsDict
from wf.runtime.workers._context import ExecutionContext
from wf.runtime.workers._env import scoped_env
from wf.statuses import FINAL_STATUSES
from wf.step import WorkflowStep
from wf.store import InstanceRow
from wf.timers import TimerKind
from wf.tracebacks import RUN
from wf.vocabulary import EventKind, InstanceStatus

if TYPE_CHECKING:
    from wf.config import Config
from wf.engine.schedules import Schedules

NON_RETRYABLE_FATAL = (
    "The execution of the Workflow instance was terminated, as a step threw an "
    "NonRetryableError and it was not handled"
)


def _wake_label(slot: tuple[Any, Any]) -> str:
    """An instance's wake-up on the clock, ``workflow/id`` (formatted only when read)."""
    workflow, instance_id = slot[1]
    return f"{workflow}/{instance_id}"


class Passes(Schedules):
    """Runs passes of instances' ``run()`` and records how each pass ends."""

    def _schedule(self, key: tuple[str, str], due: float) -> None:
        """Wake the instance at ``due`` (its sleep, retry delay or event timeout)."""
        if due <= self.clock.now():
            self._timers.cancel(TimerKind.WAKE, key)
            # Already due (it fell due while the engine was stopped): a manual clock would
            # otherwise hold it until the next advance.
            asyncio.get_running_loop().call_soon(self._wake, key)
            return
        wake = functools.partial(self._wake, key)
        self._timers.set(TimerKind.WAKE, key, due, wake, _wake_label)

    def _unschedule(self, key: tuple[str, str]) -> None:
        self._timers.cancel(TimerKind.WAKE, key)

    def _wake(
        self, key: tuple[str, str], row: InstanceRow | None = None, *, fresh: bool = False
    ) -> None:
        """Start (or restart) a pass of the instance's ``run()`` unless one is under way."""
        live = self._live.get(key)
        if live is not None:
            live.rewake = True
            return
        if row is None:
            row = self.store.get_instance(*key)
        if row is None or row.status in FINAL_STATUSES or row.status == InstanceStatus.PAUSED:
            return
        self._unschedule(key)
        live = LiveInstance(row, fresh=fresh)
        self._live[key] = live
        live.task = asyncio.get_running_loop().create_task(self._drive(live))

    async def _drive(self, live: LiveInstance) -> None:
        key = (live.row.workflow, live.row.id)
        try:
            await self._commit.behind_answers()
            while True:
                live.rewake = False
                await self._pass(live)
                if not live.rewake or live.row.status in FINAL_STATUSES:
                    break
                if live.row.status == InstanceStatus.PAUSED:
                    break
                await realtime.next_round()  # a replay loop must not starve the event loop
        finally:
            self._live.pop(key, None)
            # Break the pass's cycles (live <-> runner, live <-> task) so that refcounting
            # frees it now: left to the cyclic GC, every pass's objects survive into its older
            # generations, whose collections then cost more than the pass itself.
            live.runner = live.task = None
            self._commit.progress += 1
            if not self._live:
                self.clock.notify_idle()

    def _class_for(self, workflow: str) -> type | None:
        home = self._homes.get(workflow)
        if home is not None:
            return home.cls
        config = self._workflows.get(workflow)
        if config is None or config.class_name is None:
            return None
        if config.script_name not in (None, self.config.name):
            return None  # its Worker is not part of this session
        return self._classes.get(config.class_name)

    def _worker_of(self, workflow: str) -> tuple[Config, Any]:
        """The config and env an instance runs with: its own Worker's."""
        home = self._homes.get(workflow)
        if home is not None:
            return home.worker, home.env
        return self.config, self.env

    def _missing_class(self, workflow: str) -> str:
        config = self._workflows.get(workflow)
        name = config.class_name if config else None
        home = self._homes.get(workflow)
        if home is not None:
            return (
                f"workflow '{workflow}' runs in Worker '{home.worker.name}', whose code does not "
                "load (see the console)"
            )
        if config is not None and config.script_name not in (None, self.config.name):
            return (
                f"workflow '{workflow}' runs in Worker '{config.script_name}' (script_name), "
                "which is not part of this session: start it too (wf dev -c ... -c ...)"
            )
        return f"workflow '{workflow}' has no class {name!r} in the code"

    async def _pass(self, live: LiveInstance) -> None:
        row = live.row
        cls = self._class_for(row.workflow)
        if cls is None:
            self._finish(
                row,
                InstanceStatus.ERRORED,
                error={"name": "WorkflowFatalError", "message": self._missing_class(row.workflow)},
            )
            return
        worker, env = self._worker_of(row.workflow)
        first = row.started is None
        if first:
            row.started = self.clock.now()
        row.status, row.wake_at, row.version = InstanceStatus.RUNNING, None, self.version
        self._save_at_tick_end(row)
        if first:
            self.emit(EventKind.STARTED, row)
        runner = self._runner(live)
        step = WorkflowStep(runner, worker.implicit_dependencies)
        event = _event_of(row)
        try:
            with (
                # run()'s scope: the watchdog, the console and the instance's logs read it
                instance_logs.run_scope(self.logs, row.workflow, row.id),
                usertime.user_time(self.clock),
                scoped_env(env),  # a workflow of another Worker sees that Worker's env
            ):
                entry = cls(ExecutionContext(), env)
                result = entry.run(event, step)
                if inspect.isawaitable(result):
                    result = await result
            await runner.drain()
            try:
                output = None if result is None else serialization.dumps(result, "run() result")
            except serialization.NotSerializable as exc:
                self._finish(
                    row, InstanceStatus.ERRORED, error={"name": "TypeError", "message": str(exc)}
                )
                return
            self._finish(row, InstanceStatus.COMPLETE, output=output)
        except Hibernate:
            await runner.drain()
            self._hibernated(live, runner.wake_at)
        except InstanceFatal as exc:
            await runner.drain()
            self._finish(
                row, InstanceStatus.ERRORED, error={"name": exc.name, "message": exc.message}
            )
        except asyncio.CancelledError:
            runner.closed = True
            raise
        except Exception as exc:
            await runner.drain()
            self._finish(row, InstanceStatus.ERRORED, error=self._instance_error(exc), exc=exc)
        finally:
            step.release()  # its step functions and it form cycles: free them now

    def _runner(self, live: LiveInstance) -> StepRunner:
        """The step runner of a new pass, over the instance's journal."""
        row = live.row
        history = [] if live.fresh else self.store.load_steps(row.workflow, row.id)
        live.fresh = False
        journal = Journal(
            self.store,
            self._commit,
            row.workflow,
            row.id,
            history,
            functools.partial(self._warn_live, row),
            self.tracebacks,
        )
        runner = StepRunner(live, journal, self._timers, self.hooks, self.emit, self._settings(row))
        live.runner = runner
        return runner

    def _hibernated(self, live: LiveInstance, due: float | None) -> None:
        """A pass unwound to wait: paused, due again at once, or waiting until ``due``."""
        row = live.row
        if live.pause_requested:
            row.status, row.paused_at = InstanceStatus.PAUSED, self.clock.now()
            live.pause_requested = False
            self._save(row)
            self.emit(EventKind.PAUSED, row)
            return
        if due is None or due <= self.clock.now():
            live.rewake = True
            return
        row.status, row.wake_at = InstanceStatus.WAITING, due
        self._save(row)
        if not live.rewake:
            self._schedule((row.workflow, row.id), due)

    def _warn_live(self, row: InstanceRow, message: str, kind: EventKind) -> None:
        self.warn(row, message, kind)

    def _settings(self, row: InstanceRow) -> RunnerSettings:
        # Built once per workflow and config: reading the compatibility flags is not cheap.
        cached = self._runner_settings.get(row.workflow)
        if cached is not None and cached[0] is self.config:
            return cached[1]
        settings = RunnerSettings(
            step_limit=self.step_limit(row.workflow),
            evict_after_steps=self.evict_after_steps,
            runtime_sdk=self._worker_of(row.workflow)[0].runtime_sdk,
            preserve_non_retryable=self._preserve_non_retryable(),
        )
        self._runner_settings[row.workflow] = (self.config, settings)
        return settings

    def _instance_error(self, exc: Exception) -> dict[str, Any]:
        info = error_info(exc)
        if info["name"] == "NonRetryableError" and not self._preserve_non_retryable():
            return {"name": "WorkflowFatalError", "message": NON_RETRYABLE_FATAL}
        return info

    def _preserve_non_retryable(self) -> bool:
        return self.config.compat.preserve_non_retryable_error_message

    def _finish(
        self,
        row: InstanceRow,
        status: InstanceStatus,
        *,
        output: str | None = None,
        error: dict[str, Any] | None = None,
        exc: BaseException | None = None,
    ) -> None:
        row.status, row.ended, row.wake_at = status, self.clock.now(), None
        row.output = output
        row.error = json.dumps(error) if error is not None else None
        # One UPDATE writes the final state and the retention expiry together.
        row.modified = row.ended
        self.store.save_instance(row, expires=self._expires(row))
        self._commit.instance_written(row.workflow, row.id)
        kind = _EVENT_OF_STATUS.get(status) or EventKind(status)
        # run()'s own traceback, told apart from an earlier run's by the instance's end
        trace = None
        if exc is not None:
            trace = self.tracebacks.record(row.workflow, row.id, RUN, 0, row.ended, exc)
        self.request_commit()
        if trace is None:
            self.emit(kind, row, error=error)
        else:
            self.emit(kind, row, error=error, traceback=trace)

    async def _stop(self, key: tuple[str, str]) -> None:
        self._unschedule(key)
        live = self._live.get(key)
        if live is not None and live.task is not None and live.task is not asyncio.current_task():
            live.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await live.task
        # Write the interrupted step now, before a restart or delete rewrites the history.
        self.commit()


_EVENT_OF_STATUS = {status: EventKind(status) for status in FINAL_STATUSES}


def _event_of(row: InstanceRow) -> JsDict:
    """The ``event`` argument of ``run()``: payload, timestamp, ids (and a cron schedule)."""
    event = serialization.jsdict(
        {
            "payload": serialization.loads(row.params),
            "timestamp": usertime.from_js_date(row.created),
            "instanceId": row.id,
            "workflowName": row.workflow,
        }
    )
    if row.schedule:
        event["schedule"] = serialization.loads(row.schedule)
    return event
