"""``emu.kv("KV")``: seed and inspect a namespace synchronously (tests, the CLI)."""

from __future__ import annotations

import builtins
import json
from collections.abc import Callable, Iterator
from typing import Any

from wf.platform.kv._checks import LIST_MAX, validate_key
from wf.platform.kv._jsvalues import js_order, parse_json, utf8
from wf.platform.kv._service import check_put, list_keys, put_body, typed_value
from wf.platform.kv._store import Entry, Namespace
from wf.runtime.workers import JsDict


class KVAdmin:
    """Seed and inspect one namespace synchronously: ``emu.kv("KV").put("k", "v")``.

    Values are what ``env.KV.put`` takes, plus dicts and lists (stored as compact JSON);
    production's limits and errors apply, and expiry follows the emulator's clock.
    """

    def __init__(self, namespace: Namespace, now: Callable[[], float]) -> None:
        self.namespace = namespace
        self._now = now

    def put(
        self,
        key: str,
        value: Any,
        *,
        expiration: int | None = None,
        expiration_ttl: int | None = None,
        metadata: Any = None,
    ) -> None:
        """Store ``value`` under ``key`` (committed on return)."""
        validate_key("PUT", key)
        if isinstance(value, dict | list):
            data = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        elif isinstance(value, bytearray):
            data = bytes(value)
        else:
            data = put_body(value)
        self.namespace.write(
            check_put(
                key,
                data,
                self._now(),
                expiration=expiration,
                ttl=expiration_ttl,
                metadata=metadata,
            )
        )

    def get(self, key: str, type: str = "text") -> Any:
        """The value as ``env.KV.get(key, type)`` returns it, or None."""
        validate_key("GET", key)
        entry = self.namespace.read(key, self._now())
        return None if entry is None or entry.value is None else typed_value(entry.value, type)

    def get_with_metadata(self, key: str, type: str = "text") -> JsDict:
        """``{value, metadata, cacheStatus}`` as ``env.KV.getWithMetadata`` returns it."""
        entry = self.namespace.read(key, self._now())
        if entry is None or entry.value is None:
            return JsDict(value=None, metadata=None, cacheStatus=None)
        metadata = None if entry.metadata is None else parse_json(entry.metadata)
        return js_order(
            [
                ("value", typed_value(entry.value, type)),
                ("metadata", metadata),
                ("cacheStatus", None),
            ]
        )

    def entry(self, key: str) -> Entry | None:
        """The stored entry (raw bytes, expiration, metadata JSON), or None."""
        validate_key("GET", key)
        return self.namespace.read(key, self._now())

    def list(
        self, prefix: str | None = None, limit: int | None = None, cursor: str | None = None
    ) -> JsDict:
        """One page of keys, as ``env.KV.list`` returns it."""
        return list_keys(
            self.namespace, self._now(), {"prefix": prefix, "limit": limit, "cursor": cursor}
        )

    def keys(self, prefix: str = "") -> builtins.list[str]:
        """Every live key starting with ``prefix``, in production's order."""
        return [e.key for e in self.entries(prefix)]

    def entries(self, prefix: str = "") -> Iterator[Entry]:
        """Every live entry starting with ``prefix`` (values not loaded), page by page."""
        after: bytes | None = None
        while True:
            page = self.namespace.scan(prefix, after, LIST_MAX, self._now())
            yield from page
            if len(page) < LIST_MAX:
                return
            after = utf8(page[-1].key)

    def delete(self, key: str) -> None:
        """Remove ``key`` (committed on return)."""
        validate_key("DELETE", key)
        self.namespace.delete(key)

    def clear(self) -> None:
        """Remove every key."""
        self.namespace.clear()
