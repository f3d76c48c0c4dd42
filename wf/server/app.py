"""The aiohttp application of `wf dev`: Worker, explorer API, control API, test routes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from aiohttp import web

from wf.server import (
    ai,
    cfapi,
    control,
    dashboard,
    data,
    debugging,
    explorer,
    extensions,
    histories,
    live,
    scheduled,
    search,
    timers,
    worker,
    workers,
)
from wf.server.context import SESSION
from wf.server.durability import durable_answers
from wf.server.middleware import error_envelope, loopback_guard
from wf.server.requestlog import logged
from wf.server.session import DevSession

if TYPE_CHECKING:
    from wf.console import DevConsole
    from wf.engine import Engine
    from wf.project import Project


def create_app(
    engine: Engine,
    project: Project | None = None,
    *,
    session: DevSession | None = None,
    console: DevConsole | None = None,
    hosts: Iterable[str] = (),
) -> web.Application:
    """An application serving ``engine`` (and ``project``'s Worker, if any).

    The caller owns the engine: start it before serving, close it after. ``hosts`` are names
    besides the loopback ones that /cdn-cgi/ routes accept in the Host header (``--ip``).
    """
    if session is None:
        session = DevSession(engine, project, console=console)
        if project is not None and session.code is None:
            session.load()

    def log(message: str, details: str) -> None:
        if session.console is not None:
            session.console.error(message, details)

    app = web.Application(
        middlewares=[durable_answers(), error_envelope(log), loopback_guard(hosts)],
        client_max_size=worker.MAX_WORKER_BODY,
    )
    app[SESSION] = session
    explorer.add_routes(app)
    control.add_routes(app)
    data.add_routes(app)
    debugging.add_routes(app)
    ai.add_routes(app)
    dashboard.add_routes(app)
    scheduled.add_routes(app)
    timers.add_routes(app)
    live.add_routes(app)
    search.add_routes(app)
    cfapi.add_routes(app)  # /client/v4/: Cloudflare's REST API, before the Worker's routes
    histories.add_routes(app)
    workers.add_routes(app)
    _add_testing_routes(app, session)
    # Everything outside /cdn-cgi/ is the Worker's; unknown /cdn-cgi/ paths stay 404/405.
    app.router.add_route("*", "/{tail:(?!cdn-cgi/).*}", logged(worker.handle))
    return app


def _add_testing_routes(app: web.Application, session: DevSession) -> None:
    """Routes registered by other packages: the testing harness's mocks and waiters."""
    for setup in extensions.route_setups():
        setup(app, lambda: session.engine)
