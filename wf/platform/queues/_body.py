"""Message bodies: what ``send`` accepts per ``contentType``, how it is stored, what comes back.

workerd serializes a body before it leaves the Worker (``src/workerd/api/queue.c++``):
``"text"`` needs a string, ``"bytes"`` an ArrayBufferView (it arrives as an ArrayBuffer),
``"json"`` is ``JSON.stringify``, and ``"v8"`` (the default) is the structured clone, so a Date
or a Uint8Array comes back as one. wf stores a v8 body as tagged JSON of the JS value.
"""

from __future__ import annotations

import base64
import datetime
import json
import math
from collections.abc import Mapping
from typing import Any

from wf.platform.kv._errors import JsException
from wf.runtime.js._streams import JsBuffer, Uint8Array
from wf.runtime.pyodide._values import (
    UNDEFINED,
    JsArrayValue,
    JsMapValue,
    JsObject,
    JsProxy,
    from_json,
)

CONTENT_TYPES = ("text", "bytes", "json", "v8")


def content_type(value: Any) -> str:
    """``contentType`` checked as workerd checks it (any case), lower-cased."""
    text = value if isinstance(value, str) else str(value)
    lowered = text.lower()
    if lowered not in CONTENT_TYPES:
        raise JsException("TypeError", f"Unsupported queue message content type: {text}")
    return lowered


def typeof(value: Any) -> str:
    """JS ``typeof`` of the value a Python argument becomes."""
    if value is UNDEFINED:
        return "undefined"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if callable(value) and not isinstance(value, JsProxy | JsBuffer):
        return "function"
    return "object"


def encode(body: Any, kind: str) -> bytes:
    """The stored bytes of a body sent as ``kind``; workerd's TypeErrors for a wrong value."""
    if kind == "text":
        if not isinstance(body, str):
            raise JsException(
                "TypeError",
                f'Content Type "text" requires a value of type string, but received: '
                f"{typeof(body)}",
            )
        return body.encode("utf-8", "surrogatepass")
    if kind == "bytes":
        data = _buffer(body)
        if data is None or (isinstance(body, JsBuffer) and not isinstance(body, Uint8Array)):
            raise JsException(
                "TypeError",
                'Content Type "bytes" requires a value of type ArrayBufferView, but received: '
                f"{typeof(body)}",
            )
        return data
    if kind == "json":
        text = json.dumps(_plain(body), ensure_ascii=False, separators=(",", ":"))
        return text.encode("utf-8", "surrogatepass")
    return json.dumps(_tagged(body, set()), separators=(",", ":")).encode("utf-8")


def decode(data: bytes, kind: str) -> Any:
    """The JS value the consumer's ``message.body`` holds (in wf's JS heap terms)."""
    if kind == "text":
        return data.decode("utf-8", "surrogatepass")
    if kind == "bytes":
        return JsBuffer(data)  # workerd hands bytes back as an ArrayBuffer
    if kind == "json":
        return from_json(json.loads(data.decode("utf-8", "surrogatepass")))
    return _untagged(json.loads(data.decode("utf-8")))


def preview(data: bytes, kind: str) -> Any:
    """A JSON-friendly view of a stored body (CLI, dashboard, test admin handle)."""
    if kind == "bytes":
        return {"base64": base64.b64encode(data).decode("ascii")}
    return _plain_heap(decode(data, kind))


# -- conversions ---------------------------------------------------------------------------------


def _buffer(value: Any) -> bytes | None:
    if isinstance(value, JsBuffer):
        return value.to_bytes()
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, memoryview):
        return value.tobytes()
    return None


def _plain(value: Any) -> Any:
    """A value as JSON.stringify sees it (JsProxy objects read through)."""
    if isinstance(value, JsProxy):
        return _plain_heap(value._js)
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON.stringify(NaN) is "null"
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items() if not callable(v)}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, datetime.datetime):
        stamp = value if value.tzinfo else value.replace(tzinfo=datetime.UTC)
        return stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(value, bytes | bytearray | memoryview | JsBuffer):
        data = _buffer(value) or b""
        return {str(i): b for i, b in enumerate(data)}  # a Uint8Array stringifies by index
    if value is UNDEFINED:
        return None
    return value


def _plain_heap(value: Any) -> Any:
    if isinstance(value, JsMapValue):
        return {}
    if isinstance(value, JsObject):
        return {k: _plain_heap(v) for k, v in value.items()}
    if isinstance(value, JsArrayValue):
        return [_plain_heap(v) for v in value]
    if hasattr(value, "toISOString"):
        return value.toISOString()
    if isinstance(value, JsBuffer):
        return {"base64": base64.b64encode(value.to_bytes()).decode("ascii")}
    if value is UNDEFINED:
        return None
    return value


def _tagged(value: Any, seen: set[int]) -> Any:
    """A structured clone as JSON: plain values as is, the rest tagged ``{"$x": ...}``."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            return {"$n": repr(value)}
        return value
    if value is UNDEFINED:
        return {"$u": 0}
    if isinstance(value, JsProxy):
        value = value._js
    if id(value) in seen:
        raise JsException("DataCloneError", "wf cannot clone a value that contains itself")
    if isinstance(value, datetime.datetime):
        stamp = value if value.tzinfo else value.replace(tzinfo=datetime.UTC)
        return {"$d": stamp.timestamp() * 1000}
    if hasattr(value, "getTime") and hasattr(value, "toISOString"):
        return {"$d": value.getTime()}
    data = _buffer(value)
    if data is not None:
        tag = "$ab" if isinstance(value, JsBuffer) and not isinstance(value, Uint8Array) else "$b"
        return {tag: base64.b64encode(data).decode("ascii")}
    seen = seen | {id(value)}
    if isinstance(value, JsMapValue):
        return {"$m": [[_tagged(k, seen), _tagged(v, seen)] for k, v in value.items()]}
    if isinstance(value, Mapping):
        return {"$o": {str(k): _tagged(v, seen) for k, v in value.items()}}
    if isinstance(value, list):
        return [_tagged(v, seen) for v in value]
    if isinstance(value, set | frozenset):
        return {"$s": [_tagged(v, seen) for v in value]}
    raise JsException("DataCloneError", f"{_describe(value)} could not be cloned.")


def _untagged(value: Any) -> Any:
    from wf.runtime.js import Date

    if isinstance(value, list):
        return JsArrayValue(_untagged(v) for v in value)
    if not isinstance(value, dict):
        return value
    ((tag, inner),) = value.items()
    if tag == "$o":
        return JsObject({k: _untagged(v) for k, v in inner.items()})
    if tag == "$m":
        return JsMapValue((_untagged(k), _untagged(v)) for k, v in inner)
    if tag == "$s":
        return JsArrayValue(_untagged(v) for v in inner)  # wf has no JS Set: an array
    if tag == "$d":
        return Date.new(inner)
    if tag == "$b":
        return Uint8Array(base64.b64decode(inner))
    if tag == "$ab":
        return JsBuffer(base64.b64decode(inner))
    if tag == "$n":
        return float(inner)
    return UNDEFINED


def _describe(value: Any) -> str:
    if callable(value):
        name = getattr(value, "__name__", "function")
        return f"function {name}() {{ [native code] }}"
    return f"#<{type(value).__name__}>"
