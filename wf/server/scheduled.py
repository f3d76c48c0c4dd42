"""``/cdn-cgi/handler/scheduled``: run the Worker's ``scheduled`` handler by hand, as in wrangler.

``GET|POST /cdn-cgi/handler/scheduled?cron=*/5+*+*+*+*&time=1788220800`` calls the handler
with that ``cron`` (default: empty, as wrangler's) and ``scheduledTime`` (``time`` in epoch
seconds, or milliseconds when it is that large; default: virtual now). It answers ``ok`` once
the handler has finished, or 500 with the error it raised.
"""

from __future__ import annotations

from aiohttp import web

from wf.server.context import session_of
from wf.server.envelope import ApiError

PATH = "/cdn-cgi/handler/scheduled"
_MS_FROM = 100_000_000_000  # a `time` at least this large is milliseconds, not seconds


def add_routes(app: web.Application) -> None:
    app.router.add_get(PATH, run_scheduled)
    app.router.add_post(PATH, run_scheduled)


async def run_scheduled(request: web.Request) -> web.Response:
    """Run the handler once; ``ok``, or 500 with the handler's error."""
    session = session_of(request)
    if session.code is None or not session.engine_started:
        reason = session.unavailable_reason() or "the Worker is not running"
        raise ApiError(503, reason)
    cron = request.query.get("cron", "")
    raw = request.query.get("time", "")
    when: float | None = None
    if raw:
        try:
            when = float(raw)
        except ValueError:
            raise ApiError(
                400, f"time must be epoch seconds or milliseconds, got {raw!r}"
            ) from None
        if not 0 <= when < 1e16:
            raise ApiError(400, f"time must be epoch seconds or milliseconds, got {raw!r}")
        if when < _MS_FROM and session.console is not None:
            session.console.warn(
                f"wf: /cdn-cgi/handler/scheduled time={raw} read as epoch seconds "
                "(UNCONFIRMED; 10^11 or more is read as milliseconds)"
            )
        when = when if when >= _MS_FROM else when * 1000.0
    firing = await session.cron.trigger(cron, when)
    if firing.error is not None:
        error = firing.error
        return web.Response(
            status=500, text=f"{type(error).__name__}: {error}\n", content_type="text/plain"
        )
    return web.Response(text="ok", content_type="text/plain")
