"""Workflow instances: lifecycle, scheduling, and the replay runner.

An instance's ``run()`` is replayed from the top at every wake (first start, end of a sleep,
an event, resume, restart, crash recovery, hot reload). Between wakes it holds no coroutine:
the store has its history and the clock has one timer for its next wake-up.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import json
import time
import uuid
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from emulator import serialization, usertime
from emulator.clock import Clock, Timer, valid_snapshot
from emulator.cron import Cron, parse_cron
from emulator.durations import to_iso
from emulator.engine.commit import GroupCommit
from emulator.engine.hooks import NO_HOOKS, EngineHooks
from emulator.engine.journal import Journal
from emulator.engine.limits import MAX_BATCH, validate_event_type, validate_instance_id
from emulator.engine.runner import LiveInstance, RunnerSettings, StepRunner
from emulator.errors import (
    Hibernate,
    InstanceFatal,
    WorkflowError,
    error_info,
)
from emulator.retention import DEFAULT_RETENTION_MS, Retention, RetentionError, parse_retention
from emulator.runtime.workers._context import ExecutionContext
from emulator.statuses import FINAL_STATUSES
from emulator.step import WorkflowStep, current_step
from emulator.store import InstanceRow, StepRow, Store
from emulator.vocabulary import EventKind, InstanceStatus, StepKind, Trigger
from emulator.watchdog import user_code

if TYPE_CHECKING:
    from emulator.bindings import Env
    from emulator.config import Config, WorkflowConfig

NON_RETRYABLE_FATAL = (
    "The execution of the Workflow instance was terminated, as a step threw an "
    "NonRetryableError and it was not handled"
)


@dataclass(frozen=True)
class EngineEvent:
    """Something that happened to an instance, for the console and the dashboard."""

    kind: str
    workflow: str
    instance: str
    at: float
    info: dict[str, Any] = field(default_factory=dict)


class Engine:
    """Runs every instance of a project's workflows against one store and one clock."""

    def __init__(
        self,
        config: Config,
        classes: Mapping[str, type],
        *,
        store: Store | None = None,
        clock: Clock | None = None,
        evict_after_steps: bool = False,
        settle_quiet: float = 1.0,
        platform: Callable[[Config], Mapping[str, Any]] | None = None,
        hooks: EngineHooks = NO_HOOKS,
    ) -> None:
        self.config = config
        # The other bindings on env (D1, KV, R2...), built for each config by their owner.
        self.platform = platform
        self.store = store or Store()
        self.clock = clock or Clock()
        self.evict_after_steps = evict_after_steps
        self.settle_quiet = settle_quiet
        # Where a test harness changes how steps behave (emulator.testing installs its own).
        self.hooks = hooks
        self.listeners: list[Callable[[EngineEvent], None]] = []
        self._classes: dict[str, type] = dict(classes)
        self._workflows: dict[str, WorkflowConfig] = {w.name: w for w in config.workflows}
        self._live: dict[tuple[str, str], LiveInstance] = {}
        self._timers: dict[tuple[str, str], Timer] = {}
        self._cron_timers: list[Timer] = []
        self._seq = self.store.next_seq()
        self._commit = GroupCommit(self.store, self._live.__len__)
        self._closed = False
        # Earliest removal due of a finished instance (retention); purged lazily on access, not
        # by a timer, so that `--time auto` does not jump days ahead to remove instances.
        self._next_expiry = self.store.next_expiry()
        self._warned_default_retention = False
        self.version = str(uuid.uuid4())
        self.clock.settle = self.settle
        self.clock.is_idle = lambda: not self._live
        self.clock.on_change = self._save_clock
        self.clock.on_lease = self._save_lease
        self.env = self._make_env()
        self._time_installed = False

    # -- lifecycle of the engine ----------------------------------------------------------------

    async def start(self) -> None:
        """Resume every unfinished instance from the store."""
        if not self._time_installed:  # user code sees this clock, in UTC, while we run
            usertime.install()
            self._time_installed = True
        # The position in time continues, never earlier than any time already stored; mode
        # and scale are the caller's choice.
        self.clock.restore(
            saved_clock(self.store),
            mode=self.clock.mode,
            scale=self.clock.scale,
            at_least=self.store.latest_time(),
        )
        self._save_clock()
        now = self.clock.now()
        for row in self.store.unfinished_instances():
            key = (row.workflow, row.id)
            if row.status in (InstanceStatus.QUEUED, InstanceStatus.RUNNING):
                self._wake(key)
            elif row.status == InstanceStatus.WAITING_FOR_PAUSE:
                row.status, row.paused_at = InstanceStatus.PAUSED, now
                self._save(row)
            elif row.status == InstanceStatus.WAITING:
                self._schedule(key, row.wake_at if row.wake_at is not None else now)
        # An event stored before a crash but not yet taken: its waiter takes it now, not at
        # its timeout.
        for key in self.store.waiting_with_events():
            self._wake(key)
        self._arm_schedules()
        self.commit()
        if not self._live:
            self.clock.notify_idle()

    async def close(self) -> None:
        """Stop executing (instances stay where they are) and commit."""
        if self._closed:
            return
        self._closed = True
        if self._time_installed:
            usertime.uninstall()
        for timer in [*self._timers.values(), *self._cron_timers]:
            timer.cancel()
        self._timers.clear()
        self._cron_timers.clear()
        for live in list(self._live.values()):
            if live.task is not None:
                live.task.cancel()
        tasks = [live.task for live in self._live.values() if live.task is not None]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._save_clock()
        self.commit()

    def reload(self, classes: Mapping[str, type], config: Config | None = None) -> None:
        """Use new code: live instances are cancelled where they are and replayed with it."""
        self._classes = dict(classes)
        if config is not None:
            self.config = config
            self._workflows = {w.name: w for w in config.workflows}
            self.env = self._make_env()
            self._arm_schedules()
        self.version = str(uuid.uuid4())
        for key, live in list(self._live.items()):
            if live.task is not None:
                live.task.cancel()
                live.task.add_done_callback(functools.partial(self._rewake_after_reload, key))

    def _make_env(self) -> Env:
        from emulator.bindings import Env

        return Env(self, self.platform(self.config) if self.platform else None)

    def _rewake_after_reload(self, key: tuple[str, str], _task: asyncio.Task[None]) -> None:
        self._wake(key)

    # -- durability -----------------------------------------------------------------------------

    def commit(self) -> None:
        """Commit every pending write now."""
        self._commit.commit()

    def request_commit(self, *, progress: bool = True) -> None:
        """Commit at the end of this event-loop tick, together with other instances' writes."""
        self._commit.soon(progress=progress)

    async def answer_durable(self) -> None:
        """Return once every write so far is committed, for an answer about to go out."""
        await self._commit.answer_durable()

    async def durable(self) -> None:
        """Return once every write so far is committed (shared with others in this tick)."""
        await self._commit.durable()

    def _save_clock(self) -> None:
        self.store.set_meta("clock", json.dumps(self.clock.snapshot()))
        self.request_commit()

    def _save_lease(self) -> None:
        # Commits with whatever read the new time (an answer waits for it): no progress.
        self.store.set_meta("clock", json.dumps(self.clock.snapshot()))
        self.request_commit(progress=False)

    def _save(self, row: InstanceRow) -> None:
        row.modified = self.clock.now()
        self.store.save_instance(row)
        self.request_commit()

    # -- observation ----------------------------------------------------------------------------

    def emit(self, kind: EventKind, row: InstanceRow, **info: Any) -> None:
        """Tell every listener (console, dashboard, test harness) what happened."""
        if self.listeners:
            event = EngineEvent(kind, row.workflow, row.id, self.clock.now(), info)
            for listener in list(self.listeners):
                listener(event)

    def warn(
        self, row: InstanceRow, message: str, kind: EventKind = EventKind.WARNING
    ) -> None:
        """Add a warning to an instance (kept, shown by ``describe``) and tell the listeners."""
        warnings = json.loads(row.warnings) if row.warnings else []
        if message not in warnings:
            warnings.append(message)
            row.warnings = json.dumps(warnings)
            self._save(row)
            self.emit(kind, row, message=message)

    # -- lookups --------------------------------------------------------------------------------

    @property
    def workflows(self) -> dict[str, WorkflowConfig]:
        return dict(self._workflows)

    def workflow(self, name: str) -> WorkflowConfig:
        self.purge_expired()
        try:
            return self._workflows[name]
        except KeyError:
            raise WorkflowError(f"Workflow '{name}' not found.", "not_found") from None

    def step_limit(self, workflow: str) -> int:
        config = self._workflows.get(workflow)
        return config.step_limit if config is not None else 10_000

    def _row(self, workflow: str, instance_id: str) -> InstanceRow:
        self.workflow(workflow)
        live = self._live.get((workflow, instance_id))
        if live is not None:
            return live.row
        row = self.store.get_instance(workflow, instance_id)
        if row is None:
            raise WorkflowError(f"Workflow instance '{instance_id}' not found.", "not_found")
        return row

    def get(self, workflow: str, instance_id: str) -> InstanceRow:
        """The instance row; WorkflowError (not_found) when there is none."""
        if instance_id == "latest":
            self.workflow(workflow)
            latest = self.store.latest_instance(workflow)
            if latest is None:
                raise WorkflowError(f"Workflow '{workflow}' has no instances.", "not_found")
            instance_id = latest.id
        return self._row(workflow, instance_id)

    def is_live(self, workflow: str, instance_id: str) -> bool:
        return (workflow, instance_id) in self._live

    def task_of(self, workflow: str, instance_id: str) -> asyncio.Task[None] | None:
        """The task running a pass of the instance's ``run()`` now, or None."""
        live = self._live.get((workflow, instance_id))
        return live.task if live is not None else None

    # -- creating -------------------------------------------------------------------------------

    def _prepare(self, workflow: str, options: Mapping[str, Any] | None) -> tuple[str, str]:
        options = dict(options or {})
        instance_id = options.get("id", options.get("instance_id"))
        if instance_id is None:
            instance_id = str(uuid.uuid4())
        validate_instance_id(instance_id)
        params = options.get("params")
        try:
            text = serialization.dumps({} if params is None else params, "params")
        except serialization.NotSerializable as exc:
            raise WorkflowError(f"params: {exc}") from None
        if serialization.size_of(text) > serialization.MAX_BYTES:
            raise WorkflowError("params: the payload is larger than 1 MiB", "too_large")
        return instance_id, text

    def _insert(
        self,
        workflow: str,
        instance_id: str,
        params: str,
        trigger: str,
        schedule: str | None = None,
        *,
        retention: Retention | None = None,
    ) -> InstanceRow:
        now = self.clock.now()
        row = InstanceRow(
            workflow=workflow,
            id=instance_id,
            seq=self._seq,
            status=InstanceStatus.QUEUED,
            params=params,
            trigger=trigger,
            version=self.version,
            created=now,
            modified=now,
            schedule=schedule,
            retention=retention.to_json() if retention is not None else None,
        )
        self._seq += 1
        self.store.insert_instance(row)
        for event_type, payload in self.hooks.instance_created(workflow, instance_id):
            self.store.add_event(workflow, instance_id, event_type, serialization.dumps(payload), now)
        self.request_commit()
        self.emit(EventKind.QUEUED, row, trigger=trigger)
        self._wake((workflow, instance_id), row, fresh=True)
        return row

    def create(
        self, workflow: str, options: Mapping[str, Any] | None = None, *, trigger: str = "api"
    ) -> InstanceRow:
        """Queue a new instance; an id already in use is an error, as in production."""
        self.workflow(workflow)
        instance_id, params = self._prepare(workflow, options)
        retention = creation_retention(options)
        if self.store.get_instance(workflow, instance_id) is not None:
            raise WorkflowError(
                f"(instance.already_exists) Workflow instance '{instance_id}' already exists; "
                "ids are unique per workflow (use restart to run it again)",
                "conflict",
            )
        return self._insert(workflow, instance_id, params, trigger, retention=retention)

    def create_batch(
        self, workflow: str, batch: list[Mapping[str, Any]], *, trigger: str = "api"
    ) -> list[InstanceRow]:
        """Queue many instances; ids already in use are skipped and left out of the result."""
        self.workflow(workflow)
        if not isinstance(batch, list) or not batch:
            raise WorkflowError("batchCreate should have at least 1 instance")
        if len(batch) > MAX_BATCH:
            raise WorkflowError(f"batchCreate takes at most {MAX_BATCH} instances")
        prepared = [(*self._prepare(workflow, o), creation_retention(o)) for o in batch]
        taken = self.store.existing_ids(workflow, [i for i, _, _ in prepared])
        created = []
        for instance_id, params, retention in prepared:
            if instance_id in taken:
                continue
            taken.add(instance_id)
            created.append(
                self._insert(workflow, instance_id, params, trigger, retention=retention)
            )
        return created

    def create_batch_report(
        self, workflow: str, options: Mapping[str, Any], *, trigger: str = "api"
    ) -> tuple[list[InstanceRow], list[dict[str, Any]]]:
        """The object form ``{count, params?, retention?}`` or ``{instances: [...]}``.

        Returns the created rows and one error ``{index, id, code, message}`` per entry not
        created: an id already in use, or repeated within the batch, is an error here rather
        than silently skipped (as the changelog of 2026-10-08 says).
        """
        self.workflow(workflow)
        entries = batch_entries(options)
        prepared = []
        for index, entry in enumerate(entries):
            try:
                instance_id, params = self._prepare(workflow, entry)
            except WorkflowError as exc:
                raise WorkflowError(f"instances[{index}]: {exc.message}", exc.kind) from None
            prepared.append((index, instance_id, params, creation_retention(entry)))
        taken = self.store.existing_ids(workflow, [p[1] for p in prepared])
        seen: set[str] = set()
        created: list[InstanceRow] = []
        errors: list[dict[str, Any]] = []
        for index, instance_id, params, retention in prepared:
            if instance_id in seen or instance_id in taken:
                why = "is repeated in the batch" if instance_id in seen else "already exists"
                errors.append(
                    {
                        "index": index,
                        "id": instance_id,
                        "code": "instance.already_exists",
                        "message": f"Workflow instance '{instance_id}' {why}",
                    }
                )
                continue
            seen.add(instance_id)
            created.append(
                self._insert(workflow, instance_id, params, trigger, retention=retention)
            )
        return created, errors

    # -- cron schedules -------------------------------------------------------------------------

    def _arm_schedules(self) -> None:
        """One timer per ``schedules`` entry, at its next firing after the last one."""
        for timer in self._cron_timers:
            timer.cancel()
        self._cron_timers.clear()
        now = self.clock.now()
        for workflow in self._workflows.values():
            for expression in workflow.schedules:
                cron = parse_cron(expression)
                last = self.store.get_meta(f"cron:{workflow.name}:{expression}")
                # Firings missed while wf was not running are skipped, not replayed in a burst.
                due = cron.next_after(max(float(last) if last else now, now))
                self._arm_cron(workflow.name, cron, due)

    def _arm_cron(self, workflow: str, cron: Cron, due: float) -> None:
        timer = self.clock.call_at(
            due, lambda: self._fire_cron(workflow, cron, due), label=f"cron {cron.expression}"
        )
        self._cron_timers.append(timer)

    def _fire_cron(self, workflow: str, cron: Cron, due: float) -> None:
        self._cron_timers = [t for t in self._cron_timers if not t.cancelled]
        if workflow not in self._workflows:
            return
        self.store.set_meta(f"cron:{workflow}:{cron.expression}", repr(due))
        schedule = {"cron": cron.expression, "scheduledTime": due}
        instance_id = str(uuid.uuid4())
        self._insert(workflow, instance_id, "{}", "cron", schedule=json.dumps(schedule))
        self._arm_cron(workflow, cron, cron.next_after(due))

    # -- running --------------------------------------------------------------------------------

    def _schedule(self, key: tuple[str, str], due: float) -> None:
        old = self._timers.pop(key, None)
        if old is not None:
            old.cancel()
        if due <= self.clock.now():
            # Already due (it fell due while the engine was stopped): a manual clock would
            # otherwise hold it until the next advance.
            asyncio.get_running_loop().call_soon(self._wake, key)
            return
        self._timers[key] = self.clock.call_at(
            due, lambda: self._fire(key), label=f"{key[0]}/{key[1]}"
        )

    def _fire(self, key: tuple[str, str]) -> None:
        self._timers.pop(key, None)
        self._wake(key)

    def _unschedule(self, key: tuple[str, str]) -> None:
        timer = self._timers.pop(key, None)
        if timer is not None:
            timer.cancel()

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
            while True:
                live.rewake = False
                await self._pass(live)
                if not live.rewake or live.row.status in FINAL_STATUSES:
                    break
                if live.row.status == InstanceStatus.PAUSED:
                    break
                await asyncio.sleep(0)  # a replay loop must not starve the event loop
        finally:
            self._live.pop(key, None)
            self._commit.progress += 1
            if not self._live:
                self.clock.notify_idle()

    def _class_for(self, workflow: str) -> type | None:
        config = self._workflows.get(workflow)
        if config is None or config.class_name is None:
            return None
        return self._classes.get(config.class_name)

    async def _pass(self, live: LiveInstance) -> None:
        row = live.row
        cls = self._class_for(row.workflow)
        if cls is None:
            config = self._workflows.get(row.workflow)
            name = config.class_name if config else None
            self._finish(
                row,
                InstanceStatus.ERRORED,
                error={
                    "name": "WorkflowFatalError",
                    "message": f"workflow '{row.workflow}' has no class {name!r} in the code",
                },
            )
            return
        first = row.started is None
        if first:
            row.started = self.clock.now()
        row.status, row.wake_at, row.version = InstanceStatus.RUNNING, None, self.version
        self._save(row)
        if first:
            self.emit(EventKind.STARTED, row)
        history = [] if live.fresh else self.store.load_steps(row.workflow, row.id)
        live.fresh = False
        journal = Journal(
            self.store,
            self._commit,
            row.workflow,
            row.id,
            history,
            functools.partial(self._warn_live, row),
        )
        runner = StepRunner(live, journal, self.clock, self.hooks, self.emit, self._settings(row))
        live.runner = runner
        step = WorkflowStep(runner, self.config.implicit_dependencies)
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
        token = current_step.set((row.workflow, row.id, None))
        try:
            with user_code(f"workflow {row.workflow}/{row.id}"), usertime.user_time(self.clock):
                entry = cls(ExecutionContext(), self.env)
                result = entry.run(event, step)
                if inspect.isawaitable(result):
                    result = await result
            await runner.drain()
            try:
                output = None if result is None else serialization.dumps(result, "run() result")
            except serialization.NotSerializable as exc:
                self._finish(row, InstanceStatus.ERRORED, error={"name": "TypeError", "message": str(exc)})
                return
            self._finish(row, InstanceStatus.COMPLETE, output=output)
        except Hibernate:
            await runner.drain()
            if live.pause_requested:
                row.status, row.paused_at = InstanceStatus.PAUSED, self.clock.now()
                live.pause_requested = False
                self._save(row)
                self.emit(EventKind.PAUSED, row)
                return
            due = runner.wake_at
            if due is None or due <= self.clock.now():
                live.rewake = True
                return
            row.status, row.wake_at = InstanceStatus.WAITING, due
            self._save(row)
            if not live.rewake:
                self._schedule((row.workflow, row.id), due)
        except InstanceFatal as exc:
            await runner.drain()
            self._finish(row, InstanceStatus.ERRORED, error={"name": exc.name, "message": exc.message})
        except asyncio.CancelledError:
            runner.closed = True
            raise
        except Exception as exc:
            await runner.drain()
            self._finish(row, InstanceStatus.ERRORED, error=self._instance_error(exc))
        finally:
            current_step.reset(token)

    def _warn_live(self, row: InstanceRow, message: str, kind: EventKind) -> None:
        self.warn(row, message, kind)

    def _settings(self, row: InstanceRow) -> RunnerSettings:
        return RunnerSettings(
            step_limit=self.step_limit(row.workflow),
            evict_after_steps=self.evict_after_steps,
            runtime_sdk=self.config.runtime_sdk,
        )

    def _instance_error(self, exc: Exception) -> dict[str, Any]:
        info = error_info(exc)
        if info["name"] == "NonRetryableError" and not self._preserve_non_retryable():
            return {"name": "WorkflowFatalError", "message": NON_RETRYABLE_FATAL}
        return info

    def _preserve_non_retryable(self) -> bool:
        flags = self.config.compatibility_flags
        if "workflows_preserve_non_retryable_error_message" in flags:
            return True
        return (self.config.compatibility_date or "") >= "2026-05-14"

    def _finish(
        self,
        row: InstanceRow,
        status: InstanceStatus,
        *,
        output: str | None = None,
        error: dict[str, Any] | None = None,
    ) -> None:
        row.status, row.ended, row.wake_at = status, self.clock.now(), None
        row.output = output
        row.error = json.dumps(error) if error is not None else None
        self._save(row)
        self._retain(row)
        self.emit(EventKind(status), row, error=error)

    # -- lifecycle of instances -----------------------------------------------------------------

    async def _stop(self, key: tuple[str, str]) -> None:
        self._unschedule(key)
        live = self._live.get(key)
        if live is not None and live.task is not None and live.task is not asyncio.current_task():
            live.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await live.task
        # Write the interrupted step now, before a restart or delete rewrites the history.
        self.commit()

    async def pause(self, workflow: str, instance_id: str) -> None:
        """Pause at the next step boundary; sleeps and waits pause at once."""
        row = self._row(workflow, instance_id)
        if row.status in FINAL_STATUSES or row.status in (InstanceStatus.PAUSED, InstanceStatus.WAITING_FOR_PAUSE):
            return
        key = (workflow, instance_id)
        live = self._live.get(key)
        if live is not None and live.executing > 0:
            live.pause_requested = True
            row.status = InstanceStatus.WAITING_FOR_PAUSE
            self._save(row)
            self.emit(EventKind.WAITING_FOR_PAUSE, row)
            return
        await self._stop(key)
        row = self.store.get_instance(workflow, instance_id) or row
        row.status, row.paused_at = InstanceStatus.PAUSED, self.clock.now()
        self._save(row)
        self.emit(EventKind.PAUSED, row)

    async def resume(self, workflow: str, instance_id: str) -> None:
        """Resume a paused instance (timers shifted by the time paused); otherwise no effect."""
        row = self._row(workflow, instance_id)
        key = (workflow, instance_id)
        live = self._live.get(key)
        if row.status == InstanceStatus.WAITING_FOR_PAUSE and live is not None:
            live.pause_requested = False
            row.status = InstanceStatus.RUNNING
            self._save(row)
            self.emit(EventKind.RESUMED, row)
            return
        if row.status != InstanceStatus.PAUSED:
            return
        delta = self.clock.now() - (row.paused_at or self.clock.now())
        if delta > 0:
            self.store.shift_step_dues(workflow, instance_id, delta)
        row.status, row.paused_at, row.wake_at = InstanceStatus.QUEUED, None, None
        self._save(row)
        self.emit(EventKind.RESUMED, row)
        self._wake(key)

    async def terminate(self, workflow: str, instance_id: str) -> None:
        """End an unfinished instance for good."""
        row = self._row(workflow, instance_id)
        if row.status in FINAL_STATUSES:
            raise WorkflowError(
                "(instance.cannot_terminate) Cannot terminate instance since its on a finite state",
                "conflict",
            )
        await self._stop((workflow, instance_id))
        row = self.store.get_instance(workflow, instance_id) or row
        row.status, row.ended, row.wake_at = InstanceStatus.TERMINATED, self.clock.now(), None
        self._save(row)
        self._retain(row)
        self.emit(EventKind.TERMINATED, row)

    async def restart(
        self, workflow: str, instance_id: str, from_step: Mapping[str, Any] | None = None
    ) -> None:
        """Run again with the same id and params: from scratch, or from one step onwards."""
        self._row(workflow, instance_id)
        key = (workflow, instance_id)
        # Validate first, change second: an unknown step leaves the instance as it was.
        target = self._find_step(workflow, instance_id, from_step) if from_step else None
        await self._stop(key)
        row = self.store.get_instance(workflow, instance_id)
        assert row is not None
        if target is not None:
            self.store.delete_steps(workflow, instance_id, from_pos=target.pos)
        else:
            self.store.delete_steps(workflow, instance_id)
            self.store.delete_events(workflow, instance_id)
            mocked = self.hooks.instance_created(workflow, instance_id, restarted=True)
            for event_type, payload in mocked:
                self.store.add_event(
                    workflow,
                    instance_id,
                    event_type,
                    serialization.dumps(payload),
                    self.clock.now(),
                )
        row.status, row.started, row.ended = InstanceStatus.QUEUED, None, None
        row.output = row.error = row.warnings = None
        row.wake_at = row.paused_at = None
        self._save(row)
        self.emit(EventKind.RESTARTED, row, from_step=dict(from_step) if from_step else None)
        self._wake(key)

    def _find_step(self, workflow: str, instance_id: str, spec: Mapping[str, Any]) -> StepRow:
        name = spec.get("name")
        count = int(spec.get("count") or 1)
        kind = spec.get("type")
        unsaved = self._commit.unsaved_steps(workflow, instance_id)
        for step in [*self.store.load_steps(workflow, instance_id), *unsaved]:
            if step.name == name and step.count == count and kind in (None, step.kind):
                return step
        raise WorkflowError(
            f'(instance.cannot_restart) Step "{name}" not found in execution history',
            "not_found",
        )

    async def delete(self, workflow: str, instance_id: str) -> None:
        """Remove an instance and all its state."""
        self._row(workflow, instance_id)
        key = (workflow, instance_id)
        await self._stop(key)
        self.store.delete_instance(workflow, instance_id)
        self.hooks.instance_removed(workflow, instance_id)
        self.request_commit()

    def send_event(self, workflow: str, instance_id: str, event_type: str, payload: Any) -> None:
        """Buffer an event for the instance and wake it if it sleeps."""
        validate_event_type(event_type)
        row = self._row(workflow, instance_id)
        if row.status in FINAL_STATUSES:
            raise WorkflowError(
                f"(instance.not_running) Cannot send an event to instance '{instance_id}': "
                f"it is {row.status}",
                "conflict",
            )
        try:
            text = serialization.dumps(payload, "payload")
        except serialization.NotSerializable as exc:
            raise WorkflowError(str(exc)) from None
        if serialization.size_of(text) > serialization.MAX_BYTES:
            raise WorkflowError("payload: the event payload is larger than 1 MiB", "too_large")
        self.store.add_event(workflow, instance_id, event_type, text, self.clock.now())
        self.request_commit()
        self.emit(EventKind.EVENT_SENT, row, type=event_type)
        if row.status in (InstanceStatus.WAITING, InstanceStatus.RUNNING, InstanceStatus.QUEUED, InstanceStatus.WAITING_FOR_PAUSE):
            self._wake((workflow, instance_id))

    def fire_now(self, workflow: str, instance_id: str) -> bool:
        """End an instance's pending sleep, retry delay or event timeout now."""
        row = self._row(workflow, instance_id)
        if row.status != InstanceStatus.WAITING or row.wake_at is None:
            return False
        due = row.wake_at
        delta = due - self.clock.now()
        if delta > 0:
            self.store.shift_step_dues(workflow, instance_id, -delta)
        self._wake((workflow, instance_id))
        return True

    # -- retention ------------------------------------------------------------------------------

    def retention_of(self, row: InstanceRow) -> tuple[float, bool]:
        """How long ``row`` is kept once finished (ms), and whether that is wf's default."""
        config = self._workflows.get(row.workflow)
        own = Retention.from_json(row.retention)
        ms = own.over(config.default_retention if config else None).for_status(row.status)
        return (DEFAULT_RETENTION_MS, True) if ms is None else (ms, False)

    def _retain(self, row: InstanceRow) -> None:
        expires = (row.ended or self.clock.now()) + self.retention_of(row)[0]
        self.store.set_expiry(row.workflow, row.id, expires)
        if self._next_expiry is None or expires < self._next_expiry:
            self._next_expiry = expires

    def purge_expired(self) -> None:
        """Remove the finished instances whose retention has run out on the virtual clock."""
        if self._next_expiry is None or self._next_expiry > self.clock.now():
            return
        for workflow, instance_id in self.store.expired_instances(self.clock.now()):
            key = (workflow, instance_id)
            row = self.store.get_instance(workflow, instance_id)
            if row is None or key in self._live:
                continue
            _, defaulted = self.retention_of(row)
            self.store.delete_instance(workflow, instance_id)
            self.hooks.instance_removed(workflow, instance_id)
            self.emit(EventKind.PURGED, row)
            if defaulted and not self._warned_default_retention:
                self._warned_default_retention = True
                warnings.warn(
                    f"{workflow}/{instance_id} was removed after wf's default retention of 7 "
                    "days (Cloudflare: 7 days for Workflows created on Workers Paid since "
                    "2026-09-10, 30 days for older ones, 3 days on Workers Free); set "
                    "default_retention or create(retention=...) to choose",
                    RuntimeWarning,
                    stacklevel=2,
                )
        self._next_expiry = self.store.next_expiry()
        self.request_commit()

    # -- reading --------------------------------------------------------------------------------

    def status(self, workflow: str, instance_id: str) -> dict[str, Any]:
        """``{"status", "output", "error"}`` as the binding's ``status()`` returns it."""
        row = self._row(workflow, instance_id)
        return {
            "status": str(row.status),  # user code sees a plain str, as from JS
            "output": serialization.to_plain(row.output) if row.status == "complete" else None,
            "error": json.loads(row.error) if row.error else None,
        }

    def history(self, workflow: str, instance_id: str) -> list[StepRow]:
        """The instance's step history, in order (decoded rows)."""
        self._row(workflow, instance_id)
        return self.store.load_steps(workflow, instance_id)

    def describe(
        self, workflow: str, instance_id: str, *, order: str = "asc", simple: bool = False
    ) -> dict[str, Any]:
        """The instance with its step history, shaped as Cloudflare's instance details.

        Kept for callers that hold only an engine; the shape is ``server.views``'s.
        """
        from emulator.server.views import instance_details  # known exception: see the import test

        row = self.get(workflow, instance_id)
        steps = None if simple else self.store.load_steps(workflow, row.id)
        return instance_details(row, steps, order=order)

    def pending_events(self, workflow: str, instance_id: str) -> list[dict[str, Any]]:
        """The events buffered for an instance and not taken yet, oldest first."""
        return [
            {
                "type": e.type,
                "payload": serialization.to_plain(e.payload),
                "timestamp": to_iso(e.timestamp),
            }
            for e in self.store.pending_events(workflow, instance_id)
        ]

    # -- settling -------------------------------------------------------------------------------

    def idle(self) -> bool:
        return not self._live

    async def settle(self) -> None:
        """Wait until every live instance has blocked again or finished.

        An instance stuck inside a step's own code (awaiting something that never comes)
        counts as settled after ``settle_quiet`` seconds without progress, so that advancing
        the clock can still fire its timeout.
        """
        quiet_since = time.monotonic()
        last = -1
        while True:
            await asyncio.sleep(0)
            tasks = [live.task for live in self._live.values() if live.task is not None]
            if not tasks:
                await asyncio.sleep(0)
                if not self._live:
                    return
                continue
            await asyncio.wait(tasks, timeout=0.02)
            if self._commit.progress != last:
                last, quiet_since = self._commit.progress, time.monotonic()
                continue
            stuck = all(live.executing > 0 for live in self._live.values())
            if stuck and time.monotonic() - quiet_since >= self.settle_quiet:
                return
            if usertime.only_clock_waits(self.clock):  # user code in asyncio.sleep: blocked
                return


# The regions `create(locationHint=...)` takes (workers-types WorkflowInstanceCreateOptions).
LOCATION_HINTS = frozenset({"wnam", "enam", "sam", "weur", "eeur", "apac", "oc", "afr", "me"})


def creation_retention(options: Mapping[str, Any] | None) -> Retention | None:
    """The ``retention`` of create options; also checks ``locationHint``, which wf ignores."""
    options = options or {}
    hint = options.get("locationHint")
    if hint is not None and hint not in LOCATION_HINTS:
        raise WorkflowError(
            f"locationHint: must be one of {', '.join(sorted(LOCATION_HINTS))} (got {hint!r})"
        )
    if options.get("retention") is None:
        return None
    try:
        return parse_retention(options["retention"], config=False)
    except RetentionError as exc:
        raise WorkflowError(f"retention: {exc}") from None


def batch_entries(options: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The create options of each instance of ``createBatch``'s object form."""
    has_count, has_list = "count" in options, "instances" in options
    if has_count == has_list:
        raise WorkflowError("createBatch() takes an object with either 'count' or 'instances'")
    if has_list:
        entries = options["instances"]
        extra = sorted(set(options) - {"instances"})
        if extra:
            raise WorkflowError(f"createBatch(instances=...): unexpected field {extra[0]!r}")
        if not isinstance(entries, list) or not all(isinstance(e, Mapping) for e in entries):
            raise WorkflowError("createBatch(): 'instances' must be a list of create options")
    else:
        count = options["count"]
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise WorkflowError(f"createBatch(): 'count' must be an integer >= 1 (got {count!r})")
        if "id" in options:
            raise WorkflowError("createBatch(count=...): each instance gets a generated id")
        shared = {k: v for k, v in options.items() if k != "count"}
        entries = [dict(shared) for _ in range(min(count, MAX_BATCH + 1))]
    if not entries:
        raise WorkflowError("batchCreate should have at least 1 instance")
    if len(entries) > MAX_BATCH:
        raise WorkflowError(f"batchCreate takes at most {MAX_BATCH} instances")
    return list(entries)


def saved_clock(store: Store) -> dict[str, Any] | None:
    """The clock snapshot kept in the store, or None (unreadable counts as none)."""
    text = store.get_meta("clock")
    try:
        state = json.loads(text) if text else None
    except ValueError:
        return None
    return valid_snapshot(state) if isinstance(state, dict) else None
