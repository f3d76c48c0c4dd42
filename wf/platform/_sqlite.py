"""The one way a binding opens its SQLite file: WAL, autocommit, shared with the CLI."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def open_database(path: Path | None) -> sqlite3.Connection:
    """A connection to ``path`` (made with its folders), or to memory for None.

    Autocommit (``isolation_level=None``), so a write is durable when its statement returns;
    WAL with ``synchronous=NORMAL``; a busy timeout, since the CLI and `wf dev` may write at
    once; usable from the threads ``asyncio.to_thread`` runs.
    """
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(
        ":memory:" if path is None else str(path), isolation_level=None, check_same_thread=False
    )
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA busy_timeout=5000")
    return db
