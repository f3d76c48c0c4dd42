"""Workers AI mocks and calls over HTTP under ``/cdn-cgi/wf/ai`` (for ``wf ai`` and the dashboard).

- ``GET /cdn-cgi/wf/ai/mocks``: every mock (registered ones, then ``.wf/ai.json``'s), with
  how often each answered;
- ``POST /cdn-cgi/wf/ai/mocks`` ``{"model", "response"?, "match"?, "error"?, "times"?}``
  (or a list of them): register; ``DELETE /cdn-cgi/wf/ai/mocks``: forget the registered ones
  and the call log;
- ``GET /cdn-cgi/wf/ai/calls?limit=N``: the latest calls, oldest first: model, inputs,
  options, virtual time, response or error, and which mock answered.
"""

from __future__ import annotations

from aiohttp import web

from wf.platform.ai import AIMockError, AIMocks, make_mock
from wf.server.context import session_of
from wf.server.envelope import ApiError, ok, read_json

BASE = "/cdn-cgi/wf/ai"


def add_routes(app: web.Application) -> None:
    """Register the AI routes."""
    app.router.add_get(BASE + "/mocks", list_mocks)
    app.router.add_post(BASE + "/mocks", add_mocks)
    app.router.add_delete(BASE + "/mocks", clear_mocks)
    app.router.add_get(BASE + "/calls", list_calls)


def _mocks(request: web.Request) -> AIMocks:
    platform = session_of(request).platform
    config = session_of(request).engine.config
    if platform is None or platform.config is None or config.ai is None:
        raise ApiError(404, 'this project has no Workers AI binding (add "ai": {"binding": "AI"})')
    found: AIMocks = platform.admin("ai", config.ai.binding)
    return found


async def list_mocks(request: web.Request) -> web.Response:
    mocks = _mocks(request)
    try:
        return ok(mocks.all_json())
    except AIMockError as exc:
        raise ApiError(400, str(exc)) from None


async def add_mocks(request: web.Request) -> web.Response:
    mocks = _mocks(request)
    body = await read_json(request)
    specs = body if isinstance(body, list) else [body]
    try:
        made = [make_mock(spec, "http") for spec in specs]
    except AIMockError as exc:
        raise ApiError(400, str(exc)) from None
    for mock in made:
        mocks.add(mock)
    return ok([m.to_json() for m in made])


async def clear_mocks(request: web.Request) -> web.Response:
    _mocks(request).clear()
    return ok({"cleared": True})


async def list_calls(request: web.Request) -> web.Response:
    mocks = _mocks(request)
    raw = request.query.get("limit", "")
    if raw and not raw.isdigit():
        raise ApiError(400, f"limit must be a whole number, got {raw!r}")
    calls = [c.to_json() for c in mocks.calls]
    if raw:
        calls = calls[-int(raw) :] if int(raw) else []
    return ok(calls)
