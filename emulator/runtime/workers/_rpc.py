"""`python_to_rpc` and `python_from_rpc`: the conversions Workers RPC applies to values."""

from __future__ import annotations

import datetime
import inspect
from types import LambdaType
from typing import Any

from emulator.runtime.pyodide.ffi import JsException, JsProxy, to_js


def python_from_rpc(obj: Any) -> Any:
    """A JS value from RPC as Python: JsProxy objects become dicts and lists; the rest as is."""
    if isinstance(obj, JsProxy):
        return obj.to_py()
    return obj


def _refuse_disabled(value: Any) -> None:
    # Same refusals as workers-py: these types have no faithful RPC form.
    if isinstance(value, tuple | bytearray | LambdaType):
        raise TypeError(f"{type(value)} cannot be sent over RPC.")
    if inspect.isawaitable(value):
        raise TypeError(f"Awaitable {type(value)} cannot be sent over RPC.")
    if isinstance(value, dict):
        for item in value.values():
            _refuse_disabled(item)
    elif isinstance(value, list | set | frozenset):
        for item in value:
            _refuse_disabled(item)


def _default(obj: Any, convert: Any, cache: Any) -> Any:
    from emulator.runtime.js import Date

    if isinstance(obj, datetime.datetime):
        return Date.new(obj.timestamp() * 1000)
    if isinstance(obj, Exception):
        return JsException("Error", str(obj))
    _refuse_disabled(obj)
    return obj


def python_to_rpc(value: Any) -> Any:
    """A Python value as RPC sends it: dicts become JS Maps, lists arrays, datetimes Dates."""
    from emulator.runtime.js import Map

    _refuse_disabled(value)
    return to_js(value, default_converter=_default, dict_converter=Map.new)
