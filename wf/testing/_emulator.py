"""``Emulator``: a project's workflows and Worker running in the test's own event loop."""

from __future__ import annotations

import asyncio
import contextlib
import os
import warnings
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self

from wf.bindings import Env, Workflow
from wf.clock import Clock
from wf.config import Config, find_config, load_config
from wf.dev_vars import candidate_files
from wf.durations import parse_timestamp
from wf.engine import Engine, EngineEvent
from wf.errors import WorkflowError
from wf.instance_logs import LogLine
from wf.platform import Platform, queues
from wf.platform.ai import AICall, AIMock, AIMocks, new_mock
from wf.platform.queues import QueueAdmin
from wf.project import LoadedCode, Project
from wf.runtime.workers import Response
from wf.runtime.workers._env import _set_current_env
from wf.runtime.workers._http import set_outbound
from wf.store import Store
from wf.testing._errors import WorkflowFailed
from wf.testing._fetch import _NO_JSON, build_request, call_worker
from wf.testing._fetchmock import FetchMock, Interceptor, Matcher
from wf.testing._hooks import ModifierHooks
from wf.testing._introspect import InstanceIntrospector, WaitOptions, WorkflowIntrospector
from wf.testing._observer import Observer, observer_for
from wf.vocabulary import EventKind
from wf.worker_cron import Firing, WorkerCron
from wf.worker_events import WorkerEvents
from wf.worker_group import WorkerGroup

TimeMode = Literal["manual", "auto", "real", "scale"]

# Parsing a config costs more than building an engine; a test suite loads the same one
# hundreds of times, so keep it while the files behind it are unchanged.
_CONFIGS: dict[tuple[Any, ...], Config] = {}
# Emulators created while the pytest plugin tracks a test (see ``track``).
_TRACKED: list[list[Emulator]] = []


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size)


def _load_config(project: str | os.PathLike[str], env: str | None) -> Config:
    path = Path(project)
    file = Path(os.path.abspath(find_config(path) if path.is_dir() else path))
    root = file.parent
    dev_vars = candidate_files(root, env)
    key = (str(file), env, _stamp(file), *(_stamp(p) for p in dev_vars))
    config = _CONFIGS.get(key)
    if config is None:
        config = load_config(file, env)
        if len(_CONFIGS) > 64:
            _CONFIGS.clear()
        _CONFIGS[key] = config
    return config


_WARNED: set[str] = set()


def _warn_once(message: str) -> None:
    # Once per process: a suite builds the same project's Emulator many times.
    if message not in _WARNED:
        _WARNED.add(message)
        warnings.warn(message, RuntimeWarning, stacklevel=3)


@contextlib.contextmanager
def track() -> Iterator[list[Emulator]]:
    """Collect every Emulator created inside the block (used by the pytest plugin)."""
    created: list[Emulator] = []
    _TRACKED.append(created)
    try:
        yield created
    finally:
        _TRACKED.remove(created)


class Emulator:
    """A project's workflows, bindings and Worker in-process, on a clock the test controls.

    ``async with Emulator("path/to/project") as emu:`` loads the config (a folder holding
    ``wrangler.jsonc|json|toml``, or the file), imports the code afresh and starts an engine
    on in-memory state. Then ``emu.env.MY_WORKFLOW`` is the binding user code sees,
    ``await emu.fetch("/path")`` calls the Worker, ``emu.clock`` moves time and
    ``emu.introspect_instance(...)`` mocks steps and waits for results.

    Time modes: ``manual`` (default; moves only on ``emu.clock.advance``, ``advance_to``,
    ``skip_to_next``, ``run_until_idle``, each returning once the instances it woke have
    settled), ``auto`` (jumps to the next timer whenever nothing runs, so a 7-day sleep ends
    at once), ``real``, and ``scale`` (``scale`` virtual seconds per real second).

    ``hibernate=True`` evicts every instance after each step and replays it from the top,
    as production does after a sleep: state kept outside steps is lost, and a replay that
    calls other steps than the history raises ReplayDivergence from waiters and from
    ``check()``. The clock starts at ``now`` (ISO string, datetime or epoch ms; default the
    wall clock). ``persist_to`` keeps state in ``DIR/state.sqlite3`` instead of memory.
    ``wait_timeout`` and ``stall_after`` (real seconds) bound the waiters; see
    ``InstanceIntrospector.wait_for_status``.

    ``others`` are more Workers (folders or config files), as ``wf dev -c a -c b``: the first
    (``project``) serves ``emu.fetch``; the others are reached through its service bindings
    and workflow bindings with ``script_name``; ``emu.env_of(name)`` is one's env and
    ``emu.reload_worker(name)`` reloads one alone.
    """

    def __init__(
        self,
        project: str | os.PathLike[str] = ".",
        *,
        time: TimeMode = "manual",
        scale: float | None = None,
        now: str | float | datetime | None = None,
        env: str | None = None,
        persist_to: str | os.PathLike[str] | None = None,
        hibernate: bool = False,
        wait_timeout: float | None = 10.0,
        stall_after: float | None = 0.25,
        settle_quiet: float = 0.1,
        others: Sequence[str | os.PathLike[str]] = (),
    ) -> None:
        if time == "scale" and scale is None:
            raise ValueError("time='scale' needs scale=N (virtual seconds per real second)")
        if scale is not None and time != "scale":
            raise ValueError(f"scale= only applies to time='scale', not time={time!r}")
        self.config: Config = _load_config(project, env)
        self.config.check_runnable()  # what production refuses, a test must not pass with
        for warning in self.config.compat_warnings:
            _warn_once(warning)
        start = None if now is None else parse_timestamp(now)
        clock = Clock(time, scale=scale or 1.0, now=start)
        if persist_to is not None:
            directory = Path(persist_to)
            directory.mkdir(parents=True, exist_ok=True)
            store = Store(directory / "state.sqlite3")
        else:
            store = Store()
        self.hibernate = hibernate
        # Each emulator has its own empty D1/KV/R2: in memory, or beside its state.
        self._platform = Platform(None if persist_to is None else Path(persist_to), clock)
        # Other Workers (``others``): reached through service bindings and script_name.
        other_configs = [_load_config(other, env) for other in others]
        for other in other_configs:
            other.check_runnable()
        self._group = WorkerGroup(self._platform, self.config, other_configs, env_name=env)
        self._engine = Engine(
            self.config,
            {},
            store=store,
            clock=clock,
            evict_after_steps=hibernate,
            settle_quiet=settle_quiet,
            platform=self._group.primary_bindings,
            hooks=ModifierHooks(),
            make_env=Env,
        )
        self._group.attach(self._engine)
        self._group.primary_code = lambda: getattr(self, "code", None)
        # The Worker's queue and scheduled handlers, run on this emulator's clock.
        self._events = WorkerEvents(lambda: self.code, lambda: self._engine.env, clock)
        self._cron = WorkerCron(clock, store)
        self._cron.configure(self.config.crons)
        if persist_to is not None:
            # A persisted D1 starts migrated too (in memory, each database migrates itself).
            from wf.platform.d1 import apply_migrations

            for config in (self.config, *other_configs):
                apply_migrations(self._platform, config)
        self._observer: Observer = observer_for(self._engine)
        self._options = WaitOptions(wait_timeout, stall_after, strict_replay=hibernate)
        self._sessions: dict[str, WorkflowIntrospector] = {}
        self._state: Literal["new", "running", "closed"] = "new"
        self._stopping: dict[tuple[str, str], asyncio.Task[None]] = {}
        if hibernate:
            self._engine.listeners.append(self._stop_diverged)
        self._loop: asyncio.AbstractEventLoop | None = None
        self.fetch_mock = FetchMock()
        self._outbound_before: Any = None
        self.code: LoadedCode = self._load_code()
        if _TRACKED:
            _TRACKED[-1].append(self)

    def _load_code(self) -> LoadedCode:
        # Module-level `from workers import env` must find this emulator's env.
        _set_current_env(self._engine.env)
        try:
            code = Project(self.config).load()
            failed = self._group.load_all()
            if failed and failed[0].error is not None:
                raise failed[0].error
        except BaseException:
            self._engine.store.close()
            self._platform.close()
            raise
        self._engine.reload(code.workflow_classes)
        self._platform.use_code(code, self._engine.env)
        return code

    def _stop_diverged(self, event: EngineEvent) -> None:
        # A diverged replay can run new steps at every pass (names drift), so it may never
        # end: terminate the instance. The test fails on the divergence anyway.
        key = (event.workflow, event.instance)
        if event.kind == EventKind.DIVERGENCE and key not in self._stopping:
            self._stopping[key] = asyncio.ensure_future(self._terminate(key))

    async def _terminate(self, key: tuple[str, str]) -> None:
        with contextlib.suppress(WorkflowError):  # it may have ended meanwhile
            await self._engine.terminate(*key)

    def __repr__(self) -> str:
        return f"<Emulator {self.config.name} time={self.clock.mode} {self._state}>"

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> Self:
        """Start the engine in the running event loop (resuming persisted instances)."""
        if self._state == "closed":
            raise RuntimeError("this Emulator is closed; create a new one")
        if self._state == "new":
            self._state = "running"
            self._loop = asyncio.get_running_loop()
            self._outbound_before = set_outbound(self.fetch_mock.dispatch)
            await self._engine.start()
            queues.start(self._platform, self._events.queue)
            self._cron.start(self._events.scheduled)
            self._group.start_events()
        return self

    async def close(self) -> None:
        """Stop every instance where it is and release the state (idempotent)."""
        if self._state == "closed":
            return
        was_running = self._state == "running"
        self._state = "closed"
        self._release_outbound()
        self._sessions.clear()  # instances stay, as in a persisted store they must
        if was_running:
            await asyncio.gather(*self._stopping.values(), return_exceptions=True)
            await queues.stop(self._platform)
            await self._cron.stop()
            await self._group.stop_events()
            await self._engine.close()
        self._engine.store.close()
        self._platform.close()

    def close_outside_loop(self) -> None:
        """Close from synchronous code (a fixture's teardown) once the test's loop stopped.

        If the loop that ran the engine still exists, ``close()`` runs in it; if it is gone
        (``asyncio.run`` returned), its tasks were cancelled with it and only the state is
        released.
        """
        loop = self._loop
        usable = loop is not None and not loop.is_closed() and not loop.is_running()
        if self._state == "running" and usable:
            assert loop is not None
            loop.run_until_complete(self.close())
            return
        if self._state != "closed":
            self._state = "closed"
            self._release_outbound()
            self._engine.store.close()
            self._platform.close()

    def _release_outbound(self) -> None:
        if self._outbound_before is not None or self._loop is not None:
            set_outbound(self._outbound_before)
            self._outbound_before = None

    @property
    def running(self) -> bool:
        return self._state == "running"

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # -- what user code sees ------------------------------------------------------------------

    @property
    def engine(self) -> Engine:
        """The engine itself, for anything this class does not wrap."""
        return self._engine

    def d1(self, binding: str) -> Any:
        """Seed and inspect a D1 database: ``emu.d1("DB").execute("INSERT ...")``."""
        return self._platform.admin("d1", binding)

    def kv(self, binding: str) -> Any:
        """Seed and inspect a KV namespace: ``emu.kv("KV").put("key", "value")``."""
        return self._platform.admin("kv", binding)

    def r2(self, binding: str) -> Any:
        """Seed and inspect an R2 bucket: ``emu.r2("BUCKET").put("key", b"bytes")``."""
        return self._platform.admin("r2", binding)

    def mock_ai(
        self,
        model: str,
        response: Any = None,
        *,
        match: Mapping[str, Any] | None = None,
        error: str | Mapping[str, str] | None = None,
        times: int | None = None,
    ) -> AIMock:
        """Make ``env.AI.run(model, inputs)`` answer ``response`` (JSON data, or bytes for a
        binary model), or raise ``error``; ``match`` limits it to inputs holding those
        keys and values; ``times`` to that many calls. The newest matching mock answers."""
        mocks: AIMocks = self._platform.admin("ai", "")
        return mocks.add(
            new_mock(model, response, match=match, error=error, times=times, has_response=True)
        )

    @property
    def ai_calls(self) -> list[AICall]:
        """Every ``env.AI.run`` call so far: ``model``, ``inputs``, ``options``, ``response``."""
        mocks: AIMocks = self._platform.admin("ai", "")
        return list(mocks.calls)

    def mock_fetch(
        self,
        origin: Matcher,
        path: Matcher | None = None,
        *,
        method: str = "GET",
        headers: Mapping[str, Matcher] | None = None,
        body: Matcher | None = None,
    ) -> Interceptor:
        """Intercept outgoing requests of user code: ``emu.mock_fetch("https://api.x.com",
        path="/users/1").reply(200, {"id": 1})`` (or ``.reply_with_error(...)``).

        ``origin``, ``path`` (with the query string), header values and ``body`` match as a
        string (equal), a compiled regex (search) or a function. See ``emu.fetch_mock`` for
        ``disable_net_connect()`` and ``assert_no_pending_interceptors()``.
        """
        return self.fetch_mock.intercept(origin, path, method=method, headers=headers, body=body)

    def queue(self, name: str) -> QueueAdmin:
        """Send to and inspect a queue (by queue name or producer binding):
        ``emu.queue("jobs").send({"id": 1})``, ``.pending()``, ``.dead_lettered()``,
        ``.deliveries``. Messages are delivered to the Worker's ``queue`` handler on the
        clock: advance it past ``max_batch_timeout``, or fill a batch."""
        found: QueueAdmin = self._platform.admin("queues", name)
        return found

    async def scheduled(self, cron: str = "", *, scheduled_time: float | None = None) -> None:
        """Run the Worker's ``scheduled`` handler now, as wrangler's
        ``/cdn-cgi/handler/scheduled?cron=...`` does; its exception propagates to the test."""
        self._require_open()
        if not self.running:
            raise RuntimeError("start the Emulator first (async with Emulator(...) as emu)")
        firing = await self._cron.trigger(cron, scheduled_time)
        if firing.error is not None:
            raise firing.error

    @property
    def scheduled_runs(self) -> list[Firing]:
        """Every run of the scheduled handler (cron timers and ``scheduled()``), oldest first."""
        return list(self._cron.history)

    def durable_object(self, binding: str) -> Any:
        """Inspect a Durable Object namespace: ``emu.durable_object("COUNTER").storage("a")``."""
        return self._platform.admin("durable_objects", binding)

    def evict_durable_objects(self) -> int:
        """Evict every Durable Object now, as production does to idle ones: in-memory state
        is lost, storage stays. Returns how many were in memory."""
        from wf.platform.durable_objects import registry

        if not self.config.durable_objects:
            return 0
        return registry(self._platform).evict()

    @property
    def env(self) -> Env:
        """The ``env`` user code sees: workflow bindings by binding name, then ``vars``."""
        env: Env = self._engine.env  # built by make_env=Env above
        return env

    def env_of(self, worker: str) -> Env:
        """The ``env`` of a Worker given in ``others`` (by its config's ``name``)."""
        if worker == self.config.name:
            return self.env
        found = self._group.workers.get(worker)
        if found is None or found.env is None:
            have = ", ".join([self.config.name, *self._group.workers]) or "none"
            raise KeyError(f"no Worker named {worker!r} in this Emulator (Workers: {have})")
        return found.env

    def reload_worker(self, worker: str) -> None:
        """Import a Worker of ``others`` afresh (after the test edited its files), as
        ``wf dev`` does on a save: the other Workers keep their code and in-memory state.
        A LoadError propagates; the previous code then stays."""
        self._require_open()
        if worker not in self._group.workers:
            raise KeyError(
                f"no Worker named {worker!r} in others (have: "
                f"{', '.join(self._group.workers) or 'none'})"
            )
        if not self._group.reload(worker, config_changed=True):
            error = self._group.workers[worker].error
            assert error is not None
            raise error

    @property
    def clock(self) -> Clock:
        """The virtual clock: ``now()``, ``advance("7 days")``, ``advance_to(ts)``,
        ``skip_to_next()``, ``run_until_idle()``, ``set_mode(mode)``.

        Advancing fires every timer passed, in due order at its own due time, and returns
        only after the instances it woke have run until they block or finish.
        """
        return self._engine.clock

    async def settle(self) -> None:
        """Wait until every instance that can run has run until it blocks or finishes (and
        every queue batch and scheduled run under way has ended)."""
        await self._engine.clock.settle()

    async def fetch(
        self,
        path: str = "/",
        *,
        method: str = "GET",
        headers: Mapping[str, str] | None = None,
        body: bytes | str | None = None,
        json: Any = _NO_JSON,
    ) -> Response:
        """Call the project's Worker with a request for ``path``; returns its ``Response``.

        ``json=`` sends a JSON body (and content-type). Read the answer with ``.status``,
        ``.headers``, ``await .text()`` or ``await .json()``. Unlike ``wf dev``, an exception
        in the Worker propagates to the test, and ``ctx.wait_until`` work has finished when
        this returns. Instances the request created run in the background: wait for them.
        """
        self._require_open()
        request = build_request(path, method=method, headers=headers, body=body, json_body=json)
        from wf.platform.assets import serve_first

        asset = serve_first(self.config, request)  # assets answer before the Worker
        if asset is not None:
            return asset
        return await call_worker(self.code, self._engine.env, request)

    # -- introspection ------------------------------------------------------------------------

    def workflow_name(self, binding: Workflow | str) -> str:
        """The workflow a binding (object or binding name, or a workflow name) refers to."""
        if isinstance(binding, Workflow):
            return binding.name
        if not isinstance(binding, str):
            raise TypeError(f"expected a Workflow binding or its name, got {binding!r}")
        for workflow in self.config.workflows:
            if binding in (workflow.binding, workflow.name):
                return workflow.name
        if binding in self._engine.workflows:  # a workflow of a Worker given in ``others``
            return binding
        have = ", ".join(w.binding for w in self.config.workflows) or "none"
        raise ValueError(f"no workflow binding {binding!r} in this project (bindings: {have})")

    def logs(
        self, binding: Workflow | str, instance_id: str, *, step: str | None = None
    ) -> list[LogLine]:
        """What an instance's code printed and logged (see ``InstanceIntrospector.logs``)."""
        return self.introspect_instance(binding, instance_id).logs(step)

    def traceback(
        self, binding: Workflow | str, instance_id: str, *, step: str | None = None
    ) -> str | None:
        """An instance's stored traceback (see ``InstanceIntrospector.traceback``)."""
        return self.introspect_instance(binding, instance_id).traceback(step)

    def introspect_instance(
        self, binding: Workflow | str, instance_id: str
    ) -> InstanceIntrospector:
        """Mock, wait for and read one instance, before or after it is created.

        ``binding`` is ``emu.env.MY_WORKFLOW`` or the string ``"MY_WORKFLOW"``.
        """
        return InstanceIntrospector(
            self._engine, self.workflow_name(binding), instance_id, self._options
        )

    def introspect_workflow(self, binding: Workflow | str) -> WorkflowIntrospector:
        """Mock every instance of a workflow created from now until ``dispose()``.

        A second session on the same workflow while one is active is an error.
        """
        workflow = self.workflow_name(binding)
        if workflow in self._sessions:
            raise RuntimeError(
                f"workflow {workflow!r} already has an active introspect_workflow session; "
                "dispose() it first"
            )
        session = WorkflowIntrospector(
            self._engine, workflow, self._options, on_dispose=self._session_ended
        )
        self._sessions[workflow] = session
        return session

    def _session_ended(self, session: WorkflowIntrospector) -> None:
        if self._sessions.get(session.workflow) is session:
            del self._sessions[session.workflow]

    # -- verdicts -----------------------------------------------------------------------------

    def check(self, *, allow_errors: bool = False) -> None:
        """Raise for what a test should not pass with.

        WorkflowFailed for an instance that errored while the test never read the error
        (through ``get_error()``, ``wait_for_status("errored")``, or a waiter that raised);
        ReplayDivergence, in hibernation mode, for an instance whose replay diverged where
        no waiter raised it to the test.
        The pytest plugin calls this after each test that used an emulator.
        """
        __tracebackhide__ = True
        observer = self._observer
        if self.hibernate:
            for key in observer.divergences:
                if key not in observer.observed_divergences:
                    observer.raise_divergence(key)
        if allow_errors:
            return
        unexpected = [f for k, f in observer.failures.items() if k not in observer.observed]
        if unexpected:
            first = unexpected[0]
            more = "".join(f"\n  also: {f.describe()}" for f in unexpected[1:])
            raise WorkflowFailed(
                f"{first.describe()}{more}\n(if the test expects this, read the error with "
                "introspect_instance(...).get_error() or wait_for_status('errored'), or mark "
                "the test @pytest.mark.wf_allow_errors)",
                workflow=first.workflow,
                instance_id=first.instance_id,
                status="errored",
                error=first.error,
                step=first.step,
            )

    def _require_open(self) -> None:
        if self._state == "closed":
            raise RuntimeError("this Emulator is closed")
