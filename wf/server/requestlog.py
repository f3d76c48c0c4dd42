"""One console line per request the Worker answers, as `wrangler dev` logs them:
``GET /hello 200 OK (3ms)``. Routes under ``/cdn-cgi/`` (the explorer, the dashboard's
polling) are the tool talking to itself and stay out of the log."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from http import HTTPStatus

from aiohttp import web

from wf.server.context import session_of

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def logged(handler: Handler) -> Handler:
    """``handler`` with a console line for each answer (and for each error it raises)."""

    async def handle(request: web.Request) -> web.StreamResponse:
        start = time.perf_counter()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            console = session_of(request).console
            if console is not None:
                ms = (time.perf_counter() - start) * 1000
                console.request(request.method, request.path_qs, status, _reason(status), ms)

    return handle


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
