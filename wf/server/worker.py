"""The user's Worker: every request outside /cdn-cgi/ goes to its fetch handler.

Two entry styles are served: ``class Default(WorkerEntrypoint)`` with ``async def fetch(self,
request)``, and the older module-level ``async def on_fetch(request, env)``. An exception from
the Worker (a binding's WorkflowError included, as workerd does) answers 500 with its type and
message and is logged with its traceback; the server carries on.
"""

from __future__ import annotations

import asyncio
import traceback
from typing import TYPE_CHECKING

from aiohttp import web
from aiohttp.web_protocol import RequestPayloadError
from multidict import CIMultiDict

from wf.engine import ExecutionContext
from wf.project import WorkerError, call_fetch
from wf.runtime.workers import Request, Response
from wf.scope import user_code
from wf.server.context import session_of
from wf.server.envelope import ApiError
from wf.server.listener import SlowBody, bad_body_message
from wf.server.middleware import is_cdn_cgi
from wf.usertime import user_time

if TYPE_CHECKING:
    from wf.server.session import DevSession

MAX_WORKER_BODY = 100 * 1024 * 1024  # Cloudflare's request body limit on the Free plan
_HOP_HEADERS = frozenset({"content-length", "transfer-encoding", "connection"})


async def handle(request: web.Request) -> web.StreamResponse:
    """Run the Worker's fetch handler for one request."""
    if is_cdn_cgi(request):
        raise ApiError(404, f"no route {request.method} {request.path}")
    session = session_of(request)
    code = session.code
    if code is None:
        reason = session.error.message if session.error else "no code loaded"
        return web.Response(
            status=503, text=f"The Worker failed to load: {reason}\n", content_type="text/plain"
        )
    try:
        body = await request.read()
    except SlowBody as exc:  # the listener wrote the console line
        return web.Response(status=408, text=f"{exc}\n", content_type="text/plain")
    except RequestPayloadError as exc:  # a body aiohttp could not decode (corrupt gzip)
        message = bad_body_message(exc)
        if session.console is not None:
            session.console.error(f"{request.method} {request.path}: {message}")
        return web.Response(status=400, text=f"{message}\n", content_type="text/plain")
    except ConnectionError:  # the client left mid-body (one console line): nobody reads this
        return web.Response(status=400, text="the client disconnected\n")
    worker_request = Request(request.method, str(request.url), list(request.headers.items()), body)
    from wf.platform.assets import serve_first

    asset = serve_first(session.engine.config, worker_request)
    if asset is not None:
        return _to_web_response(asset)
    try:
        with (
            user_code(f"the Worker's fetch of {request.method} {request.path}"),
            user_time(session.engine.clock),
        ):
            result = await call_fetch(code, worker_request, session.engine.env, ExecutionContext())
        return _to_web_response(result)
    except asyncio.CancelledError:
        raise
    except (Exception, SystemExit) as exc:  # user code must not take the server down
        if session.console is not None:
            session.console.error(
                f"{request.method} {request.path_qs}: the Worker raised "
                f"{type(exc).__name__}: {exc}",
                _user_traceback(exc, session),
            )
        return web.Response(
            status=500, text=f"{type(exc).__name__}: {exc}\n", content_type="text/plain"
        )


def _user_traceback(exc: BaseException, session: DevSession) -> str | None:
    """The traceback from the user's first frame down (the server's frames are noise)."""
    if isinstance(exc, WorkerError):
        return None  # the message says it all
    tb = exc.__traceback__
    root = str(session.root.resolve())
    while tb is not None and not tb.tb_frame.f_code.co_filename.startswith(root):
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb or exc.__traceback__))


def _to_web_response(result: Response) -> web.Response:
    headers = CIMultiDict((k, v) for k, v in result.headers.items() if k not in _HOP_HEADERS)
    return web.Response(
        status=result.status,
        body=result._body,
        reason=result.status_text or None,
        headers=headers,
    )
