"""A dev session: the engine, the user's code it serves, and reloading that code.

The code is whatever loaded last without error. A failed load (syntax error, import error, bad
config) leaves the previous code serving and records the error; when the very first load
fails there is no code, so the Worker answers 503 and the engine is not started (starting it
would replay every unfinished instance against no classes and fail them) until a reload works.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wf.config import ConfigError, load_config
from wf.dev_vars import candidate_files
from wf.project import LoadError, Project
from wf.server import preload
from wf.worker_group import GroupError

if TYPE_CHECKING:
    from wf.console import DevConsole
    from wf.engine import Engine
    from wf.platform import Platform
    from wf.project import LoadedCode
    from wf.worker_group import Worker, WorkerGroup


@dataclass(frozen=True)
class CodeError:
    """Why the user's code (or config) does not load: ``FILE:LINE: Type: message``."""

    message: str
    file: str | None = None
    line: int | None = None
    details: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"message": self.message, "file": self.file, "line": self.line}


class DevSession:
    """The engine plus the user's code, kept current by ``reload``."""

    def __init__(
        self,
        engine: Engine,
        project: Project | None = None,
        *,
        console: DevConsole | None = None,
        env_name: str | None = None,
        engine_started: bool = True,
        platform: Platform | None = None,
        group: WorkerGroup | None = None,
    ) -> None:
        self.engine = engine
        # The session's other Workers (wf dev -c a -c b), reached through bindings.
        self.group = group
        if group is not None:
            group.primary_code = lambda: self.code
        self.platform = platform  # D1, KV, R2 data: closed with the session
        self.project = project
        self.console = console
        self.env_name = env_name
        self.code: LoadedCode | None = None
        self.error: CodeError | None = None
        self.reloaded_at: float | None = None
        self.engine_started = engine_started
        self._lock = asyncio.Lock()
        self.time_lock = asyncio.Lock()  # one time operation (advance, skip, fire) at a time
        self._stamps: dict[Path, int | None] = {}
        self._events_started = False
        # The Worker's queue and scheduled handlers, on the engine's clock.
        from wf.worker_cron import WorkerCron
        from wf.worker_events import WorkerEvents

        self.events = WorkerEvents(lambda: self.code, lambda: self.engine.env, engine.clock)
        self.cron = WorkerCron(engine.clock, engine.store)
        self.cron.configure(engine.config.crons)
        if project is not None:
            try:
                self.code = project.code
            except RuntimeError:
                self.code = None

    def close_platform(self) -> None:
        if self.platform is not None:
            self.platform.close()

    @property
    def config_path(self) -> Path:
        return Path(self.engine.config.path)

    @property
    def root(self) -> Path:
        return Path(self.engine.config.root)

    @property
    def generation(self) -> int:
        return self.code.generation if self.code is not None else 0

    def unavailable_reason(self) -> str | None:
        """Why instances cannot run now (no code loaded yet), or None when they can."""
        if self.code is not None and self.engine_started:
            return None
        if self.error is not None:
            return f"the Worker's code failed to load: {self.error.message}"
        return "the Worker's code is not loaded"

    # -- loading ----------------------------------------------------------------------------------

    def load(self) -> bool:
        """First load of the user's code; on failure the error is kept and printed."""
        if self.project is None:
            return False
        self._set_workers_env()
        preload.join()
        self._remember_files()
        try:
            code = self.project.load()
        except LoadError as exc:
            self._failed(_code_error(exc, self.root))
            self._load_others()
            return False
        self._load_others()
        self.code, self.error = code, None
        self._remember_files(fresh=False)
        self.engine.reload(code.workflow_classes)
        self._use_code(code)
        self._set_workers_env()
        return True

    def _load_others(self) -> None:
        if self.group is None:
            return
        for worker in self.group.load_all():
            self._worker_failed(worker)

    def _worker_failed(self, worker: Worker) -> None:
        if self.console is None or worker.error is None:
            return
        error = worker.error
        if isinstance(error, LoadError):
            message = _code_error(error, worker.root)
            details = message.details if message.details.strip() != error.message else None
            text = message.message
        else:
            text, details = str(error), None
        serving = " (the previous code keeps serving)" if worker.code is not None else ""
        self.console.error(f"Error loading Worker {worker.name}{serving}: {text}", details)

    async def reload_worker(
        self, name: str, changed: Iterable[Path] = (), *, config_changed: bool = False
    ) -> bool:
        """Load one of the other Workers again; the first Worker and the rest keep running."""
        if self.group is None or name not in self.group.workers:
            return False
        async with self._lock:
            self._set_workers_env()
            await asyncio.to_thread(preload.join)
            worker = self.group.workers[name]
            if not self.group.reload(name, config_changed=config_changed):
                self._worker_failed(worker)
                return False
            self.reloaded_at = time.time()
            if self.console is not None:
                names = sorted({_display(p, worker.root) for p in changed})
                what = f" ({', '.join(names)} changed)" if names else ""
                self.console.success(f"Reloaded Worker {name}{what}")
            return True

    async def start_engine(self) -> None:
        """Start (resume every unfinished instance) once there is code to run them."""
        if self.code is None:
            return
        if not self.engine_started:
            await self.engine.start()
            self.engine_started = True
        self._start_events()

    def _start_events(self) -> None:
        """Deliver queue batches and fire cron triggers (once the code runs)."""
        if self._events_started:
            return
        self._events_started = True
        console = self.console

        def failed(message: str, error: BaseException) -> None:
            if console is not None:
                console.error(f"{message}: {type(error).__name__}: {error}", _traceback(error))

        if console is not None:
            self.cron.log = console.plain
        self.cron.error_log = failed
        self.cron.start(self.events.scheduled)
        if self.platform is not None:
            from wf.platform import queues

            log = console.plain if console is not None else None
            queues.start(self.platform, self.events.queue, log=log, error_log=failed)
        if self.group is not None:  # the other Workers' crons (their batches flow above)
            self.group.start_events(console.plain if console is not None else None, failed)

    async def stop_events(self) -> None:
        """Stop deliveries and cron (batches in flight are redelivered at the next start)."""
        await self.cron.stop()
        if self.group is not None:
            await self.group.stop_events()
        if self.platform is not None:
            from wf.platform import queues

            await queues.stop(self.platform)

    async def reload(self, changed: Iterable[Path] = (), *, config_changed: bool = False) -> bool:
        """Load the code (and the config when it changed) again and hand it to the engine.

        Instances executing a step are cancelled there and replayed with the new code by
        ``engine.reload``; the others pick it up at their next wake.
        """
        if self.project is None:
            return False
        async with self._lock:
            config = None
            project = self.project
            if config_changed:
                try:
                    config = load_config(self.config_path, self.env_name)
                    config.check_runnable()
                    if self.group is not None:
                        self.group.check_primary(config)
                except ConfigError as exc:
                    self._failed(
                        CodeError(
                            str(exc),
                            str(exc.path) if exc.path else None,
                            exc.line,
                        )
                    )
                    return False
                except GroupError as exc:
                    self._failed(CodeError(str(exc), str(self.config_path)))
                    return False
                project = Project(config)
            self._set_workers_env()
            await asyncio.to_thread(preload.join)
            self._remember_files()
            try:
                code = project.load()
            except LoadError as exc:
                self._failed(_code_error(exc, project.root))
                return False
            self.project, self.code, self.error = project, code, None
            self._remember_files(fresh=False)
            self.engine.reload(code.workflow_classes, config)
            if config is not None:
                self.cron.configure(config.crons)
            self._use_code(code)
            self._set_workers_env()
            self.reloaded_at = time.time()
            if self.console is not None:
                names = sorted({_display(p, self.root) for p in changed})
                what = f" ({', '.join(names)} changed)" if names else ""
                self.console.success(f"Reloaded{what}")
            await self.start_engine()
            return True

    # -- what the last load saw ----------------------------------------------------------------

    def _watched_files(self) -> set[Path]:
        files = set(self.code.files) if self.code is not None else set()
        if self.project is not None:
            files.add(self.project.main)
        files.add(self.config_path)
        files.update(candidate_files(self.root, self.env_name))
        return {path.resolve() for path in files}

    def _remember_files(self, *, fresh: bool = True) -> None:
        """Note the files' times before a load (``fresh``), then add the files it imported."""
        if fresh:
            self._stamps = {}
        for path in self._watched_files():
            self._stamps.setdefault(path, _mtime(path))

    def changed_since_load(self) -> list[Path]:
        """Files of the code or config that changed since the last load."""
        return sorted(
            path for path in self._watched_files() if _mtime(path) != self._stamps.get(path)
        )

    def _failed(self, error: CodeError) -> None:
        self.error = error
        if self.console is not None:
            serving = " (the previous code keeps serving)" if self.code is not None else ""
            details = error.details if error.details.strip() != error.message.strip() else None
            self.console.error(f"Error loading the Worker{serving}: {error.message}", details)

    def _use_code(self, code: LoadedCode) -> None:
        """Durable Objects are made of the new code (and reset, as a deploy resets them)."""
        if self.platform is not None:
            self.platform.use_code(code, self.engine.env)

    def _set_workers_env(self) -> None:
        """`from workers import env` must see this engine's bindings."""
        from wf.runtime.workers import _env

        _env._set_current_env(self.engine.env)


def _traceback(error: BaseException) -> str | None:
    import traceback

    if isinstance(error, TimeoutError):
        return None  # the message says it all
    return "".join(traceback.format_exception(type(error), error, error.__traceback__))


def _code_error(exc: LoadError, root: Path) -> CodeError:
    file = _display(exc.path, root) if exc.path is not None else None
    # The import machinery's own frames say nothing about the user's error.
    details = "".join(
        line for line in exc.traceback_text.splitlines(keepends=True) if '"<frozen ' not in line
    )
    return CodeError(exc.message, file, exc.line, details)


def _mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


def _display(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)
