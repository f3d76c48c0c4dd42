"""A namespace's SQLite file: every SQL statement of the KV binding.

One wf-owned file per namespace, ``<root>/v3/kv/wf-<local id>.sqlite`` (beside, never inside,
miniflare's own files), or memory. WAL with ``synchronous=NORMAL``: a write is committed when
its statement returns, so a ``kill -9`` loses nothing acknowledged.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wf.platform._sqlite import open_database
from wf.platform.kv._jsvalues import utf8


@dataclass(frozen=True)
class Entry:
    """One stored key (the value is None in listings)."""

    key: str
    value: bytes | None
    expiration: int | None  # epoch seconds
    metadata: str | None  # JSON text


class Namespace:
    """One KV namespace in SQLite; keys are UTF-8 bytes, so they sort as production sorts them."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._db = open_database(path)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS entries (key BLOB PRIMARY KEY, value BLOB NOT NULL, "
            "expiration INTEGER, metadata TEXT)"
        )
        self._db.execute("CREATE INDEX IF NOT EXISTS entries_by_expiration ON entries (expiration)")
        self._db.execute("PRAGMA user_version=1")

    def read(self, key: str, now_ms: float) -> Entry | None:
        row = self._db.execute(
            "SELECT value, expiration, metadata FROM entries WHERE key = ?", (utf8(key),)
        ).fetchone()
        if row is None or _expired(row[1], now_ms):
            return None
        return Entry(key, bytes(row[0]), row[1], row[2])

    def write(self, entry: Entry) -> None:
        # One statement in autocommit: committed (WAL) before this returns.
        self._db.execute(
            "INSERT OR REPLACE INTO entries (key, value, expiration, metadata) VALUES (?, ?, ?, ?)",
            (utf8(entry.key), entry.value, entry.expiration, entry.metadata),
        )

    def delete(self, key: str) -> None:
        self._db.execute("DELETE FROM entries WHERE key = ?", (utf8(key),))

    def scan(self, prefix: str, after: bytes | None, limit: int, now_ms: float) -> list[Entry]:
        """Up to ``limit`` live keys starting with ``prefix``, after ``after``, in byte order."""
        low = utf8(prefix)
        sql = (
            "SELECT key, expiration, metadata FROM entries WHERE key >= ? "
            "AND (expiration IS NULL OR expiration * 1000 > ?)"
        )
        args: list[Any] = [low, now_ms]
        high = _successor(low)
        if high is not None:
            sql += " AND key < ?"
            args.append(high)
        if after is not None:
            sql += " AND key > ?"
            args.append(after)
        sql += " ORDER BY key LIMIT ?"
        args.append(limit)
        return [
            Entry(bytes(k).decode("utf-8"), None, exp, meta)
            for k, exp, meta in self._db.execute(sql, args)
        ]

    def prune(self, now_ms: float) -> None:
        """Drop expired keys: reads already ignore them, this keeps the file small.

        Only the binding prunes (at each list): the CLI's idea of virtual now is an estimate,
        and must never delete what ``wf dev`` still serves.
        """
        self._db.execute(
            "DELETE FROM entries WHERE expiration IS NOT NULL AND expiration * 1000 <= ?",
            (now_ms,),
        )

    def count(self) -> int:
        """Rows stored, expired ones included."""
        row = self._db.execute("SELECT count(*) FROM entries").fetchone()
        return int(row[0])

    def clear(self) -> None:
        self._db.execute("DELETE FROM entries")

    def close(self) -> None:
        self._db.close()


def _expired(expiration: int | None, now_ms: float) -> bool:
    return expiration is not None and expiration * 1000 <= now_ms


def _successor(prefix: bytes) -> bytes | None:
    """The smallest byte string above every string starting with ``prefix`` (None: no bound)."""
    trimmed = prefix.rstrip(b"\xff")
    if not trimmed:
        return None
    return trimmed[:-1] + bytes([trimmed[-1] + 1])


def namespace_path(root: Path, local_id: str) -> Path:
    """Where a namespace's file lives under a bindings root (ids that are not plain are hashed)."""
    name = local_id
    if not re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,99}", local_id):
        name = hashlib.sha256(local_id.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return root / "v3" / "kv" / f"wf-{name}.sqlite"
