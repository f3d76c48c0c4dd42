"""What the KV service answers: typed values, put checks, bulk reads and list pages.

workerd forwards each call to the KV service; this module is that service over a Namespace,
with its checks in its order and its error texts.
"""

from __future__ import annotations

import base64
import math
from typing import Any

from wf.platform.kv._checks import (
    BULK_BYTES_MAX,
    BULK_MAX,
    LIST_MAX,
    METADATA_MAX,
    MIN_EXPIRATION_TTL,
    VALUE_MAX,
    int_option,
    option,
    validate_bulk_key,
    validate_cache_ttl,
    validate_length,
)
from wf.platform.kv._errors import JsException, failed
from wf.platform.kv._jsvalues import js_order, js_string, metadata_json, parse_json, utf8
from wf.platform.kv._store import Entry, Namespace
from wf.runtime.js._streams import JsBuffer, ReadableStream
from wf.runtime.workers import JsDict
from wf.runtime.workers._rpc import unwrap

PUT_VALUE_ERROR = (
    "KV put() accepts only strings, ArrayBuffers, ArrayBufferViews, and ReadableStreams as values."
)


def typed_value(data: bytes, kind: str) -> Any:
    if kind == "text":
        return data.decode("utf-8", "replace")
    if kind == "json":
        return parse_json(data.decode("utf-8", "replace"))
    if kind == "arrayBuffer":
        return memoryview(bytearray(data))
    if kind == "stream":
        return ReadableStream(data)
    raise JsException(
        "TypeError",
        'Unknown response type. Possible types are "text", "arrayBuffer", "json", and "stream".',
    )


def read_bulk(
    namespace: Namespace,
    now_ms: float,
    keys: list[str],
    kind: str | None,
    cache_ttl: int | None,
    with_metadata: bool,
) -> JsDict:
    """A bulk read: a dict of key -> value (None when missing), in JS key order."""
    kind = kind or "text"
    if kind not in ("text", "json"):
        raise failed("GET_BULK", 400, f'"{kind}" is not a valid type. Use "json" or "text"')
    if len(keys) > BULK_MAX:
        raise failed("GET_BULK", 400, f"You can request a maximum of {BULK_MAX} keys")
    if not keys:
        raise failed("GET_BULK", 400, "You must request a minimum of 1 key")
    pairs: list[tuple[str, Any]] = []
    total = 0
    for key in keys:
        validate_bulk_key(key)
        validate_cache_ttl("GET_BULK", cache_ttl)
        entry = namespace.read(key, now_ms)
        if entry is None or entry.value is None:
            pairs.append((key, None))
            continue
        text = entry.value.decode("utf-8", "replace")
        total += len(text)
        try:
            value = parse_json(text) if kind == "json" else text
        except JsException:
            raise failed(
                "GET_BULK",
                400,
                f"At least one of the requested keys corresponds to a non-{kind} value",
            ) from None
        if with_metadata:
            metadata = None if entry.metadata is None else parse_json(entry.metadata)
            value = js_order([("value", value), ("metadata", metadata)])
        pairs.append((key, value))
    if total > BULK_BYTES_MAX:
        raise failed(
            "GET_BULK",
            413,
            f"Total size of request exceeds the limit of {BULK_BYTES_MAX >> 20}MB",
        )
    return js_order(pairs)


def put_body(value: Any) -> bytes:
    """The bytes production stores for a put() value (strings, buffers, streams; JS coercion)."""
    value = unwrap(value)  # the SDK sends a wrapped stream as the stream itself
    if isinstance(value, str):
        return utf8(value)
    if isinstance(value, ReadableStream):
        return value.take()
    if isinstance(value, JsBuffer):
        return value.to_bytes()
    if isinstance(value, dict | list) or callable(value):
        raise JsException("TypeError", PUT_VALUE_ERROR)
    if value is None or isinstance(value, bool | int | float):
        return js_string(value).encode("utf-8")
    try:
        with memoryview(value) as view:  # bytes, memoryview, array.array...: a typed array
            return view.tobytes()
    except TypeError:
        raise JsException("TypeError", PUT_VALUE_ERROR) from None


def check_put(
    key: str,
    value: bytes,
    now_ms: float,
    *,
    expiration: int | None = None,
    ttl: int | None = None,
    metadata: Any = None,
) -> Entry:
    """The KV service's checks of a put, in its order; the entry to store."""
    now = math.floor(now_ms / 1000)
    expires: int | None = None
    if ttl is not None:
        if ttl <= 0:
            raise failed(
                "PUT",
                400,
                f"Invalid expiration_ttl of {ttl}. Please specify integer greater than 0.",
            )
        if ttl < MIN_EXPIRATION_TTL:
            raise failed(
                "PUT",
                400,
                f"Invalid expiration_ttl of {ttl}. Expiration TTL must be at least "
                f"{MIN_EXPIRATION_TTL}.",
            )
        expires = now + ttl
    elif expiration is not None:
        if expiration <= now:
            raise failed(
                "PUT",
                400,
                f"Invalid expiration of {expiration}. Please specify integer greater than the "
                "current number of seconds since the UNIX epoch.",
            )
        if expiration < now + MIN_EXPIRATION_TTL:
            raise failed(
                "PUT",
                400,
                f"Invalid expiration of {expiration}. Expiration times must be at least "
                f"{MIN_EXPIRATION_TTL} seconds in the future.",
            )
        expires = expiration
    meta = None if metadata is None else metadata_json(metadata)
    if meta is not None:
        size = len(meta.encode("utf-8"))
        if size > METADATA_MAX:
            raise failed("PUT", 413, f"Metadata length of {size} exceeds limit of {METADATA_MAX}.")
    if len(value) > VALUE_MAX:
        raise failed("PUT", 413, f"Value length of {len(value)} exceeds limit of {VALUE_MAX}.")
    return Entry(key, value, expires, meta)


def list_keys(namespace: Namespace, now_ms: float, options: Any) -> JsDict:
    """One page of keys, as production's list() answers (limit <= 0 means the default)."""
    limit = int_option("list", options, "limit")
    prefix = option(options, "prefix")
    cursor = option(options, "cursor")
    prefix = "" if prefix is None else js_string(prefix)
    if limit is not None and limit > LIST_MAX:
        raise failed(
            "GET",
            400,
            f"Invalid key_count_limit of {limit}. Please specify an integer less than {LIST_MAX}.",
        )
    if limit is None or limit <= 0:
        limit = LIST_MAX
    validate_length("GET", prefix)
    after = None if cursor is None or cursor == "" else _decode_cursor(js_string(cursor))
    found = namespace.scan(prefix, after, limit + 1, now_ms)
    keys = []
    for entry in found[:limit]:
        item = JsDict(name=entry.key)
        if entry.expiration is not None:
            item["expiration"] = entry.expiration
        if entry.metadata is not None:
            dict.__setitem__(item, "metadata", parse_json(entry.metadata))
        keys.append(item)
    result = JsDict(keys=[], list_complete=len(found) <= limit)
    dict.__setitem__(result, "keys", keys)
    if len(found) > limit:
        result["cursor"] = _encode_cursor(utf8(found[limit - 1].key))
    result["cacheStatus"] = None
    return result


def _encode_cursor(last: bytes) -> str:
    return base64.urlsafe_b64encode(last).decode("ascii").rstrip("=")


def _decode_cursor(cursor: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except ValueError:
        raise failed("GET", 400, "Invalid cursor") from None
