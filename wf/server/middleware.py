"""Cross-cutting rules of the ``/cdn-cgi/`` routes: the error envelope and the origin guard."""

from __future__ import annotations

import asyncio
import functools
import traceback
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from aiohttp.web_protocol import RequestPayloadError

from wf.errors import WorkflowError
from wf.server.envelope import ApiError, failure
from wf.server.listener import SlowBody, bad_body_message

CDN_CGI = "/cdn-cgi/"
CLIENT_V4 = "/client/v4/"  # Cloudflare's REST API (server/cfapi): guarded as /cdn-cgi/ is
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def is_cdn_cgi(request: web.BaseRequest) -> bool:
    return request.path.startswith(CDN_CGI)


def is_local_api(request: web.BaseRequest) -> bool:
    """Routes of wf itself (not the Worker's): /cdn-cgi/ and Cloudflare's /client/v4/."""
    return request.path.startswith((CDN_CGI, CLIENT_V4))


def error_envelope(log: Callable[[str, str], None]) -> Middleware:
    """Every failure under /cdn-cgi/ becomes Cloudflare's error envelope, never an HTML page.

    ``log(message, traceback)`` receives unexpected errors, which answer 500.
    """

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not is_local_api(request):
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
        except SlowBody as exc:  # the listener wrote the console line
            return failure(408, str(exc))
        except RequestPayloadError as exc:  # a body aiohttp could not decode (corrupt gzip)
            message = bad_body_message(exc)
            log(f"{request.method} {request.path}: {message}", "")
            return failure(400, message)
        except ConnectionError:  # the client left mid-body: nobody reads this answer
            return failure(400, "the client disconnected")
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


ALLOWED_ORIGINS: web.AppKey[frozenset[str]] = web.AppKey("wf_allowed_origins")
_CORS = "wf_cors_origin"  # request key: the allowed cross origin this answer goes to
_CORS_METHODS = "GET, POST, PUT, PATCH, DELETE"


def origin_of(value: str) -> str:
    """``scheme://host:port`` of an origin or URL, lower-cased with its port explicit.

    ValueError when it is not an http(s) origin (``null``, a path, another scheme).
    """
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not an origin like http://localhost:3000")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise ValueError(f"{value!r} is not an origin: give scheme, host and port only")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}:{port}"


def allow_origins(app: web.Application, origins: Iterable[str]) -> None:
    """Let pages at ``origins`` (``wf dev --allow-origin``) call /cdn-cgi/, with CORS headers.

    Call before the app starts; raises ValueError for a value that is not an origin.
    """
    app[ALLOWED_ORIGINS] = frozenset(origin_of(origin) for origin in origins)
    app.on_response_prepare.append(_add_cors_headers)


async def _add_cors_headers(request: web.Request, response: web.StreamResponse) -> None:
    origin = request.get(_CORS)
    if origin is not None:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"


def loopback_guard(extra_hosts: Iterable[str] = ()) -> Middleware:
    """/cdn-cgi/ answers only requests whose Host is a loopback name, from its own origin.

    A web page could otherwise drive the control routes: a foreign one through a DNS name it
    controls that resolves to 127.0.0.1 (DNS rebinding), a local one (another dev server on
    another port) directly. A page's requests carry its Origin: only the server's own origin
    (the dashboard) and those given with ``--allow-origin`` pass.
    """
    allowed = set(LOOPBACK_HOSTS)
    allowed.update(_normalise(host) for host in extra_hosts if host)

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not is_local_api(request):
            return await handler(request)
        host = request.headers.get("Host")
        if host is not None and _host_name(host) not in allowed:
            raise ApiError(403, f"Host {host!r} is not allowed: use 127.0.0.1 or localhost")
        target = request.raw_path
        # An absolute-form target (GET http://name/...) names the host instead of Host.
        if not target.startswith("/") and _hostname(target) not in allowed:
            raise ApiError(403, f"request target {target[:100]!r} is not allowed: use a path")
        origin = request.headers.get("Origin")
        if origin is None or _same_origin(request, origin, host):
            return await handler(request)
        opted_in = request.app.get(ALLOWED_ORIGINS, frozenset())
        normal = _origin_or_none(origin)
        if normal is None or normal not in opted_in:
            raise ApiError(
                403,
                f"Origin {origin!r} is not allowed: only this server's own pages may call "
                "/cdn-cgi/ (start wf dev with --allow-origin ORIGIN to let another page)",
            )
        request[_CORS] = origin
        if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            wanted = request.headers.get("Access-Control-Request-Headers", "content-type")
            return web.Response(
                status=204,
                headers={
                    "Access-Control-Allow-Methods": _CORS_METHODS,
                    "Access-Control-Allow-Headers": wanted,
                    "Access-Control-Max-Age": "600",
                },
            )
        return await handler(request)

    return middleware


def _origin_or_none(value: str) -> str | None:
    try:
        return origin_of(value)
    except ValueError:
        return None


def _same_origin(request: web.BaseRequest, origin: str, host: str | None) -> bool:
    """Whether ``origin`` is the origin the request was sent to (its scheme and Host)."""
    if host is None:
        return False
    own = _origin_or_none(f"{request.scheme}://{host}")
    return own is not None and own == _origin_or_none(origin)


def _normalise(host: str) -> str:
    return host.strip().strip("[]").lower()


@functools.lru_cache(maxsize=64)
def _host_name(host: str) -> str | None:
    """The name in a Host header; cached, since nearly every request sends the same one."""
    return _hostname(f"//{host}")


def _hostname(value: str) -> str | None:
    try:
        return urlsplit(value).hostname
    except ValueError:
        return None
