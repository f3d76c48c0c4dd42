"""The Workers of the session (``wf dev -c a -c b``) over HTTP.

- ``GET /cdn-cgi/wf/workers``: every Worker, the first one first: ``name``, ``config``,
  ``primary``, ``loaded``, ``generation``, ``error`` (``{"message", "file", "line"}``), its
  service bindings with whether each target is loaded (``connected``), the queues it
  consumes (``consumes``) and its cron triggers (``crons``).
- ``POST /cdn-cgi/wf/workers/{name}/reload``: load that Worker's code and config again now, as
  the file watcher does on a change (the first Worker: as ``/cdn-cgi/wf/code/reload``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from wf.config import ConfigError
from wf.server.context import session_of
from wf.server.envelope import ApiError, ok

if TYPE_CHECKING:
    from wf.config import Config
    from wf.server.session import DevSession
    from wf.worker_group import Worker

BASE = "/cdn-cgi/wf/workers"


def add_routes(app: web.Application) -> None:
    app.router.add_get(BASE, list_workers)
    app.router.add_post(BASE + "/{name}/reload", reload_worker)


def _services(session: DevSession, config: Config) -> list[dict[str, Any]]:
    group = session.group
    return [
        {
            "binding": entry.binding,
            "service": entry.service,
            "entrypoint": entry.entrypoint,
            "connected": group is not None and group.target(entry.service) is not None,
        }
        for entry in config.services
    ]


def _primary_json(session: DevSession) -> dict[str, Any]:
    config = session.engine.config
    return {
        "name": config.name,
        "config": str(config.path),
        "primary": True,
        "loaded": session.code is not None,
        "generation": session.generation,
        "error": session.error.to_json() if session.error else None,
        "services": _services(session, config),
        **_handlers(config),
    }


def _handlers(config: Config) -> dict[str, Any]:
    """What runs the Worker besides HTTP: its queues' batches and its crons."""
    return {
        "consumes": [c.queue for c in config.queue_consumers],
        "crons": list(config.crons),
    }


def _worker_json(session: DevSession, worker: Worker) -> dict[str, Any]:
    error = worker.error
    error_json = None
    if error is not None:
        line = error.line
        path = error.path
        file = None if path is None else _relative(Path(path), worker.root)
        message = str(error) if isinstance(error, ConfigError) else error.message
        error_json = {"message": message, "file": file, "line": line}
    return {
        "name": worker.name,
        "config": str(worker.config.path),
        "primary": False,
        "loaded": worker.code is not None,
        "generation": worker.code.generation if worker.code is not None else 0,
        "error": error_json,
        "services": _services(session, worker.config),
        **_handlers(worker.config),
    }


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def workers_json(session: DevSession) -> list[dict[str, Any]]:
    found = [_primary_json(session)]
    if session.group is not None:
        found += [_worker_json(session, w) for w in session.group.workers.values()]
    return found


async def list_workers(request: web.Request) -> web.Response:
    return ok(workers_json(session_of(request)))


async def reload_worker(request: web.Request) -> web.Response:
    session = session_of(request)
    name = request.match_info["name"]
    if name == session.engine.config.name:
        await session.reload(config_changed=True)
    elif session.group is not None and name in session.group.workers:
        await session.reload_worker(name, config_changed=True)
    else:
        have = ", ".join(w["name"] for w in workers_json(session))
        raise ApiError(404, f"no Worker named {name!r} in this session (Workers: {have})")
    return ok(next(w for w in workers_json(session) if w["name"] == name))
