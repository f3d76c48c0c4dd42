"""Cross-cutting rules of the ``/cdn-cgi/`` routes: the error envelope and the loopback guard."""

from __future__ import annotations

import asyncio
import traceback
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from emulator.errors import WorkflowError
from emulator.server.envelope import ApiError, failure

CDN_CGI = "/cdn-cgi/"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def is_cdn_cgi(request: web.BaseRequest) -> bool:
    return request.path.startswith(CDN_CGI)


def error_envelope(log: Callable[[str, str], None]) -> Middleware:
    """Every failure under /cdn-cgi/ becomes Cloudflare's error envelope, never an HTML page.

    ``log(message, traceback)`` receives unexpected errors, which answer 500.
    """

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not is_cdn_cgi(request):
            return await handler(request)
        try:
            return await handler(request)
        except ApiError as exc:
            return failure(exc.status, exc.message, exc.code)
        except WorkflowError as exc:
            error = ApiError.from_workflow_error(exc)
            return failure(error.status, error.message, error.code)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            return failure(exc.status, _http_message(request, exc))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log(f"{request.method} {request.path} failed", traceback.format_exc())
            return failure(500, f"{type(exc).__name__}: {exc}")

    return middleware


def _http_message(request: web.BaseRequest, exc: web.HTTPException) -> str:
    if exc.status == 404:
        return f"no route {request.path}"
    if exc.status == 405:
        allowed = ", ".join(sorted(getattr(exc, "allowed_methods", ()) or ()))
        return f"method {request.method} not allowed on {request.path} (allowed: {allowed})"
    if exc.status == 413:
        return "request body is larger than the limit"
    return exc.reason


def loopback_guard(extra_hosts: Iterable[str] = ()) -> Middleware:
    """/cdn-cgi/ answers only requests whose Host (and Origin, if any) is a loopback name.

    A web page could otherwise reach the local server through a DNS name it controls that
    resolves to 127.0.0.1 (DNS rebinding) and drive the control routes.
    """
    allowed = set(LOOPBACK_HOSTS)
    allowed.update(_normalise(host) for host in extra_hosts if host)

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if is_cdn_cgi(request):
            host = request.headers.get("Host")
            if host is not None and _hostname(f"//{host}") not in allowed:
                raise ApiError(403, f"Host {host!r} is not allowed: use 127.0.0.1 or localhost")
            origin = request.headers.get("Origin")
            if origin is not None and _hostname(origin) not in allowed:
                raise ApiError(403, f"Origin {origin!r} is not allowed")
        return await handler(request)

    return middleware


def _normalise(host: str) -> str:
    return host.strip().strip("[]").lower()


def _hostname(value: str) -> str | None:
    try:
        return urlsplit(value).hostname
    except ValueError:
        return None
