"""Several Workers in one session (``wf dev -c a/wrangler.jsonc -c b/wrangler.jsonc``).

The first Worker serves HTTP and owns the engine's config; the others are reached only
through bindings: service bindings (``services[]``) and workflow bindings whose class lives
in them (``workflows[].script_name``). Every Worker has its own code, env and vars, and
reloads on its own; they share one engine (Workflow names are unique per account) and one
platform, so D1, KV, R2 and queues with the same id are the same data in every Worker, as
wrangler's multi-Worker dev shares them.

Each other Worker also runs its own non-HTTP handlers: the batches of the queues it consumes
(``queues.consumers[]``; one consumer per queue in the session, as miniflare refuses two) and
its ``triggers.crons``, with its own env. Its module-level ``from workers import env`` is its
own env too: its modules load, and its handlers run, inside ``scoped_env``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wf.config import Config, ConfigError, load_config
from wf.dev_vars import candidate_files
from wf.project import LoadError, Project
from wf.services import Service, ServiceTarget

if TYPE_CHECKING:
    from wf.bindings import Env
    from wf.engine import Engine
    from wf.platform import Platform
    from wf.project import LoadedCode
    from wf.worker_cron import WorkerCron
    from wf.worker_events import WorkerEvents

Log = Callable[[str], None]
ErrorLog = Callable[[str, BaseException], None]

__all__ = ["GroupError", "Worker", "WorkerGroup"]


class GroupError(ValueError):
    """Workers that cannot run together (two of one name, one workflow in two of them)."""


@dataclass
class Worker:
    """One Worker of the session besides the first: its config, code, env, last error."""

    config: Config
    project: Project
    env_name: str | None = None
    code: LoadedCode | None = None
    env: Env | None = None
    error: LoadError | ConfigError | None = None
    stamps: dict[Path, int | None] = field(default_factory=dict)
    # Its queue and scheduled handlers, and its cron timers (made at its first load).
    events: WorkerEvents | None = None
    cron: WorkerCron | None = None

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def root(self) -> Path:
        return Path(self.config.root)

    def watched_files(self) -> set[Path]:
        files = set(self.code.files) if self.code is not None else set()
        files.add(self.project.main)
        files.add(Path(self.config.path))
        files.update(candidate_files(self.root, self.env_name))
        return {path.resolve() for path in files}


class WorkerGroup:
    """The first Worker's bindings to the others, and the others' code and env."""

    def __init__(
        self,
        platform: Platform,
        primary: Config,
        others: Sequence[Config] = (),
        *,
        env_name: str | None = None,
    ) -> None:
        self.platform = platform
        self.primary = primary
        self.env_name = env_name
        self.workers: dict[str, Worker] = {}
        for config in others:
            if config.name == primary.name or config.name in self.workers:
                raise GroupError(
                    f"{config.path}: name: Worker {config.name!r} is given twice; every "
                    "Worker of a session needs its own name"
                )
            self.workers[config.name] = Worker(config, Project(config), env_name)
        self._check_workflows()
        self._check_consumers()
        self.engine: Engine | None = None
        self.primary_code: Callable[[], LoadedCode | None] = lambda: None
        self._events_started = False
        self._log: Log | None = None
        self._error_log: ErrorLog | None = None

    def _check_workflows(self) -> None:
        owner: dict[str, str] = {}
        for config in (self.primary, *(w.config for w in self.workers.values())):
            for workflow in config.workflows:
                if workflow.script_name not in (None, config.name) or not workflow.class_name:
                    continue
                if workflow.name in owner and owner[workflow.name] != config.name:
                    raise GroupError(
                        f"{config.path}: workflows: workflow {workflow.name!r} is also defined "
                        f"by Worker {owner[workflow.name]!r}; Workflow names are unique per "
                        f"account (bind it with script_name: {owner[workflow.name]!r})"
                    )
                owner[workflow.name] = config.name

    def check_primary(self, config: Config) -> None:
        """GroupError when the first Worker's new config clashes with the others' (a reload
        must not take a workflow or a queue's consumer from another Worker)."""
        previous, self.primary = self.primary, config
        try:
            self._check_workflows()
            self._check_consumers()
        finally:
            self.primary = previous

    def _check_consumers(self) -> None:
        """One consumer per queue: miniflare refuses a second with these words."""
        owner: dict[str, str] = {}
        for config in (self.primary, *(w.config for w in self.workers.values())):
            for consumer in config.queue_consumers:
                found = owner.get(consumer.queue)
                if found is not None and found != config.name:
                    raise GroupError(
                        f"{config.path}: queues.consumers: Multiple consumers defined for queue "
                        f'"{consumer.queue}": "{found}" and "{config.name}" (a queue has one '
                        "consumer Worker)"
                    )
                owner[consumer.queue] = config.name

    # -- what env carries ---------------------------------------------------------------------

    def primary_bindings(self, config: Config) -> dict[str, Any]:
        """The first Worker's platform bindings and service bindings (``Engine(platform=)``)."""
        self.primary = config
        return {**self.platform.bindings(config), **self.services(config)}

    def services(self, config: Config) -> dict[str, Any]:
        return {
            entry.binding: Service(entry, config.name, self.target) for entry in config.services
        }

    def target(self, name: str) -> ServiceTarget | None:
        """The Worker a service binding names, when it is loaded."""
        if name == self.primary.name:
            code = self.primary_code()
            if code is None or self.engine is None or self.primary.main is None:
                return None  # not loaded, or an assets-only Worker: no code to call
            main = Path(self.primary.main).stem
            return ServiceTarget(name, code, self.engine.env, main)
        worker = self.workers.get(name)
        if worker is None or worker.code is None or worker.env is None:
            return None
        return ServiceTarget(name, worker.code, worker.env, worker.project.main_name)

    # -- loading ------------------------------------------------------------------------------

    def attach(self, engine: Engine) -> None:
        self.engine = engine

    def load_all(self) -> list[Worker]:
        """Load every other Worker; returns those that failed (their ``error`` says why)."""
        failed = [worker for worker in self.workers.values() if not self._load(worker)]
        self._publish()
        return failed

    def reload(self, name: str, *, config_changed: bool = False) -> bool:
        """Load one Worker again (its config too when it changed); False keeps the old code."""
        worker = self.workers[name]
        if config_changed:
            try:
                config = load_config(worker.config.path, self.env_name)
                config.check_runnable()
            except ConfigError as exc:
                worker.error = exc
                return False
            if config.name != name:
                worker.error = ConfigError(
                    f"the Worker's name changed from {name!r} to {config.name!r}: restart wf "
                    "dev to rename a Worker",
                    path=Path(config.path),
                    field="name",
                )
                return False
            previous = worker.config
            worker.config, worker.project = config, Project(config)
            try:
                self._check_workflows()
                self._check_consumers()
            except GroupError as exc:
                worker.config, worker.project = previous, Project(previous)
                worker.error = ConfigError(str(exc))
                return False
        loaded = self._load(worker)
        if loaded:
            self._publish()
        return loaded

    def _load(self, worker: Worker) -> bool:
        assert self.engine is not None, "attach(engine) before loading"
        from wf.bindings import Env
        from wf.runtime.workers._env import scoped_env

        self.remember(worker)
        # The env exists before the code: module-level `from workers import env` reads it.
        platform = self.platform.bindings(worker.config, primary=False)
        env = Env(self.engine, {**platform, **self.services(worker.config)}, config=worker.config)
        try:
            with scoped_env(env):
                code = worker.project.load()
        except LoadError as exc:
            worker.error = exc
            return False
        worker.code, worker.env, worker.error = code, env, None
        self.remember(worker, fresh=False)
        self.platform.use_worker_code(worker.config, code, env)
        self._use_handlers(worker)
        return True

    # -- the other Workers' queue consumers and cron triggers -----------------------------------

    def _use_handlers(self, worker: Worker) -> None:
        """Its consumers and crons, as its (re)loaded config declares them."""
        from wf.platform import queues
        from wf.worker_cron import WorkerCron
        from wf.worker_events import WorkerEvents

        assert self.engine is not None
        if worker.events is None:
            held = worker  # the handlers read its code and env at each call: reloads show
            worker.events = WorkerEvents(
                lambda: held.code, lambda: held.env, self.engine.clock, worker=worker.name
            )
            worker.cron = WorkerCron(self.engine.clock, self.engine.store, worker=worker.name)
        assert worker.cron is not None
        queues.worker_consumers(self.platform, worker.config, worker.events.queue)
        worker.cron.configure(worker.config.crons)
        if self._events_started:
            self._start_cron(worker)

    def start_events(self, log: Log | None = None, error_log: ErrorLog | None = None) -> None:
        """Fire the other Workers' cron triggers (their queue batches flow once the host
        starts the broker: ``queues.start``)."""
        self._events_started = True
        self._log, self._error_log = log, error_log
        for worker in self.workers.values():
            self._start_cron(worker)

    def _start_cron(self, worker: Worker) -> None:
        if worker.cron is None or worker.events is None:
            return
        log, error_log, name = self._log, self._error_log, worker.name
        if log is not None:
            worker.cron.log = lambda text: log(f"worker {name}: {text}")
        if error_log is not None:
            worker.cron.error_log = lambda text, exc: error_log(f"worker {name}: {text}", exc)
        worker.cron.start(worker.events.scheduled)

    async def stop_events(self) -> None:
        self._events_started = False
        for worker in self.workers.values():
            if worker.cron is not None:
                await worker.cron.stop()

    def cron_of(self, name: str) -> WorkerCron | None:
        worker = self.workers.get(name)
        return None if worker is None else worker.cron

    def _publish(self) -> None:
        """Tell the engine where each other Worker's workflows run now."""
        from wf.engine.base import WorkflowHome

        assert self.engine is not None
        if not self.workers:
            return  # one Worker: the engine is left exactly as before
        homes: dict[str, WorkflowHome] = {}
        for worker in self.workers.values():
            for workflow in worker.config.workflows:
                if workflow.script_name not in (None, worker.name) or not workflow.class_name:
                    continue
                cls = None
                if worker.code is not None:
                    cls = worker.code.workflow_classes.get(workflow.class_name)
                homes[workflow.name] = WorkflowHome(
                    dataclasses.replace(workflow, script_name=None),
                    cls,
                    worker.env,
                    worker.config,
                )
        self.engine.set_homes(homes)

    # -- watching -----------------------------------------------------------------------------

    def remember(self, worker: Worker, *, fresh: bool = True) -> None:
        """Note the files' times before a load (``fresh``), then add those it imported."""
        if fresh:
            worker.stamps = {}
        for path in worker.watched_files():
            worker.stamps.setdefault(path, _mtime(path))

    def changed_since_load(self, worker: Worker) -> list[Path]:
        return sorted(p for p in worker.watched_files() if _mtime(p) != worker.stamps.get(p))

    def describe(self) -> Iterable[str]:
        """Start-up lines: each other Worker, the queues it consumes and its crons."""
        for worker in self.workers.values():
            config = worker.config
            state = "loaded" if worker.code is not None else "failed to load"
            yield f"  worker {worker.name} ({Path(config.path).name}): {state}"
            for consumer in config.queue_consumers:
                yield f"  worker {worker.name}: consumes queue {consumer.queue}"
            for cron in config.crons:
                yield f'  worker {worker.name}: cron "{cron}"'


def _mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None
