"""Where handlers find the dev session: one typed key on the aiohttp application."""

from __future__ import annotations

from aiohttp import web

from wf.server.session import DevSession

SESSION = web.AppKey("wf_session", DevSession)


def session_of(request: web.Request) -> DevSession:
    """The session of the app serving ``request``."""
    return request.app[SESSION]
