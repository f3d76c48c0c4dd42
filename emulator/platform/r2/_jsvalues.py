"""Stand-ins for the JS values R2 hands Python code where the SDK does not convert them.

The SDK wraps an R2 result object and converts what is read from it (``python_from_rpc``:
Date -> naive UTC datetime, plain object -> JsDict, ArrayBuffer -> memoryview). The objects in a
``list()`` result are not wrapped, so their fields stay JS values behind a ``JsProxy``: these
classes give them Pyodide's access rules (attributes, ``to_py()``, no subscripting), so code that
would break on Cloudflare breaks here too.
"""

from __future__ import annotations

import datetime
from typing import Any

_EPOCH = datetime.datetime(1970, 1, 1)


def to_datetime(ms: float) -> datetime.datetime:
    """A JS Date as the SDK hands it to Python: a naive datetime in UTC (Workers run in UTC)."""
    return _EPOCH + datetime.timedelta(milliseconds=ms)


def to_ms(value: datetime.datetime) -> int:
    """A datetime as the SDK sends it to JS (naive counts as UTC, the Workers time zone)."""
    if value.tzinfo is not None:
        value = value.astimezone(datetime.UTC).replace(tzinfo=None)
    return (value - _EPOCH) // datetime.timedelta(milliseconds=1)


class JsProxy:
    """Base of the stand-ins: a JS object seen from Python without conversion."""

    __slots__ = ()

    def __getitem__(self, key: Any) -> Any:
        raise TypeError(f"'{type(self).__name__}' object is not subscriptable")

    def to_py(self) -> Any:
        return self


class JsDate(JsProxy):
    """A JS ``Date``: ``getTime()``, ``toISOString()``... (no datetime methods)."""

    __slots__ = ("_ms",)

    def __init__(self, ms: float) -> None:
        self._ms = ms

    def getTime(self) -> float:
        return self._ms

    def valueOf(self) -> float:
        return self._ms

    def toISOString(self) -> str:
        return to_datetime(self._ms).isoformat(timespec="milliseconds") + "Z"

    def toUTCString(self) -> str:
        return to_datetime(self._ms).strftime("%a, %d %b %Y %H:%M:%S GMT")

    def toJSON(self) -> str:
        return self.toISOString()

    def __repr__(self) -> str:
        return f"[object Date {self.toISOString()}]"


class JsObject(JsProxy):
    """A plain JS object: fields as attributes, ``to_py()`` gives a dict."""

    __slots__ = ("_fields",)

    def __init__(self, fields: dict[str, Any]) -> None:
        self._fields = fields

    def __getattr__(self, name: str) -> Any:
        try:
            return self._fields[name]
        except KeyError:
            raise AttributeError(name) from None

    def to_py(self) -> dict[str, Any]:
        return {
            k: v.to_py() if isinstance(v, JsDate | JsObject) else v for k, v in self._fields.items()
        }

    def object_keys(self) -> list[str]:
        return list(self._fields)

    def object_values(self) -> list[Any]:
        return list(self._fields.values())

    def object_entries(self) -> list[list[Any]]:
        return [[k, v] for k, v in self._fields.items()]

    def __dir__(self) -> list[str]:
        return list(self._fields)

    def __repr__(self) -> str:
        return f"[object Object {self._fields!r}]"


class JsBuffer(JsProxy):
    """A JS ``ArrayBuffer``: ``to_bytes()``, ``to_py()`` (a memoryview), ``byteLength``."""

    __slots__ = ("_data",)

    def __init__(self, data: bytes) -> None:
        self._data = data

    @property
    def byteLength(self) -> int:
        return len(self._data)

    def to_bytes(self) -> bytes:
        return self._data

    def to_memoryview(self) -> memoryview:
        return memoryview(self._data)

    def to_py(self) -> memoryview:
        return memoryview(self._data)

    def __repr__(self) -> str:
        return f"[object ArrayBuffer ({len(self._data)} bytes)]"


class ReadableStream(JsProxy):
    """An object's ``body``: read once, by the object's readers or by passing it to ``put``."""

    __slots__ = ("_data", "used")

    def __init__(self, data: bytes) -> None:
        self._data = data
        self.used = False

    @property
    def locked(self) -> bool:
        return self.used

    def consume(self) -> bytes:
        """The bytes, once; the stream is then disturbed, as a read JS stream is."""
        if self.used:
            raise _used()
        self.used = True
        return self._data

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return "[object ReadableStream]"


def _used() -> Exception:
    from ._errors import type_error

    return type_error(
        "Body has already been used. It can only be used once. Use tee() first if you need to "
        "read it twice."
    )


def body_used_error() -> Exception:
    return _used()
