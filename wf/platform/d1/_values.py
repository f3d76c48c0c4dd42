"""Values across the D1 boundary, converted as production converts them.

Going in, a Python value crosses Pyodide's ``to_js`` (workers-py ``python_to_rpc``), then D1's
``bind()``, then JSON to the database. Coming out, each cell travels as JSON to JavaScript and
back through Pyodide. So: ``True`` is stored as 1, an integral float as an INTEGER, NaN and
infinities as NULL, bytes as a BLOB; an int beyond 2**53 is a JavaScript BigInt, which D1
refuses. A BLOB comes back as a list of byte values, a REAL holding a whole number as an
``int``, and an INTEGER beyond 2**53 as a rounded ``float``.
"""

from __future__ import annotations

import math
from typing import Any

from wf.platform.d1._errors import D1Error
from wf.runtime.js._coerce import js_string as js_string

MAX_SAFE_INTEGER = 2**53 - 1
_INT64 = 2**63


def js_typeof(value: Any) -> str:
    """``typeof`` of the JavaScript value Pyodide makes of ``value``."""
    if value is None:
        return "object"  # null
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "number" if abs(value) <= MAX_SAFE_INTEGER else "bigint"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if callable(value) and not isinstance(value, type):
        return "function"
    return "object"


def to_sqlite(value: Any) -> Any:
    """One ``bind()`` argument as D1 stores it; D1_TYPE_ERROR for what D1 refuses."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return 1 if value else 0
    if isinstance(value, int):
        if abs(value) <= MAX_SAFE_INTEGER:
            return value
    elif isinstance(value, float):
        # JSON carries the number to the database: NaN and infinities become null, and a
        # whole number is written without a fraction, so SQLite stores an INTEGER.
        if math.isnan(value) or math.isinf(value):
            return None
        if value.is_integer() and abs(value) < _INT64:
            return int(value)
        return value
    elif isinstance(value, bytes | memoryview):
        return bytes(value)
    elif isinstance(value, list) and all(_is_byte(item) for item in value):
        return bytes(int(item) for item in value)
    raise D1Error(
        f"D1_TYPE_ERROR: Type '{js_typeof(value)}' not supported for value '{js_string(value)}'"
    )


def _is_byte(item: Any) -> bool:
    return (
        isinstance(item, int | float)
        and not isinstance(item, bool)
        and js_typeof(item) == "number"
        and 0 <= item < 256
    )


def from_sqlite(value: Any) -> Any:
    """A stored cell as Python code in a Worker receives it."""
    if isinstance(value, int):
        return value if abs(value) <= MAX_SAFE_INTEGER else float(value)
    if isinstance(value, float):
        if math.isinf(value):
            return None  # JSON has no Infinity: it travels as null
        if value.is_integer() and abs(value) <= MAX_SAFE_INTEGER:
            return int(value)  # one JavaScript number type: Pyodide makes whole ones ints
        return value
    if isinstance(value, bytes):
        return list(value)
    return value
