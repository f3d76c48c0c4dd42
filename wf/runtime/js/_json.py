"""``js.Object``, ``js.JSON``, ``js.Array`` and ``js.Map``: building and serialising JS values."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

from wf.runtime.pyodide._values import (
    UNDEFINED,
    JsArrayValue,
    JsException,
    JsMapValue,
    JsObject,
    from_json,
    js_number,
    to_heap,
    to_python,
)
from wf.runtime.pyodide.ffi import JsArray, JsMutableMap, JsProxy

_CONVERT_FIRST = (
    "convert it first: to_js(value, dict_converter=js.Object.fromEntries), "
    "or serialise it with Python's json.dumps"
)


def _entries(iterable: Any) -> list[tuple[Any, Any]]:
    if isinstance(iterable, JsMutableMap):
        return list(iterable.items())
    if isinstance(iterable, Mapping):  # a dict as a PyProxy iterates its keys: not entries
        raise JsException("TypeError", "Object.fromEntries needs [key, value] pairs: use d.items()")
    pairs: list[tuple[Any, Any]] = []
    for entry in iterable:
        items = list(entry)
        if not items:
            raise JsException("TypeError", "Iterator value is not an entry object")
        pairs.append((items[0], items[1] if len(items) > 1 else None))
    return pairs


class _Object:
    """``js.Object``."""

    @staticmethod
    def new() -> JsProxy:
        return JsProxy(JsObject())

    @staticmethod
    def fromEntries(entries: Iterable[Any]) -> JsProxy:
        """An object from [key, value] pairs: what ``to_js(d, dict_converter=...)`` wants."""
        return JsProxy(JsObject((_property(k), to_heap(v)) for k, v in _entries(entries)))

    @staticmethod
    def keys(obj: JsProxy) -> JsArray:
        return JsArray(JsArrayValue(_own(obj)))

    @staticmethod
    def values(obj: JsProxy) -> JsArray:
        return JsArray(JsArrayValue(_own(obj).values()))

    @staticmethod
    def entries(obj: JsProxy) -> JsArray:
        return JsArray(JsArrayValue(JsArrayValue([k, v]) for k, v in _own(obj).items()))

    @staticmethod
    def assign(target: JsProxy, *sources: JsProxy) -> JsProxy:
        own = _own(target)
        for source in sources:
            if source is not None:
                own.update(_own(source))
        return target


def _own(obj: Any) -> dict[str, Any]:
    """The own enumerable properties of a JS value."""
    js = obj._js if isinstance(obj, JsProxy) else None
    if isinstance(js, JsArrayValue):
        return {str(i): v for i, v in enumerate(js)}
    if isinstance(js, JsObject):
        return js
    if isinstance(js, JsMapValue):
        return {}  # a Map keeps its entries out of its properties
    raise JsException("TypeError", f"expected a JS object, got {type(obj).__name__}")


def _property(key: Any) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, int | float):
        return str(js_number(key))
    return "null" if key is None else str(key)


class _Array:
    """``js.Array``."""

    @staticmethod
    def new(*items: Any) -> JsArray:
        return JsArray(JsArrayValue(to_heap(v) for v in items))

    @staticmethod
    def of(*items: Any) -> JsArray:
        return _Array.new(*items)

    @staticmethod
    def isArray(value: Any) -> bool:
        return isinstance(value, JsArray)


class _Map:
    """``js.Map``: what `to_js` makes of a dict by default."""

    @staticmethod
    def new(entries: Iterable[Any] = ()) -> JsMutableMap:
        return JsMutableMap(JsMapValue((to_heap(k), to_heap(v)) for k, v in _entries(entries)))


class _JSON:
    """``js.JSON``."""

    @staticmethod
    def parse(text: str) -> Any:
        try:
            return to_python(from_json(json.loads(text)))
        except (TypeError, ValueError) as err:
            raise JsException("SyntaxError", f"Unexpected token in JSON: {err}") from None

    @staticmethod
    def stringify(value: Any, replacer: Any = None, space: int | str | None = None) -> Any:
        """JSON text, or None where JS answers undefined (``JSON.stringify(undefined)``)."""
        if replacer is not None:
            raise JsException("TypeError", "JSON.stringify: a replacer is not emulated by wf")
        plain = _plain(to_heap(value))
        if plain is UNDEFINED:
            return None
        indent = space if isinstance(space, str) else min(space, 10) if space else None
        separators = (",", ": ") if indent else (",", ":")
        return json.dumps(plain, ensure_ascii=False, indent=indent or None, separators=separators)


def _plain(value: Any) -> Any:
    """A JS value as json.dumps input, with JSON.stringify's rules."""
    if value is UNDEFINED or callable(value):
        return UNDEFINED
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | float):
        return js_number(value) if math.isfinite(value) else None
    if isinstance(value, JsArrayValue):
        return [None if (p := _plain(v)) is UNDEFINED else p for v in value]
    if isinstance(value, JsMapValue):
        return {}  # a Map has no enumerable properties: JSON.stringify(new Map(...)) is "{}"
    if isinstance(value, JsObject):
        return {k: p for k, v in value.items() if (p := _plain(v)) is not UNDEFINED}
    if isinstance(value, JsException):
        return {}
    raise JsException(
        "TypeError", f"JSON.stringify got a Python {type(value).__name__}: {_CONVERT_FIRST}"
    )


Object = _Object()
Array = _Array()
Map = _Map()
JSON = _JSON()
