"""The listening side of `wf dev`: malformed HTTP, slow clients and bursts of connections.

aiohttp answers a request it cannot parse (bad version, NUL bytes, bad or duplicate
Content-Length, Content-Length with Transfer-Encoding, bad chunks, huge headers) with a
plain-text 400 and logs a traceback; a client that disconnects mid-body becomes a logged 500;
and it waits forever for headers or a body that trickle in. Here, through aiohttp's own hooks
(a ``RequestHandler`` subclass: ``handle_error``, ``log_exception``, ``data_received``):

- a malformed request gets Cloudflare's JSON envelope when it addresses ``/cdn-cgi/`` (plain
  text elsewhere, the Worker's ground) and one console line, never a traceback: it is the
  client's fault;
- headers must be complete ``headers_timeout`` seconds after their first byte, and a body may
  not stall for longer than ``body_timeout``: the client gets a 408 and the console one line;
- a client that disconnects mid-body is one line;
- the listen backlog holds a burst of connections (the default of 128 overflowed at 1,000
  concurrent clients, and every dropped SYN cost a one-second retransmit).

This leans on aiohttp 3.14's RequestHandler internals (``_messages``, ``_request_count``...),
which the suite's tests of this module pin down.
"""

from __future__ import annotations

import asyncio
import re
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.http_parser import RawRequestMessage
from aiohttp.streams import StreamReader
from aiohttp.web_protocol import RequestHandler, RequestPayloadError

from wf.server.envelope import encode_json, failure

CDN_CGI = "/cdn-cgi/"
_PEEK = 16 * 1024  # enough of a request's start to read its target
# A request line: a method (even a broken one, "GE\0T"), spaces, a target in origin or
# absolute form. Header lines never match: a colon ends their first word.
_REQUEST_LINE = re.compile(rb"(?m)^[^:\s]+[ \t]+((?:/|https?://)\S*)")


@dataclass(frozen=True)
class ListenerOptions:
    """Limits of the listening socket and of each connection (seconds, connections)."""

    backlog: int = 2048  # the kernel caps it at net.core.somaxconn
    headers_timeout: float = 10.0  # from the first byte of a request to the end of its headers
    body_timeout: float = 30.0  # longest silence inside a request body
    keepalive_timeout: float = 75.0  # an idle keep-alive connection is closed after this


class SlowBody(TimeoutError):
    """The client stopped sending the body; the console line is already written."""


# One console line: (message, details or None). Client faults never pass details.
Report = Callable[[str, str | None], None]


def is_client_fault(exc: BaseException | None) -> bool:
    """An error the client caused (bad HTTP, disconnect, stall): one line, never a traceback."""
    return isinstance(exc, HttpProcessingError | RequestPayloadError | ConnectionError | SlowBody)


def bad_body_message(exc: RequestPayloadError) -> str:
    """What is wrong with a body aiohttp could not decode (a corrupt gzip body, say)."""
    cause = exc.__cause__
    text = cause.message if isinstance(cause, HttpProcessingError) else str(exc)
    return f"malformed request body: {_summary(text)}"


def _summary(message: str) -> str:
    """The parser's multi-line message (with a quoted excerpt and a caret) as one phrase."""
    kept = []
    for line in message.splitlines():
        line = line.strip()
        if line and not line.startswith(("b'", 'b"', "bytearray(", "^")):
            kept.append(re.sub(r"(?::\s*|\s+)(?:bytearray\()?b['\"].*$", "", line).rstrip(": ."))
    text = ": ".join(part for part in kept if part)
    return text if re.search(r"[A-Za-z]{3}", text) else f"invalid request {text!r}"


def _target_path(data: bytes) -> str | None:
    """The path of the last request line in ``data``, if there is one."""
    matches = list(_REQUEST_LINE.finditer(data))
    if not matches:
        return None
    target = matches[-1].group(1).decode("latin-1")
    if target.startswith("/"):
        return target
    try:
        return urlsplit(target).path or "/"
    except ValueError:
        return None


def _printable(text: str, limit: int = 80) -> str:
    """``text`` for a console line: clipped, control characters escaped."""
    clipped = text if len(text) <= limit else text[:limit] + "..."
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in clipped)


def _raw_answer(status: int, reason: str, message: str, json_api: bool) -> bytes:
    """A whole HTTP/1.1 answer, for when no request object exists to answer through."""
    if json_api:
        envelope = {
            "success": False,
            "errors": [{"code": 10001, "message": message}],
            "messages": [],
            "result": None,
        }
        body, kind = encode_json(envelope), "application/json; charset=utf-8"
    else:
        body, kind = f"{status} {reason}: {message}\n".encode(), "text/plain; charset=utf-8"
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: {kind}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode("latin-1") + body


class _Protocol(RequestHandler):
    """One connection: aiohttp's handler, with clean errors and bounded waits."""

    __slots__ = (
        "_bad_target",
        "_body",
        "_body_deadline",
        "_body_handle",
        "_body_request",
        "_headers_deadline",
        "_headers_handle",
        "_options",
        "_peer_name",
        "_recent",
        "_report",
    )

    def __init__(
        self,
        manager: web.Server,
        *,
        loop: asyncio.AbstractEventLoop,
        options: ListenerOptions,
        report: Report,
        **kwargs: Any,
    ) -> None:
        super().__init__(manager, loop=loop, **kwargs)
        self._options = options
        self._report = report
        self._recent = bytearray()  # bytes of the request head being received
        self._bad_target: str | None = None
        self._body: StreamReader | None = None  # the body being received, if any
        self._body_request = ""
        self._body_deadline = 0.0
        self._body_handle: asyncio.TimerHandle | None = None
        # When the request head being received must be complete (None: none is), and the
        # one timer that checks it: not one timer per request, as keep-alive connections
        # carry request after request well inside the timeout.
        self._headers_deadline: float | None = None
        self._headers_handle: asyncio.TimerHandle | None = None
        self._peer_name = "a client"

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        peer = transport.get_extra_info("peername")
        if isinstance(peer, tuple):
            self._peer_name = f"{peer[0]}:{peer[1]}"
        super().connection_made(transport)

    # -- reading ----------------------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        if self._force_close or self._close:
            return
        body = self._body
        in_body = body is not None and not body.is_eof()
        if not in_body and data:
            if len(self._recent) < _PEEK:
                self._recent += data[: _PEEK - len(self._recent)]
            if self._headers_deadline is None:
                self._headers_deadline = self._loop.time() + self._options.headers_timeout
                if self._headers_handle is None:
                    self._headers_handle = self._loop.call_at(
                        self._headers_deadline, self._check_headers
                    )
        count = self._request_count
        super().data_received(data)
        if in_body:
            self._body_deadline = self._loop.time() + self._options.body_timeout
            if body is not None and body.is_eof():
                self._end_body()
                self._recent = bytearray(data[-_PEEK:])  # the next request may start here
        if self._request_count > count and self._messages:
            self._head_received(data)

    def _head_received(self, data: bytes) -> None:
        """A request head (or a parse error) came out of the parser."""
        self._headers_deadline = None  # its timer, if it fires, finds nothing to time out
        message, payload = self._messages[-1]
        if not isinstance(message, RawRequestMessage):  # aiohttp's _ErrInfo: the parser failed
            self._bad_target = _target_path(bytes(self._recent))
            return
        self._recent = bytearray(data[-_PEEK:])
        if not payload.is_eof():
            self._body = payload
            self._body_request = f"{message.method} {message.path}"
            self._body_deadline = self._loop.time() + self._options.body_timeout
            self._body_handle = self._loop.call_at(self._body_deadline, self._check_body)

    def _end_body(self) -> None:
        self._body = None
        if self._body_handle is not None:
            self._body_handle.cancel()
            self._body_handle = None

    def _cancel_headers_timer(self) -> None:
        self._headers_deadline = None
        if self._headers_handle is not None:
            self._headers_handle.cancel()
            self._headers_handle = None

    def _check_headers(self) -> None:
        self._headers_handle = None
        deadline = self._headers_deadline
        if deadline is None or self.transport is None or self._force_close:
            return  # no head being received: the next one arms the timer again
        if self._loop.time() < deadline:  # a later request's head: its own deadline
            self._headers_handle = self._loop.call_at(deadline, self._check_headers)
            return
        self._headers_deadline = None
        seconds = f"{self._options.headers_timeout:g} s"
        self._report(f"{self._peer()}: request headers not complete after {seconds}: closed", None)
        if not self._request_in_progress:  # nothing else is being written on this connection
            target = _target_path(bytes(self._recent)) or ""
            message = f"request headers not received within {seconds}"
            answer = _raw_answer(408, "Request Timeout", message, target.startswith(CDN_CGI))
            self.transport.write(answer)
        self.force_close()

    def _check_body(self) -> None:
        self._body_handle = None
        body = self._body
        if body is None or body.is_eof() or self.transport is None:
            return
        now = self._loop.time()
        # Not the client's fault while we have stopped reading (a handler not consuming yet).
        if now < self._body_deadline or self._reading_paused or self._buffer_paused:
            deadline = max(self._body_deadline, now + 1.0)
            self._body_handle = self._loop.call_at(deadline, self._check_body)
            return
        seconds = f"{self._options.body_timeout:g} s"
        self._report(
            f"{self._peer()}: {self._body_request}: the body stalled for {seconds}: closed", None
        )
        self._body = None
        body.set_exception(SlowBody(f"request body not received: no data for {seconds}"))
        self.close()  # no keep-alive after this request

    def connection_lost(self, exc: BaseException | None) -> None:
        self._cancel_headers_timer()
        body = self._body
        # _force_close: we closed it (after an error already reported), not the client.
        if body is not None and not body.is_eof() and not self._force_close:
            self._report(
                f"{self._peer()}: {self._body_request}: "
                "the client disconnected before the end of the body",
                None,
            )
        self._end_body()
        super().connection_lost(exc)

    def _peer(self) -> str:
        return self._peer_name

    # -- errors -----------------------------------------------------------------------------------

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if request.writer.output_size > 0:  # as aiohttp: too late for another answer
            raise ConnectionError("the answer was already started")
        if isinstance(exc, HttpProcessingError):
            target = self._bad_target
            text = f"malformed HTTP request: {_summary(message or exc.message)}"
            where = f" ({_printable(target)})" if target else ""
            self._report(f"{self._peer()}{where}: {text}", None)
            response = self._answer(status, text, target)
        elif isinstance(exc, SlowBody):
            response = self._answer(408, str(exc), request.path)
        elif isinstance(exc, RequestPayloadError):
            text = bad_body_message(exc)
            self._report(f"{self._peer()} ({request.method} {request.path}): {text}", None)
            response = self._answer(400, text, request.path)
        elif isinstance(exc, ConnectionError):
            response = self._answer(400, "the client disconnected", request.path)
        else:  # the server's own fault: the traceback helps
            details = (
                "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
                if exc is not None
                else None
            )
            what = f"{type(exc).__name__}: {exc}" if exc is not None else f"status {status}"
            self._report(f"{request.method} {request.path} failed: {what}", details)
            response = self._answer(status, what, request.path)
        response.force_close()
        return response

    def _answer(self, status: int, message: str, path: str | None) -> web.Response:
        if path is not None and path.startswith(CDN_CGI):
            return failure(status, message)
        return web.Response(status=status, text=f"{message}\n", content_type="text/plain")

    def log_exception(self, *args: Any, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info")
        if isinstance(exc, BaseException) and is_client_fault(exc):
            return  # reported as one line where it happened
        text = str(args[0]) % args[1:] if args else "aiohttp error"
        details = None
        if isinstance(exc, BaseException):
            details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        self._report(text, details)


class _HttpServer(web.Server):
    """aiohttp's low-level server, making :class:`_Protocol` connections."""

    def __init__(self, *args: Any, options: ListenerOptions, report: Report, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._options = options
        self._report = report

    def __call__(self) -> RequestHandler:
        return _Protocol(
            self, loop=self._loop, options=self._options, report=self._report, **self._kwargs
        )


class DevRunner(web.AppRunner):
    """``web.AppRunner`` whose connections are :class:`_Protocol`s."""

    def __init__(
        self, app: web.Application, *, options: ListenerOptions, report: Report, **kwargs: Any
    ) -> None:
        super().__init__(app, keepalive_timeout=options.keepalive_timeout, **kwargs)
        self.options = options
        self._report = report

    async def _make_server(self) -> web.Server:
        base = await super()._make_server()  # the app's startup, freeze and handler
        return _HttpServer(
            base.request_handler,
            request_factory=base.request_factory,
            handler_cancellation=base.handler_cancellation,
            loop=asyncio.get_running_loop(),
            options=self.options,
            report=self._report,
            **base._kwargs,
        )

    def site(self, host: str, port: int) -> web.TCPSite:
        """A TCP site on ``host:port`` with this runner's backlog."""
        return web.TCPSite(self, host, port, reuse_address=True, backlog=self.options.backlog)
