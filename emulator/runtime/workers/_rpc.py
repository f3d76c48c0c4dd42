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

from emulator.runtime.pyodide.ffi import JsException, JsProxy, to_js

# False while a call goes to a raw JS binding (compatibility dates before the SDK): Pyodide
# passes such arguments as PyProxies and refuses nothing.
sdk_conversions: ContextVar[bool] = ContextVar("sdk_conversions", default=True)

_PLAIN = frozenset({str, int, float, bool, bytes, type(None)})


def python_from_rpc(obj: Any) -> Any:
    """A JS value from RPC as Python: objects become JsDicts, arrays lists; the rest as is."""
    from ._jsdict import to_js_dict

    if isinstance(obj, JsProxy):
        return to_js_dict(obj.to_py())
    return obj


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
    if isinstance(value, JsProxy):
        return  # already a JS value
    if isinstance(value, Mapping):
        for item in value.values():
            check_rpc(item)
    elif isinstance(value, list | set | frozenset):
        for item in value:
            check_rpc(item)


def _default(obj: Any, convert: Any, cache: Any) -> Any:
    from emulator.runtime.js import Date

    if isinstance(obj, datetime.datetime):
        return Date.new(obj.timestamp() * 1000)
    if isinstance(obj, Exception):
        return JsException("Error", str(obj))
    check_rpc(obj)
    return obj


def python_to_rpc(value: Any) -> Any:
    """A Python value as RPC sends it: dicts become plain JS objects (``Object.fromEntries``),
    lists arrays, datetimes Dates."""
    from emulator.runtime.js import Object

    check_rpc(value)
    return to_js(value, default_converter=_default, dict_converter=Object.fromEntries)
