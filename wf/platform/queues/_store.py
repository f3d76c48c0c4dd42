"""The queues' SQLite file: every SQL statement of Queues.

One wf-owned file for every queue of the project, ``<root>/v3/queues/wf-queues.sqlite`` (or
memory), so that moving a message to its dead-letter queue is one transaction. WAL with
``synchronous=NORMAL``: a send is committed before it returns, so a ``kill -9`` loses nothing
acknowledged. A message is ``pending`` (visible from ``visible_at``), ``inflight`` (handed to
the consumer, outcome not yet known: redelivered after a crash) or ``dead`` (retries used up:
kept for inspection, with the dead-letter queue it went to, if any). Acked messages are deleted.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wf.platform._sqlite import open_database

_SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    queue TEXT NOT NULL,
    id TEXT NOT NULL,
    body BLOB NOT NULL,
    content_type TEXT NOT NULL,
    sent_at REAL NOT NULL,
    visible_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'pending',
    dead_letter_queue TEXT,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_ready ON messages (queue, state, visible_at, seq);
"""


@dataclass(frozen=True)
class NewMessage:
    """A message to store: its queue, body and when it becomes deliverable."""

    queue: str
    id: str
    body: bytes
    content_type: str
    sent_at: float  # epoch ms
    visible_at: float  # epoch ms
    attempts: int = 0


@dataclass(frozen=True)
class StoredMessage:
    """One stored message."""

    seq: int
    queue: str
    id: str
    body: bytes
    content_type: str
    sent_at: float
    visible_at: float
    attempts: int  # deliveries so far
    state: str
    dead_letter_queue: str | None
    updated_at: float


_COLUMNS = (
    "seq, queue, id, body, content_type, sent_at, visible_at, attempts, state, "
    "dead_letter_queue, updated_at"
)


def _row(row: Any) -> StoredMessage:
    return StoredMessage(
        row[0],
        row[1],
        row[2],
        bytes(row[3]),
        row[4],
        row[5],
        row[6],
        row[7],
        row[8],
        row[9],
        row[10],
    )


class QueueStore:
    """Every queue's messages in one SQLite file (None: in memory)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._db = open_database(path)
        self._db.executescript(_SCHEMA)
        self._db.execute("PRAGMA user_version=1")

    def insert(self, messages: Iterable[NewMessage]) -> None:
        """Store messages in one transaction: all of a sendBatch, or none."""
        rows = [
            (m.queue, m.id, m.body, m.content_type, m.sent_at, m.visible_at, m.attempts, m.sent_at)
            for m in messages
        ]
        with self._transaction():
            self._db.executemany(
                "INSERT INTO messages (queue, id, body, content_type, sent_at, visible_at, "
                "attempts, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )

    def ready(self, queue: str, now: float, limit: int) -> list[StoredMessage]:
        """Up to ``limit`` deliverable messages, oldest first."""
        return [
            _row(r)
            for r in self._db.execute(
                f"SELECT {_COLUMNS} FROM messages WHERE queue = ? AND state = 'pending' "
                "AND visible_at <= ? ORDER BY visible_at, seq LIMIT ?",
                (queue, now, limit),
            )
        ]

    def ready_stats(self, queue: str, now: float) -> tuple[int, float | None]:
        """How many messages are deliverable, and since when the oldest of them is."""
        count, oldest = self._db.execute(
            "SELECT count(*), min(visible_at) FROM messages WHERE queue = ? "
            "AND state = 'pending' AND visible_at <= ?",
            (queue, now),
        ).fetchone()
        return int(count), oldest

    def next_visible(self, queue: str, now: float) -> float | None:
        """When the next delayed message becomes deliverable."""
        row = self._db.execute(
            "SELECT min(visible_at) FROM messages WHERE queue = ? AND state = 'pending' "
            "AND visible_at > ?",
            (queue, now),
        ).fetchone()
        return None if row[0] is None else float(row[0])

    def take(self, seqs: list[int], now: float) -> None:
        """Mark messages handed to the consumer: one more delivery each."""
        with self._transaction():
            self._db.executemany(
                "UPDATE messages SET state = 'inflight', attempts = attempts + 1, "
                "updated_at = ? WHERE seq = ?",
                [(now, s) for s in seqs],
            )

    def settle(
        self,
        now: float,
        acked: list[int],
        retried: list[tuple[int, float]],
        dead: list[tuple[StoredMessage, str | None]],
    ) -> None:
        """A batch's outcome in one transaction: acks, retries, dead letters (moved or dropped)."""
        with self._transaction():
            self._db.executemany("DELETE FROM messages WHERE seq = ?", [(s,) for s in acked])
            self._db.executemany(
                "UPDATE messages SET state = 'pending', visible_at = ?, updated_at = ? "
                "WHERE seq = ?",
                [(due, now, s) for s, due in retried],
            )
            self._db.executemany(
                "UPDATE messages SET state = 'dead', dead_letter_queue = ?, updated_at = ? "
                "WHERE seq = ?",
                [(dlq, now, m.seq) for m, dlq in dead],
            )
            self._db.executemany(
                "INSERT INTO messages (queue, id, body, content_type, sent_at, visible_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (dlq, m.id, m.body, m.content_type, m.sent_at, now, now)
                    for m, dlq in dead
                    if dlq is not None
                ],
            )

    def recover(self, now: float) -> int:
        """Messages in flight when wf stopped: deliverable again now. Returns how many."""
        cursor = self._db.execute(
            "UPDATE messages SET state = 'pending', visible_at = min(visible_at, ?), "
            "updated_at = ? WHERE state = 'inflight'",
            (now, now),
        )
        return cursor.rowcount

    def listing(self, queue: str, state: str | None, limit: int) -> list[StoredMessage]:
        """A queue's messages, oldest first (every state unless ``state``)."""
        sql = f"SELECT {_COLUMNS} FROM messages WHERE queue = ?"
        args: list[Any] = [queue]
        if state is not None:
            sql += " AND state = ?"
            args.append(state)
        sql += " ORDER BY seq LIMIT ?"
        args.append(limit)
        return [_row(r) for r in self._db.execute(sql, args)]

    def counts(self, now: float) -> dict[str, dict[str, int]]:
        """Per queue: pending (deliverable now), delayed, in flight and dead messages."""
        result: dict[str, dict[str, int]] = {}
        for queue, state, delayed, count in self._db.execute(
            "SELECT queue, state, state = 'pending' AND visible_at > ?, count(*) FROM messages "
            "GROUP BY queue, state, state = 'pending' AND visible_at > ?",
            (now, now),
        ):
            entry = result.setdefault(
                queue, {"pending": 0, "delayed": 0, "in_flight": 0, "dead_lettered": 0}
            )
            key = {"inflight": "in_flight", "dead": "dead_lettered"}.get(state, "pending")
            entry["delayed" if delayed else key] += int(count)
        return result

    def clear(self, queue: str | None = None) -> None:
        if queue is None:
            self._db.execute("DELETE FROM messages")
        else:
            self._db.execute("DELETE FROM messages WHERE queue = ?", (queue,))

    def close(self) -> None:
        self._db.close()

    def _transaction(self) -> Any:
        return _Transaction(self._db)


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        self._db.execute("COMMIT" if kind is None else "ROLLBACK")


def store_path(root: Path) -> Path:
    """Where the queues' file lives under a bindings root."""
    return root / "v3" / "queues" / "wf-queues.sqlite"
