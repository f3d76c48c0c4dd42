"""The HTTP server of `wf dev`: the Worker, the explorer REST API and the control API.

Public entry points (imported lazily, so that importing this package costs nothing):

- ``create_app(engine, project=None, *, hosts=()) -> aiohttp.web.Application``: serve an
  engine in-process (the caller starts and closes the engine);
- ``serve(DevOptions(...), stop=event, on_ready=callback) -> int``: all of `wf dev`
  (state, code loading, hot reload, clean shutdown) in the running event loop;
- ``run(DevOptions(...)) -> int``: the same in a fresh event loop, as the CLI runs it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DevOptions", "DevSession", "create_app", "run", "serve"]

_WHERE = {
    "DevOptions": "wf.server.dev",
    "run": "wf.server.dev",
    "serve": "wf.server.dev",
    "create_app": "wf.server.app",
    "DevSession": "wf.server.session",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_WHERE[name]), name)
