"""JS values as Python code sees them through Pyodide: JsProxy, JsArray, JsMap, JsException.

wf has no JS engine: a JS object is a `JsObject` (a dict), an array a `JsArrayValue` (a list),
a Map a `JsMapValue`, and ``undefined`` the `UNDEFINED` sentinel (``null`` is None). Python
objects stored in them stand for PyProxies, and come back as themselves. Reading a value
applies Pyodide's conversions: strings, booleans and numbers become Python values (a number
is an int when it is a safe integer, else a float), ``null`` and ``undefined`` become None,
and objects, arrays and Maps stay proxies with Pyodide's access rules: a plain object answers
attribute access and ``to_py()``, but refuses subscripting, ``len``, ``in`` and iteration with
Pyodide's own messages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

MAX_SAFE_INTEGER = 2**53 - 1


class _Undefined:
    __slots__ = ()

    def __repr__(self) -> str:
        return "undefined"


UNDEFINED: Any = _Undefined()


class JsObject(dict[str, Any]):
    """A plain JS object (``{}``): property name -> JS value."""

    __slots__ = ()


class JsArrayValue(list[Any]):
    """A JS array."""

    __slots__ = ()


class JsMapValue(dict[Any, Any]):
    """A JS Map."""

    __slots__ = ()


_HEAP_TYPES = (JsObject, JsArrayValue, JsMapValue)


def js_number(value: int | float) -> int | float:
    """A JS number as Pyodide hands it to Python: int when a safe integer, else float."""
    if isinstance(value, int):
        return value if abs(value) <= MAX_SAFE_INTEGER else float(value)
    if value.is_integer() and abs(value) <= MAX_SAFE_INTEGER:
        return int(value)
    return value


def to_python(value: Any) -> Any:
    """A JS value read into Python: primitives converted, objects proxied."""
    if value is None or value is UNDEFINED:
        return None
    if isinstance(value, bool | str):
        return value
    if isinstance(value, int | float):
        return js_number(value)
    if isinstance(value, JsMapValue):
        return JsMutableMap(value)
    if isinstance(value, JsArrayValue):
        return JsArray(value)
    if isinstance(value, JsObject):
        return JsProxy(value)
    return value  # a Python object that went to JS as a PyProxy comes back as itself


def to_heap(value: Any) -> Any:
    """A Python value passed to JS (an argument, a property set): the JS value it becomes."""
    if isinstance(value, JsProxy):
        return value._js
    if value is None:
        return UNDEFINED
    return value  # primitives stay; other objects stand for PyProxies


def from_json(value: Any) -> Any:
    """The JS value of decoded JSON (dicts, lists, str, numbers, bools, None)."""
    if isinstance(value, dict):
        return JsObject({str(k): from_json(v) for k, v in value.items()})
    if isinstance(value, list):
        return JsArrayValue(from_json(v) for v in value)
    return value


def as_jsproxy(data: Any) -> Any:
    """JSON-shaped Python data as Python code sees the same value coming from JS.

    For platform bindings whose results stay JsProxy objects in production: objects and
    arrays become proxies, numbers follow Pyodide's int/float rule, the rest passes.
    """
    return to_python(from_json(data))


def heap_to_py(value: Any, depth: int = -1) -> Any:
    """``to_py()``: a JS value deeply converted to dicts and lists (buffers to memoryviews)."""
    from wf.runtime.js._streams import JsBuffer

    if isinstance(value, JsBuffer) and depth != 0:
        return value.to_py()
    if isinstance(value, _HEAP_TYPES) and depth != 0:
        deeper = depth - 1
        if isinstance(value, JsArrayValue):
            return [heap_to_py(v, deeper) for v in value]
        return {heap_to_py(k, deeper): heap_to_py(v, deeper) for k, v in value.items()}
    return to_python(value)


def _js_string(value: Any) -> str:
    """``String(value)``, as a JsProxy's repr shows it."""
    if value is None:
        return "null"
    if value is UNDEFINED:
        return "undefined"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        number = js_number(value)
        return str(number) if isinstance(number, int) else repr(number)
    if isinstance(value, JsArrayValue):
        return ",".join("" if v is None or v is UNDEFINED else _js_string(v) for v in value)
    if isinstance(value, JsMapValue):
        return "[object Map]"
    if isinstance(value, JsObject):
        return "[object Object]"
    return str(value)


class _Constructor:
    """``proxy.constructor``: workers-py tells JS types apart by ``constructor.name``."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class JsProxy:
    """A JS object seen from Python (`pyodide.ffi.JsProxy`)."""

    __slots__ = ("_js",)
    _constructor = "Object"

    def __init__(self, js: Any) -> None:
        object.__setattr__(self, "_js", js)

    # properties are attributes
    def __getattr__(self, name: str) -> Any:
        if name == "_js" or (name.startswith("__") and name.endswith("__")):
            raise AttributeError(name)  # an unset slot, or a protocol probe (copy, pickle)
        try:
            return to_python(self._js[name])
        except (KeyError, TypeError):
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        self._js[name] = to_heap(value)

    def __delattr__(self, name: str) -> None:
        try:
            del self._js[name]
        except KeyError:
            raise AttributeError(name) from None

    def __dir__(self) -> list[str]:
        own = [k for k in self._js if isinstance(k, str)] if isinstance(self._js, dict) else []
        return sorted({*own, *object.__dir__(self)})

    def __reduce_ex__(self, protocol: Any) -> Any:
        # A JS object lives in the JS heap: Pyodide cannot pickle or copy its proxy either.
        raise TypeError(f"cannot pickle '{type(self).__name__}' object")

    # identity is JS identity (===)
    def __eq__(self, other: object) -> bool:
        return isinstance(other, JsProxy) and other._js is self._js

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return id(self._js)

    def __bool__(self) -> bool:
        return True  # a JS object is truthy, even {}

    def __repr__(self) -> str:
        return _js_string(self._js)

    # Pyodide's JsProxy API
    @property
    def typeof(self) -> str:
        """JS ``typeof``."""
        return "object"

    @property
    def constructor(self) -> _Constructor:
        return _Constructor(self._constructor)

    @property
    def js_id(self) -> int:
        return id(self._js)

    def to_py(
        self,
        *,
        depth: int = -1,
        default_converter: Callable[..., Any] | None = None,
    ) -> Any:
        """Deep conversion: objects and Maps to dicts, arrays to lists."""
        return heap_to_py(self._js, depth)

    def as_object_map(self, *, hereditary: bool = False) -> JsMutableMap:
        """A view of the object that allows ``obj["key"]``, ``in``, ``len`` and iteration."""
        return JsMutableMap(self._js, _constructor="Object")

    def object_entries(self) -> JsArray:
        return JsArray(JsArrayValue(JsArrayValue([k, v]) for k, v in self._js.items()))

    def object_keys(self) -> JsArray:
        return JsArray(JsArrayValue(self._js))

    def object_values(self) -> JsArray:
        return JsArray(JsArrayValue(self._js.values()))


class JsArray(JsProxy):
    """A JS array seen from Python: a mutable sequence (`pyodide.ffi.JsArray`)."""

    __slots__ = ()
    _constructor = "Array"
    _js: JsArrayValue

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(name)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"cannot set {name!r} on a JS array")

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return JsArray(JsArrayValue(self._js[index]))
        if not isinstance(index, int):
            raise TypeError(f"array indices must be integers, not {type(index).__name__}")
        try:
            return to_python(self._js[index])
        except IndexError:
            raise IndexError("array index out of range") from None

    def __setitem__(self, index: int, value: Any) -> None:
        self._js[index] = to_heap(value)

    def __delitem__(self, index: int) -> None:
        del self._js[index]

    def __len__(self) -> int:
        return len(self._js)

    def __bool__(self) -> bool:
        return bool(self._js)

    def __iter__(self) -> Iterator[Any]:
        return (to_python(v) for v in list(self._js))

    def __reversed__(self) -> Iterator[Any]:
        return (to_python(v) for v in reversed(self._js))

    def __contains__(self, value: object) -> bool:
        target = to_heap(value)
        return any(_same_value(item, target) for item in self._js)

    @property
    def length(self) -> int:
        return len(self._js)

    def append(self, value: Any) -> None:
        self._js.append(to_heap(value))

    def extend(self, values: Iterable[Any]) -> None:
        self._js.extend(to_heap(v) for v in values)

    def pop(self, index: int = -1) -> Any:
        return to_python(self._js.pop(index))

    def index(self, value: Any) -> int:
        target = to_heap(value)
        for i, item in enumerate(self._js):
            if _same_value(item, target):
                return i
        raise ValueError(f"{value!r} is not in array")

    def count(self, value: Any) -> int:
        target = to_heap(value)
        return sum(1 for item in self._js if _same_value(item, target))

    def push(self, *values: Any) -> int:
        self.extend(values)
        return len(self._js)

    def includes(self, value: Any) -> bool:
        return value in self

    def join(self, separator: str = ",") -> str:
        return separator.join(
            "" if v is None or v is UNDEFINED else _js_string(v) for v in self._js
        )


class JsMap(JsProxy):
    """A JS Map seen from Python: a read-only mapping (`pyodide.ffi.JsMap`)."""

    __slots__ = ("_kind",)
    _js: dict[Any, Any]

    def __init__(self, js: Any, *, _constructor: str = "Map") -> None:
        super().__init__(js)
        object.__setattr__(self, "_kind", _constructor)

    @property
    def constructor(self) -> _Constructor:
        return _Constructor(self._kind)

    def __getattr__(self, name: str) -> Any:
        if self._kind == "Object":  # an object map still reads properties as attributes
            return super().__getattr__(name)
        raise AttributeError(name)

    def __getitem__(self, key: Any) -> Any:
        try:
            return to_python(self._js[_key(key)])
        except KeyError:
            raise KeyError(key) from None

    def __contains__(self, key: object) -> bool:
        return _key(key) in self._js

    def __len__(self) -> int:
        return len(self._js)

    def __bool__(self) -> bool:
        return bool(self._js) or self._kind == "Object"

    def __iter__(self) -> Iterator[Any]:
        return (to_python(k) for k in list(self._js))

    def get(self, key: Any, default: Any = None) -> Any:
        key = _key(key)
        return to_python(self._js[key]) if key in self._js else default

    def keys(self) -> list[Any]:
        return [to_python(k) for k in self._js]

    def values(self) -> list[Any]:
        return [to_python(v) for v in self._js.values()]

    def items(self) -> list[tuple[Any, Any]]:
        return [(to_python(k), to_python(v)) for k, v in self._js.items()]

    @property
    def size(self) -> int:
        return len(self._js)

    def has(self, key: Any) -> bool:
        return key in self


class JsMutableMap(JsMap):
    """A JS Map (or an object's map view) that also takes ``m[key] = value``."""

    __slots__ = ()

    def __setattr__(self, name: str, value: Any) -> None:
        if self._kind != "Object":
            raise AttributeError(f"cannot set {name!r} on a JS Map; use m[key] = value")
        super().__setattr__(name, value)

    def __setitem__(self, key: Any, value: Any) -> None:
        self._js[_key(key)] = to_heap(value)

    def __delitem__(self, key: Any) -> None:
        try:
            del self._js[_key(key)]
        except KeyError:
            raise KeyError(key) from None

    def set(self, key: Any, value: Any) -> JsMutableMap:
        self[key] = value
        return self

    def delete(self, key: Any) -> bool:
        return self._js.pop(_key(key), UNDEFINED) is not UNDEFINED


def _key(key: object) -> Any:
    return to_heap(key) if isinstance(key, JsProxy) else key


def _same_value(a: Any, b: Any) -> bool:
    """JS ``===`` (primitives by value, everything else by identity)."""
    if isinstance(a, _HEAP_TYPES) or isinstance(b, _HEAP_TYPES):
        return a is b
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return bool(a == b)


class JsException(Exception):
    """A JS error raised into Python (`pyodide.ffi.JsException`): ``.name`` and ``.message``.

    ``JsException("boom")`` is an ``Error``; ``JsException("TypeError", "boom")`` names it.
    """

    def __init__(self, name: str = "Error", message: str | None = None) -> None:
        if message is None:
            name, message = "Error", name
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message

    @property
    def js_error(self) -> JsException:
        return self


class ConversionError(Exception):
    """A value that cannot be converted between Python and JS."""


# Pyodide names its proxy types in pyodide.ffi, and Python's own errors quote that name:
# "'pyodide.ffi.JsProxy' object is not subscriptable".
for _cls in (JsProxy, JsArray, JsMap, JsMutableMap, JsException, ConversionError):
    _cls.__module__ = "pyodide.ffi"
for _cls in (JsProxy, JsArray, JsMap, JsMutableMap):
    _cls.__name__ = f"pyodide.ffi.{_cls.__qualname__}"
