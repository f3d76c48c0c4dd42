"""JS's ``String(value)`` and UTF-8 for the values Python code hands a binding.

One copy for every binding (D1 ``bind``/``first(column)``, KV keys and values, R2 keys): what
the JS side computes from the JS value Pyodide or the SDK makes of a Python value.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any


def utf8(text: str) -> bytes:
    """UTF-8 as JS writes it: surrogate pairs join, a lone surrogate becomes U+FFFD."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # surrogates: go through UTF-16 code units, as JS holds them
        units = text.encode("utf-16-le", "surrogatepass")
        return units.decode("utf-16-le", "replace").encode("utf-8")


def js_number_string(value: float) -> str:
    """``String(x)`` for a JS number (ECMAScript Number::toString)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    # value = 0.digits * 10^n, digits without trailing zeros (repr gives the shortest digits)
    _, raw, exponent = Decimal(repr(abs(value))).as_tuple()
    digits = "".join(map(str, raw)).rstrip("0")
    assert isinstance(exponent, int)
    n = len(raw) + exponent
    k = len(digits)
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * -n + digits
    else:
        e = n - 1
        text = digits[0] + ("." + digits[1:] if k > 1 else "") + ("e+" if e >= 0 else "e-")
        text += str(abs(e))
    return sign + text


def js_string(value: Any) -> str:
    """``String(v)`` of the JS value Python's ``value`` becomes (JSG's string coercion)."""
    from wf.runtime.pyodide._values import JsProxy

    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return js_number_string(value)
    if isinstance(value, list):
        return ",".join("" if item is None else js_string(item) for item in value)
    if isinstance(value, Mapping):
        return "[object Object]"
    if isinstance(value, bytes | memoryview):  # a typed array: its bytes, comma-joined
        return ",".join(str(b) for b in bytes(value))
    if isinstance(value, datetime.datetime):  # the SDK sends a Date
        stamp = value if value.tzinfo else value.replace(tzinfo=datetime.UTC)
        utc = stamp.astimezone(datetime.UTC)
        return utc.strftime("%a %b %d %Y %H:%M:%S GMT+0000 (Coordinated Universal Time)")
    if isinstance(value, JsProxy):
        return repr(value)  # a JsProxy's repr is String() of its JS value
    return str(value)  # a PyProxy: JavaScript's String() calls Python's str()
