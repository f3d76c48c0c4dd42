"""Base classes user code subclasses: WorkflowEntrypoint, WorkerEntrypoint, DurableObject."""

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
    """Base class of a Durable Object: ``__init__(self, ctx, env)``; public methods are RPC
    methods of its stubs, ``fetch(self, request)`` serves ``stub.fetch``, ``alarm(self)``
    runs when its alarm is due (wf.platform.durable_objects).
    """

    ctx: Any
    env: Any

    def __init__(self, ctx: Any, env: Any) -> None:
        self.ctx = ctx
        self.env = env
