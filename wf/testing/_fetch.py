"""Calling the project's Worker in-process, as a request to ``wf dev`` would."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from wf.engine import ExecutionContext
from wf.project import call_fetch
from wf.runtime.workers import Request, Response
from wf.runtime.workers._env import _set_current_env
from wf.usertime import current_clock, user_time, waits_on_clock

if TYPE_CHECKING:
    from wf.project import LoadedCode

BASE_URL = "http://localhost:8787/"
_NO_JSON: Any = object()  # json=None means a JSON null body


class _Context(ExecutionContext):
    """``ctx`` whose ``wait_until`` work the test can wait for before it looks."""

    async def drain(self) -> None:
        while self._tasks:
            pending = [t for t in self._tasks if not t.done()]
            if pending and all(waits_on_clock(t) for t in pending):
                return  # parked on the manual clock: they go on after the test advances it
            await asyncio.wait(list(self._tasks), timeout=0.02)


def build_request(
    path: str,
    *,
    method: str,
    headers: Mapping[str, str] | None,
    body: bytes | str | None,
    json_body: Any,
) -> Request:
    """A ``workers.Request`` for ``path`` (relative to the dev server's address)."""
    merged = dict(headers or {})
    if json_body is not _NO_JSON:
        if body is not None:
            raise TypeError("fetch(): give body= or json=, not both")
        body = json.dumps(json_body)
        if not any(k.lower() == "content-type" for k in merged):
            merged["content-type"] = "application/json"
    data = body.encode() if isinstance(body, str) else body
    return Request(method.upper(), urljoin(BASE_URL, path), merged, data)


async def call_worker(code: LoadedCode, env: Any, request: Request) -> Response:
    """Run the Worker's fetch handler; its exceptions propagate, so the test shows them.

    ``ctx.wait_until`` work is awaited before returning (production would answer first),
    so what the request started in the background has happened when the test looks; work
    asleep on the manual clock goes on once the test advances it.
    """
    _set_current_env(env)
    ctx = _Context()
    with user_time(getattr(env, "_clock", None) or current_clock()):
        result: Response = await call_fetch(code, request, env, ctx)
    await ctx.drain()
    return result
