"""`pyodide.ffi` as Python Workers code imports it: proxies, conversions, JsException.

Names wf does not provide raise an error that says so (see `__getattr__`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ._not_emulated import not_emulated
from ._values import (
    UNDEFINED,
    ConversionError,
    JsArray,
    JsArrayValue,
    JsException,
    JsMap,
    JsMapValue,
    JsMutableMap,
    JsObject,
    JsProxy,
    to_heap,
    to_python,
)

__all__ = [
    "IN_BROWSER",
    "ConversionError",
    "JsArray",
    "JsDoubleProxy",
    "JsException",
    "JsMap",
    "JsMutableMap",
    "JsProxy",
    "create_once_callable",
    "create_proxy",
    "destroy_proxies",
    "jsnull",
    "to_js",
]

IN_BROWSER = False
jsnull: Any = None  # wf hands JS null to Python as None, as Pyodide does by default

_HINTS = {
    "run_sync": "await the coroutine instead",
    "can_run_sync": "await coroutines instead of running them synchronously",
    "register_js_module": "import Python modules instead",
    "unregister_js_module": "import Python modules instead",
    "JsBuffer": "use bytes",
    "JsTypedArray": "use bytes or a list",
    "JsPromise": "await a Python coroutine",
}


def __getattr__(name: str) -> Any:
    raise not_emulated(__name__, name, _HINTS.get(name, "see wf's README for what it provides"))


class JsDoubleProxy(JsProxy):
    """What `create_proxy` returns: a JS handle on a Python object, destroyed explicitly."""

    __slots__ = ("_destroyed", "_once")

    def __init__(self, obj: Any, *, once: bool = False) -> None:
        super().__init__(obj)
        object.__setattr__(self, "_destroyed", False)
        object.__setattr__(self, "_once", once)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.unwrap(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self.unwrap(), name, value)

    def __repr__(self) -> str:
        return f"<JsDoubleProxy of {self._js!r}>"

    @property
    def typeof(self) -> str:
        return "function" if callable(self._js) else "object"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        target = self.unwrap()
        if self._once:
            self.destroy()
        return target(*args, **kwargs)

    def unwrap(self) -> Any:
        """The Python object behind the proxy."""
        if self._destroyed:
            raise JsException("Error", "Object has already been destroyed")
        return self._js

    def destroy(self) -> None:
        """Release the Python object; later calls raise, as in Pyodide."""
        object.__setattr__(self, "_destroyed", True)


def create_proxy(obj: Any, *, capture_this: bool = False, roundtrip: bool = True) -> JsDoubleProxy:
    """A handle on `obj` that stays valid until ``destroy()``."""
    return JsDoubleProxy(obj)


def create_once_callable(obj: Callable[..., Any], *, _may_syncify: bool = False) -> JsDoubleProxy:
    """A handle on `obj` that destroys itself after one call."""
    return JsDoubleProxy(obj, once=True)


def destroy_proxies(pyproxies: Iterable[Any]) -> None:
    """Destroy every proxy of `pyproxies` (a JS array or any iterable)."""
    for proxy in list(pyproxies):
        if isinstance(proxy, JsDoubleProxy):
            proxy.destroy()


def to_js(
    obj: Any,
    *,
    depth: int = -1,
    pyproxies: Any = None,
    create_pyproxies: bool = True,
    dict_converter: Callable[[Any], Any] | None = None,
    default_converter: Callable[..., Any] | None = None,
    eager_converter: Callable[..., Any] | None = None,
) -> Any:
    """Convert a Python value to JS as Pyodide does: dicts become Maps (unless `dict_converter`
    says otherwise, e.g. ``js.Object.fromEntries``), lists and tuples arrays, None undefined.
    """
    cache: dict[int, Any] = {}

    def convert(value: Any, level: int) -> Any:
        if isinstance(value, JsProxy) or value is None or isinstance(value, str | int | float):
            return to_heap(value)
        if level == 0:
            return value
        if id(value) in cache:
            return cache[id(value)]
        if isinstance(value, Mapping):
            entries = JsArrayValue(
                JsArrayValue([convert(k, level - 1), convert(v, level - 1)])
                for k, v in value.items()
            )
            if dict_converter is None:
                result: Any = JsMapValue((k, v) for k, v in entries)
            else:
                result = to_heap(dict_converter(JsArray(entries)))
        elif isinstance(value, list | tuple):
            result = JsArrayValue(convert(v, level - 1) for v in value)
        elif isinstance(value, bytes | bytearray | memoryview):
            from wf.runtime.js._streams import Uint8Array

            result = Uint8Array(bytes(value))  # a buffer becomes a Uint8Array copy
        elif default_converter is not None:
            result = to_heap(
                default_converter(
                    value, lambda v: to_python(convert(v, level - 1)), cache.__setitem__
                )
            )
        elif create_pyproxies:
            result = value  # stays a Python object: a PyProxy on the JS side
        else:
            raise ConversionError(f"cannot convert {type(value).__name__} to JS")
        cache[id(value)] = result
        return result

    converted = convert(obj, depth)
    return None if converted is UNDEFINED else to_python(converted)


# Used by `js` and the env to build JS values.
def new_object(entries: Iterable[tuple[str, Any]] = ()) -> JsProxy:
    """A new plain JS object with these properties."""
    return JsProxy(JsObject((str(k), to_heap(v)) for k, v in entries))
