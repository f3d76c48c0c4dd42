"""Live updates for the dashboard: ``GET /cdn-cgi/wf/live`` streams server-sent events.

Each instance event of the engine (``started``, ``step_start``, ``sleeping``, ``paused``...) is
one ``event: instance`` whose data is ``{kind, workflow, instance, at, info}``; a change of the
clock's mode, scale, pending timers or (outside real and scale time) its now is one
``event: time`` with the fields of ``GET /cdn-cgi/wf/time``. A client that reads too slowly
gets ``event: resync`` (reload everything) instead of an unbounded queue. A comment line every
few seconds keeps the connection open through idle periods; the page polls when it drops.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

from wf.durations import to_iso
from wf.server.context import session_of

if TYPE_CHECKING:
    from wf.engine import EngineEvent

PATH = "/cdn-cgi/wf/live"
QUEUE_SIZE = 1000
CLOCK_CHECK_S = 0.25
KEEPALIVE_S = 10.0
RETRY_MS = 1000  # how soon EventSource reconnects after a drop
_CLOSING = web.AppKey("live_closing", asyncio.Event)


def add_routes(app: web.Application) -> None:
    """Register the stream; it ends when the server shuts down."""
    app[_CLOSING] = asyncio.Event()
    app.router.add_get(PATH, stream)

    async def close_streams(app: web.Application) -> None:
        app[_CLOSING].set()

    app.on_shutdown.append(close_streams)


def _message(event: str, data: Any) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, default=str)}\n\n".encode()


def _clock_key(clock: Any) -> tuple[Any, ...]:
    moving = clock.mode in ("real", "scale")
    return (
        clock.mode,
        clock.scale,
        clock.next_due(),
        clock.pending(),
        None if moving else clock.now(),
    )


async def stream(request: web.Request) -> web.StreamResponse:
    """The event stream of one dashboard page."""
    from wf.server.control import time_json

    engine = session_of(request).engine
    closing = request.app[_CLOSING]
    queue: asyncio.Queue[bytes] = asyncio.Queue(QUEUE_SIZE)
    overflowed = False

    def listener(event: EngineEvent) -> None:
        nonlocal overflowed
        if overflowed:
            return
        data = {
            "kind": event.kind,
            "workflow": event.workflow,
            "instance": event.instance,
            "at": to_iso(event.at),
            "info": event.info,
        }
        try:
            queue.put_nowait(_message("instance", data))
        except asyncio.QueueFull:
            overflowed = True

    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            "X-Content-Type-Options": "nosniff",
        }
    )
    await response.prepare(request)
    await response.write(
        f"retry: {RETRY_MS}\n\n".encode() + _message("time", time_json(engine.clock))
    )
    engine.listeners.append(listener)
    clock_seen = _clock_key(engine.clock)
    quiet = 0.0
    try:
        while not closing.is_set():
            try:
                chunk = await asyncio.wait_for(queue.get(), timeout=CLOCK_CHECK_S)
            except TimeoutError:
                chunk = b""
                quiet += CLOCK_CHECK_S
            if overflowed:
                while not queue.empty():
                    queue.get_nowait()
                overflowed = False
                chunk = _message("resync", {})
            key = _clock_key(engine.clock)
            if key != clock_seen:
                clock_seen = key
                chunk += _message("time", time_json(engine.clock))
            if not chunk and quiet >= KEEPALIVE_S:
                chunk = b": keepalive\n\n"
            if chunk:
                quiet = 0.0
                await response.write(chunk)
    except ConnectionError:
        return response  # the page went away: nothing to tell anyone
    finally:
        with contextlib.suppress(ValueError):
            engine.listeners.remove(listener)
    with contextlib.suppress(ConnectionError, RuntimeError):
        await response.write_eof()
    return response
