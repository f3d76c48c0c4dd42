"""Running `wf dev`: open the state, load the code, serve, reload on edits, stop cleanly.

``serve(options)`` is what the CLI runs; tests and benches can await it in-process and stop it
with their own ``asyncio.Event``. Nothing here imports aiohttp at module level: the CLI imports
it first, with its CA certificates deferred (``preload.import_server``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from wf.server import preload

if TYPE_CHECKING:
    from wf.clock import Clock
    from wf.config import Config
    from wf.console import DevConsole
    from wf.server.hotkeys import Hotkeys
    from wf.server.listener import ListenerOptions
    from wf.server.session import DevSession
    from wf.store import Store

STATE_DIR = ".wf"
STATE_FILE = "state.sqlite3"
TIME_MODES = ("real", "manual", "auto")
SHUTDOWN_TIMEOUT_S = 2.0


@dataclass
class DevOptions:
    """The options of `wf dev`."""

    directory: Path = Path(".")
    config: Path | None = None
    others: tuple[Path, ...] = ()  # more Workers' configs (-c a -c b): reached by bindings
    env: str | None = None
    port: int = 8787
    ip: str = "127.0.0.1"
    persist_to: Path | None = None
    time: str | None = None  # real | manual | auto; None keeps the persisted mode
    time_scale: float | None = None  # implies scale mode
    reload: bool = True
    color: bool | None = None  # None: colour when stdout is a terminal
    allow_origins: tuple[str, ...] = ()  # pages of other origins that may call /cdn-cgi/
    listener: ListenerOptions | None = None  # backlog and timeouts; None: the defaults
    debug: bool = False  # no CPU watchdog: a debugger may hold the loop as long as it likes
    log_level: str = "log"  # wf.console.LEVELS
    log_workflows: tuple[str, ...] = ()  # only these workflows' lines; empty: all
    fresh: bool = False  # delete the engine's state first (the CLI asked for confirmation)
    hotkeys: bool | None = None  # None: when stdin is a terminal (and not --debug)


class StartupError(Exception):
    """`wf dev` cannot start: the message is printed and the exit status is non-zero."""


def server_url(ip: str, port: int) -> str:
    host = f"[{ip}]" if ":" in ip else ip
    return f"http://{host}:{port}"


def state_path(options: DevOptions, config: Config) -> Path:
    """``--persist-to DIR`` holds state.sqlite3; by default the project's .wf/ does."""
    if options.persist_to is not None:
        return Path(options.persist_to) / STATE_FILE
    return Path(config.root) / STATE_DIR / STATE_FILE


def bindings_root(options: DevOptions, config: Config) -> Path:
    """Where D1, KV and R2 data live: where ``wrangler dev`` keeps them, so both share it
    (``<project>/.wrangler/state``, or ``--persist-to DIR`` as wrangler reads it)."""
    if options.persist_to is not None:
        return Path(options.persist_to)
    return Path(config.root) / ".wrangler" / "state"


def load_dev_config(options: DevOptions) -> Config:
    from wf.config import ConfigError, load_config

    target = options.config if options.config is not None else options.directory
    try:
        config = load_config(target, options.env)
        config.check_runnable()
        return config
    except ConfigError as exc:
        raise StartupError(str(exc)) from None


def load_other_configs(options: DevOptions) -> list[Config]:
    """The configs of the Workers after the first (``-c a -c b``): each must load and run."""
    from wf.config import ConfigError, load_config

    configs = []
    for path in options.others:
        try:
            config = load_config(path, options.env)
            config.check_runnable()
        except ConfigError as exc:
            raise StartupError(str(exc)) from None
        configs.append(config)
    return configs


def open_store(path: Path) -> Store:
    import sqlite3

    from wf.store import Store

    try:
        return Store(path)
    except (sqlite3.Error, OSError, RuntimeError) as exc:
        raise StartupError(f"{path}: cannot open the state: {exc}") from None


def remove_state(path: Path) -> None:
    """Delete the state file with its write-ahead log, so the next open starts empty."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        target = path.with_name(path.name + suffix)
        try:
            target.unlink(missing_ok=True)
        except OSError as exc:
            raise StartupError(f"{target}: cannot delete the state (--fresh): {exc}") from None


def make_clock(options: DevOptions, store: Store) -> Clock:
    """The clock in the requested mode, or in the persisted one when no ``--time`` was given.

    ``Engine.start`` then continues virtual time from the store in this clock's mode and scale.
    """
    from wf.clock import Clock, check_scale
    from wf.engine import saved_clock

    saved = saved_clock(store)
    if options.time_scale is not None:
        try:
            mode, scale = "scale", check_scale(options.time_scale)
        except ValueError as exc:
            raise StartupError(f"--time-scale: {exc}") from None
    elif options.time is not None:
        if options.time not in TIME_MODES:
            raise StartupError(f"--time must be one of {', '.join(TIME_MODES)}")
        mode, scale = options.time, 1.0
    elif saved is not None:
        mode, scale = saved.get("mode", "real"), saved.get("scale", 1.0)
    else:
        mode, scale = "real", 1.0
    return Clock(mode, scale=scale)  # type: ignore[arg-type]


def build_session(options: DevOptions, console: DevConsole | None) -> DevSession:
    """Config, state, clock, engine and the first load of the code (not started yet)."""
    from wf.bindings import Env
    from wf.engine import Engine
    from wf.platform import Platform
    from wf.project import Project
    from wf.server.session import DevSession
    from wf.worker_group import GroupError, WorkerGroup

    config = load_dev_config(options)
    others = load_other_configs(options)
    path = state_path(options, config)
    if options.fresh:
        remove_state(path)
    store = open_store(path)
    clock = make_clock(options, store)
    # Every Worker's data lives under the first one's folder, shared by binding id.
    platform = Platform(bindings_root(options, config), clock)
    try:
        group = WorkerGroup(platform, config, others, env_name=options.env)
    except GroupError as exc:
        store.close()
        raise StartupError(str(exc)) from None
    engine = Engine(
        config, {}, store=store, clock=clock, platform=group.primary_bindings, make_env=Env
    )
    group.attach(engine)
    session = DevSession(
        engine,
        Project(config),
        console=console,
        env_name=options.env,
        engine_started=False,
        platform=platform,
        group=group,
    )
    session.load()
    return session


async def serve(
    options: DevOptions,
    *,
    stop: asyncio.Event | None = None,
    on_ready: Callable[[str], None] | None = None,
) -> int:
    """Run `wf dev` until ``stop`` is set (or SIGINT/SIGTERM); returns the exit status."""
    from wf.console import AttributedStdout, DevConsole

    real_stdout = sys.stdout
    console = DevConsole(
        real_stdout,
        color=options.color,
        level=options.log_level,
        workflows=frozenset(options.log_workflows),
        batch=True,
    )
    try:
        session = build_session(options, console)
    except StartupError as exc:
        print(f"wf dev: {exc}", file=sys.stderr, flush=True)
        return 1
    engine = session.engine
    stop = stop or asyncio.Event()
    restore_signals = _handle_signals(stop, console)
    sys.stdout = AttributedStdout(console, real_stdout)
    runner = None
    watcher: asyncio.Task[None] | None = None
    others_watcher: asyncio.Task[None] | None = None
    hotkeys: Hotkeys | None = None
    from wf.watchdog import Watchdog

    watchdog = Watchdog(engine.config.cpu_ms, enabled=not options.debug)
    try:
        from wf.server.app import create_app
        from wf.server.listener import DevRunner, ListenerOptions
        from wf.server.middleware import allow_origins

        app = create_app(engine, session=session, hosts=[options.ip])
        try:
            allow_origins(app, options.allow_origins)
        except ValueError as exc:
            print(f"wf dev: --allow-origin: {exc}", file=sys.stderr, flush=True)
            return 1
        runner = DevRunner(
            app,
            options=options.listener or ListenerOptions(),
            report=console.error,
            access_log=None,
            shutdown_timeout=SHUTDOWN_TIMEOUT_S,
        )
        await runner.setup()
        site = runner.site(options.ip, options.port)
        try:
            await site.start()
        except OSError as exc:
            print(
                f"wf dev: cannot listen on {server_url(options.ip, options.port)}: {exc.strerror}",
                file=sys.stderr,
                flush=True,
            )
            return 1
        port = runner.addresses[0][1] if runner.addresses else options.port
        url = server_url(options.ip, port)
        console.attach(engine)
        await session.start_engine()
        console.plain(f"Ready on {url}")
        watchdog.start()  # user code that blocks the loop past limits.cpu_ms is stopped
        preload.start_ca_loading()
        asyncio.get_running_loop().call_later(
            preload.LATER_DELAY_S, preload.preload, preload.LATER_MODULES
        )
        _describe(session, console, options, url)
        if _wants_hotkeys(options):
            from wf.server.hotkeys import HINT, Hotkeys

            hotkeys = Hotkeys(
                f"{url}/cdn-cgi/wf/", clear=console.clear, exit=stop.set, say=console.plain
            )
            if hotkeys.start():
                console.plain(HINT)
        if on_ready is not None:
            on_ready(url)
        if options.reload:
            from wf.server.reload import watch, watch_others

            watcher = asyncio.create_task(watch(session, stop))
            others_watcher = asyncio.create_task(watch_others(session, stop))
        await stop.wait()
        console.plain("Shutting down...")
        return 0
    finally:
        if hotkeys is not None:
            hotkeys.stop()
        watchdog.stop()
        for task in (watcher, others_watcher):
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await asyncio.wait_for(task, timeout=1.0)
        if runner is not None:
            await runner.cleanup()
        await session.stop_events()
        await engine.close()
        engine.store.close()
        session.close_platform()
        console.detach(engine)
        sys.stdout.flush()
        sys.stdout = real_stdout
        restore_signals()


def _wants_hotkeys(options: DevOptions) -> bool:
    """Hotkeys when asked, else when stdin is a terminal and no debugger needs it."""
    if options.hotkeys is not None:
        return options.hotkeys
    return not options.debug and sys.stdin is not None and sys.stdin.isatty()


def _describe(session: DevSession, console: DevConsole, options: DevOptions, url: str) -> None:
    engine = session.engine
    for missing in engine.config.not_emulated:
        console.error(f"{engine.config.path.name}: {missing.describe()}")
    for warning in engine.config.warnings:  # e.g. a missing secrets.required entry
        console.error(warning)
    for warning in engine.config.compat_warnings:  # a flag or date production reads otherwise
        console.error(warning)
    for workflow in engine.workflows.values():  # the other Workers' too, once each
        binding = f"env.{workflow.binding}" if workflow.binding else "exports only, no binding"
        where = workflow.class_name or ""
        if workflow.script_name not in (None, engine.config.name):
            where += f" in Worker {workflow.script_name}"
        console.plain(f"  workflow {workflow.name} -> {binding} ({where})")
    from wf.platform.assets import describe as describe_assets

    for line in describe_assets(engine.config):  # and the _headers/_redirects lines skipped
        (console.error if line.startswith("warning:") else console.plain)(line)
    for durable in engine.config.durable_objects:
        storage = "SQLite" if durable.sqlite else "key-value"
        console.plain(
            f"  durable object {durable.class_name} -> env.{durable.binding} ({storage} storage)"
        )
    for service in engine.config.services:
        target = session.group.target(service.service) if session.group else None
        entry = f"#{service.entrypoint}" if service.entrypoint else ""
        state = "connected" if target is not None else "not connected"
        console.plain(f"  service {service.service}{entry} -> env.{service.binding} [{state}]")
    if session.group is not None:
        for line in session.group.describe():
            console.plain(line)
    clock = engine.clock
    mode = f"scale x{clock.scale:g}" if clock.mode == "scale" else clock.mode
    console.plain(f"  time: {mode}; state: {engine.store.path}")
    console.plain(f"  dashboard: {url}/cdn-cgi/wf/")
    if not options.reload:
        console.plain("  hot reload off (--no-reload)")
    if options.debug:
        console.plain("  debug: no CPU limit, user code may hold the loop at a breakpoint")


def _handle_signals(stop: asyncio.Event, console: DevConsole) -> Callable[[], None]:
    """SIGINT/SIGTERM stop the server cleanly; a second one exits at once."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    loop = asyncio.get_running_loop()

    def on_signal() -> None:
        if stop.is_set():
            console.error("Forced exit")
            os._exit(130)
        stop.set()

    installed = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, on_signal)
        except (NotImplementedError, RuntimeError, ValueError):
            continue
        installed.append(signum)

    def restore() -> None:
        for signum in installed:
            loop.remove_signal_handler(signum)

    return restore


def run(options: DevOptions) -> int:
    """Run `wf dev` in a fresh event loop (the CLI's entry)."""
    try:
        return asyncio.run(serve(options))
    except KeyboardInterrupt:
        return 130
