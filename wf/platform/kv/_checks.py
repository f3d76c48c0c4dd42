"""Production's limits, and the checks workerd and the KV service make, in their words."""

from __future__ import annotations

import math
from typing import Any

from wf.platform.kv._errors import JsException, failed
from wf.platform.kv._jsvalues import utf8

KEY_MAX = 512  # bytes of UTF-8
VALUE_MAX = 25 * 1024 * 1024
METADATA_MAX = 1024  # bytes of the metadata's JSON
MIN_EXPIRATION_TTL = 60  # seconds
MIN_CACHE_TTL = 30  # seconds
LIST_MAX = 1000
BULK_MAX = 100
BULK_BYTES_MAX = 25 * 1024 * 1024


def option(options: Any, name: str) -> Any:
    return options.get(name) if isinstance(options, dict) else None


def int_option(method: str, options: Any, name: str) -> int | None:
    """An int field of an options struct (JSG ``int``: numbers, truncated)."""
    value = option(options, name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise JsException(
            "TypeError",
            f"Failed to execute '{method}' on 'KvNamespace': {name} must be a number.",
        )
    return int(value)


def validate_key(method: str, key: str) -> None:
    """workerd's own checks before it calls the KV service."""
    if key == "":
        raise JsException("TypeError", "Key name cannot be empty.")
    if key in (".", ".."):
        raise JsException("TypeError", f'"{key}" is not allowed as a key name.')
    validate_length(method, key)


def validate_length(method: str, key: str) -> None:
    size = len(utf8(key))
    if size > KEY_MAX:
        raise failed(
            method, 414, f"UTF-8 encoded length of {size} exceeds key length limit of {KEY_MAX}."
        )


def validate_cache_ttl(method: str, cache_ttl: int | None) -> None:
    if cache_ttl is not None and cache_ttl < MIN_CACHE_TTL:
        raise failed(
            method,
            400,
            f"Invalid cache_ttl of {cache_ttl}. Cache TTL must be at least {MIN_CACHE_TTL}.",
        )


def validate_bulk_key(key: str) -> None:
    """The KV service's checks of each key of a bulk read (workerd checks none)."""
    if key == "":
        raise failed("GET_BULK", 400, "Key names must not be empty")
    if key in (".", ".."):
        raise failed("GET_BULK", 400, f'Illegal key name "{key}". Please use a different name.')
    validate_length("GET_BULK", key)
