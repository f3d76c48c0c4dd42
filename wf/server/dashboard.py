"""The dashboard of `wf dev`: one static page under ``/cdn-cgi/wf/``.

The page (``static/dashboard.html``, ``.css``, ``.js``: vanilla, no build step, nothing fetched
from elsewhere) is a client of the explorer REST API and the control API only; this module just
serves its files. Like every ``/cdn-cgi/`` route it answers loopback Host headers only.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from wf.server.envelope import ApiError

BASE = "/cdn-cgi/wf"
PAGE_PATHS = (BASE + "/", BASE + "/dashboard")
STATIC_DIR = Path(__file__).with_name("static")
PAGE = "dashboard.html"
ASSETS = {
    "dashboard.css": "text/css",
    "dashboard.js": "text/javascript",
    "favicon.svg": "image/svg+xml",
}
# The page loads its own script and style and talks to its own origin, nothing else.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def add_routes(app: web.Application) -> None:
    """Register the page (at both paths), its assets, and ``/cdn-cgi/wf`` -> ``/cdn-cgi/wf/``."""
    for path in PAGE_PATHS:
        app.router.add_get(path, page)
    app.router.add_get(BASE, to_page)
    app.router.add_get(BASE + "/static/{name}", asset)


def _file(name: str, content_type: str) -> web.Response:
    try:
        body = (STATIC_DIR / name).read_bytes()
    except OSError:
        raise ApiError(404, f"dashboard file {name} is missing from the installation") from None
    return web.Response(
        body=body,
        content_type=content_type,
        charset="utf-8" if content_type.startswith("text/") else None,
        headers={
            "Cache-Control": "no-cache",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": CSP,
            "Referrer-Policy": "no-referrer",
        },
    )


async def page(request: web.Request) -> web.Response:
    return _file(PAGE, "text/html")


async def to_page(request: web.Request) -> web.Response:
    raise web.HTTPFound(PAGE_PATHS[0])


async def asset(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    content_type = ASSETS.get(name)
    if content_type is None:
        raise ApiError(404, f"no dashboard file {name!r}")
    return _file(name, content_type)
