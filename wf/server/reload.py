"""Hot reload: watch the project's Python files and config, and reload the session on a change."""

from __future__ import annotations

import asyncio
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wf.config import CONFIG_FILENAMES
from wf.server import preload

if TYPE_CHECKING:
    from wf.server.session import DevSession
    from wf.worker_group import Worker

CONFIG_NAMES = frozenset((*CONFIG_FILENAMES, ".dev.vars"))
# Directories that hold tools' files, never the user's modules (as the project loader skips).
EXTRA_IGNORED_DIRS = ("venv", "site-packages", "dist-packages", "python_modules", ".wf")
STEP_MS = 50  # a batch of changes is handed over once the files are quiet this long


def is_config(path: Path, config_path: Path) -> bool:
    # .dev.vars(.<env>) and .env(.local, .<env>, .<env>.local) hold the local secrets
    name = path.name
    secrets = name.startswith(".dev.vars") or name == ".env" or name.startswith(".env.")
    return name in CONFIG_NAMES or secrets or path == config_path


def source_filter(config_path: Path) -> Any:
    """A watchfiles filter passing ``.py`` files and the config, outside tool directories."""
    from watchfiles import DefaultFilter

    class SourceFilter(DefaultFilter):
        ignore_dirs = (*DefaultFilter.ignore_dirs, *EXTRA_IGNORED_DIRS)

        def __call__(self, change: Any, path: str) -> bool:
            if not super().__call__(change, path):
                return False
            candidate = Path(path)
            return candidate.suffix == ".py" or is_config(candidate, config_path)

    return SourceFilter()


async def watch(session: DevSession, stop: asyncio.Event) -> None:
    """Reload ``session`` after every batch of changes until ``stop`` is set."""
    await asyncio.sleep(preload.LATER_DELAY_S)  # edits saved meanwhile are caught up below
    await asyncio.to_thread(preload.join)  # watchfiles loads there; reloads walk sys.modules
    from watchfiles import awatch

    config_path = session.config_path.resolve()
    batches = awatch(
        session.root,
        watch_filter=source_filter(config_path),
        stop_event=stop,
        step=STEP_MS,
        recursive=True,
    )
    pending = asyncio.ensure_future(anext(batches))
    await asyncio.sleep(0)  # the watcher now exists: it sees every later change
    # Edits saved between the load and now were not seen by it: catch up on those.
    missed = session.changed_since_load()
    if missed:
        await _reload(session, missed, config_path)
    while True:
        try:
            changes = await pending
        except StopAsyncIteration:
            return
        await _reload(session, sorted({Path(path) for _, path in changes}), config_path)
        pending = asyncio.ensure_future(anext(batches))


async def _reload(session: DevSession, paths: list[Path], config_path: Path) -> None:
    config_changed = any(is_config(path.resolve(), config_path) for path in paths)
    try:
        await session.reload(paths, config_changed=config_changed)
    except Exception:  # a reload must never end the watch
        if session.console is not None:
            session.console.error("Reload failed unexpectedly", traceback.format_exc())


async def watch_others(session: DevSession, stop: asyncio.Event) -> None:
    """Reload each other Worker of the session after a change to its own files only."""
    if session.group is None or not session.group.workers:
        return
    await asyncio.gather(
        *(_watch_worker(session, worker, stop) for worker in session.group.workers.values())
    )


async def _watch_worker(session: DevSession, worker: Worker, stop: asyncio.Event) -> None:
    await asyncio.sleep(preload.LATER_DELAY_S)
    await asyncio.to_thread(preload.join)
    from watchfiles import awatch

    assert session.group is not None
    name = worker.name
    config_path = Path(worker.config.path).resolve()
    batches = awatch(
        worker.root,
        watch_filter=source_filter(config_path),
        stop_event=stop,
        step=STEP_MS,
        recursive=True,
    )
    pending = asyncio.ensure_future(anext(batches))
    await asyncio.sleep(0)
    missed = session.group.changed_since_load(worker)
    if missed:
        await _reload_worker(session, name, missed, config_path)
    while True:
        try:
            changes = await pending
        except StopAsyncIteration:
            return
        await _reload_worker(session, name, sorted({Path(p) for _, p in changes}), config_path)
        pending = asyncio.ensure_future(anext(batches))


async def _reload_worker(
    session: DevSession, name: str, paths: list[Path], config_path: Path
) -> None:
    config_changed = any(is_config(path.resolve(), config_path) for path in paths)
    try:
        await session.reload_worker(name, paths, config_changed=config_changed)
    except Exception:  # a reload must never end the watch
        if session.console is not None:
            session.console.error(
                f"Reload of Worker {name} failed unexpectedly", traceback.format_exc()
            )
