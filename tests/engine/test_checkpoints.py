"""WAL checkpoints run on a thread of their own, never inside the COMMIT an answer waits for.

What a checkpoint did is read off the database file: it copies committed pages from the
write-ahead log into the file, so the file grows when one has run and not before.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from wf.store import Store
from wf.store.checkpoint import EVERY_COMMITS

ROW = "x" * 70_000  # ~17 overflow pages: each commit writes that many to the log


def write(store: Store, start: int, commits: int) -> None:
    for i in range(start, start + commits):
        store.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (f"k{i}", ROW))
        store.commit()


def checkpoint_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("wf-checkpoint")]


def grows(path: Path, size: int, within_s: float = 30.0) -> bool:
    """Whether the file grows past ``size`` (the checkpoint thread's work) within the time."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if path.stat().st_size > size:
            return True
        time.sleep(0.01)
    return False


def test_commits_do_not_checkpoint_and_the_thread_does(tmp_path: Path) -> None:
    db = tmp_path / "state.sqlite3"
    store = Store(db)
    try:
        assert store._db.execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)
        size = db.stat().st_size
        # Past SQLite's own 1,000-page rule, in commits that ask for no checkpoint yet.
        write(store, 0, EVERY_COMMITS - 1)
        assert Path(f"{db}-wal").stat().st_size > 1000 * 4096
        assert db.stat().st_size == size
        assert checkpoint_threads() == []
        write(store, EVERY_COMMITS - 1, 1)  # this commit asks the thread
        assert grows(db, size)
        with sqlite3.connect(db) as other:  # a reader sees every committed row
            assert other.execute("SELECT COUNT(*) FROM meta WHERE key LIKE 'k%'").fetchone() == (
                EVERY_COMMITS,
            )
    finally:
        store.close()
    assert checkpoint_threads() == []


def test_a_log_the_thread_cannot_catch_up_with_is_checkpointed_by_the_writer(
    tmp_path: Path,
) -> None:
    db = tmp_path / "state.sqlite3"
    store = Store(db)
    try:
        write(store, 0, 10)
        size = db.stat().st_size
        checkpoints = store._checkpoints
        assert checkpoints is not None
        checkpoints.inline_wanted = True  # as the thread sets it when the log is too long
        write(store, 10, 1)
        assert db.stat().st_size > size  # copied before commit() returned
        assert not checkpoints.inline_wanted
    finally:
        store.close()


def test_closing_leaves_every_commit_in_the_database_file(tmp_path: Path) -> None:
    db = tmp_path / "state.sqlite3"
    store = Store(db)
    write(store, 0, 3 * EVERY_COMMITS)
    store.close()
    assert checkpoint_threads() == []
    assert not Path(f"{db}-wal").exists()  # the last connection to close checkpointed it all
    reopened = Store(db)
    try:
        rows = reopened._db.execute("SELECT COUNT(*) FROM meta WHERE key LIKE 'k%'").fetchone()
        assert rows == (3 * EVERY_COMMITS,)
    finally:
        reopened.close()


def test_a_store_in_memory_has_no_checkpoints() -> None:
    store = Store()
    try:
        write(store, 0, EVERY_COMMITS)
        assert checkpoint_threads() == []
    finally:
        store.close()
