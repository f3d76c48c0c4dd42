"""The errors KV calls raise, as Python code sees them in production."""

from __future__ import annotations


class JsException(Exception):
    """A JavaScript error as Pyodide raises it in Python: ``name`` and ``message``."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


def failed(method: str, status: int, text: str) -> JsException:
    """The error workerd builds from a KV service answer that is not 2xx."""
    return JsException("Error", f"KV {method} failed: {status} {text}")
