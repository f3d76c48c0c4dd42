"""One serializer for every value that crosses a step boundary or is stored.

Values are what structured clone keeps: dicts (keys become strings, as ``Object.fromEntries``
makes them), lists and tuples (JS arrays), sets (JS Sets), str, int, float (NaN and the
infinities included), bool, None, and ``datetime`` (a JS Date); anything else is refused as
production refuses a value it cannot store. Each decode builds a fresh copy, so a cached step
result can be mutated safely.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

from wf.runtime.workers import JsDict
from wf.usertime import from_js_date

MAX_BYTES = 1024 * 1024
_DATE_TAG = "$wf:date"
_SET_TAG = "$wf:set"
_NUMBER_TAG = "$wf:number"  # NaN and the infinities, which JSON cannot spell
_NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


class NotSerializable(TypeError):
    """A value that cannot be stored: the message names the path and the type."""


def _js_number(value: float) -> str:
    """A float as JS ``String()`` writes it: what an object key made from it becomes."""
    if not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return str(int(value)) if value.is_integer() and abs(value) < 1e21 else repr(value)


def _key(key: Any, path: str) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, int):
        return str(key)
    if isinstance(key, float):
        return _js_number(key)
    if key is None:
        return "null"
    raise NotSerializable(
        f"{path}: dict key {key!r} of type {type(key).__name__} cannot be sent over RPC"
    )


def _encode(value: Any, path: str) -> Any:
    if value is None or isinstance(value, bool | str | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {_NUMBER_TAG: _js_number(value)}
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            out[_key(key, path)] = _encode(item, f"{path}.{key}")
        return out
    if isinstance(value, list | tuple):
        return [_encode(item, f"{path}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, set | frozenset):
        return {_SET_TAG: [_encode(item, f"{path}{{}}") for item in value]}
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return {_DATE_TAG: moment.timestamp() * 1000}
    raise NotSerializable(f"{path}: {type(value).__name__} cannot be sent over RPC")


class _Unencodable(Exception):
    """``_encode_quick`` met something only ``_encode`` can describe (with its path)."""


def _encode_quick(value: Any) -> Any:
    """``_encode`` without the path of each item: every param, payload and result goes
    through here, and building a path string per item cost more than the encoding itself.
    Raises ``_Unencodable`` where ``_encode`` would raise, so that it can name the path.
    """
    if value is None or isinstance(value, bool | str | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {_NUMBER_TAG: _js_number(value)}
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                if isinstance(key, bool | int | float) or key is None:
                    key = _key(key, "")
                else:
                    raise _Unencodable
            out[key] = _encode_quick(item)
        return out
    if isinstance(value, list | tuple):
        return [_encode_quick(item) for item in value]
    if isinstance(value, set | frozenset):
        return {_SET_TAG: [_encode_quick(item) for item in value]}
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return {_DATE_TAG: moment.timestamp() * 1000}
    raise _Unencodable


def step_result(value: Any, external_sdk: bool) -> Any:
    """A step's result as the SDK hands it to the engine; NotSerializable where storing fails.

    The runtime's own SDK (before 2026-04-21) converts with ``to_js(result,
    dict_converter=Object.fromEntries)`` and no default converter, so a ``datetime`` stays a
    PyProxy, which the engine cannot store. The external SDK's ``python_to_rpc`` makes it a
    JS Date.
    """
    if not external_sdk:
        _refuse_dates(value, "result")
    return value


def _refuse_dates(value: Any, path: str) -> None:
    if isinstance(value, datetime):
        raise NotSerializable(
            f"{path}: datetime is not converted by to_js (it stays a PyProxy); return "
            "value.isoformat() or a timestamp, or use a compatibility date from 2026-04-21"
        )
    if isinstance(value, dict):
        for key, item in value.items():
            _refuse_dates(item, f"{path}.{key}")
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _refuse_dates(item, f"{path}[{i}]")


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
    try:
        encoded = _encode_quick(value)
    except _Unencodable:
        encoded = _encode(value, what)  # raises NotSerializable naming the offending part
    return _ENCODER.encode(encoded)


def size_of(text: str) -> int:
    return len(text.encode())


class TooLarge(ValueError):
    """An encoded value over its limit (1 MiB for params, event payloads and step results)."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"{size} bytes, more than {limit}")
        self.size = size
        self.limit = limit


def encode_within(value: Any, what: str = "value", limit: int = MAX_BYTES) -> str:
    """``dumps(value)`` when the text is at most ``limit`` bytes of UTF-8, else TooLarge.

    NotSerializable (naming the offending part) when the value cannot be stored at all.
    """
    text = dumps(value, what)
    # Fewer characters than the limit's bytes cannot be over it: skip encoding the text.
    if len(text) * 4 > limit:
        size = len(text.encode())
        if size > limit:
            raise TooLarge(size, limit)
    return text


def _decode_hook(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        if _DATE_TAG in obj:
            return from_js_date(obj[_DATE_TAG])
        if _NUMBER_TAG in obj:
            return _NON_FINITE[obj[_NUMBER_TAG]]
        if _SET_TAG in obj:
            return _as_set(obj[_SET_TAG])
    # Decoded inside out: the values are converted already, so no second walk (JsDict(obj)).
    return jsdict(obj)


def _as_set(items: list[Any]) -> Any:
    # A JS Set of objects or arrays has no Python set form; Pyodide's to_py fails the same way.
    try:
        return set(items)
    except TypeError:
        raise NotSerializable(
            "a Set holding objects or arrays cannot be converted to a Python set"
        ) from None


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

    # As JSON.stringify writes them: NaN and the infinities are null, a Set is {}.
    def hook(obj: dict[str, Any]) -> Any:
        if len(obj) == 1:
            if _DATE_TAG in obj:
                moment = datetime.fromtimestamp(obj[_DATE_TAG] / 1000, tz=UTC)
                return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
            if _NUMBER_TAG in obj:
                return None
            if _SET_TAG in obj:
                return {}
        return obj

    return json.loads(text, object_hook=hook)
