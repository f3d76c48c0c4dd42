"""Nothing is acknowledged before it is durable: every answer waits for the commit of its writes.

The engine commits at the end of an event-loop tick so that many instances share one commit;
a handler that changed state (created an instance, buffered an event, moved the clock) must
not send its answer before its writes are committed, or a ``kill -9`` right after the answer
would lose what it acknowledged. Answers share the end-of-tick commit and see it one loop
round later (``Engine.answer_durable``). Answers that wrote nothing pass
straight through.
"""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from wf.server.context import session_of


def durable_answers() -> Middleware:
    """Hold every answer (success or error envelope) until the writes before it are committed."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        await session_of(request).engine.answer_durable()
        return response

    return middleware
