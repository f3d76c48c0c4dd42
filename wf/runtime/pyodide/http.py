"""`pyodide.http.pyfetch`, which older Python Workers examples use for outgoing requests."""

from __future__ import annotations

from typing import Any

from ._not_emulated import not_emulated

__all__ = ["pyfetch"]


def __getattr__(name: str) -> Any:
    raise not_emulated(__name__, name, "use pyfetch, or fetch from the workers package")


async def pyfetch(url: str, **kwargs: Any) -> Any:
    """Fetch `url`; the response has ``status``, ``ok``, ``headers``, ``await .json()``..."""
    from wf.runtime.workers import fetch  # an alias of the `workers` user code sees

    return await fetch(url, **kwargs)
