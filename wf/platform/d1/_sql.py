"""One D1 database: a plain SQLite file (or memory), queried as D1 queries it.

Every call commits before it returns (WAL, ``synchronous=NORMAL``: a ``kill -9`` loses nothing
acknowledged). A query holding several statements, a batch and an ``exec`` each run in one
transaction, all or nothing. Production's limits are SQLite limits on the connection, so
breaking one gives SQLite's own error, as in production: 100 bound parameters per query,
100,000 bytes of SQL per statement, 2,000,000 bytes per string, BLOB or row.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wf.platform.d1._errors import (
    NO_STATEMENTS,
    NO_TRANSACTIONS,
    STATEMENT_TOO_LONG,
    WRONG_BINDINGS,
    SqlFailure,
    sqlite_text,
)

BUSY_TIMEOUT_MS = 5_000  # `wrangler d1 execute --local` may hold the write lock meanwhile
MAX_BOUND_PARAMETERS = 100
MAX_SQL_BYTES = 100_000
MAX_VALUE_BYTES = 2_000_000
SERVED_BY = "miniflare.db"  # what `wrangler dev` reports for a local database

_COMMENTS = re.compile(r"--[^\n]*|/\*.*?(\*/|$)", re.DOTALL)
_RESERVED_PREFIX = "_cf_"  # workerd's own tables (_cf_METADATA, _cf_KV) are off limits
# The PRAGMAs workerd lets a query run (checked against `wrangler d1 execute --local` 4.86.0);
# every other one is "not authorized".
_ALLOWED_PRAGMAS = frozenset(
    {
        "case_sensitive_like",
        "data_version",
        "defer_foreign_keys",
        "foreign_key_check",
        "foreign_key_list",
        "foreign_keys",
        "index_info",
        "index_list",
        "index_xinfo",
        "legacy_alter_table",
        "optimize",
        "quick_check",
        "recursive_triggers",
        "reverse_unordered_selects",
        "table_info",
        "table_list",
        "table_xinfo",
    }
)
_TABLE_ACTIONS = frozenset(
    {
        sqlite3.SQLITE_READ,
        sqlite3.SQLITE_INSERT,
        sqlite3.SQLITE_UPDATE,
        sqlite3.SQLITE_DELETE,
        sqlite3.SQLITE_CREATE_TABLE,
        sqlite3.SQLITE_DROP_TABLE,
        sqlite3.SQLITE_CREATE_INDEX,
        sqlite3.SQLITE_DROP_INDEX,
    }
)


@dataclass
class Outcome:
    """What one query gave: its columns, its rows (SQLite values) and D1's ``meta``."""

    columns: list[str]
    rows: list[tuple[Any, ...]]
    meta: dict[str, Any]


Query = tuple[str, Sequence[Any]]


def split_statements(sql: str) -> list[str]:
    """The statements of ``sql``, each ending at a ``;`` outside strings and comments."""
    if ";" not in sql:  # the usual case: one statement
        return [] if is_blank(sql) else [sql]
    statements: list[str] = []
    start = 0
    end = sql.find(";")
    while end != -1:
        chunk = sql[start : end + 1]
        if sqlite3.complete_statement(chunk):
            statements.append(chunk)
            start = end + 1
        end = sql.find(";", end + 1)
    statements.append(sql[start:])
    return [s for s in statements if not is_blank(s)]


def is_blank(sql: str) -> bool:
    """True for text holding no statement: whitespace, comments and semicolons."""
    if "-" not in sql and "/" not in sql:
        return not sql.replace(";", "").strip()
    return not _COMMENTS.sub("", sql).replace(";", "").strip()


class Database:
    """A D1 database over one SQLite connection (``path`` None: in memory)."""

    def __init__(self, path: Path | None, local_id: str) -> None:
        self.path = path
        self.local_id = local_id
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        target = str(path) if path is not None else ":memory:"
        self._db = sqlite3.connect(target, isolation_level=None, check_same_thread=False)
        if path is not None:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        self._db.execute("PRAGMA foreign_keys=ON")  # D1 enforces foreign keys
        self._db.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, MAX_BOUND_PARAMETERS)
        self._db.setlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH, MAX_SQL_BYTES)
        self._db.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
        self._page_size = int(self._db.execute("PRAGMA page_size").fetchone()[0])
        self._internal = False  # our own BEGIN, COMMIT and PRAGMAs pass the authorizer
        self._refused: str | None = None
        self._db.set_authorizer(self._authorize)
        self._cursor = self._db.cursor()  # one is enough: queries never overlap
        self._last_row_id = 0
        self._size = self._database_size()
        self._commits = 0
        self._tag = hashlib.sha256(local_id.encode()).hexdigest()[:32]

    def close(self) -> None:
        """Close the connection (every write is already committed)."""
        self._db.close()

    # -- queries ----------------------------------------------------------------------------

    def query(self, sql: str, params: Sequence[Any]) -> Outcome:
        """One query (maybe several statements: those run in one transaction)."""
        statements = split_statements(sql)
        if not statements:
            raise SqlFailure(NO_STATEMENTS)
        # Inside a transaction `PRAGMA foreign_keys = off` is a no-op, as D1 makes it.
        if len(statements) == 1 and "foreign_keys" not in sql.lower():
            outcome = self._run(statements, params)
            if outcome.meta["changed_db"]:
                self._commits += 1
            return outcome
        return self.transaction([(sql, params)])[0]

    def transaction(self, queries: Sequence[Query]) -> list[Outcome]:
        """Several queries in one transaction: every one of them, or none."""
        split = [(split_statements(sql), params) for sql, params in queries]
        if not any(statements for statements, _ in split):
            raise SqlFailure(NO_STATEMENTS)
        self._control("BEGIN IMMEDIATE")
        outcomes: list[Outcome] = []
        try:
            for statements, params in split:
                outcomes.append(self._run(statements, params))
        except BaseException as exc:
            self._control("ROLLBACK")
            if isinstance(exc, SqlFailure):
                exc.index = len(outcomes)
            raise
        self._control("COMMIT")
        self._commits += 1
        return outcomes

    def bookmark(self) -> str:
        """A session bookmark: later commits sort after earlier ones, as D1's do."""
        return f"{0:08x}-{self._commits:08x}-{0:08x}-{self._tag}"

    def _control(self, sql: str) -> None:
        self._internal = True
        try:
            self._db.execute(sql)
        finally:
            self._internal = False

    def _run(self, statements: list[str], params: Sequence[Any]) -> Outcome:
        started = time.perf_counter()
        before_changes = self._db.total_changes
        before_row_id = self._last_row_id
        cursor = self._cursor
        rows: list[tuple[Any, ...]] = []
        try:
            for sql in statements[:-1]:
                self._execute(cursor, sql, ())
            if statements:  # a query of comments only, in a batch: nothing to run
                rows = self._execute(cursor, statements[-1], params)
        finally:
            self._last_row_id = cursor.lastrowid or self._last_row_id
        columns = [d[0] for d in cursor.description] if cursor.description else []
        changes = self._db.total_changes - before_changes
        # A query that returns rows reads; only the others (writes, DDL) can change the size,
        # and asking SQLite for it costs a fresh PRAGMA each time.
        size = self._size if columns and not changes else self._database_size()
        changed = changes != 0 or self._last_row_id != before_row_id or size != self._size
        self._size = size
        duration = (time.perf_counter() - started) * 1000
        return Outcome(
            columns,
            rows,
            {
                "served_by": SERVED_BY,
                "served_by_primary": True,
                "duration": duration,
                "changes": changes,
                "last_row_id": self._last_row_id,
                "changed_db": changed,
                "size_after": size,
                # SQLite does not count the rows a query visits: count the rows returned,
                # and the rows changed as both read and written.
                "rows_read": len(rows) + changes,
                "rows_written": changes,
                "timings": {"sql_duration_ms": duration},
            },
        )

    def _execute(
        self, cursor: sqlite3.Cursor, sql: str, params: Sequence[Any]
    ) -> list[tuple[Any, ...]]:
        self._refused = None
        try:
            cursor.execute(sql, params)
            return cursor.fetchall()
        except sqlite3.ProgrammingError as exc:
            if "number of bindings" in str(exc):
                raise SqlFailure(WRONG_BINDINGS) from None
            raise SqlFailure(sqlite_text(exc)) from None
        except sqlite3.DataError as exc:
            if "query string is too large" in str(exc):  # Python checks before SQLite does
                raise SqlFailure(STATEMENT_TOO_LONG) from None
            raise SqlFailure(sqlite_text(exc)) from None
        except sqlite3.Error as exc:
            if self._refused is not None:
                raise SqlFailure(self._refused) from None
            raise SqlFailure(sqlite_text(exc)) from None

    def _database_size(self) -> int:
        self._internal = True  # a PRAGMA queries may not use
        try:
            (page_count,) = self._db.execute("PRAGMA page_count").fetchone()
        finally:
            self._internal = False
        return int(page_count) * self._page_size

    def _authorize(
        self, action: int, arg1: str | None, arg2: str | None, _db: str | None, _src: str | None
    ) -> int:
        if self._internal:
            return sqlite3.SQLITE_OK
        if action in (sqlite3.SQLITE_TRANSACTION, sqlite3.SQLITE_SAVEPOINT):
            self._refused = NO_TRANSACTIONS
            return sqlite3.SQLITE_DENY
        if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH):
            return sqlite3.SQLITE_DENY
        if action == sqlite3.SQLITE_PRAGMA:
            allowed = (arg1 or "").lower() in _ALLOWED_PRAGMAS
            return sqlite3.SQLITE_OK if allowed else sqlite3.SQLITE_DENY
        table = arg2 if action == sqlite3.SQLITE_ALTER_TABLE else arg1
        if (
            (action in _TABLE_ACTIONS or action == sqlite3.SQLITE_ALTER_TABLE)
            and table
            and table[:4].lower() == _RESERVED_PREFIX
        ):
            return sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_OK
