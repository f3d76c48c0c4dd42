"""Service bindings (``services[]``): ``env.AUTH`` calls another Worker of the session.

What Python code holds is what the SDK's ``_FetcherWrapper`` makes of a Fetcher (workers-py
``_workers.py``): ``await env.AUTH.fetch(url_or_request, method=..., ...)`` runs the target's
``fetch`` and returns its ``Response``; any other attribute is an RPC method of the target's
``WorkerEntrypoint`` (the default export, ``Default``, or the class ``entrypoint`` names):
arguments go through ``python_to_rpc`` and arrive through ``python_from_rpc``, as the result
comes back. The target is looked up at each call, so a reload of its Worker is seen at once.
"""

from __future__ import annotations

import asyncio
import inspect
import traceback
import types
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from wf.config import ServiceConfig
from wf.project import call_fetch
from wf.runtime.pyodide.ffi import JsException
from wf.runtime.workers import Request, Response, WorkerEntrypoint
from wf.runtime.workers._context import ExecutionContext
from wf.runtime.workers._env import scoped_env
from wf.runtime.workers._rpc import check_rpc, python_from_rpc, python_to_rpc

if TYPE_CHECKING:
    from wf.project import LoadedCode

__all__ = ["Service", "ServiceTarget", "not_connected"]

# The entrypoint's own handlers and the base class's attributes are not RPC methods.
_NOT_RPC = frozenset({"fetch", "queue", "scheduled", "test", "tail", "trace", "email"})


@dataclass(frozen=True)
class ServiceTarget:
    """A Worker a service binding can reach: its last code that loaded and its env."""

    name: str
    code: LoadedCode
    env: Any
    main_module: str


Resolve = Callable[[str], "ServiceTarget | None"]


def not_connected(service: str, entrypoint: str | None) -> str:
    """wrangler dev's words when the Worker a binding names is not running."""
    return (
        f'Couldn\'t find a local dev session for the "{entrypoint or "default"}" entrypoint of '
        f'service "{service}" to proxy to'
    )


class Service:
    """``env.BINDING`` for one ``services[]`` entry."""

    def __init__(self, config: ServiceConfig, caller: str, resolve: Resolve) -> None:
        object.__setattr__(self, "_config", config)
        object.__setattr__(self, "_caller", caller)
        object.__setattr__(self, "_resolve", resolve)

    def __repr__(self) -> str:
        config: ServiceConfig = self._config
        entry = f"#{config.entrypoint}" if config.entrypoint else ""
        return f"<Fetcher service {config.service}{entry}>"

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)  # the SDK caches attributes on its wrapper

    @property
    def constructor(self) -> Any:
        from wf.runtime.pyodide._values import _Constructor

        return _Constructor("Fetcher")

    async def fetch(self, resource: Any, **options: Any) -> Response:
        """The target's ``fetch`` for a URL or Request (``workers.fetch``'s arguments)."""
        options.pop("cf", None)  # edge options mean nothing between local Workers
        request = (
            resource
            if isinstance(resource, Request) and not options
            else Request(resource, **options)
        )
        config: ServiceConfig = self._config
        target = self._resolve(config.service)
        if target is None:
            # The dev registry answers a binding to a Worker that is not running with 503.
            text = not_connected(config.service, config.entrypoint)
            return Response(text, status=503, headers={"content-type": "text/plain"})
        with scoped_env(target.env):  # `workers.env` in the target is its own env
            return await self._fetch(target, request)

    async def _fetch(self, target: ServiceTarget, request: Request) -> Response:
        config: ServiceConfig = self._config
        ctx = ExecutionContext()
        if config.entrypoint is None:
            answer: Response = await call_fetch(target.code, request, target.env, ctx)
            return answer
        instance = self._entrypoint(target)(ctx, target.env)
        handler = getattr(instance, "fetch", None)
        if handler is None:
            raise JsException(
                "TypeError",
                f"{config.entrypoint} of Worker {target.name!r} has no fetch method: define "
                "async def fetch(self, request)",
            )
        result = handler(request)
        if inspect.isawaitable(result):
            result = await result
        if not isinstance(result, Response):
            raise JsException(
                "TypeError",
                f"{config.entrypoint}.fetch() must return a workers.Response, got "
                f"{type(result).__name__}",
            )
        return result

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)

        def method(*args: Any, **kwargs: Any) -> Awaitable[Any]:
            # Converted now, as the SDK converts them before the JS call (a tuple fails here);
            # keyword arguments reach the JS call as one trailing object.
            js_args = [python_to_rpc(a) for a in args]
            if kwargs:
                js_args.append(python_to_rpc(kwargs))
            call = asyncio.ensure_future(self._rpc(name, js_args))

            async def result() -> Any:
                return await call

            return result()

        object.__setattr__(self, name, method)
        return method

    async def _rpc(self, name: str, js_args: list[Any]) -> Any:
        config: ServiceConfig = self._config
        target = self._resolve(config.service)
        if target is None:
            raise JsException("Error", not_connected(config.service, config.entrypoint))
        cls = self._entrypoint(target)
        if name in _NOT_RPC or name not in rpc_methods(cls):
            raise JsException(
                "TypeError", f'The RPC receiver does not implement the method "{name}".'
            )
        try:
            with scoped_env(target.env):
                instance = cls(ExecutionContext(), target.env)
                result = getattr(instance, name)(*[python_from_rpc(a) for a in js_args])
                if inspect.isawaitable(result):
                    result = await result
            check_rpc(result)
            sent = python_to_rpc(result)
        except JsException as exc:
            raise JsException(exc.name, exc.message) from None
        except Exception as exc:
            # A Python error crosses RPC as a JS Error holding Pyodide's PythonError text.
            text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            raise JsException("Error", f"PythonError: {text}") from None
        return python_from_rpc(sent)

    def _entrypoint(self, target: ServiceTarget) -> type:
        """The class the binding calls: the default export or the named entrypoint."""
        config: ServiceConfig = self._config
        if config.entrypoint is None:
            if target.code.worker is None:
                raise JsException(
                    "TypeError",
                    f"Worker {target.name!r} has no default WorkerEntrypoint class (Default): "
                    "RPC needs class Default(WorkerEntrypoint)",
                )
            return target.code.worker
        main = target.code.modules.get(target.main_module)
        found = getattr(main, config.entrypoint, None)
        if not (isinstance(found, type) and issubclass(found, WorkerEntrypoint)):
            # wrangler dev refuses to start on this; here the call fails with its words.
            raise JsException(
                "Error",
                f'Worker "{self._caller}"\'s binding "{config.binding}" refers to service '
                f'"{config.service}" with a named entrypoint "{config.entrypoint}", but '
                f'"{config.service}" has no such named entrypoint.',
            )
        return found


_METHODS: dict[type, frozenset[str]] = {}


def rpc_methods(cls: type) -> frozenset[str]:
    """The public functions of an entrypoint class (its own and inherited), as workerd
    exposes them over RPC."""
    found = _METHODS.get(cls)
    if found is None:
        names = set()
        for name in dir(cls):
            if name.startswith("_"):
                continue
            for base in cls.__mro__:
                if name in base.__dict__:
                    if isinstance(base.__dict__[name], types.FunctionType):
                        names.add(name)
                    break
        found = _METHODS[cls] = frozenset(names)
    return found
