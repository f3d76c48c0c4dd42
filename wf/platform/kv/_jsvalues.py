"""Values crossing between Python and JS as production converts them (SDK, Pyodide, V8).

Arguments: JS ``String()`` coercion, UTF-8 as JS writes it (the SDK's refusals are
``wf.runtime.workers._rpc.check_rpc``). Results: ``JSON.parse`` with Pyodide's number
rules and JS key order, as ``JsDict``.
"""

from __future__ import annotations

import json
import math
from typing import Any

from wf.platform.kv._errors import JsException
from wf.runtime.js._coerce import js_number_string as js_number_string
from wf.runtime.js._coerce import js_string as js_string
from wf.runtime.js._coerce import utf8 as utf8
from wf.runtime.pyodide._values import js_number
from wf.runtime.workers import JsDict


def js_order(pairs: list[tuple[str, Any]]) -> JsDict:
    """A JS object's own keys in JS order: array indices ascending first, then insertion."""
    values: dict[str, Any] = {}
    for key, value in pairs:
        values.pop(key, None)
        values[key] = value
    indices = sorted((k for k in values if _is_index(k)), key=int)
    ordered = JsDict()
    for key in indices + [k for k in values if not _is_index(k)]:
        dict.__setitem__(ordered, key, values[key])
    return ordered


def _is_index(key: str) -> bool:
    return (
        key.isdigit() and key.isascii() and (key == "0" or key[0] != "0") and int(key) < 2**32 - 1
    )


class _Constant(ValueError):
    """NaN, Infinity or -Infinity: Python's JSON extensions, which JSON.parse refuses."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _no_constant(name: str) -> Any:
    raise _Constant(name)


def parse_json(text: str) -> Any:
    """``JSON.parse(text)`` converted as Pyodide converts it; SyntaxError as V8 words it."""
    try:
        return json.loads(
            text,
            object_pairs_hook=js_order,
            parse_int=lambda s: js_number(float(s)),
            parse_float=lambda s: js_number(float(s)),
            parse_constant=_no_constant,
        )
    except ValueError as exc:
        raise JsException("SyntaxError", _json_error(text, exc)) from None


# Python's json messages -> V8's, for the errors V8 reports with a position.
_AT_POSITION = {
    "Expecting ':' delimiter": "Expected ':' after property name in JSON",
    "Invalid control character at": "Bad control character in string literal in JSON",
    "Invalid \\escape": "Bad escaped character in JSON",
    "Invalid \\uXXXX escape": "Bad Unicode escape in JSON",
    "Extra data": "Unexpected non-whitespace character after JSON",
}
_CONTEXT = 10  # characters V8 quotes on each side of a bad token in a long text


def _json_error(text: str, exc: ValueError) -> str:
    """V8's SyntaxError message for the first error Python's parser found."""
    if isinstance(exc, _Constant):
        return _unexpected_token(text, max(text.find(exc.name), 0))
    if not isinstance(exc, json.JSONDecodeError) or exc.pos >= len(text):
        return "Unexpected end of JSON input"
    pos, msg = exc.pos, exc.msg
    if msg.startswith("Unterminated string"):
        return _at(text, "Unterminated string in JSON", len(text))
    if msg == "Expecting property name enclosed in double quotes":
        after_comma = text[:pos].rstrip().endswith(",")
        what = (
            "Expected double-quoted property name"
            if after_comma
            else ("Expected property name or '}'")
        )
        return _at(text, f"{what} in JSON", pos)
    if msg == "Expecting ',' delimiter":
        inside = "array element" if _innermost(text, pos) == "[" else "property value"
        close = "]" if inside == "array element" else "}"
        return _at(text, f"Expected ',' or '{close}' after {inside} in JSON", pos)
    if msg in _AT_POSITION:
        return _at(text, _AT_POSITION[msg], pos)
    return _unexpected_token(text, pos)


def _at(text: str, what: str, pos: int) -> str:
    line = text.count("\n", 0, pos) + 1
    column = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return f"{what} at position {pos} (line {line} column {column})"


def _unexpected_token(text: str, pos: int) -> str:
    token = text[pos]
    if len(text) <= 2 * _CONTEXT:
        return f"Unexpected token '{token}', \"{text}\" is not valid JSON"
    start, end = max(0, pos - _CONTEXT), min(len(text), pos + _CONTEXT)
    before = "..." if start > 0 else ""
    after = "..." if end < len(text) else ""
    return f"Unexpected token '{token}', {before}\"{text[start:end]}\"{after} is not valid JSON"


def _innermost(text: str, pos: int) -> str | None:
    """The bracket (``[`` or ``{``) open at ``pos``, skipping strings."""
    stack: list[str] = []
    in_string = escaped = False
    for char in text[:pos]:
        if in_string:
            escaped = not escaped and char == "\\"
            in_string = escaped or char != '"'
        elif char == '"':
            in_string = True
        elif char in "[{":
            stack.append(char)
        elif char in "]}" and stack:
            stack.pop()
    return stack[-1] if stack else None


def metadata_json(metadata: Any) -> str:
    """``JSON.stringify(metadata)`` (compact; NaN and Infinity become null, as in JS)."""

    def clean(value: Any) -> Any:
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if isinstance(value, dict):
            return {js_string(k): clean(v) for k, v in value.items()}
        if isinstance(value, list):
            return [clean(v) for v in value]
        if isinstance(value, bytes | memoryview):  # a typed array: {"0": b0, "1": b1...}
            return {str(i): b for i, b in enumerate(bytes(value))}
        return value

    try:
        return json.dumps(clean(metadata), separators=(",", ":"), ensure_ascii=False)
    except TypeError:
        raise JsException(
            "TypeError", "Failed to execute 'put' on 'KvNamespace': metadata is not JSON"
        ) from None
