"""``env.KV``: the call shape of production's binding as the Python SDK wraps it.

Methods keep their JS names; keyword arguments become the trailing JS options object; the
SDK's refusals (``bytearray``, ``tuple``, an un-awaited coroutine) raise ``TypeError`` at the
call, everything else when awaited.
"""

from __future__ import annotations

import warnings
from collections.abc import Awaitable, Callable
from typing import Any

from wf.platform.kv._checks import int_option, option, validate_cache_ttl, validate_key
from wf.platform.kv._errors import JsException
from wf.platform.kv._jsvalues import js_order, js_string, parse_json
from wf.platform.kv._service import check_put, list_keys, put_body, read_bulk, typed_value
from wf.platform.kv._store import Namespace
from wf.runtime.workers import JsDict
from wf.runtime.workers._rpc import check_rpc, sdk_result

# Option names a Python habit gets wrong: production ignores them silently, wf warns.
SNAKE_OPTIONS = {"expiration_ttl": "expirationTtl", "cache_ttl": "cacheTtl"}


def js_args(method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[Any]:
    """The JS arguments of a call through the SDK: kwargs become a trailing options object."""
    for value in (*args, *kwargs.values()):
        check_rpc(value)
    for name in kwargs:
        if name in SNAKE_OPTIONS:
            warnings.warn(
                f"KV {method}(): {name}= is not a KV option and production ignores it; "
                f"use {SNAKE_OPTIONS[name]}=",
                RuntimeWarning,
                stacklevel=3,
            )
    return [*args, dict(kwargs)] if kwargs else list(args)


def arg(args: list[Any], index: int) -> Any:
    return args[index] if index < len(args) else None


def _read_type(options: Any) -> str | None:
    """``get``'s second argument: a type string, or an options object with ``type``."""
    if options is None:
        return None
    if isinstance(options, dict):
        kind = options.get("type")
        return None if kind is None else js_string(kind)
    return js_string(options)


class KVNamespace:
    """``env.KV``: the methods of production's KV binding, with its JS names."""

    def __init__(self, binding: str, namespace: Namespace, now: Callable[[], float]) -> None:
        self._binding = binding
        self._namespace = namespace
        self._now = now

    def __repr__(self) -> str:
        return f"<KvNamespace {self._binding}>"

    # get / getWithMetadata -------------------------------------------------------------------

    def get(self, *args: Any, **kwargs: Any) -> Awaitable[Any]:
        """``get(key, type="text")``, or a dict of values for a list of keys."""
        js = js_args("get", args, kwargs)
        return self._read(js, with_metadata=False)

    def getWithMetadata(self, *args: Any, **kwargs: Any) -> Awaitable[Any]:
        """``{value, metadata, cacheStatus}``, or a dict of them for a list of keys."""
        js = js_args("getWithMetadata", args, kwargs)
        return self._read(js, with_metadata=True)

    async def _read(self, js: list[Any], with_metadata: bool) -> Any:
        if not js:
            raise JsException(
                "TypeError",
                "Failed to execute 'get' on 'KvNamespace': parameter 1 is not of type "
                "'string or Array'.",
            )
        name, options = js[0], arg(js, 1)
        kind = _read_type(options)
        cache_ttl = int_option("get", options, "cacheTtl")
        if isinstance(name, list):
            keys = [js_string(k) for k in name]
            return read_bulk(self._namespace, self._now(), keys, kind, cache_ttl, with_metadata)
        key = js_string(name)
        validate_key("GET", key)
        validate_cache_ttl("GET", cache_ttl)
        entry = self._namespace.read(key, self._now())
        if entry is None:
            return JsDict(value=None, metadata=None, cacheStatus=None) if with_metadata else None
        assert entry.value is not None
        value = typed_value(entry.value, kind or "text")
        if not with_metadata:
            return sdk_result(value)  # a stream comes back wrapped; inside an object it is not
        metadata = None if entry.metadata is None else parse_json(entry.metadata)
        return js_order([("value", value), ("metadata", metadata), ("cacheStatus", None)])

    # put / delete ----------------------------------------------------------------------------

    def put(self, *args: Any, **kwargs: Any) -> Awaitable[None]:
        """``put(key, value, expiration=, expirationTtl=, metadata=)``: durable on return."""
        js = js_args("put", args, kwargs)
        return self._put(js)

    async def _put(self, js: list[Any]) -> None:
        key = js_string(arg(js, 0) if js else None)
        options = arg(js, 2)
        expiration = int_option("put", options, "expiration")
        ttl = int_option("put", options, "expirationTtl")
        metadata = option(options, "metadata")
        validate_key("PUT", key)
        if len(js) < 2:
            raise JsException(
                "TypeError",
                "Failed to execute 'put' on 'KvNamespace': parameter 2 is not of type "
                "'string or ArrayBuffer or ArrayBufferView or ReadableStream'.",
            )
        value = put_body(js[1])
        self._namespace.write(
            check_put(key, value, self._now(), expiration=expiration, ttl=ttl, metadata=metadata)
        )

    def delete(self, *args: Any, **kwargs: Any) -> Awaitable[None]:
        """``delete(key)``: durable on return; deleting a missing key is fine."""
        js = js_args("delete", args, kwargs)
        return self._delete(js)

    async def _delete(self, js: list[Any]) -> None:
        key = js_string(arg(js, 0) if js else None)
        validate_key("DELETE", key)
        self._namespace.delete(key)

    # list ------------------------------------------------------------------------------------

    def list(self, *args: Any, **kwargs: Any) -> Awaitable[JsDict]:
        """``list(prefix=, limit=, cursor=)``: ``{keys, list_complete, cursor?, cacheStatus}``."""
        js = js_args("list", args, kwargs)
        return self._list(arg(js, 0))

    async def _list(self, options: Any) -> JsDict:
        now = self._now()
        self._namespace.prune(now)
        return list_keys(self._namespace, now, options)
