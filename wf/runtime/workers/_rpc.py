"""`python_to_rpc` and `python_from_rpc`: the conversions Workers RPC applies to values.

`check_rpc` is the one copy of the SDK's refusals (workers-py ``rpc.py``,
``_raise_on_disabled_type``); the bindings call it on every argument.
"""

from __future__ import annotations

import datetime
import inspect
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

from wf.runtime.pyodide.ffi import JsException, JsProxy, to_js

# False while a call goes to a raw JS binding (compatibility dates before the SDK): Pyodide
# passes such arguments as PyProxies and refuses nothing.
sdk_conversions: ContextVar[bool] = ContextVar("sdk_conversions", default=True)

_PLAIN = frozenset({str, int, float, bool, bytes, type(None)})


def python_from_rpc(obj: Any) -> Any:
    """A JS value from RPC as Python: objects become JsDicts, arrays lists, buffers
    memoryviews; other JS objects (a stream) pass unconverted; the rest as is."""
    from wf.runtime.js._streams import JsBuffer

    from ._jsdict import to_js_dict

    if isinstance(obj, BindingWrapper):
        return obj
    if isinstance(obj, JsProxy):
        return to_js_dict(obj.to_py())
    if isinstance(obj, JsBuffer):
        return obj.to_py()
    return obj


class BindingWrapper:
    """What the SDK's ``_BindingWrapper`` makes of a JS object a binding returns that is not
    plain data (a ReadableStream, its reader): workers-py ``_workers.py``.

    Reading a property converts it with ``python_from_rpc``; a method (and ``constructor``,
    a JS function) is a Python function that converts its result, and wraps it again when it
    is another such object. The wrapper defines ``__iter__`` and ``__len__`` but no
    ``__aiter__``: ``async for`` over it fails, as in production.
    """

    def __init__(self, binding: Any) -> None:
        object.__setattr__(self, "_binding", binding)

    def _real_name(self) -> str:
        return str(self._binding.constructor.name)

    def _convert(self, result: Any) -> Any:
        from wf.runtime.js._streams import JS_HOST_VALUES, JsBuffer

        if isinstance(result, JS_HOST_VALUES) and not isinstance(result, JsBuffer):
            return BindingWrapper(result)
        return python_from_rpc(result)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        attr = getattr(self._binding, name)
        if name == "constructor":  # a JS class is a function: the SDK hands back a wrapper
            constructor = attr

            def wrapper(*args: Any, **kwargs: Any) -> Any:
                raise JsException(
                    "TypeError",
                    f"Class constructor {constructor.name} cannot be invoked without 'new'",
                )

            result: Any = wrapper
        elif callable(attr):
            result = self._method(attr)
        else:
            result = self._convert(attr)
        object.__setattr__(self, name, result)  # cached, as the SDK caches it
        return result

    def _method(self, method: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            js_args = [unwrap(a) for a in args]
            js_kwargs = {k: unwrap(v) for k, v in kwargs.items()}
            result = method(*js_args, **js_kwargs)
            if inspect.isawaitable(result):
                awaitable = result

                async def await_and_convert() -> Any:
                    return self._convert(await awaitable)

                return await_and_convert()
            return self._convert(result)

        return wrapper

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, int):
            return self._convert(self._binding[key])
        return self._convert(getattr(self._binding, key))

    def __iter__(self) -> Any:
        if not hasattr(self._binding, "__iter__"):
            raise TypeError(f"'{self._real_name()}' object is not iterable")
        return (self._convert(item) for item in self._binding)

    def __len__(self) -> int:
        if not hasattr(self._binding, "length"):
            raise TypeError(f"'{self._real_name()}' object has no len()")
        return int(self._binding.length)


# Python's own messages name the class: "'async for' requires ... got _BindingWrapper".
BindingWrapper.__name__ = BindingWrapper.__qualname__ = "_BindingWrapper"
BindingWrapper.__module__ = "workers._workers"


def sdk_result(value: Any) -> Any:
    """A binding's JS result as the SDK hands it to Python code (``_convert_result``)."""
    return BindingWrapper(None)._convert(value)


def unwrap(value: Any) -> Any:
    """The JS object behind a wrapper (``python_to_rpc`` sends a wrapper's binding)."""
    return value._binding if isinstance(value, BindingWrapper) else value


def check_rpc(value: Any) -> None:
    """The SDK's refusals: tuples, bytearrays and awaitables, also inside dicts, lists and sets.

    Callables (lambdas too) pass: the SDK sends them as proxies.
    """
    if type(value) in _PLAIN or not sdk_conversions.get():
        return
    if callable(value) and not isinstance(value, type):
        return
    if isinstance(value, tuple | bytearray):
        raise TypeError(f"{type(value)} cannot be sent over RPC.")
    if inspect.isawaitable(value):
        raise TypeError(f"Awaitable {type(value)} cannot be sent over RPC.")
    if isinstance(value, JsProxy | BindingWrapper):
        return  # already a JS value
    if isinstance(value, Mapping):
        for item in value.values():
            check_rpc(item)
    elif isinstance(value, list | set | frozenset):
        for item in value:
            check_rpc(item)


def _default(obj: Any, convert: Any, cache: Any) -> Any:
    from wf.runtime.js import Date

    if isinstance(obj, datetime.datetime):
        return Date.new(obj.timestamp() * 1000)
    if isinstance(obj, Exception):
        return JsException("Error", str(obj))
    if isinstance(obj, BindingWrapper):
        return obj._binding
    check_rpc(obj)
    return obj


def python_to_rpc(value: Any) -> Any:
    """A Python value as RPC sends it: dicts become plain JS objects (``Object.fromEntries``),
    lists arrays, datetimes Dates."""
    from wf.runtime.js import Object

    check_rpc(value)
    return to_js(value, default_converter=_default, dict_converter=Object.fromEntries)
