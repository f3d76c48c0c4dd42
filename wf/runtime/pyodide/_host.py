"""A JS binding as Python code sees it without the runtime SDK: a raw `JsProxy`.

Before compatibility date 2026-04-21 production hands user code the JS binding itself (no
``_EnvWrapper``/``_BindingWrapper``), so Pyodide's own call rules apply:

- method names are the JS ones; keyword arguments become one trailing JS object (Pyodide's
  JsProxy call rule, which the SDK's ``_BindingWrapper`` also relies on);
- arguments convert only implicitly: ``str``, numbers, ``bool`` and None cross as JS values,
  a JsProxy as its JS object; anything else (a dict, bytes, a tuple...) reaches JS as a
  PyProxy, whose keys JS does not see. The SDK's RPC refusals do not apply;
- results are not converted: JS objects stay `JsProxy` (attributes, ``to_py()``, no
  subscripting), arrays are `JsArray`, ``null``/``undefined`` are None, host objects (a
  prepared statement, an R2 object, a stream) are proxies whose methods follow these rules.

`raw_binding` wraps one of wf's SDK-level binding objects to behave that way.
"""

from __future__ import annotations

import datetime
import inspect
import warnings
from collections.abc import Callable, Mapping
from typing import Any

from ._values import (
    JsArray,
    JsArrayValue,
    JsMapValue,
    JsObject,
    JsProxy,
    heap_to_py,
    to_python,
)

_PRIMITIVES = (str, int, float, bool)


class PyProxy:
    """A Python object handed to JS without conversion: JS sees none of its keys or items."""

    __slots__ = ("obj",)

    def __init__(self, obj: Any) -> None:
        self.obj = obj

    def __str__(self) -> str:
        return str(self.obj)  # JS String(pyproxy) calls Python's str()

    def __repr__(self) -> str:
        return f"<PyProxy of {type(self.obj).__name__}>"


class JsHostObject(JsProxy):
    """A JS host object (a binding, a statement, an R2 object...) seen through a raw JsProxy."""

    __slots__ = ("_where",)

    def __init__(self, js: Any, where: str) -> None:
        super().__init__(js)
        object.__setattr__(self, "_where", where)

    def __getattr__(self, name: str) -> Any:
        if name == "_js" or (name.startswith("__") and name.endswith("__")):
            raise AttributeError(name)
        if name.startswith("_"):
            raise AttributeError(name)  # wf internals are not JS properties
        live = getattr(type(self._js), "_raw_properties", {}).get(name)
        value = live(self._js) if live is not None else getattr(self._js, name)
        where = f"{self._where}.{name}"
        if callable(value) and not isinstance(value, type | JsProxy):
            return JsFunction(value, where)
        return raw_result(value, where)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"cannot set {name!r} on {self._where}")

    def __repr__(self) -> str:
        return f"[object {type(self._js).__name__}]"

    def __dir__(self) -> list[str]:
        return sorted(n for n in dir(self._js) if not n.startswith("_"))

    @property
    def constructor(self) -> Any:
        from ._values import _Constructor

        return _Constructor(type(self._js).__name__)

    def to_py(self, *, depth: int = -1, default_converter: Callable[..., Any] | None = None) -> Any:
        """A host object has no Python form: ``to_py()`` gives the proxy back, as in Pyodide."""
        return self


class JsFunction(JsHostObject):
    """A JS method: calling it applies Pyodide's argument rules and leaves the result raw."""

    __slots__ = ()

    @property
    def typeof(self) -> str:
        return "function"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from wf.runtime.workers._rpc import sdk_conversions

        js_args = [_argument(a, self._where) for a in args]
        js_kwargs = {k: _argument(v, self._where) for k, v in kwargs.items()}
        token = sdk_conversions.set(False)
        try:
            result = self._js(*js_args, **js_kwargs)
        finally:
            sdk_conversions.reset(token)
        if inspect.isawaitable(result):
            return _settle(result, self._where)
        return raw_result(result, self._where)


async def _settle(awaitable: Any, where: str) -> Any:
    """A JsPromise awaited: the value stays raw."""
    from wf.runtime.workers._rpc import sdk_conversions

    token = sdk_conversions.set(False)
    try:
        value = await awaitable
    finally:
        sdk_conversions.reset(token)
    return raw_result(value, where)


def _argument(value: Any, where: str) -> Any:
    """One argument as the JS side receives it (in wf's terms: what the binding object reads)."""
    from wf.runtime.js._streams import JS_HOST_VALUES

    if value is None or isinstance(value, (*_PRIMITIVES, *JS_HOST_VALUES)):
        return value
    if isinstance(value, JsHostObject):
        return value._js
    if isinstance(value, JsArray):
        return [_argument(v, where) for v in value]
    if isinstance(value, JsProxy):
        if isinstance(value._js, JsMapValue):
            # to_js(dict) without dict_converter makes a Map: JS reads no properties from it.
            _warn_invisible(where, "a JS Map (to_js without dict_converter)")
            return {}
        return heap_to_py(value._js)
    if isinstance(value, list):
        # A PyProxy of a list: JS array methods work on it (Pyodide proxies sequences).
        return [_argument(v, where) for v in value]
    if isinstance(value, Mapping):
        # An object to JS, but one without properties: read as options, it sets none.
        _warn_invisible(where, "a Python dict")
        return {}
    return PyProxy(value)


def _warn_invisible(where: str, what: str) -> None:
    # UNCONFIRMED: production reads no keys from it, silently; wf says so.
    warnings.warn(
        f"{where}(): {what} reaches JavaScript as a proxy whose keys JS does not read "
        "(compatibility dates before 2026-04-21 hand code the raw binding); pass options as "
        "keyword arguments or convert with to_js(value, dict_converter=js.Object.fromEntries)",
        RuntimeWarning,
        stacklevel=4,
    )


def _heap(value: Any, where: str) -> Any:
    """A result value as the JS heap holds it (objects, arrays, host objects)."""
    from wf.runtime.js._streams import JS_HOST_VALUES
    from wf.runtime.workers._rpc import unwrap

    value = unwrap(value)  # what the SDK would wrap is, raw, the JS object itself
    if value is None or isinstance(value, (*_PRIMITIVES, *JS_HOST_VALUES)):
        return value
    if isinstance(value, JsProxy):
        return value._js if not isinstance(value, JsHostObject) else value
    if isinstance(value, Mapping):
        return JsObject({str(k): _heap(v, where) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return JsArrayValue(_heap(v, where) for v in value)
    if isinstance(value, datetime.datetime):
        from wf.runtime.js import Date

        stamp = value if value.tzinfo else value.replace(tzinfo=datetime.UTC)
        return Date.new(stamp.timestamp() * 1000)
    if isinstance(value, memoryview | bytes):
        return value  # an ArrayBuffer: wf keeps the buffer
    return JsHostObject(value, where)


def raw_result(value: Any, where: str) -> Any:
    """A binding's result as a raw JsProxy call returns it to Python."""
    return to_python(_heap(value, where))


def raw_binding(binding: Any, name: str) -> Any:
    """``env.NAME`` on a compatibility date before the runtime SDK: the raw JS binding."""
    return JsHostObject(binding, f"env.{name}")
