"""The user's Worker: every request outside /cdn-cgi/ goes to its fetch handler.

Two entry styles are served: ``class Default(WorkerEntrypoint)`` with ``async def fetch(self,
request)``, and the older module-level ``async def on_fetch(request, env)``. An exception from
the Worker (a binding's WorkflowError included, as workerd does) answers 500 with its type and
message and is logged with its traceback; the server carries on.
"""

from __future__ import annotations

import asyncio
import inspect
import traceback
from typing import TYPE_CHECKING, Any

from aiohttp import web
from multidict import CIMultiDict

from emulator.engine import ExecutionContext
from emulator.runtime.workers import Request, Response
from emulator.server.context import session_of
from emulator.server.envelope import ApiError
from emulator.server.middleware import is_cdn_cgi

if TYPE_CHECKING:
    from emulator.project import LoadedCode
    from emulator.server.session import DevSession

MAX_WORKER_BODY = 100 * 1024 * 1024  # Cloudflare's request body limit on the Free plan
_HOP_HEADERS = frozenset({"content-length", "transfer-encoding", "connection"})


class WorkerFailure(Exception):
    """The Worker is missing a handler or returned something that is not a Response."""


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
    body = await request.read()
    worker_request = Request(request.method, str(request.url), list(request.headers.items()), body)
    try:
        result = await _call_fetch(code, worker_request, session)
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


async def _call_fetch(code: LoadedCode, request: Any, session: DevSession) -> Any:
    env = session.engine.env
    ctx = ExecutionContext()
    if code.worker is not None:
        entry = code.worker(ctx, env)
        fetch = getattr(entry, "fetch", None)
        if fetch is None:
            raise WorkerFailure(
                "the Worker's Default class has no fetch method: "
                "define async def fetch(self, request)"
            )
        result = fetch(request)
    elif code.on_fetch is not None:
        result = code.on_fetch(*_on_fetch_args(code.on_fetch, request, env, ctx))
    else:
        raise WorkerFailure(
            "the Worker has no fetch handler: define class Default(WorkerEntrypoint) with "
            "async def fetch(self, request), or async def on_fetch(request, env)"
        )
    if inspect.isawaitable(result):
        result = await result
    return result


def _user_traceback(exc: BaseException, session: DevSession) -> str | None:
    """The traceback from the user's first frame down (the server's frames are noise)."""
    if isinstance(exc, WorkerFailure):
        return None  # the message says it all
    tb = exc.__traceback__
    root = str(session.root.resolve())
    while tb is not None and not tb.tb_frame.f_code.co_filename.startswith(root):
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb or exc.__traceback__))


def _on_fetch_args(handler: Any, request: Any, env: Any, ctx: Any) -> tuple[Any, ...]:
    """``on_fetch(request)``, ``on_fetch(request, env)`` or ``on_fetch(request, env, ctx)``."""
    try:
        parameters = inspect.signature(handler).parameters.values()
    except (TypeError, ValueError):
        return (request, env)
    if any(p.kind is p.VAR_POSITIONAL for p in parameters):
        return (request, env, ctx)
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return (request, env, ctx)[: max(1, min(3, len(positional)))]


def _to_web_response(result: Any) -> web.Response:
    if not isinstance(result, Response):
        raise WorkerFailure(
            f"the fetch handler must return a workers.Response, got {type(result).__name__}"
        )
    headers = CIMultiDict((k, v) for k, v in result.headers.items() if k not in _HOP_HEADERS)
    return web.Response(
        status=result.status,
        body=result.body,
        reason=result.status_text or None,
        headers=headers,
    )
