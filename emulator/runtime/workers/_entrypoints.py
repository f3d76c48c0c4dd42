"""Base classes user code subclasses: WorkflowEntrypoint and WorkerEntrypoint."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

_F = TypeVar("_F", bound=Callable[..., Any])


class WorkflowEntrypoint:
    """Base class of a Workflow: subclasses define `async def run(self, event, step)`."""

    ctx: Any
    env: Any

    def __init__(self, ctx: Any, env: Any) -> None:
        self.ctx = ctx
        self.env = env


class WorkerEntrypoint:
    """Base class of a Worker: subclasses define `async def fetch(self, request)`."""

    ctx: Any
    env: Any

    def __init__(self, ctx: Any, env: Any) -> None:
        self.ctx = ctx
        self.env = env


def handler(func: _F) -> _F:
    """Decorator of old-style `on_fetch` handlers; arguments are already Python objects here."""
    return func


class DurableObject:
    """Base class of a Durable Object.

    Subclasses load as in production, but wf does not run Durable Objects yet: a
    ``durable_objects`` binding in the config is named at start-up as not emulated.
    """

    ctx: Any
    env: Any

    def __init__(self, ctx: Any, env: Any) -> None:
        self.ctx = ctx
        self.env = env
