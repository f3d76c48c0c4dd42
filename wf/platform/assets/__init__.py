"""Static assets (``assets: {directory, binding, html_handling, not_found_handling,
run_worker_first}``): served by ``wf dev`` as production serves them, and ``env.ASSETS``.

Routing follows Cloudflare's asset-worker (``_routing``): the ``html_handling`` redirects
(307) and pretty URLs, ``not_found_handling`` (``404.html`` with status 404, or the SPA's
``/index.html``), GET and HEAD only (405 otherwise), a strong ``ETag`` answered with 304 on a
matching ``If-None-Match`` (weak or strong). ``env.ASSETS`` is a Fetcher: through the SDK's
``_FetcherWrapper`` its ``fetch(url_or_request)`` takes ``workers.fetch``'s arguments.

The folder's ``_redirects`` (``_redirects``: answered before any file), ``_headers``
(``_headers``: on every answer of the assets) and ``.assetsignore`` (``_ignore``: files never
served) are read again when they change; ``_rules`` holds the URL patterns. Without ``main``
(an assets-only project) the folder answers every request, with not_found_handling for any miss.
"""

from __future__ import annotations

import hashlib
import mimetypes
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urljoin, urlsplit

from wf.platform.assets._headers import HeaderRules, parse_headers
from wf.platform.assets._ignore import IGNORE_FILE, is_ignored, parse_ignore
from wf.platform.assets._redirects import Redirects, parse_redirects
from wf.platform.assets._routing import Intent, intent_for, worker_first
from wf.platform.assets._rules import parsed

if TYPE_CHECKING:
    from wf.config import AssetsConfig, Config
    from wf.platform import Platform
    from wf.runtime.workers import Request, Response

__all__ = [
    "AssetServer",
    "Assets",
    "Intent",
    "admin",
    "bindings",
    "describe",
    "serve_first",
    "worker_first",
]

# UNCONFIRMED: the asset-worker's browser cache header for assets without custom headers.
CACHE_CONTROL = "public, max-age=0, must-revalidate"
NAVIGATION_DATE = "2025-04-01"  # assets_navigation_prefers_asset_serving becomes the default
_TEXT_TYPES = ("text/", "application/javascript", "application/json", "image/svg+xml")
REDIRECTS_FILE = "_redirects"
HEADERS_FILE = "_headers"
# Read by the platform, never served (wrangler leaves them out of the upload).
NOT_SERVED = frozenset({REDIRECTS_FILE, HEADERS_FILE, IGNORE_FILE})
REDIRECT_REASONS = {
    301: "Moved Permanently",
    302: "Found",
    303: "See Other",
    307: "Temporary Redirect",
    308: "Permanent Redirect",
}


class AssetServer:
    """One assets folder, its routing settings and its ``_headers`` / ``_redirects`` rules."""

    def __init__(self, config: AssetsConfig, *, worker: bool = True) -> None:
        self.config = config
        self.root = config.directory.resolve()
        self.worker = worker  # False: an assets-only project, every request is the folder's

    def _file(self, path: str) -> Path | None:
        target = (self.root / path.lstrip("/")).resolve()
        if target != self.root and self.root not in target.parents:
            return None  # ../ out of the folder
        if target.parent == self.root and target.name in NOT_SERVED:
            return None
        if not target.is_file():
            return None
        ignore = parsed(self.root / IGNORE_FILE, "", parse_ignore)
        if ignore and is_ignored(target.relative_to(self.root).as_posix(), ignore):
            return None  # left out of the upload: production has no such asset
        return target

    def etag(self, path: str) -> str | None:
        """The file's ETag (a hash of its bytes), or None when no file is at ``path``."""
        file = self._file(path)
        if file is None:
            return None
        return hashlib.sha256(file.read_bytes()).hexdigest()[:32]

    def redirects(self) -> Redirects:
        """The folder's ``_redirects`` rules (read again when the file changes)."""
        html = self.config.html_handling
        found = parsed(self.root / REDIRECTS_FILE, html, lambda t: parse_redirects(t, html))
        return found if found is not None else Redirects()

    def header_rules(self) -> HeaderRules:
        """The folder's ``_headers`` rules (read again when the file changes)."""
        found = parsed(self.root / HEADERS_FILE, "", parse_headers)
        return found if found is not None else HeaderRules()

    def problems(self, folder: Path | None = None) -> list[str]:
        """The skipped lines of ``_redirects`` and ``_headers``: ``FILE[:LINE]: message``
        (FILE under ``folder``, the assets directory as the config names it)."""
        lines = []
        for name, rules in (
            (REDIRECTS_FILE, self.redirects().invalid),
            (HEADERS_FILE, self.header_rules().invalid),
        ):
            where = (folder or self.config.directory) / name
            for problem in rules:
                at = f"{where}:{problem.line}" if problem.line else str(where)
                text = f" ({problem.text})" if problem.text else ""
                lines.append(f"{at}: {problem.message}{text}")
        return lines

    def intent(self, url: str, *, navigation: bool = False) -> Intent | None:
        """What a request for ``url`` resolves to (None: no asset matches)."""
        path = _decode(urlsplit(url).path or "/")
        not_found = self.config.not_found_handling if navigation else "none"
        return intent_for(path, self.config.html_handling, not_found, self.etag)

    def can_serve(self, request: Request, *, navigation_prefers_assets: bool = True) -> bool:
        """Whether the request goes to the assets rather than to the Worker (router order).

        A miss falls to the Worker; not_found_handling applies first only to browser
        navigations (``Sec-Fetch-Mode: navigate``) under the compatibility flag
        ``assets_navigation_prefers_asset_serving``, as production's router does. A
        ``_redirects`` match always answers from the assets.
        """
        not_found = self.not_found_first(request, navigation_prefers_assets)
        return self.answer(request, not_found) is not None

    def not_found_first(self, request: Request, navigation_prefers_assets: bool) -> str:
        """The not_found_handling that applies before the Worker gets its turn."""
        if not self.worker:
            return self.config.not_found_handling
        navigation = request.headers.get("sec-fetch-mode") == "navigate"
        return (
            self.config.not_found_handling if navigation and navigation_prefers_assets else "none"
        )

    def serve(self, request: Request) -> Response:
        """The asset-worker's answer for ``request`` (``env.ASSETS.fetch`` and ``wf dev``)."""
        from wf.runtime.workers import Headers, Response

        found = self.answer(request, self.config.not_found_handling)
        if found is None:
            found = Response._from_network(b"", 404, "Not Found", Headers(), request.url, False)
            self._custom_headers(request, found)
        return found

    def answer(self, request: Request, not_found: str) -> Response | None:
        """The answer with ``not_found`` handling, or None when no asset or rule matches
        (production's "no intent": the Worker's turn, or a plain 404)."""
        found = self._answer(request, not_found)
        if found is not None:
            self._custom_headers(request, found)
        return found

    def _answer(self, request: Request, not_found: str) -> Response | None:
        from wf.runtime.workers import Headers, Response

        parts = urlsplit(request.url)
        path = parts.path or "/"
        proxied = False
        redirect = self.redirects().match(parts.netloc, path, parts.hostname or "")
        if redirect is not None:
            status, to = redirect
            if status != 200:
                location = _location(to, request.url)
                headers = Headers({"location": location})
                reason = REDIRECT_REASONS[status]
                return Response._from_network(b"", status, reason, headers, request.url, False)
            path = urlsplit(urljoin(request.url, to)).path or "/"
            proxied = True
        decoded = _decode(path)
        intent = intent_for(decoded, self.config.html_handling, not_found, self.etag)
        if intent is None:
            if proxied:  # a 200 rule to nothing is a 404, not the Worker's turn
                return Response._from_network(b"", 404, "Not Found", Headers(), request.url, False)
            return None
        method = str(request.method).upper()
        if method not in ("GET", "HEAD"):
            return Response._from_network(
                b"", 405, "Method Not Allowed", Headers(), request.url, False
            )
        target = intent.redirect if intent.redirect is not None else decoded
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
        headers = Headers({"content-type": _content_type(file), "etag": f'"{etag}"'})
        if "authorization" not in request.headers and "range" not in request.headers:
            headers.set("cache-control", CACHE_CONTROL)
        if request.headers.get("if-none-match") in (f'"{etag}"', f'W/"{etag}"'):
            return Response._from_network(b"", 304, "Not Modified", headers, request.url, False)
        body = b"" if method == "HEAD" else data
        reason = "OK" if intent.status == 200 else "Not Found"
        return Response._from_network(body, intent.status, reason, headers, request.url, False)

    def _custom_headers(self, request: Request, response: Response) -> None:
        rules = self.header_rules()
        if rules:
            parts = urlsplit(request.url)
            rules.apply(response.headers, parts.hostname or "", parts.path or "/")


def _location(to: str, url: str) -> str:
    """A ``_redirects`` Location: a same-origin target as a path; the request's query
    string kept when the target has none."""
    here = urlsplit(url)
    there = urlsplit(urljoin(url, to))
    query = f"?{there.query}" if there.query else (f"?{here.query}" if here.query else "")
    fragment = f"#{there.fragment}" if there.fragment else ""
    if (there.scheme, there.netloc) == (here.scheme, here.netloc):
        return (there.path or "/") + query + fragment
    base = there._replace(query="", fragment="").geturl()
    if not there.path:
        base += "/"
    return base + query + fragment


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
        from wf.runtime.pyodide._values import _Constructor

        return _Constructor("Fetcher")

    async def fetch(self, resource: Any, **options: Any) -> Response:
        """The asset for a URL or Request (a relative URL is not accepted, as in production)."""
        from wf.runtime.workers import Request

        resource = getattr(resource, "obj", resource)  # a PyProxy (raw binding): its object
        request = resource if isinstance(resource, Request) and not options else None
        if request is None:
            url = getattr(resource, "url", resource)
            options.pop("cf", None)
            request = Request(str(url), **options)
        return self._server.serve(request)


def serve_first(config: Config, request: Request) -> Response | None:
    """The asset answering a request before the Worker runs, or None (the Worker's turn).

    ``run_worker_first`` (True, or a matching pattern) sends the request to the Worker. In an
    assets-only project (no ``main``) the folder answers everything, a miss with
    ``not_found_handling`` or a 404.
    """
    if config.assets is None:
        return None
    server = AssetServer(config.assets, worker=config.main is not None)
    if not server.worker:
        return server.serve(request)
    path = urlsplit(request.url).path or "/"
    if worker_first(path, config.assets.run_worker_first):
        return None
    prefers = navigation_prefers_assets(config)
    return server.answer(request, server.not_found_first(request, prefers))


def describe(config: Config) -> list[str]:
    """Start-up lines for the assets: the folder, its rules, the lines they skipped."""
    if config.assets is None:
        return []
    server = AssetServer(config.assets, worker=config.main is not None)
    try:
        folder = config.assets.directory.relative_to(config.root)
    except ValueError:
        folder = config.assets.directory
    redirects, headers = len(server.redirects()), len(server.header_rules())
    alone = "; assets only, no Worker" if not server.worker else ""
    lines = [
        f"  assets {folder}/ ({redirects} redirect rule{'s' * (redirects != 1)}, "
        f"{headers} header rule{'s' * (headers != 1)}{alone})"
    ]
    return lines + [f"warning: {problem}" for problem in server.problems(folder)]


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
    return AssetServer(config.assets, worker=config.main is not None)


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
