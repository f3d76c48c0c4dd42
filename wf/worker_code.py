"""The Worker's loaded code (`LoadedCode`) and calling its handlers: fetch, queue, scheduled."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType, ModuleType
from typing import Any


@dataclass(frozen=True, eq=False)  # identity: each load is its own generation
class LoadedCode:
    """The result of one successful load of the user's code."""

    generation: int
    modules: Mapping[str, ModuleType]
    workflow_classes: Mapping[str, type]
    worker: type | None
    on_fetch: Callable[..., Any] | None
    files: tuple[Path, ...]
    # Module-level handlers of the older style: on_queue(batch, env), on_scheduled(event, env)
    on_queue: Callable[..., Any] | None = None
    on_scheduled: Callable[..., Any] | None = None
    # durable_objects.bindings[].class_name -> the DurableObject subclass in the main module
    durable_object_classes: Mapping[str, type] = field(default_factory=lambda: MappingProxyType({}))


class WorkerError(TypeError):
    """The Worker has no fetch handler, or its handler returned something not a Response."""


async def call_fetch(code: LoadedCode, request: Any, env: Any, ctx: Any) -> Any:
    """Run the Worker's fetch handler: ``Default(WorkerEntrypoint).fetch`` or ``on_fetch``.

    Returns the handler's ``workers.Response``; its exceptions propagate to the caller.
    """
    from wf.runtime.workers import Response

    if code.worker is not None:
        handler = getattr(code.worker(ctx, env), "fetch", None)
        if handler is None:
            raise WorkerError(
                "the Worker's Default class has no fetch method: "
                "define async def fetch(self, request)"
            )
        result = handler(request)
    elif code.on_fetch is not None:
        result = code.on_fetch(*_on_fetch_args(code.on_fetch, request, env, ctx))
    else:
        raise WorkerError(
            "the project has no Worker: define class Default(WorkerEntrypoint) with "
            "async def fetch(self, request), or async def on_fetch(request, env)"
        )
    if inspect.isawaitable(result):
        result = await result
    if not isinstance(result, Response):
        raise WorkerError(
            f"the fetch handler must return a workers.Response, got {type(result).__name__}"
        )
    return result


def _on_fetch_args(handler: Any, request: Any, env: Any, ctx: Any) -> tuple[Any, ...]:
    """``on_fetch(request)``, ``on_fetch(request, env)`` or ``on_fetch(request, env, ctx)``."""
    try:
        parameters = list(inspect.signature(handler).parameters.values())
    except (TypeError, ValueError):
        return (request, env)
    if any(p.kind is p.VAR_POSITIONAL for p in parameters):
        return (request, env, ctx)
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return (request, env, ctx)[: max(1, min(3, len(positional)))]


async def call_queue(code: LoadedCode, batch: Any, env: Any, ctx: Any) -> None:
    """Run the Worker's queue handler: ``Default.queue(self, batch)`` or ``on_queue``."""
    await _call_event(code, "queue", code.on_queue, batch, env, ctx, "batch")


async def call_scheduled(code: LoadedCode, controller: Any, env: Any, ctx: Any) -> None:
    """Run the Worker's cron handler: ``Default.scheduled(self, controller)`` or
    ``on_scheduled``."""
    await _call_event(code, "scheduled", code.on_scheduled, controller, env, ctx, "controller")


async def _call_event(
    code: LoadedCode,
    name: str,
    module_handler: Callable[..., Any] | None,
    argument: Any,
    env: Any,
    ctx: Any,
    parameter: str,
) -> None:
    # A class entrypoint's handler gets only the event (env and ctx are on self), as workerd
    # calls a WorkerEntrypoint's methods; a module-level one gets (event, env, ctx).
    if code.worker is not None:
        handler = getattr(code.worker(ctx, env), name, None)
        if handler is None:
            raise WorkerError(
                f"the Worker's Default class has no {name} method: "
                f"define async def {name}(self, {parameter})"
            )
        result = handler(argument)
    elif module_handler is not None:
        result = module_handler(*_on_fetch_args(module_handler, argument, env, ctx))
    else:
        raise WorkerError(
            f"the project has no {name} handler: define class Default(WorkerEntrypoint) with "
            f"async def {name}(self, {parameter})"
        )
    if inspect.isawaitable(result):
        await result
