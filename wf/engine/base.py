"""The engine's shared state: store, clock, timers, group commit, listeners, lookups."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import uuid
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from wf import usertime
from wf.clock import Clock
from wf.engine.commit import GroupCommit
from wf.engine.hooks import NO_HOOKS, EngineHooks
from wf.engine.runner import LiveInstance
from wf.errors import (
    WorkflowError,
)
from wf.instance_logs import InstanceLogs
from wf.retention import Retention
from wf.store import ExpiredRow, InstanceRow, Store
from wf.timers import Timers
from wf.tracebacks import Tracebacks
from wf.vocabulary import EventKind

if TYPE_CHECKING:
    from wf.config import Config, WorkflowConfig
    from wf.engine.pass_state import RunnerSettings


# Builds ``env`` from the engine and the platform's bindings (``wf.bindings.Env``).
EnvFactory = Callable[[Any, Mapping[str, Any] | None], Any]


class NoEnv:
    """``env`` of an engine built without an env factory: the platform's bindings only."""

    def __init__(self, platform: Mapping[str, Any] | None) -> None:
        self._values = dict(platform or {})

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["_values"][name]
        except KeyError:
            raise AttributeError(
                f"env has no binding {name!r}: this engine was built without an env factory "
                "(pass make_env=wf.bindings.Env to Engine)"
            ) from None


@dataclass(frozen=True)
class WorkflowHome:
    """A workflow whose class lives in another Worker of the session (``script_name``):
    its instances run that Worker's class, with that Worker's env and settings."""

    workflow: WorkflowConfig  # as that Worker declares it
    cls: type | None  # None while that Worker's code does not load
    env: Any
    worker: Config


@dataclass(frozen=True)
class EngineEvent:
    """Something that happened to an instance, for the console and the dashboard."""

    kind: EventKind
    workflow: str
    instance: str
    at: float
    info: dict[str, Any] = field(default_factory=dict)


class EngineBase:
    """The engine's state, durability, observation and lookups (``Engine`` builds on it)."""

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
        make_env: EnvFactory | None = None,
    ) -> None:
        self.config = config
        # The other bindings on env (D1, KV, R2...), built for each config by their owner.
        self.platform = platform
        # What user code finds on ``self.env``, built by the composition root (the engine
        # does not know the bindings, which call it): ``wf.bindings.Env``.
        self._env_factory = make_env
        self.store = store or Store()
        self.clock = clock or Clock()
        self.evict_after_steps = evict_after_steps
        self.settle_quiet = settle_quiet
        # Where a test harness changes how steps behave (wf.testing installs its own).
        self.hooks = hooks
        self.listeners: list[Callable[[EngineEvent], None]] = []
        self._classes: dict[str, type] = dict(classes)
        # Workflows of the session's other Workers, by workflow name (see set_homes).
        self._homes: dict[str, WorkflowHome] = {}
        self._workflows: dict[str, WorkflowConfig] = self._workflow_map()
        self._live: dict[tuple[str, str], LiveInstance] = {}
        self._runner_settings: dict[str, tuple[Config, RunnerSettings]] = {}
        # Every timer of the engine: instances' wake-ups, step timeouts, cron firings.
        self._timers = Timers(self.clock)
        # User code's asyncio.sleep on this clock: TimerKind.USER_SLEEP timers of the engine.
        usertime.use_timers(self.clock, self._timers)
        self._seq = self.store.next_seq()
        self._commit = GroupCommit(self.store, self._live.__len__)
        # What instances print and log, and their tracebacks: tables of their own in the store.
        self.logs = InstanceLogs(self.store, self.clock, lambda: self._commit.soon(progress=False))
        self.tracebacks = Tracebacks(self.store, config.root)
        self._closed = False
        # Earliest removal due of a finished instance (retention): a TimerKind.RETENTION timer
        # once started (expiry.py), and what reads check before purging.
        self._next_expiry = self.store.next_expiry()
        self._warned_default_retention = False
        self.version = str(uuid.uuid4())
        self.clock.settle = self.settle
        self.clock.is_idle = lambda: not self._live
        self.clock.on_change = self._save_clock
        self.clock.on_lease = self._save_lease
        self.env = self._make_env()
        self._time_installed = False

    # -- durability -----------------------------------------------------------------------------

    def commit(self) -> None:
        """Commit every pending write now."""
        self._commit.commit()

    def request_commit(self, *, progress: bool = True) -> None:
        """Commit at the end of this event-loop tick, together with other instances' writes."""
        self._commit.soon(progress=progress)

    # Not coroutines themselves: they hand over the group commit's, one frame fewer a call.
    def answer_durable(self) -> Coroutine[Any, Any, None]:
        """Return once every write so far is committed, for an answer about to go out."""
        return self._commit.answer_durable()

    def durable(self) -> Coroutine[Any, Any, None]:
        """Return once every write so far is committed (shared with others in this tick)."""
        return self._commit.durable()

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
        self._commit.instance_written(row.workflow, row.id)
        self.request_commit()

    def _save_at_tick_end(self, row: InstanceRow) -> None:
        """Write the row when the tick ends, unless a ``_save`` of it comes first."""
        row.modified = self.clock.now()
        self._commit.instance_at_tick_end(row)

    # -- observation ----------------------------------------------------------------------------

    def emit(self, kind: EventKind, row: InstanceRow | ExpiredRow, **info: Any) -> None:
        """Tell every listener (console, dashboard, test harness) what happened."""
        if self.listeners:
            event = EngineEvent(kind, row.workflow, row.id, self.clock.now(), info)
            for listener in list(self.listeners):
                listener(event)

    def warn(self, row: InstanceRow, message: str, kind: EventKind = EventKind.WARNING) -> None:
        """Add a warning to an instance (kept, shown by ``describe``) and tell the listeners."""
        warnings = json.loads(row.warnings) if row.warnings else []
        if message not in warnings:
            warnings.append(message)
            row.warnings = json.dumps(warnings)
            self._save(row)
            self.emit(kind, row, message=message)

    # -- lookups --------------------------------------------------------------------------------

    def _workflow_map(self) -> dict[str, WorkflowConfig]:
        """This Worker's workflows, then those of other Workers (their own declaration wins:
        it holds the limits and schedules; the binding name stays this Worker's)."""
        found = {w.name: w for w in self.config.workflows}
        for name, home in self._homes.items():
            mine = found.get(name)
            binding = mine.binding if mine is not None and mine.binding else ""
            found[name] = dataclasses.replace(
                home.workflow,
                binding=binding or home.workflow.binding,
                script_name=home.worker.name,
            )
        return found

    def home(self, workflow: str) -> WorkflowHome | None:
        """Where a workflow of another Worker runs, or None for this Worker's own."""
        return self._homes.get(workflow)

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

    # -- provided by the modules built on this one ------------------------------------------

    def _make_env(self) -> Any:
        """``self.env`` for the current config, from the factory the engine was given."""
        platform = self.platform(self.config) if self.platform else None
        if self._env_factory is None:
            return NoEnv(platform)
        return self._env_factory(self, platform)

    def _wake(
        self, key: tuple[str, str], row: InstanceRow | None = None, *, fresh: bool = False
    ) -> None:
        raise NotImplementedError

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
        raise NotImplementedError

    def purge_expired(self) -> bool:
        raise NotImplementedError

    async def settle(self) -> None:
        raise NotImplementedError
