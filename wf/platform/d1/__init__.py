"""D1: SQLite databases on ``env``, stored where `wrangler dev` stores them.

``bindings(platform, config)`` gives user code one ``D1Database`` per ``d1_databases[]`` entry;
``admin(platform, binding)`` the synchronous handle tests seed and inspect with
(``emu.d1("DB").execute("INSERT ...")``). With a folder, each database is the very SQLite file
`wrangler d1 ... --local` reads and writes; in memory (tests), each platform has its own empty
databases, with the project's migrations applied when they are first opened.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wf.platform.d1._api import D1Database, D1DatabaseSession, D1PreparedStatement
from wf.platform.d1._errors import D1Error, SqlFailure
from wf.platform.d1._location import database_path, durable_object_id
from wf.platform.d1._migrations import MigrationError, Migrations
from wf.platform.d1._sql import Database, split_statements

if TYPE_CHECKING:
    from wf.config import Config, D1Config
    from wf.platform import Platform

__all__ = [
    "D1Admin",
    "D1Database",
    "D1DatabaseSession",
    "D1Error",
    "D1PreparedStatement",
    "Database",
    "MigrationError",
    "Migrations",
    "SqlFailure",
    "admin",
    "apply_migrations",
    "bindings",
    "database_path",
    "durable_object_id",
    "find_database",
    "open_database",
    "split_statements",
]


def bindings(platform: Platform, config: Config) -> dict[str, Any]:
    """``env`` entries for every D1 binding of the config."""
    return {
        entry.binding: D1Database(_database(platform, config, entry))
        for entry in config.d1_databases
    }


def admin(platform: Platform, binding: str) -> D1Admin:
    """The seeding and inspection handle of one D1 binding."""
    config = platform.config
    assert config is not None  # Platform.admin checks it
    for entry in config.d1_databases:
        if entry.binding == binding:
            return D1Admin(
                _database(platform, config, entry), Migrations.of(config, entry), platform
            )
    names = ", ".join(e.binding for e in config.d1_databases) or "none"
    raise KeyError(f"no D1 binding {binding!r} in the config (D1 bindings: {names})")


def apply_migrations(platform: Platform, config: Config) -> dict[str, list[str]]:
    """Apply every database's pending migrations; the names applied, by binding."""
    applied: dict[str, list[str]] = {}
    for entry in config.d1_databases:
        database = _database(platform, config, entry)
        applied[entry.binding] = Migrations.of(config, entry).apply(database, platform.clock.now)
    return applied


def open_database(root: Path | None, entry: D1Config) -> Database:
    """The database of ``entry`` under ``root`` (None: a new one in memory)."""
    path = None if root is None else database_path(root, entry.local_id)
    return Database(path, entry.local_id)


def find_database(config: Config, name: str) -> D1Config | None:
    """The ``d1_databases[]`` entry whose binding, else database name, is ``name``."""
    for entry in config.d1_databases:
        if entry.binding == name:
            return entry
    for entry in config.d1_databases:
        if entry.database_name == name:
            return entry
    return None


def _database(platform: Platform, config: Config, entry: D1Config) -> Database:
    def make() -> Database:
        database = open_database(platform.root, entry)
        if platform.root is None:
            # A test's fresh database starts migrated, as the project's would be once deployed.
            Migrations.of(config, entry).apply(database, platform.clock.now)
        return database

    found: Database = platform.resource("d1", entry.local_id, make)
    return found


class D1Admin:
    """Synchronous seeding and inspection of one D1 database, for tests and tools."""

    def __init__(self, database: Database, migrations: Migrations, platform: Platform) -> None:
        self._database = database
        self._migrations = migrations
        self._platform = platform

    @property
    def path(self) -> Path | None:
        """The SQLite file (None in memory)."""
        return self._database.path

    def execute(self, sql: str, *params: Any) -> list[dict[str, Any]]:
        """Run SQL (several statements in one transaction); the last one's rows, as stored.

        Values are SQLite's own (exact integers, ``bytes`` for BLOBs); ``params`` bind to the
        last statement. A failure raises ``D1Error`` with production's text.
        """
        try:
            outcome = self._database.query(sql, list(params))
        except SqlFailure as failure:
            raise D1Error(f"D1_ERROR: {failure.text}") from None
        return [dict(zip(outcome.columns, row, strict=True)) for row in outcome.rows]

    def tables(self) -> list[str]:
        """The user tables, by name (wrangler's and workerd's own tables left out)."""
        rows = self.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' AND name != ? ORDER BY name",
            self._migrations.table,
        )
        return [str(row["name"]) for row in rows]

    def apply_migrations(self) -> list[str]:
        """Apply the pending migrations; the names applied."""
        return self._migrations.apply(self._database, self._platform.clock.now)

    def migrations(self) -> Sequence[str]:
        """The migrations recorded as applied, in order."""
        return self._migrations.applied(self._database)

    def __repr__(self) -> str:
        return f"<D1Admin {self._database.local_id} {self.path or 'in memory'}>"
