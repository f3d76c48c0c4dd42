"""The ``step`` argument of ``run(self, event, step)``: Cloudflare's Python step API.

``WorkflowStep`` shapes the calls as workers-py's ``_WorkflowStepWrapper`` does (decorators,
dependencies, memo) and hands each one to a runner: the engine's ``StepRunner``, which
answers it from the instance's history or executes it.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Protocol

from wf.runtime.workers import JsDict

__all__ = ["DEFAULT_EVENT_TIMEOUT", "StepCallback", "StepCalls", "WorkflowStep"]

DEFAULT_EVENT_TIMEOUT = "24 hours"


# What a step call hands the runner: its code, called with a function that builds the step's
# ``ctx`` (only a step with a ``ctx`` parameter pays for building it).
StepCallback = Callable[[Callable[[], JsDict]], Awaitable[Any]]


class StepCalls(Protocol):
    """What ``WorkflowStep`` needs of a runner: the four step calls and a warning."""

    def warn(self, message: str) -> None: ...

    async def do(self, name: Any, callback: StepCallback, config: Any = None) -> Any: ...

    async def sleep(self, name: Any, duration: Any) -> None: ...

    async def sleep_until(self, name: Any, timestamp: Any) -> None: ...

    async def wait_for_event(self, name: Any, event_type: Any, timeout: Any) -> Any: ...


def _step_parameters(func: Callable[..., Any]) -> list[str]:
    """Every parameter name of a step function, in order (``*args`` and keyword-only too).

    Cached per code object for plain functions: a ``functools.wraps`` wrapper shares its code
    with other wrappers, so its signature is read each time.
    """
    code = getattr(func, "__code__", None)
    plain = code is not None and not hasattr(func, "__wrapped__")
    cached = _SIGNATURES.get(code) if plain else None
    if cached is None:
        cached = list(inspect.signature(func).parameters)
        if plain:
            _SIGNATURES[code] = cached
    return cached


_SIGNATURES: dict[Any, list[str]] = {}
_CTX = object()  # marks the slot where the step's ctx goes


class WorkflowStep:
    """The ``step`` argument of ``run(self, event, step)``: Cloudflare's Python step API."""

    def __init__(self, runner: StepCalls, implicit_dependencies: bool = True) -> None:
        self._runner = runner
        self._implicit = implicit_dependencies
        self.step_closures: dict[str, Callable[[], Awaitable[Any]]] = {}
        # keyed per step function, as production's memo is (by the wrapper): a redefined
        # step runs anew
        self._memo: dict[object, Any] = {}
        self._in_flight: dict[object, asyncio.Future[Any]] = {}

    def release(self) -> None:
        """The pass is over: drop the step functions and results it holds.

        Each step function's closure holds this object, which holds the function: a cycle
        per step, with the user's closures, the runner and the instance's rows behind it.
        Left to the cyclic GC, a pass's objects outlive their pass into the oldest
        generation, whose full collections then grow with them."""
        self.step_closures.clear()
        self._memo.clear()
        self._in_flight.clear()

    def do(self, *args: Any, **kwargs: Any) -> Callable[[Callable[..., Any]], Any]:
        """Decorate a function as a step; call the result (``await my_step()``) to run it.

        The signature follows the compatibility flag, as workers-py's ``_WorkflowStepWrapper``:
        ``do(name=None, *, concurrent=False, config=None)`` with implicit dependencies,
        ``do(name, depends=None, concurrent=False, config=None)`` otherwise.
        """
        if self._implicit and "depends" in kwargs:
            self._runner.warn(
                "step.do(depends=...) is the legacy signature; with implicit dependencies "
                "(python_workflows_implicit_dependencies) a step names its dependencies as "
                "parameters"
            )
        if args and callable(args[0]) and not isinstance(args[0], str):
            self._runner.warn(
                "@step.do without parentheses: production takes the function as the step's "
                "name and fails when the step is called; write @step.do() or @step.do('name')"
            )
        if self._implicit:
            return self._do_implicit(*args, **kwargs)
        return self._do_legacy(*args, **kwargs)

    def _do_legacy(
        self,
        name: Any,
        depends: list[Callable[..., Any]] | None = None,
        concurrent: bool = False,
        config: dict[str, Any] | None = None,
    ) -> Callable[[Callable[..., Any]], Any]:
        return self._decorator(name, depends, concurrent, config, implicit=False)

    def _do_implicit(
        self,
        name: Any = None,
        *,
        concurrent: bool = False,
        config: dict[str, Any] | None = None,
    ) -> Callable[[Callable[..., Any]], Any]:
        return self._decorator(name, None, concurrent, config, implicit=True)

    def _decorator(
        self,
        name: Any,
        depends: list[Callable[..., Any]] | None,
        concurrent: bool,
        config: dict[str, Any] | None,
        implicit: bool,
    ) -> Callable[[Callable[..., Any]], Any]:
        def decorator(func: Callable[..., Any]) -> Callable[[], Awaitable[Any]]:
            step_name = func.__name__ if name is None else name
            # The memo's key for this step function: the wrapper itself, named inside its own
            # body, would make its closure a cycle that keeps the whole pass alive.
            key = object()

            async def wrapper() -> Any:
                deps = self._dependencies(func, depends, implicit)
                return await self._invoke(step_name, key, func, deps, concurrent, config)

            wrapper._step_name = step_name  # type: ignore[attr-defined]
            wrapper._step_key = key  # type: ignore[attr-defined]
            self.step_closures[step_name] = wrapper
            return wrapper

        return decorator

    def _dependencies(
        self, func: Callable[..., Any], depends: list[Callable[..., Any]] | None, implicit: bool
    ) -> list[Any]:
        """One entry per parameter, in order: a step to resolve, or ``_CTX`` for ctx's slot."""
        params = _step_parameters(func)
        if implicit:
            deps: list[Any] = []
            for param in params:
                if param in self.step_closures:  # a step named "ctx" wins, as in production
                    deps.append(self.step_closures[param])
                elif param == "ctx":
                    deps.append(_CTX)
                else:
                    raise TypeError(f"Received unexpected parameter {param}")
            return deps
        non_ctx = [p for p in params if p != "ctx"]
        if depends is None and non_ctx:
            raise TypeError(
                f"Step has {len(non_ctx)} non-ctx parameter(s) but no 'depends' list provided"
            )
        if depends is not None and len(depends) != len(non_ctx):
            raise TypeError(
                f"Step declares {len(non_ctx)} non-ctx parameter(s) but 'depends' has "
                f"{len(depends)} item(s)"
            )
        given = iter(depends or [])
        deps = []
        for param in params:
            if param == "ctx":
                deps.append(_CTX)
                continue
            dep = next(given)
            if not hasattr(dep, "_step_name"):
                raise TypeError(
                    f"'depends' entry for parameter {param!r} is not a function decorated "
                    "with step.do"
                )
            deps.append(dep)
        return deps

    async def _invoke(
        self,
        step_name: Any,
        key: object,
        func: Callable[..., Any],
        deps: list[Any],
        concurrent: bool,
        config: dict[str, Any] | None,
    ) -> Any:
        if not deps:
            values: list[Any] = []
        elif concurrent:
            values = list(await asyncio.gather(*(self._resolve(d) for d in deps)))
        else:
            values = [await self._resolve(d) for d in deps]

        async def callback(ctx: Callable[[], JsDict]) -> Any:
            # Positional, ctx in its own slot: a keyword-only parameter fails the attempt,
            # as production calls the function the same way.
            result = func(*[ctx() if value is _CTX else value for value in values])
            if inspect.isawaitable(result):
                result = await result
            return result

        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._in_flight[key] = future
        try:
            result = await self._runner.do(step_name, callback, config)
        except BaseException as exc:
            if not future.done():
                if isinstance(exc, asyncio.CancelledError):
                    future.cancel()
                else:
                    future.set_exception(exc)
                    future.exception()  # a failure nobody waits on is not "never retrieved"
            raise
        finally:
            if self._in_flight.get(key) is future:
                del self._in_flight[key]
        self._memo[key] = result
        future.set_result(result)
        return result

    async def _resolve(self, dep: Any) -> Any:
        if dep is _CTX:
            return _CTX
        key = dep._step_key
        if key in self._memo:
            return self._memo[key]
        if key in self._in_flight:
            return await asyncio.shield(self._in_flight[key])
        return await dep()

    async def sleep(self, *args: Any, **kwargs: Any) -> None:
        """Sleep for a duration (milliseconds, or a string like ``"7 days"``).

        Production passes the arguments through to JS ``sleep(name, duration)``, Python keywords
        as one trailing object (Pyodide's rule), so ``sleep(name=..., duration=...)`` sends an
        object as the name and fails there as here.
        """
        if kwargs:
            self._runner.warn(
                f"step.sleep() takes its arguments positionally; keywords "
                f"{', '.join(sorted(kwargs))} reach production as one object in the next "
                "position: write step.sleep(name, duration)"
            )
        js_args = [*args, dict(kwargs)] if kwargs else list(args)
        name = js_args[0] if js_args else None
        duration = js_args[1] if len(js_args) > 1 else None
        await self._runner.sleep(name, duration)

    async def sleep_until(self, name: str, timestamp: datetime | float | int) -> None:
        """Sleep until a datetime (or epoch milliseconds)."""
        await self._runner.sleep_until(name, timestamp)

    async def wait_for_event(
        self, name: str, event_type: str, /, timeout: Any = DEFAULT_EVENT_TIMEOUT
    ) -> Any:
        """Wait for an event of a type; returns ``{"payload", "timestamp", "type"}``."""
        return await self._runner.wait_for_event(name, event_type, timeout)
