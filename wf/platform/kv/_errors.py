"""The errors KV calls raise, as Python code sees them in production."""

from __future__ import annotations

# One class for every JS error, the one user code catches: `from pyodide.ffi import JsException`.
from wf.runtime.pyodide.ffi import JsException as JsException


def failed(method: str, status: int, text: str) -> JsException:
    """The error workerd builds from a KV service answer that is not 2xx."""
    return JsException("Error", f"KV {method} failed: {status} {text}")
