"""Routes that other packages add to every app the server builds.

The test harness (``wf.testing.http``) registers its modifier and waiter routes here
when it is imported, so the server serves them without importing the harness: the
dependency points from testing to the server, never back. ``wf dev`` imports the harness.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aiohttp import web

    from wf.engine import Engine

__all__ = ["RouteSetup", "add_routes", "route_setups"]

# (app, a getter of the current engine) -> None: adds its routes to the app.
RouteSetup = Callable[["web.Application", Callable[[], "Engine"]], None]
_SETUPS: list[RouteSetup] = []


def add_routes(setup: RouteSetup) -> None:
    """Have ``setup`` add its routes to every app built from now on (once per setup)."""
    if setup not in _SETUPS:
        _SETUPS.append(setup)


def route_setups() -> tuple[RouteSetup, ...]:
    """The registered setups, in registration order."""
    return tuple(_SETUPS)
