"""The connection to the store's SQLite file: transactions, migrations, meta, time, sizes.

Writes go into an open transaction that the engine commits where durability matters (the
group commit at the end of an event-loop tick), so many instances' writes share one commit.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from wf.store.checkpoint import Checkpointer
from wf.store.rows import _all_columns
from wf.store.schema import _MIGRATIONS, SCHEMA_VERSION
from wf.vocabulary import EventKind, InstanceStatus, StepKind, StepState, Trigger

# sqlite3 binds only exact int, float and str without a lookup: any other value (None, bool,
# bytes, a str subclass such as the vocabulary's enums) is looked up for `__adapt__` and
# `__conform__` on every bind, each miss raising and formatting an AttributeError. A create
# binds ~30 of them (mostly NULL columns): registered adapters, all C callables, skip that.
# Each keeps what sqlite3 would bind anyway, so the stored values are unchanged.
_NO_VALUE: dict[object, None] = {}
sqlite3.register_adapter(type(None), _NO_VALUE.get)  # any argument -> None: NULL
sqlite3.register_adapter(bool, int)
sqlite3.register_adapter(bytes, bytes)
for _enum in (EventKind, InstanceStatus, StepKind, StepState, Trigger):
    sqlite3.register_adapter(_enum, str)


class Database:
    """The SQLite connection: transactions, migrations, meta values (``Store`` adds the rest)."""

    def __init__(self, path: str | Path = ":memory:") -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=OFF")
        # Checkpoints run on a thread, not inside the COMMIT an acknowledgement waits for.
        self._checkpoints: Checkpointer | None = None
        if self.path != ":memory:":
            self._db.execute("PRAGMA wal_autocheckpoint=0")
            self._checkpoints = Checkpointer(self.path)
        self._in_tx = False
        # Transactions are numbered: whoever wrote in transaction n knows its writes are on disk
        # once ``committed >= n``, without waiting for a wake-up from the commit.
        self.transactions = 0
        self.committed = 0
        self._closed = False
        self._migrate()

    # -- transactions -------------------------------------------------------------------------

    def _write(self, sql: str, args: Iterable[Any] = ()) -> sqlite3.Cursor:
        if not self._in_tx:
            self._db.execute("BEGIN")
            self._in_tx = True
            self.transactions += 1
        return self._db.execute(sql, tuple(args))

    def execute(self, sql: str, args: Iterable[Any] = ()) -> sqlite3.Cursor:
        """A write of another module's table (tracebacks, instance logs) in the open
        transaction: durable at its commit."""
        return self._write(sql, args)

    def query(self, sql: str, args: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of a read of another module's table (sees the open transaction's writes)."""
        return self._db.execute(sql, tuple(args)).fetchall()

    @property
    def dirty(self) -> bool:
        """True while writes wait for a commit."""
        return self._in_tx

    def commit(self) -> None:
        """Make every write so far durable."""
        if self._in_tx:
            self._db.execute("COMMIT")
            self._in_tx = False
            self.committed = self.transactions
            if self._checkpoints is not None:
                self._checkpoints.committed(self._db)

    def close(self) -> None:
        """Commit and close the database (closing twice is harmless)."""
        if self._closed:
            return
        self.commit()
        if self._checkpoints is not None:
            self._checkpoints.close()
        self._db.close()
        self._closed = True

    def _migrate(self) -> None:
        self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        row = self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        version = int(row[0]) if row else 0
        if version > SCHEMA_VERSION:
            raise RuntimeError(
                f"{self.path}: state was written by a newer wf (schema {version}, "
                f"this wf knows {SCHEMA_VERSION})"
            )
        for target in range(version + 1, SCHEMA_VERSION + 1):
            script = _MIGRATIONS[target]
            if target == 1:
                script = script.replace("CREATE TABLE meta", "CREATE TABLE IF NOT EXISTS meta")
            # The schema change and its version number commit together, or not at all.
            self._db.executescript(
                f"BEGIN;{script}\nINSERT OR REPLACE INTO meta (key, value) "
                f"VALUES ('schema_version', '{target}');COMMIT;"
            )

    # -- meta ---------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self._write("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # -- time ---------------------------------------------------------------------------------

    def latest_time(self) -> float | None:
        """The latest virtual time written anywhere (an instance change, a step, an event)."""
        row = self._db.execute(
            "SELECT MAX(t) FROM ("
            "SELECT MAX(modified) AS t FROM instances UNION ALL "
            "SELECT MAX(COALESCE(ended, started)) FROM instances UNION ALL "
            "SELECT MAX(started) FROM steps UNION ALL "
            f"SELECT MAX(ended) FROM steps WHERE kind != '{StepKind.SLEEP}' UNION ALL "
            "SELECT MAX(timestamp) FROM events)"
        ).fetchone()
        return None if row is None or row[0] is None else float(row[0])

    # -- size accounting (benchmarks, tests) ----------------------------------------------------

    def instance_bytes(self, workflow: str, instance_id: str) -> int:
        """Bytes of row data kept for one instance (its row, steps and buffered events)."""
        total = 0
        for table, column in (("instances", "id"), ("steps", "instance"), ("events", "instance")):
            row = self._db.execute(
                f"SELECT SUM(LENGTH(CAST(quote({_all_columns(table)}) AS BLOB))) "
                f"FROM {table} WHERE workflow = ? AND {column} = ?",
                (workflow, instance_id),
            ).fetchone()
            total += int(row[0] or 0)
        return total
