"""``workers.asgi``: serve an ASGI application (FastAPI, Starlette...) from a Python Worker.

As workers-py's ``asgi`` module does (``packages/runtime-sdk/src/workers/asgi.py``):
``await asgi.fetch(app, request, env)`` runs one lifespan startup/shutdown cycle around the
request (apps without lifespan support are served anyway), hands the app an ``http`` scope
whose ``env`` key is the Worker's env, and returns a JS ``Response``. ``asgi.entrypoint(app)``
makes the ``Default`` WorkerEntrypoint; ``asgi.env`` is a FastAPI dependency giving the env.

A streamed body (``more_body=True``) is gathered before the response is returned; production
starts sending it at once. WebSocket upgrades are not emulated.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import unquote, urlsplit

from ._entrypoints import WorkerEntrypoint
from ._http import Request

__all__ = ["entrypoint", "fetch", "websocket"]

ASGI = {"spec_version": "2.0", "version": "3.0"}
NULL_BODY_STATUSES = frozenset({101, 103, 204, 205, 304})
logger = logging.getLogger("asgi")

Message = MutableMapping[str, Any]
App = Callable[..., Awaitable[None]]


def request_to_scope(req: Request, env: Any, state: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ASGI ``http`` connection scope of a request (``path`` percent-decoded)."""
    parts = urlsplit(req.url)
    pathname = parts.path or "/"
    scope: dict[str, Any] = {
        "asgi": ASGI,
        "headers": [(k.lower().encode(), v.encode()) for k, v in req.headers.items()],
        "http_version": "1.1",
        "method": str(req.method),
        "scheme": parts.scheme,
        "path": unquote(pathname),
        "raw_path": pathname.encode(),
        "query_string": parts.query.encode(),
        "type": "http",
        "env": env,
    }
    if state is not None:
        scope["state"] = dict(state)  # a shallow copy per request, as ASGI requires
    return scope


async def _start(app: App) -> tuple[Callable[[], Awaitable[None]], dict[str, Any]]:
    """One lifespan startup; returns the shutdown to run after the request, and the state."""
    inbox: asyncio.Queue[Message] = asyncio.Queue()
    state: dict[str, Any] = {}
    loop = asyncio.get_running_loop()
    started: asyncio.Future[bool] = loop.create_future()
    stopped: asyncio.Future[None] = loop.create_future()
    await inbox.put({"type": "lifespan.startup"})

    async def receive() -> Message:
        return await inbox.get()

    async def send(message: Message) -> None:
        kind = message["type"]
        if kind == "lifespan.startup.complete":
            if not started.done():
                started.set_result(True)
        elif kind == "lifespan.startup.failed":
            if not started.done():
                text = message.get("message") or "ASGI lifespan startup failed"
                started.set_exception(RuntimeError(text))
        elif kind == "lifespan.shutdown.complete":
            if not stopped.done():
                stopped.set_result(None)
        elif kind == "lifespan.shutdown.failed":
            if not stopped.done():
                text = message.get("message") or "ASGI lifespan shutdown failed"
                stopped.set_exception(RuntimeError(text))
        else:
            raise RuntimeError(f"Unexpected lifespan event {kind}")

    async def run() -> None:
        try:
            await app({"asgi": ASGI, "state": state, "type": "lifespan"}, receive, send)
            if not started.done():
                started.set_result(False)  # returned without acking: no lifespan support
            elif not stopped.done():
                stopped.set_result(None)
        except Exception as exc:
            if not started.done():
                logger.debug("ASGI lifespan raised before startup: no lifespan", exc_info=exc)
                started.set_result(False)
                return
            logger.exception("Exception in ASGI lifespan application", exc_info=exc)
            if not stopped.done():
                stopped.set_result(None)

    task = asyncio.ensure_future(run())
    supported = await started

    async def shutdown() -> None:
        if not supported:
            return
        await inbox.put({"type": "lifespan.shutdown"})
        await stopped
        await task

    return shutdown, state


async def _serve(app: App, req: Request, env: Any, state: dict[str, Any]) -> Any:
    from wf.runtime import js
    from wf.runtime.js._streams import Uint8Array

    inbox: asyncio.Queue[Message] = asyncio.Queue()
    body = req._body
    if body:
        await inbox.put({"type": "http.request", "body": body, "more_body": True})
    await inbox.put({"type": "http.request", "body": b"", "more_body": False})
    finished = asyncio.Event()
    status: int | None = None
    headers: list[tuple[str, str]] = []
    chunks: list[bytes] = []
    done = False

    async def receive() -> Message:
        if not inbox.empty():
            return await inbox.get()
        await finished.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        nonlocal status, headers, done
        if message["type"] == "http.response.start":
            status = message["status"]
            headers = [(k.decode(), v.decode()) for k, v in message.get("headers", [])]
        elif message["type"] == "http.response.body":
            chunks.append(bytes(message.get("body", b"")))
            if not message.get("more_body", False):
                done = True
                finished.set()

    try:
        await app(request_to_scope(req, env, state), receive, send)
    finally:
        finished.set()
    if status is None or not done:
        raise RuntimeError("The application did not generate a response")
    # the body crosses as a JS buffer, as the SDK hands over the bytes' buffer
    data = None if status in NULL_BODY_STATUSES else Uint8Array(b"".join(chunks))
    return js.Response.new(data, status=status, headers=js.Headers.new(headers))


async def fetch(app: App, req: Request, env: Any, ctx: Any = None) -> Any:
    """Serve one request with the ASGI ``app``; returns a JS Response."""
    logger.debug("ASGI request: %s %s", req.method, req.url)
    shutdown, state = await _start(app)
    try:
        return await _serve(app, req, env, state)
    finally:
        await shutdown()


async def websocket(app: App, req: Request, env: Any = None) -> Any:
    """WebSocket upgrades through ASGI are not emulated by wf."""
    raise NotImplementedError("WebSockets through workers.asgi are not emulated by wf")


def entrypoint(app: App) -> type[WorkerEntrypoint]:
    """The ``Default`` Worker entrypoint serving an ASGI application."""

    class Default(WorkerEntrypoint):
        async def fetch(self, request: Request) -> Any:
            if (request.headers.get("upgrade") or "").lower() == "websocket":
                return await websocket(app, request, self.env)
            return await fetch(app, request, self.env, self.ctx)

    return Default


def __getattr__(name: str) -> Any:
    if name == "env":  # a FastAPI dependency: ``env = Depends(asgi.env)`` style use
        import importlib

        fastapi: Any = importlib.import_module("fastapi")  # the user's own install

        async def env(request: fastapi.Request) -> Any:
            return request.scope["env"]

        env.__annotations__["request"] = fastapi.Request  # resolved here, not from globals
        return fastapi.Depends(env)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
