"""One serializer for every value that crosses a step boundary or is stored.

Values must be JSON-like (dict with string keys, list, str, int, float, bool, None) or a
``datetime``; anything else is refused as production refuses what cannot be sent over RPC.
Each decode builds a fresh copy, so a cached step result can be mutated safely.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

from emulator.runtime.workers import JsDict
from emulator.usertime import from_js_date

MAX_BYTES = 1024 * 1024
_DATE_TAG = "$wf:date"


class NotSerializable(TypeError):
    """A value that cannot be stored: the message names the path and the type."""


def _encode(value: Any, path: str) -> Any:
    if value is None or isinstance(value, bool | str | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str | int | float) or isinstance(key, bool):
                raise NotSerializable(
                    f"{path}: dict key {key!r} of type {type(key).__name__} cannot be sent over RPC"
                )
            out[str(key)] = _encode(item, f"{path}.{key}")
        return out
    if isinstance(value, list):
        return [_encode(item, f"{path}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return {_DATE_TAG: moment.timestamp() * 1000}
    raise NotSerializable(f"{path}: {type(value).__name__} cannot be sent over RPC")


def json_type(value: Any) -> str:
    """What a decoded JSON value is, for error messages: "a string", "an array", "null"..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def dumps(value: Any, what: str = "value") -> str:
    """Encode a value for storage; NotSerializable names the offending part."""
    return _ENCODER.encode(_encode(value, what))


def size_of(text: str) -> int:
    return len(text.encode())


def _decode_hook(obj: dict[str, Any]) -> Any:
    if len(obj) == 1 and _DATE_TAG in obj:
        return from_js_date(obj[_DATE_TAG])
    return JsDict(obj)


def jsdict(values: dict[str, Any]) -> JsDict:
    """A JsDict of values that are already converted (no recursive walk)."""
    result = JsDict.__new__(JsDict)
    dict.update(result, values)
    return result


# Built once: json.loads/dumps with options build a new decoder/encoder on every call.
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
_DECODER = json.JSONDecoder(object_hook=_decode_hook)


def loads(text: str | None) -> Any:
    """Decode a stored value (dicts become attribute-accessible ``JsDict``)."""
    if text is None:
        return None
    return _DECODER.decode(text)


def to_plain(text: str | None) -> Any:
    """Decode a stored value into plain JSON (dates as ISO-8601 strings), for APIs."""
    if text is None:
        return None

    def hook(obj: dict[str, Any]) -> Any:
        if len(obj) == 1 and _DATE_TAG in obj:
            moment = datetime.fromtimestamp(obj[_DATE_TAG] / 1000, tz=UTC)
            return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return obj

    return json.loads(text, object_hook=hook)
