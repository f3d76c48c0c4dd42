"""Static assets (``assets: {directory, binding, html_handling, not_found_handling,
run_worker_first}``): served by ``wf dev`` as production serves them, and ``env.ASSETS``.

Routing follows Cloudflare's asset-worker (``_routing``): the ``html_handling`` redirects
(307) and pretty URLs, ``not_found_handling`` (``404.html`` with status 404, or the SPA's
``/index.html``), GET and HEAD only (405 otherwise), a strong ``ETag`` answered with 304 on a
matching ``If-None-Match`` (weak or strong). ``env.ASSETS`` is a Fetcher: through the SDK's
``_FetcherWrapper`` its ``fetch(url_or_request)`` takes ``workers.fetch``'s arguments.
"""

from __future__ import annotations

import hashlib
import mimetypes
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urlsplit

from emulator.platform.assets._routing import Intent, intent_for, worker_first

if TYPE_CHECKING:
    from emulator.config import AssetsConfig, Config
    from emulator.platform import Platform
    from emulator.runtime.workers import Request, Response

__all__ = [
    "AssetServer",
    "Assets",
    "Intent",
    "admin",
    "bindings",
    "serve_first",
    "worker_first",
]

# UNCONFIRMED: the asset-worker's browser cache header for assets without custom headers.
CACHE_CONTROL = "public, max-age=0, must-revalidate"
NAVIGATION_DATE = "2025-04-01"  # assets_navigation_prefers_asset_serving becomes the default
_TEXT_TYPES = ("text/", "application/javascript", "application/json", "image/svg+xml")


class AssetServer:
    """One assets folder and its routing settings."""

    def __init__(self, config: AssetsConfig) -> None:
        self.config = config
        self.root = config.directory.resolve()

    def _file(self, path: str) -> Path | None:
        target = (self.root / path.lstrip("/")).resolve()
        if target != self.root and self.root not in target.parents:
            return None  # ../ out of the folder
        return target if target.is_file() else None

    def etag(self, path: str) -> str | None:
        """The file's ETag (a hash of its bytes), or None when no file is at ``path``."""
        file = self._file(path)
        if file is None:
            return None
        return hashlib.sha256(file.read_bytes()).hexdigest()[:32]

    def intent(self, url: str, *, navigation: bool = False) -> Intent | None:
        """What a request for ``url`` resolves to (None: no asset matches)."""
        path = _decode(urlsplit(url).path or "/")
        not_found = self.config.not_found_handling if navigation else "none"
        return intent_for(path, self.config.html_handling, not_found, self.etag)

    def can_serve(self, request: Request, *, navigation_prefers_assets: bool = True) -> bool:
        """Whether the request goes to an asset rather than to the Worker (router order).

        A miss falls to the Worker; not_found_handling applies first only to browser
        navigations (``Sec-Fetch-Mode: navigate``) under the compatibility flag
        ``assets_navigation_prefers_asset_serving``, as production's router does.
        """
        navigation = request.headers.get("sec-fetch-mode") == "navigate"
        return (
            self.intent(request.url, navigation=navigation and navigation_prefers_assets)
            is not None
        )

    def serve(self, request: Request) -> Response:
        """The asset-worker's answer for ``request`` (``env.ASSETS.fetch`` and ``wf dev``)."""
        from emulator.runtime.workers import Headers, Response

        parts = urlsplit(request.url)
        intent = self.intent(request.url, navigation=True)
        if intent is None:
            return Response._from_network(b"", 404, "Not Found", Headers(), request.url, False)
        method = str(request.method).upper()
        if method not in ("GET", "HEAD"):
            return Response._from_network(
                b"", 405, "Method Not Allowed", Headers(), request.url, False
            )
        path = parts.path or "/"
        target = intent.redirect if intent.redirect is not None else _decode(path)
        encoded = _encode(target)
        if intent.redirect is not None or (encoded != path and intent.file is not None):
            location = encoded + (f"?{parts.query}" if parts.query else "")
            headers = Headers({"location": location})
            return Response._from_network(
                b"", 307, "Temporary Redirect", headers, request.url, False
            )
        assert intent.file is not None
        file = self._file(intent.file)
        assert file is not None
        data = file.read_bytes()
        etag = hashlib.sha256(data).hexdigest()[:32]
        headers = Headers(
            {
                "content-type": _content_type(file),
                "etag": f'"{etag}"',
                "cache-control": CACHE_CONTROL,
            }
        )
        if request.headers.get("if-none-match") in (f'"{etag}"', f'W/"{etag}"'):
            return Response._from_network(b"", 304, "Not Modified", headers, request.url, False)
        body = b"" if method == "HEAD" else data
        reason = "OK" if intent.status == 200 else "Not Found"
        return Response._from_network(body, intent.status, reason, headers, request.url, False)


def _decode(path: str) -> str:
    import re

    return re.sub(r"/+", "/", "/".join(unquote(part) for part in path.split("/")))


def _encode(path: str) -> str:
    # encodeURIComponent's safe set, per segment
    return "/".join(quote(part, safe="-_.!~*'()") for part in path.split("/"))


def _content_type(file: Path) -> str:
    kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    if kind.startswith(_TEXT_TYPES):
        kind += "; charset=utf-8"
    return kind


class Assets:
    """``env.ASSETS``: a Fetcher over the assets folder (``fetch(url_or_request, ...)``)."""

    def __init__(self, server: AssetServer) -> None:
        self._server = server

    def __repr__(self) -> str:
        return f"<Fetcher assets {self._server.config.binding}>"

    @property
    def constructor(self) -> Any:
        from emulator.runtime.pyodide._values import _Constructor

        return _Constructor("Fetcher")

    async def fetch(self, resource: Any, **options: Any) -> Response:
        """The asset for a URL or Request (a relative URL is not accepted, as in production)."""
        from emulator.runtime.workers import Request

        resource = getattr(resource, "obj", resource)  # a PyProxy (raw binding): its object
        request = resource if isinstance(resource, Request) and not options else None
        if request is None:
            url = getattr(resource, "url", resource)
            options.pop("cf", None)
            request = Request(str(url), **options)
        return self._server.serve(request)


def serve_first(config: Config, request: Request) -> Response | None:
    """The asset answering a request before the Worker runs, or None (the Worker's turn).

    ``run_worker_first`` (True, or a matching pattern) sends the request to the Worker.
    """
    if config.assets is None:
        return None
    path = urlsplit(request.url).path or "/"
    if worker_first(path, config.assets.run_worker_first):
        return None
    server = AssetServer(config.assets)
    prefers = navigation_prefers_assets(config)
    return (
        server.serve(request)
        if server.can_serve(request, navigation_prefers_assets=prefers)
        else None
    )


def navigation_prefers_assets(config: Config) -> bool:
    """``assets_navigation_prefers_asset_serving``: on from compatibility date 2025-04-01
    (or with the flag), off with ``assets_navigation_has_no_effect``."""
    flags = config.compatibility_flags
    if "assets_navigation_has_no_effect" in flags:
        return False
    if "assets_navigation_prefers_asset_serving" in flags:
        return True
    return config.compatibility_date is None or config.compatibility_date >= NAVIGATION_DATE


def server_of(platform: Platform, config: Config) -> AssetServer | None:
    """The project's asset server (None without ``assets``)."""
    if config.assets is None:
        return None
    return AssetServer(config.assets)


def bindings(platform: Platform, config: Config) -> dict[str, Any]:
    """``env.ASSETS`` when ``assets.binding`` is set."""
    server = server_of(platform, config)
    if server is None or not server.config.binding:
        return {}
    return {server.config.binding: Assets(server)}


def admin(platform: Platform, binding: str) -> AssetServer:
    """The asset server itself."""
    assert platform.config is not None
    server = server_of(platform, platform.config)
    if server is None:
        raise KeyError("no assets in the config")
    return server
