"""One Durable Object's SQLite file: its key-value pairs, its SQL tables and its alarm.

A wf-owned file per object, ``<root>/v3/do/<script>-<Class>/wf-<id>.sqlite`` (beside, never
inside, miniflare's own files), or memory. Key-value pairs live in the hidden table
``__cf_kv`` as production keeps them; user SQL cannot reach tables named ``_cf_...`` or
``__cf_...``. WAL with ``synchronous=NORMAL`` and autocommit: a write is committed when its
call returns, so a ``kill -9`` loses nothing acknowledged.
"""

from __future__ import annotations

import base64
import datetime
import json
import math
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from wf.platform._sqlite import open_database
from wf.runtime.pyodide.ffi import JsException

KV_TABLE = "__cf_kv"
_META_TABLE = "_cf_wf_object"
_HIDDEN = ("_cf_", "__cf_")
# sqlite3 authorizer actions whose first argument is a table name.
_TABLE_ACTIONS = {
    sqlite3.SQLITE_READ,
    sqlite3.SQLITE_UPDATE,
    sqlite3.SQLITE_INSERT,
    sqlite3.SQLITE_DELETE,
    sqlite3.SQLITE_CREATE_TABLE,
    sqlite3.SQLITE_DROP_TABLE,
    sqlite3.SQLITE_ALTER_TABLE,
    sqlite3.SQLITE_CREATE_INDEX,
    sqlite3.SQLITE_DROP_INDEX,
    sqlite3.SQLITE_CREATE_TRIGGER,
    sqlite3.SQLITE_CREATE_VIEW,
}


class ObjectFile:
    """The storage of one object (one SQLite database)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.db = open_database(path)
        self._create_internal()

    def _create_internal(self) -> None:
        self.db.execute(
            f"CREATE TABLE IF NOT EXISTS {KV_TABLE} (key BLOB PRIMARY KEY, value TEXT NOT NULL)"
            " WITHOUT ROWID"
        )
        self.db.execute(
            f"CREATE TABLE IF NOT EXISTS {_META_TABLE} (only INTEGER PRIMARY KEY CHECK (only = 1),"
            " name TEXT, alarm REAL, retries INTEGER NOT NULL DEFAULT 0,"
            " running INTEGER NOT NULL DEFAULT 0)"
        )
        self.db.execute(f"INSERT OR IGNORE INTO {_META_TABLE} (only) VALUES (1)")

    # -- key-value -----------------------------------------------------------------------------

    def get(self, key: str) -> Any:
        row = self.db.execute(
            f"SELECT value FROM {KV_TABLE} WHERE key = ?", (_utf8(key),)
        ).fetchone()
        return _MISSING if row is None else decode(row[0])

    def put(self, items: list[tuple[str, str]]) -> None:
        """Store encoded values; several keys commit together."""
        with self.atomic():
            self.db.executemany(
                f"INSERT OR REPLACE INTO {KV_TABLE} (key, value) VALUES (?, ?)",
                [(_utf8(k), v) for k, v in items],
            )

    def delete(self, keys: list[str]) -> int:
        with self.atomic():
            count = 0
            for key in keys:
                count += self.db.execute(
                    f"DELETE FROM {KV_TABLE} WHERE key = ?", (_utf8(key),)
                ).rowcount
        return count

    def list(
        self,
        *,
        start: str | None,
        start_after: str | None,
        end: str | None,
        prefix: str | None,
        reverse: bool,
        limit: int | None,
    ) -> list[tuple[str, Any]]:
        sql = f"SELECT key, value FROM {KV_TABLE} WHERE 1"
        args: list[Any] = []
        if start is not None:
            sql += " AND key >= ?"
            args.append(_utf8(start))
        if start_after is not None:
            sql += " AND key > ?"
            args.append(_utf8(start_after))
        if end is not None:
            sql += " AND key < ?"
            args.append(_utf8(end))
        if prefix:
            sql += " AND substr(key, 1, ?) = ?"
            args.extend([len(_utf8(prefix)), _utf8(prefix)])
        sql += " ORDER BY key DESC" if reverse else " ORDER BY key"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        return [
            (bytes(k).decode("utf-8", "surrogatepass"), decode(v))
            for k, v in self.db.execute(sql, args)
        ]

    def delete_all(self, *, alarm: bool) -> None:
        """Every user table and key (and the alarm, when asked), in one transaction."""
        with self.atomic():
            for kind, name in self.db.execute(
                "SELECT type, name FROM sqlite_master WHERE type IN ('table', 'view') "
                "AND name NOT LIKE 'sqlite_%'"
            ).fetchall():
                if name in (KV_TABLE, _META_TABLE):
                    continue
                self.db.execute(f'DROP {"VIEW" if kind == "view" else "TABLE"} IF EXISTS "{name}"')
            self.db.execute(f"DELETE FROM {KV_TABLE}")
            if alarm:
                self.set_alarm(None)

    # -- the object's name and its alarm ---------------------------------------------------------

    def remember_name(self, name: str | None) -> None:
        if name is not None:
            self.db.execute(f"UPDATE {_META_TABLE} SET name = ? WHERE name IS NULL", (name,))

    def name(self) -> str | None:
        row = self.db.execute(f"SELECT name FROM {_META_TABLE}").fetchone()
        return None if row is None else row[0]

    def alarm(self) -> tuple[float | None, int, bool]:
        """(scheduled ms or None, retries so far, whether its handler was running)."""
        row = self.db.execute(f"SELECT alarm, retries, running FROM {_META_TABLE}").fetchone()
        return (row[0], int(row[1]), bool(row[2])) if row else (None, 0, False)

    def set_alarm(self, due: float | None, *, retries: int = 0, running: bool = False) -> None:
        self.db.execute(
            f"UPDATE {_META_TABLE} SET alarm = ?, retries = ?, running = ?",
            (due, retries, int(running)),
        )

    # -- SQL -----------------------------------------------------------------------------------

    @contextmanager
    def user_sql(self) -> Iterator[None]:
        """Run user SQL with the internal tables out of reach."""
        self.db.set_authorizer(_deny_internal)
        try:
            yield
        finally:
            self.db.set_authorizer(None)

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """A savepoint: nested inside a transaction, or a transaction of its own."""
        self.db.execute("SAVEPOINT wf_atomic")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK TO wf_atomic")
            self.db.execute("RELEASE wf_atomic")
            raise
        self.db.execute("RELEASE wf_atomic")

    def size(self) -> int:
        pages = self.db.execute("PRAGMA page_count").fetchone()[0]
        page_size = self.db.execute("PRAGMA page_size").fetchone()[0]
        return int(pages) * int(page_size)

    def keys_count(self) -> int:
        return int(self.db.execute(f"SELECT count(*) FROM {KV_TABLE}").fetchone()[0])

    def close(self) -> None:
        self.db.close()


def _deny_internal(action: int, arg1: str | None, *_: Any) -> int:
    if action in _TABLE_ACTIONS and arg1 and arg1.lower().startswith(_HIDDEN):
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def _utf8(key: str) -> bytes:
    return key.encode("utf-8", "surrogatepass")


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING: Any = _Missing()


# -- values: what a structured clone keeps of a Python value (after the SDK's conversions) ------


def encode(value: Any) -> str:
    """A value as stored: tagged JSON of what the SDK sends (DataCloneError for the rest)."""
    return json.dumps(_tagged(value), separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def decode(text: str) -> Any:
    return _untagged(json.loads(text))


def _tagged(value: Any) -> Any:
    from wf.runtime.js._streams import JsBuffer

    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value if abs(value) <= 2**53 else {"$f": float(value)}  # a JS number
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return {"$f": "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")}
    if isinstance(value, bytes | memoryview):
        return {"$b": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, JsBuffer):
        return {"$b": base64.b64encode(bytes(value.to_py())).decode()}
    if isinstance(value, datetime.datetime):
        stamp = value if value.tzinfo else value.replace(tzinfo=datetime.UTC)
        return {"$d": stamp.timestamp() * 1000}
    if hasattr(value, "getTime") and callable(value.getTime):  # a JS Date read back
        return {"$d": float(value.getTime())}
    if isinstance(value, dict):
        return {"$o": [[str(k), _tagged(v)] for k, v in value.items()]}
    if isinstance(value, list):
        return [_tagged(v) for v in value]
    if isinstance(value, set | frozenset):
        return {"$s": [_tagged(v) for v in value]}
    raise JsException("DataCloneError", f"{type(value).__name__} object could not be cloned.")


def _untagged(value: Any) -> Any:
    if isinstance(value, list):
        return [_untagged(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "$o" in value:
        return {k: _untagged(v) for k, v in value["$o"]}
    if "$b" in value:
        return base64.b64decode(value["$b"])
    if "$d" in value:
        return datetime.datetime.fromtimestamp(value["$d"] / 1000, tz=datetime.UTC)
    if "$s" in value:
        return {_untagged(v) for v in value["$s"]}
    if "$f" in value:
        return float(value["$f"])
    return value
