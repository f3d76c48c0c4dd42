"""D1 migrations as wrangler keeps them: ``NNNN_name.sql`` files and a table of applied ones.

The table (``d1_migrations`` unless ``migrations_table`` says otherwise) has wrangler's schema,
so `wrangler d1 migrations list --local` and `wf d1 migrations list` agree about what ran.
Each migration runs in one transaction together with the row recording it.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from wf.config import Config, D1Config
from wf.platform.d1._errors import SqlFailure
from wf.platform.d1._sql import Database

_NUMBER = re.compile(r"^(\d+)_")


class MigrationError(Exception):
    """A migration that failed: nothing of it was applied (the earlier ones were)."""

    def __init__(self, name: str, text: str) -> None:
        super().__init__(f"Migration {name} failed with the following errors: {text}")
        self.name = name
        self.text = text


@dataclass(frozen=True)
class Migrations:
    """One database's migrations: the folder of files and the table of applied ones."""

    directory: Path
    table: str

    @classmethod
    def of(cls, config: Config, database: D1Config) -> Migrations:
        """The migrations of ``database``, its folder resolved against the config's."""
        return cls(Path(config.root) / database.migrations_dir, database.migrations_table)

    def files(self) -> list[str]:
        """Every migration file name, in the order they apply."""
        if not self.directory.is_dir():
            return []
        return sorted(p.name for p in self.directory.iterdir() if p.suffix == ".sql")

    def applied(self, db: Database) -> list[str]:
        """The names recorded as applied (creating wrangler's table if it is missing)."""
        db.query(self._create_table(), ())
        outcome = db.query(f"SELECT name FROM {self.table} ORDER BY id", ())
        return [str(row[0]) for row in outcome.rows]

    def pending(self, db: Database) -> list[str]:
        """The files not applied yet, in order."""
        done = set(self.applied(db))
        return [name for name in self.files() if name not in done]

    def apply(self, db: Database, now_ms: Callable[[], float] | None = None) -> list[str]:
        """Apply every pending migration, each in its own transaction; the names applied.

        ``now_ms`` stamps ``applied_at`` (virtual time in tests); by default SQLite's clock.
        """
        applied: list[str] = []
        for name in self.pending(db):
            sql = (self.directory / name).read_text(encoding="utf-8")
            if now_ms is None:
                record = (f"INSERT INTO {self.table} (name) VALUES (?)", [name])
            else:
                stamp = datetime.datetime.fromtimestamp(now_ms() / 1000, datetime.UTC)
                record = (
                    f"INSERT INTO {self.table} (name, applied_at) VALUES (?, ?)",
                    [name, stamp.strftime("%Y-%m-%d %H:%M:%S")],
                )
            try:
                db.transaction([(sql, []), record])
            except SqlFailure as failure:
                raise MigrationError(name, failure.text) from None
            applied.append(name)
        return applied

    def create(self, message: str, now: datetime.datetime | None = None) -> Path:
        """A new empty migration file numbered after the highest one, as wrangler names it."""
        self.directory.mkdir(parents=True, exist_ok=True)
        numbers = [int(m.group(1)) for n in self.files() if (m := _NUMBER.match(n))]
        number = f"{max(numbers, default=0) + 1:04d}"
        path = self.directory / f"{number}_{message.replace(' ', '_')}.sql"
        when = now or datetime.datetime.now(datetime.UTC)
        stamp = when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"
        path.write_text(f"-- Migration number: {number} \t {stamp}\n", encoding="utf-8")
        return path

    def _create_table(self) -> str:
        # wrangler's own statement, so both tools make (and accept) the same table.
        return (
            f"CREATE TABLE IF NOT EXISTS {self.table}(\n"
            "\t\tid         INTEGER PRIMARY KEY AUTOINCREMENT,\n"
            "\t\tname       TEXT UNIQUE,\n"
            "\t\tapplied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL\n"
            ")"
        )
