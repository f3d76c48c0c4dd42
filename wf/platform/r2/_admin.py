"""The synchronous seeding and inspection handle of a bucket: ``emu.r2("BUCKET")``, ``wf r2``."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from ._bucket import MAX_OBJECT_SIZE, check_custom_size, check_key
from ._errors import r2_error
from ._store import BucketStore, ObjectRow, new_id

_HTTP_NAMES = {
    "content_type": "contentType",
    "content_language": "contentLanguage",
    "content_disposition": "contentDisposition",
    "content_encoding": "contentEncoding",
    "cache_control": "cacheControl",
}


class BucketAdmin:
    """Put, read, list and delete objects directly, outside any Worker (plain Python values)."""

    def __init__(self, store: BucketStore, now: Callable[[], float]) -> None:
        self._store = store
        self._now = now  # virtual now in epoch ms

    def put(
        self,
        key: str,
        value: str | bytes,
        *,
        custom_metadata: dict[str, str] | None = None,
        **http: str,
    ) -> dict[str, Any]:
        """Store an object as a Worker's ``put`` would (``content_type=``, ``cache_control=``)."""
        unknown = set(http) - set(_HTTP_NAMES)
        if unknown:
            raise TypeError(f"unknown HTTP metadata: {', '.join(sorted(unknown))}")
        data = value.encode() if isinstance(value, str) else bytes(value)
        custom = dict(custom_metadata or {})
        check_key("put", key)
        if len(data) > MAX_OBJECT_SIZE:
            raise r2_error("put", "EntityTooLarge")
        check_custom_size("put", custom)
        md5 = hashlib.md5(data).hexdigest()
        row = ObjectRow(
            key=key,
            blob=self._store.write_blob(data),
            version=new_id(),
            size=len(data),
            etag=md5,
            uploaded=int(self._now()),
            checksums={"md5": md5},
            http_metadata={_HTTP_NAMES[k]: v for k, v in http.items()},
            custom_metadata=custom,
        )
        self._store.put(row)
        return describe(row)

    def get(self, key: str) -> bytes | None:
        """The object's bytes, or None."""
        row = self._store.get(key)
        return None if row is None else self._store.read(row)

    def text(self, key: str) -> str | None:
        data = self.get(key)
        return None if data is None else data.decode("utf-8", errors="replace")

    def head(self, key: str) -> dict[str, Any] | None:
        """The object's metadata as a dict (key, size, etag, uploaded ms, metadata), or None."""
        row = self._store.get(key)
        return None if row is None else describe(row)

    def keys(self, prefix: str = "") -> list[str]:
        """Every key starting with ``prefix``, in order."""
        return [row["key"] for row in self.list(prefix)]

    def list(self, prefix: str = "") -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        after: str | None = None
        while True:
            rows, _, last = self._store.list_page(prefix, after, 1000, None)
            found += [describe(row) for row in rows]
            if last is None:
                return found
            after = last

    def delete(self, *keys: str) -> None:
        self._store.delete(list(keys))

    def clear(self) -> None:
        """Delete every object."""
        self.delete(*self.keys())


def describe(row: ObjectRow) -> dict[str, Any]:
    return {
        "key": row.key,
        "size": row.size,
        "etag": row.etag,
        "version": row.version,
        "uploaded": row.uploaded,
        "http_metadata": dict(row.http_metadata),
        "custom_metadata": dict(row.custom_metadata),
    }
