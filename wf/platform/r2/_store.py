"""One bucket's storage: a SQLite index of objects, uploads and parts, plus one blob per body.

On disk (``<root>/v3/r2/wf-<bucket>/``): ``index.sqlite3`` (WAL, synchronous=NORMAL) and
``blobs/<id>``. A write is acknowledged only once its blob is fsynced and renamed into place and
its index row is committed, so a ``kill -9`` loses nothing acknowledged; a blob left without a
row by a crash is removed at the next open. In memory (tests) the blobs are a dict.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._errors import r2_error

_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    key TEXT PRIMARY KEY,
    blob TEXT,              -- NULL: a completed multipart upload, its body is its parts
    version TEXT NOT NULL,
    size INTEGER NOT NULL,
    etag TEXT NOT NULL,
    uploaded INTEGER NOT NULL,
    checksums TEXT NOT NULL,
    http_metadata TEXT NOT NULL,
    custom_metadata TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS uploads (
    upload_id TEXT PRIMARY KEY,
    key TEXT NOT NULL,
    http_metadata TEXT NOT NULL,
    custom_metadata TEXT NOT NULL,
    state INTEGER NOT NULL DEFAULT 0   -- 0 in progress, 1 completed, 2 aborted
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS parts (
    upload_id TEXT NOT NULL,
    part_number INTEGER NOT NULL,
    blob TEXT NOT NULL,
    size INTEGER NOT NULL,
    etag TEXT NOT NULL,
    md5 TEXT NOT NULL,
    object_key TEXT,        -- set once the upload completes into this object
    PRIMARY KEY (upload_id, part_number)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS parts_by_object ON parts (object_key);
"""
IN_PROGRESS, COMPLETED, ABORTED = 0, 1, 2
_ORPHAN_AGE_S = 3600
UploadState = tuple[int, dict[str, Any], dict[str, str]]  # state, http, custom metadata
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True)
class ObjectRow:
    """An object's metadata as stored (checksums as hex, times as epoch ms)."""

    key: str
    blob: str | None
    version: str
    size: int
    etag: str
    uploaded: int
    checksums: dict[str, str]
    http_metadata: dict[str, Any]
    custom_metadata: dict[str, str]


@dataclass(frozen=True)
class PartRow:
    part_number: int
    blob: str
    size: int
    etag: str
    md5: str


def bucket_dir(root: Path, local_id: str) -> Path:
    """Where a bucket lives under the persist folder (a wf-owned layout beside miniflare's)."""
    return root / "v3" / "r2" / f"wf-{_UNSAFE.sub('_', local_id)}"


def new_id(nbytes: int = 16) -> str:
    return secrets.token_hex(nbytes)


class BucketStore:
    """The index and blobs of one bucket; every method commits before it returns."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self._memory: dict[str, bytes] = {}
        if directory is None:
            self._db = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        else:
            (directory / "blobs").mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                directory / "index.sqlite3", isolation_level=None, check_same_thread=False
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA busy_timeout=5000")  # `wf r2` beside a running `wf dev`
        self._db.executescript(_SCHEMA)
        if directory is not None:
            self._collect_orphans()

    def close(self) -> None:
        self._db.close()

    # -- blobs

    def _blob_path(self, blob: str) -> Path:
        assert self.directory is not None
        return self.directory / "blobs" / blob

    def write_blob(self, data: bytes) -> str:
        """Store ``data`` durably under a new id (not yet referenced by any row)."""
        blob = new_id()
        if self.directory is None:
            self._memory[blob] = data
            return blob
        final = self._blob_path(blob)
        temp = final.with_name(f".tmp-{blob}")
        with open(temp, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, final)
        _fsync_dir(final.parent)
        return blob

    def read_blob(self, blob: str, start: int = 0, length: int | None = None) -> bytes:
        if self.directory is None:
            data = self._memory[blob]
            return data[start:] if length is None else data[start : start + length]
        with open(self._blob_path(blob), "rb") as source:
            source.seek(start)
            return source.read() if length is None else source.read(length)

    def _drop_blobs(self, blobs: list[str]) -> None:
        # After the commit that unreferenced them: a crash before this leaves orphans, not loss.
        for blob in blobs:
            if self.directory is None:
                self._memory.pop(blob, None)
            else:
                with contextlib.suppress(FileNotFoundError):
                    self._blob_path(blob).unlink()

    def _collect_orphans(self) -> None:
        used = {
            row[0] for row in self._db.execute("SELECT blob FROM objects WHERE blob IS NOT NULL")
        }
        used |= {row[0] for row in self._db.execute("SELECT blob FROM parts")}
        # Only old files: a younger one may be another process's write about to be committed.
        cutoff = time.time() - _ORPHAN_AGE_S
        assert self.directory is not None
        for path in (self.directory / "blobs").iterdir():
            with contextlib.suppress(OSError):
                if path.name not in used and path.stat().st_mtime < cutoff:
                    path.unlink()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- objects

    def get(self, key: str) -> ObjectRow | None:
        row = self._db.execute(
            "SELECT key, blob, version, size, etag, uploaded, checksums, http_metadata,"
            " custom_metadata FROM objects WHERE key = ?",
            (key,),
        ).fetchone()
        return None if row is None else _object(row)

    def read(self, row: ObjectRow, start: int = 0, length: int | None = None) -> bytes:
        """The body of ``row`` (or the ``length`` bytes from ``start``)."""
        end = row.size if length is None else min(row.size, start + length)
        if row.blob is not None:
            return self.read_blob(row.blob, start, end - start)
        chunks: list[bytes] = []
        offset = 0
        for blob, size in self._db.execute(
            "SELECT blob, size FROM parts WHERE object_key = ? ORDER BY part_number", (row.key,)
        ):
            lo, hi = max(start, offset), min(end, offset + size)
            if lo < hi:
                chunks.append(self.read_blob(blob, lo - offset, hi - lo))
            offset += size
        return b"".join(chunks)

    def put(self, row: ObjectRow, check: Any = None) -> bool:
        """Insert or replace ``row``; ``check(previous)`` False leaves everything as it was."""
        with self._transaction() as db:
            previous = self.get(row.key)
            if check is not None and not check(previous):
                dropped = [row.blob] if row.blob else []
                ok = False
            else:
                dropped = self._unlink_object(db, previous)
                _insert(db, row)
                ok = True
        self._drop_blobs(dropped)
        return ok

    def delete(self, keys: list[str]) -> None:
        dropped: list[str] = []
        with self._transaction() as db:
            for key in keys:
                previous = self.get(key)
                if previous is not None:
                    dropped += self._unlink_object(db, previous)
                    db.execute("DELETE FROM objects WHERE key = ?", (key,))
        self._drop_blobs(dropped)

    def _unlink_object(self, db: sqlite3.Connection, previous: ObjectRow | None) -> list[str]:
        if previous is None:
            return []
        if previous.blob is not None:
            return [previous.blob]
        blobs = [
            r[0] for r in db.execute("SELECT blob FROM parts WHERE object_key = ?", (previous.key,))
        ]
        db.execute("DELETE FROM parts WHERE object_key = ?", (previous.key,))
        return blobs

    def list_page(
        self, prefix: str, start_after: str | None, limit: int, delimiter: str | None
    ) -> tuple[list[ObjectRow], list[str], str | None]:
        """Objects and delimited prefixes after ``start_after``, and the last key when truncated."""
        objects: list[ObjectRow] = []
        prefixes: list[str] = []
        last: str | None = None
        cursor = start_after
        while True:
            rows = self._db.execute(
                "SELECT key, blob, version, size, etag, uploaded, checksums, http_metadata,"
                " custom_metadata FROM objects WHERE key >= ? AND (? IS NULL OR key > ?)"
                " ORDER BY key LIMIT 256",
                (prefix, cursor, cursor),
            ).fetchall()
            if not rows:
                return objects, prefixes, None
            for raw in rows:
                key: str = raw[0]
                if not key.startswith(prefix):
                    return objects, prefixes, None
                cursor = key
                if len(objects) + len(prefixes) == limit:
                    return objects, prefixes, last
                rest = key[len(prefix) :]
                if delimiter and delimiter in rest:
                    group = prefix + rest[: rest.index(delimiter) + len(delimiter)]
                    if not prefixes or prefixes[-1] != group:
                        prefixes.append(group)
                    # every key of a delimited prefix counts once: skip past the whole group
                    cursor = group + "\U0010ffff"
                    last = cursor
                    break
                objects.append(_object(raw))
                last = key
            else:
                continue

    # -- multipart uploads

    def create_upload(self, key: str, http: dict[str, Any], custom: dict[str, str]) -> str:
        upload_id = new_id(32)
        with self._transaction() as db:
            db.execute(
                "INSERT INTO uploads (upload_id, key, http_metadata, custom_metadata)"
                " VALUES (?, ?, ?, ?)",
                (upload_id, key, json.dumps(http), json.dumps(custom)),
            )
        return upload_id

    def upload_state(self, key: str, upload_id: str) -> UploadState | None:
        row = self._db.execute(
            "SELECT state, http_metadata, custom_metadata FROM uploads"
            " WHERE upload_id = ? AND key = ?",
            (upload_id, key),
        ).fetchone()
        return None if row is None else (row[0], json.loads(row[1]), json.loads(row[2]))

    def put_part(self, key: str, upload_id: str, part: PartRow) -> None:
        dropped = [part.blob]
        with self._transaction() as db:
            state = self.upload_state(key, upload_id)
            if state is None or state[0] != IN_PROGRESS:
                raise r2_error("uploadPart", "NoSuchUpload")
            old = db.execute(
                "SELECT blob FROM parts WHERE upload_id = ? AND part_number = ?",
                (upload_id, part.part_number),
            ).fetchone()
            db.execute(
                "INSERT OR REPLACE INTO parts (upload_id, part_number, blob, size, etag, md5)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (upload_id, part.part_number, part.blob, part.size, part.etag, part.md5),
            )
            dropped = [old[0]] if old else []
        self._drop_blobs(dropped)

    def parts(self, upload_id: str) -> dict[int, PartRow]:
        return {
            r[0]: PartRow(r[0], r[1], r[2], r[3], r[4])
            for r in self._db.execute(
                "SELECT part_number, blob, size, etag, md5 FROM parts WHERE upload_id = ?",
                (upload_id,),
            )
        }

    def complete_upload(self, upload_id: str, row: ObjectRow, numbers: list[int]) -> None:
        """Make ``row`` the object, built of parts ``numbers``; other parts are dropped."""
        with self._transaction() as db:
            previous = self.get(row.key)
            dropped = self._unlink_object(db, previous)
            _insert(db, row)
            db.executemany(
                "UPDATE parts SET object_key = ? WHERE upload_id = ? AND part_number = ?",
                [(row.key, upload_id, n) for n in numbers],
            )
            dropped += [
                r[0]
                for r in db.execute(
                    "SELECT blob FROM parts WHERE upload_id = ? AND object_key IS NULL",
                    (upload_id,),
                )
            ]
            db.execute("DELETE FROM parts WHERE upload_id = ? AND object_key IS NULL", (upload_id,))
            db.execute("UPDATE uploads SET state = ? WHERE upload_id = ?", (COMPLETED, upload_id))
        self._drop_blobs(dropped)

    def abort_upload(self, upload_id: str) -> None:
        with self._transaction() as db:
            dropped = [
                r[0]
                for r in db.execute(
                    "SELECT blob FROM parts WHERE upload_id = ? AND object_key IS NULL",
                    (upload_id,),
                )
            ]
            db.execute("DELETE FROM parts WHERE upload_id = ? AND object_key IS NULL", (upload_id,))
            db.execute(
                "UPDATE uploads SET state = ? WHERE upload_id = ? AND state = ?",
                (ABORTED, upload_id, IN_PROGRESS),
            )
        self._drop_blobs(dropped)


def _object(raw: tuple[Any, ...]) -> ObjectRow:
    return ObjectRow(
        key=raw[0],
        blob=raw[1],
        version=raw[2],
        size=raw[3],
        etag=raw[4],
        uploaded=raw[5],
        checksums=json.loads(raw[6]),
        http_metadata=json.loads(raw[7]),
        custom_metadata=json.loads(raw[8]),
    )


def _insert(db: sqlite3.Connection, row: ObjectRow) -> None:
    db.execute(
        "INSERT OR REPLACE INTO objects (key, blob, version, size, etag, uploaded, checksums,"
        " http_metadata, custom_metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            row.key,
            row.blob,
            row.version,
            row.size,
            row.etag,
            row.uploaded,
            json.dumps(row.checksums),
            json.dumps(row.http_metadata),
            json.dumps(row.custom_metadata),
        ),
    )


def _fsync_dir(path: Path) -> None:
    # The rename is durable only once the directory entry is.
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
