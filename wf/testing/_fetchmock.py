"""Outgoing fetch in tests: ``emu.mock_fetch(...)``, as ``cloudflare:test``'s ``fetchMock``.

Every outgoing request of user code (``workers.fetch``, ``js.fetch``,
``pyodide.http.pyfetch``) passes through ``FetchMock.dispatch`` while the emulator runs. An
interceptor matches by method, origin and path (and optionally headers and body) and answers
with a status, headers and body, or fails as a network error does (``OSError``, what
workers-py's fetch raises for a rejected JS fetch). An interceptor answers once unless
``times(n)`` or ``persist()``; ``assert_no_pending_interceptors()`` checks that every one was
used; ``disable_net_connect()`` refuses any unmocked request, so a CI run never reaches the
network by accident.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from wf.runtime.workers import Headers, Request, Response

Matcher = str | re.Pattern[str] | Callable[[str], bool]
_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> str:
    """``scheme://host[:port]``, lower case, without the scheme's default port."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = parts.port
    if port is not None and port != _DEFAULT_PORTS.get(parts.scheme.lower()):
        host = f"{host}:{port}"
    return f"{parts.scheme.lower()}://{host}"


def _matches(matcher: Matcher | None, value: str) -> bool:
    if matcher is None:
        return True
    if isinstance(matcher, re.Pattern):
        return matcher.search(value) is not None
    if callable(matcher):
        return bool(matcher(value))
    return matcher == value


@dataclass
class Interceptor:
    """One mocked request and its answer; build it with ``reply`` or ``reply_with_error``."""

    origin: Matcher
    method: str = "GET"
    path: Matcher | None = None
    headers: Mapping[str, Matcher] | None = None
    body: Matcher | None = None
    status: int = 200
    reply_headers: dict[str, str] = field(default_factory=dict)
    reply_body: bytes = b""
    error: str | None = None
    remaining: int = 1
    persistent: bool = False
    used: int = 0
    _replied: bool = False

    def reply(
        self,
        status: int = 200,
        body: Any = b"",
        *,
        headers: Mapping[str, str] | None = None,
    ) -> Interceptor:
        """Answer with ``status``, ``body`` (str, bytes, or JSON data) and ``headers``."""
        if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
            raise ValueError(f"reply(): status must be an HTTP status 100-599, got {status!r}")
        merged = {k.lower(): str(v) for k, v in (headers or {}).items()}
        if isinstance(body, str):
            data = body.encode()
        elif isinstance(body, bytes | bytearray | memoryview):
            data = bytes(body)
        else:
            data = json.dumps(body).encode()
            merged.setdefault("content-type", "application/json")
        self.status, self.reply_body, self.reply_headers = status, data, merged
        self.error, self._replied = None, True
        return self

    def reply_with_error(self, message: str | BaseException = "fetch failed") -> Interceptor:
        """Fail the fetch as a network error: user code gets an ``OSError``."""
        self.error, self._replied = str(message), True
        return self

    def times(self, n: int) -> Interceptor:
        """Answer ``n`` requests (default 1)."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"times() needs an integer >= 1, got {n!r}")
        self.remaining = n
        return self

    def persist(self) -> Interceptor:
        """Answer every matching request from now on."""
        self.persistent = True
        return self

    @property
    def pending(self) -> bool:
        """Not used as often as it was set up for (a persistent one: never used)."""
        return self.used == 0 if self.persistent else self.remaining > 0

    def describe(self) -> str:
        path = (
            self.path if isinstance(self.path, str) else ("*" if self.path is None else "<match>")
        )
        origin = self.origin if isinstance(self.origin, str) else "<match>"
        return f"{self.method} {origin}{path}"

    def matches(self, request: Request, body: bytes) -> bool:
        if not self.persistent and self.remaining <= 0:
            return False
        parts = urlsplit(request.url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if str(request.method).upper() != self.method:
            return False
        if not _matches(self.origin, origin_of(request.url)) or not _matches(self.path, path):
            return False
        for name, expected in (self.headers or {}).items():
            value = request.headers.get(name)
            if value is None or not _matches(expected, value):
                return False
        return self.body is None or _matches(self.body, body.decode(errors="replace"))


@dataclass
class FetchCall:
    """One outgoing request: what was asked and whether a mock answered it."""

    method: str
    url: str
    mocked: bool
    refused: bool = False


class FetchMock:
    """The interceptors of one emulator, and whether unmocked requests may go out."""

    def __init__(self) -> None:
        self.interceptors: list[Interceptor] = []
        self.calls: list[FetchCall] = []
        self._net = True
        self._allowed: list[Matcher] = []

    def intercept(
        self,
        origin: Matcher,
        path: Matcher | None = None,
        *,
        method: str = "GET",
        headers: Mapping[str, Matcher] | None = None,
        body: Matcher | None = None,
    ) -> Interceptor:
        """A new interceptor; call ``.reply(...)`` or ``.reply_with_error(...)`` on it."""
        if isinstance(origin, str):
            if not urlsplit(origin).scheme or not urlsplit(origin).netloc:
                raise ValueError(
                    f"mock_fetch(): origin must be like 'https://api.example.com', got {origin!r}"
                )
            extra = urlsplit(origin).path
            if extra not in ("", "/"):
                raise ValueError(
                    f"mock_fetch(): give the path separately: mock_fetch({origin_of(origin)!r}, "
                    f"path={extra!r})"
                )
            origin = origin_of(origin)
        if not isinstance(method, str) or not method:
            raise ValueError(f"mock_fetch(): method must be a string, got {method!r}")
        found = Interceptor(origin, method.upper(), path, headers, body)
        self.interceptors.append(found)
        return found

    def disable_net_connect(self) -> None:
        """Refuse every request no interceptor matches (``enable_net_connect`` to allow hosts)."""
        self._net = False
        self._allowed.clear()

    def enable_net_connect(self, *hosts: Matcher) -> None:
        """Let unmocked requests out again: all of them, or only to these hosts."""
        if hosts:
            self._allowed.extend(hosts)
        else:
            self._net = True
            self._allowed.clear()

    def pending_interceptors(self) -> list[Interceptor]:
        return [i for i in self.interceptors if i.pending]

    def assert_no_pending_interceptors(self) -> None:
        """AssertionError listing every interceptor not used as often as it was set up for."""
        __tracebackhide__ = True
        pending = self.pending_interceptors()
        if pending:
            listed = "\n".join(f"  {i.describe()} (used {i.used})" for i in pending)
            raise AssertionError(f"{len(pending)} fetch mock(s) not used:\n{listed}")

    def clear(self) -> None:
        """Forget every interceptor and call, and allow the network again."""
        self.interceptors.clear()
        self.calls.clear()
        self.enable_net_connect()

    async def dispatch(self, request: Request) -> Response | None:
        """The mocked answer for an outgoing request; None lets it go to the network."""
        body = request._body
        for interceptor in self.interceptors:
            if not interceptor.matches(request, body):
                continue
            if not interceptor._replied:
                raise RuntimeError(
                    f"fetch mock {interceptor.describe()} has no answer: call .reply(status, "
                    "body) or .reply_with_error(message) on what mock_fetch() returned"
                )
            interceptor.used += 1
            if not interceptor.persistent:
                interceptor.remaining -= 1
            self.calls.append(FetchCall(str(request.method), request.url, True))
            if interceptor.error is not None:
                raise OSError(f"fetch {request.url} failed: {interceptor.error}")
            headers = Headers(interceptor.reply_headers)
            return Response._from_network(
                interceptor.reply_body, interceptor.status, "", headers, request.url, False
            )
        host = urlsplit(request.url).hostname or ""
        if self._net or any(_matches(h, host) for h in self._allowed):
            self.calls.append(FetchCall(str(request.method), request.url, False))
            return None
        self.calls.append(FetchCall(str(request.method), request.url, False, refused=True))
        registered = ", ".join(i.describe() for i in self.interceptors) or "none"
        raise OSError(
            f"fetch {request.method} {request.url}: no fetch mock matches and the network is "
            f"disabled (disable_net_connect); mocks: {registered}. Add one with "
            f"emu.mock_fetch({origin_of(request.url)!r}, path=...).reply(200, ...)"
        )
