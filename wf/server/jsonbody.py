"""Request bodies parsed as JSON, refusing what Cloudflare could never hold, with the field named.

``json.loads`` accepts text that production's ``JSON.parse`` rejects or mangles, and that breaks
wf further down: ``NaN`` and ``Infinity`` (stored as null), numbers beyond a double (``1e309``
becomes inf; 5,000 digits raise ValueError), lone surrogates (``"\\ud800"``, which no UTF-8
store or answer can encode), and nesting deep enough to exhaust the recursion limit of every
later walk over the value. Each is a :class:`BadJson` here, before anything sees the value.
"""

from __future__ import annotations

import json
import math
import re
import sys
from typing import Any

MAX_DEPTH = 128  # far beyond real params, far below the recursion limit of later walks
_MAX_DIGITS = 309  # a double holds at most 1.8e308: JSON.parse turns longer integers into inf
_FLOAT_MAX = sys.float_info.max
# Surrogates can only come from \uD800-\uDFFF escapes: decoded UTF-8 never holds one.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$-]*")
# Text in which no number can be out of range and no NaN or Infinity can stand: without an
# exponent, a number of fewer than 200 digits is finite. Anything else (also inside strings,
# harmlessly) takes the hooked decoder, which notes each refused literal.
_MAYBE_REFUSED = re.compile(r"NaN|Infinity|\d[eE]|\d{200}").search


class BadJson(ValueError):
    """JSON that cannot be accepted; ``message`` names the field and the problem."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _Refused:
    """What a number hook returns for a literal it refuses; the walk reports it with its path."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


def _clip(text: str) -> str:
    return text if len(text) <= 24 else f"{text[:20]}... ({len(text)} characters)"


def _number_hooks(refused: list[str]) -> dict[str, Any]:
    """Hooks for JSONDecoder that note each refused literal in ``refused``."""

    def refuse(reason: str) -> _Refused:
        refused.append(reason)
        return _Refused(reason)

    def parse_int(text: str) -> Any:
        digits = len(text) - text.startswith("-")
        # int() of thousands of digits is refused (and slow): count them first
        if digits > _MAX_DIGITS or abs(value := int(text)) > _FLOAT_MAX:
            return refuse(f"number {_clip(text)} is out of range (at most about 1.8e308)")
        return value

    def parse_float(text: str) -> Any:
        value = float(text)
        if not math.isfinite(value):
            return refuse(f"number {_clip(text)} is out of range (at most about 1.8e308)")
        return value

    def parse_constant(name: str) -> Any:
        return refuse(f"{name} is not valid JSON (use null, a number or a string)")

    return {"parse_int": parse_int, "parse_float": parse_float, "parse_constant": parse_constant}


def parse_json(text: str, root: str = "") -> Any:
    """``text`` decoded; BadJson names the field (``params.a[3]``) under ``root`` when it can.

    Malformed text raises ``json.JSONDecodeError`` as ``json.loads`` does.
    """
    refused: list[str] = []
    try:
        if _MAYBE_REFUSED(text) is None:
            value = json.loads(text)  # no literal the hooks could refuse: the C scanner alone
        else:
            value = json.JSONDecoder(**_number_hooks(refused)).decode(text)
    except RecursionError:
        raise BadJson(f"{_label(root)}: nests deeper than {MAX_DEPTH} levels") from None
    # The walk costs a visit per container: skip it when nothing can be wrong.
    deep = text.count("[") + text.count("{") > MAX_DEPTH
    if refused or deep or _SURROGATE_ESCAPE.search(text) is not None:
        _check(value, root)
    return value


def _check(value: Any, root: str) -> None:
    stack: list[tuple[Any, str, int]] = [(value, root, 0)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, str):
            _check_text(item, path)
        elif isinstance(item, _Refused):
            raise BadJson(f"{_label(path)}: {item.reason}")
        elif isinstance(item, dict | list):
            if depth >= MAX_DEPTH:
                raise BadJson(f"{_label(path)}: nests deeper than {MAX_DEPTH} levels")
            if isinstance(item, dict):
                for key in item:
                    _check_text(key, path, key=True)
                children = [(v, _join(path, k), depth + 1) for k, v in item.items()]
            else:
                children = [(v, f"{path}[{i}]", depth + 1) for i, v in enumerate(item)]
            stack.extend(reversed(children))  # report the first bad field in document order


def _check_text(text: str, path: str, *, key: bool = False) -> None:
    if text.isascii():
        return
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        char = f"\\u{ord(text[exc.start]):04x}"
        where = f"{_label(path)}: key {_show(text)}" if key else _label(path)
        raise BadJson(f"{where}: lone surrogate {char} is not valid text") from None


def _label(path: str) -> str:
    if len(path) > 80:  # a path 128 levels deep says less than its start
        return path[:60] + "..."
    return path or "request body"


def _join(path: str, key: str) -> str:
    if _IDENTIFIER.fullmatch(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{_show(key)}]"


def _show(text: str) -> str:
    """``text`` quoted as JSON, with surrogates escaped so that the message stays valid text."""
    quoted = json.dumps(_clip(text), ensure_ascii=False)
    return quoted.encode("utf-8", "backslashreplace").decode("utf-8")
