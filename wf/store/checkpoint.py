"""WAL checkpoints on a thread of their own, off the event loop's commits.

A checkpoint copies the write-ahead log back into the database file. SQLite runs one inside
the COMMIT that takes the log past 1,000 pages, and with ``synchronous=NORMAL`` it syncs the
log and the file to disk there: a stall of several milliseconds in the event loop every few
hundred creates, while every acknowledgement waits for a commit. The store's own connection
turns that off (``wal_autocheckpoint=0``) and asks this thread instead: a PASSIVE checkpoint
on a second connection never blocks the writer, and sqlite3 releases the GIL while it runs.

What is committed is durable when COMMIT returns (it is in the log); a checkpoint only moves
it, so a crash in the middle of one loses nothing (SQLite recovers from the log at open).
"""

from __future__ import annotations

import sqlite3
import threading

__all__ = ["Checkpointer"]

# Ask for a checkpoint every this many commits. One instance's step commits about 2 pages,
# a group commit of 200 instances' steps about 30 (engine bench), so the log holds some 500 to
# 8,000 pages between checkpoints (SQLite's own rule: 1,000). A checkpoint copies each page
# changed since the last one once, however often it changed: rarer checkpoints copy less.
EVERY_COMMITS = 256
# A writer that never pauses keeps a passive checkpoint from ever catching up with the log
# (the log only starts over at a write after a checkpoint that reached its end). Past this
# many pages, the writer checkpoints itself once, between two transactions, as SQLite would.
INLINE_AFTER_PAGES = 16_384


class Checkpointer:
    """Runs PASSIVE checkpoints of one database file when its writer asks."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.commits = 0
        # Set by the thread when the log grew past INLINE_AFTER_PAGES: the writer's turn.
        self.inline_wanted = False
        self._wanted = threading.Event()
        self._closing = False
        self._thread: threading.Thread | None = None

    def committed(self, writer: sqlite3.Connection) -> None:
        """Count one commit of ``writer`` (no transaction open now); cheap on most calls."""
        self.commits += 1
        if self.inline_wanted:
            self.inline_wanted = False
            writer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        elif self.commits % EVERY_COMMITS == 0:
            self.request()

    def request(self) -> None:
        """Wake the thread (start it first if this is the first time)."""
        if self._closing:
            return
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name=f"wf-checkpoint {self.path}", daemon=True
            )
            self._thread.start()
        self._wanted.set()

    def close(self) -> None:
        """Stop the thread; a checkpoint under way finishes first."""
        self._closing = True
        self._wanted.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        db = sqlite3.connect(self.path, isolation_level=None)
        try:
            while True:
                self._wanted.wait()
                self._wanted.clear()
                if self._closing:
                    return
                try:
                    _busy, pages, _copied = db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                except sqlite3.Error:
                    continue  # the next request tries again; the log stays valid meanwhile
                if pages >= INLINE_AFTER_PAGES:
                    self.inline_wanted = True
        finally:
            db.close()
