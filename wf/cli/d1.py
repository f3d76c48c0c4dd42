"""`wf d1 ...`: the project's local D1 data, as `wrangler d1 ... --local` reaches it.

These commands open the SQLite files directly (where `wf dev` and `wrangler dev` keep them),
so they work with or without `wf dev` running, and without Node.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from wf.cli.errors import CliError
from wf.cli.local import LocalProject, project_options
from wf.cli.output import Output

if TYPE_CHECKING:
    from wf.config import Config, D1Config
    from wf.platform.d1 import Database, Migrations

F = TypeVar("F", bound=Callable[..., Any])


class Target:
    """One database of the project: its config entry, migrations and (opened) file."""

    def __init__(
        self,
        database: str,
        directory: Path,
        config: Path | None,
        env: str | None,
        persist_to: Path | None,
        remote: bool,
    ) -> None:
        project = LocalProject.load(directory, config, env, persist_to, remote)
        self.config: Config = project.config
        self.root = project.root
        self.entry: D1Config = _find(self.config, database)

    @property
    def migrations(self) -> Migrations:
        from wf.platform.d1 import Migrations

        return Migrations.of(self.config, self.entry)

    @contextlib.contextmanager
    def open(self) -> Iterator[Database]:
        """The database file, opened (and created if new) for the block."""
        import sqlite3

        from wf.platform.d1 import open_database

        try:
            database = open_database(self.root, self.entry)
        except (sqlite3.Error, OSError) as exc:
            raise CliError(f"cannot open the local database {self.entry.binding}: {exc}") from None
        try:
            yield database
        finally:
            database.close()

    def describe(self) -> str:
        entry = self.entry
        name = entry.database_name or entry.binding
        return f"{name} ({entry.local_id})"


def _find(config: Config, name: str) -> D1Config:
    from wf.platform.d1 import find_database

    entry = find_database(config, name)
    if entry is None:
        raise CliError(
            f"Couldn't find a D1 DB with the name or binding '{name}' in your "
            f"{Path(config.path).name} file."
        )
    return entry


@click.group("d1")
def d1() -> None:
    """Read and write the project's local D1 data."""


@d1.command("execute", short_help="Run SQL on a local D1 database.")
@click.argument("database")
@click.option("--command", "command", metavar="SQL", help="The SQL to run.")
@click.option(
    "--file",
    "file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A file of SQL to run.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option("--yes", "-y", is_flag=True, hidden=True)  # wrangler's; nothing to confirm here
@project_options
def execute(
    database: str,
    command: str | None,
    file: Path | None,
    as_json: bool,
    yes: bool,
    directory: Path,
    config: Path | None,
    env: str | None,
    persist_to: Path | None,
    local: bool,
    remote: bool,
) -> None:
    """Run SQL on DATABASE (a binding or database name), in one transaction."""
    from wf.platform.d1 import SqlFailure, split_statements

    if (command is None) == (file is None):
        raise CliError("must provide --command or --file (one of them)")
    sql = command if command is not None else Path(str(file)).read_text(encoding="utf-8")
    target = Target(database, directory, config, env, persist_to, remote)
    out = Output(as_json)
    statements = split_statements(sql)
    if not statements:
        raise CliError("No SQL statements detected.")
    out.line(f"🌀 Executing on local database {target.describe()} from {_shown(target.root)}:")
    with target.open() as db:
        try:
            outcomes = db.transaction([(statement, ()) for statement in statements])
        except SqlFailure as failure:
            raise CliError(failure.text) from None
    results = [
        {
            "results": [dict(zip(o.columns, map(_json_cell, row), strict=True)) for row in o.rows],
            "success": True,
            "meta": {"duration": o.meta["duration"]},
        }
        for o in outcomes
    ]
    out.result(results)
    out.line(
        f"🚣 {len(outcomes)} command{'s' if len(outcomes) != 1 else ''} executed successfully."
    )
    for outcome in outcomes:
        if outcome.columns and outcome.rows:
            out.table(
                [dict(zip(outcome.columns, map(_cell, row), strict=True)) for row in outcome.rows],
                columns=outcome.columns,
            )


@d1.group("migrations", short_help="Create, list and apply D1 migrations.")
def migrations() -> None:
    """Create, list and apply D1 migrations (wrangler's files and table)."""


@migrations.command("create")
@click.argument("database")
@click.argument("message")
@project_options
def create(
    database: str,
    message: str,
    directory: Path,
    config: Path | None,
    env: str | None,
    persist_to: Path | None,
    local: bool,
    remote: bool,
) -> None:
    """Create an empty migration file for DATABASE named after MESSAGE."""
    target = Target(database, directory, config, env, persist_to, False)
    path = target.migrations.create(message)
    click.echo(f"✅ Successfully created Migration '{path.name}'!")
    click.echo("")
    click.echo("The migration is available for editing here")
    click.echo(str(path))


@migrations.command("list")
@click.argument("database")
@click.option("--json", "as_json", is_flag=True, help="Print the pending names as JSON.")
@project_options
def list_(
    database: str,
    as_json: bool,
    directory: Path,
    config: Path | None,
    env: str | None,
    persist_to: Path | None,
    local: bool,
    remote: bool,
) -> None:
    """List the migrations of DATABASE not applied yet."""
    target = Target(database, directory, config, env, persist_to, remote)
    out = Output(as_json)
    with target.open() as db:
        pending = target.migrations.pending(db)
    out.result(pending)
    if not pending:
        out.line("✅ No migrations to apply!")
        return
    out.line("Migrations to be applied:")
    out.table([{"Name": name} for name in pending], columns=["Name"])


@migrations.command("apply")
@click.argument("database")
@click.option("--json", "as_json", is_flag=True, help="Print the applied names as JSON.")
@project_options
def apply(
    database: str,
    as_json: bool,
    directory: Path,
    config: Path | None,
    env: str | None,
    persist_to: Path | None,
    local: bool,
    remote: bool,
) -> None:
    """Apply the pending migrations of DATABASE, each in its own transaction."""
    from wf.platform.d1 import MigrationError

    target = Target(database, directory, config, env, persist_to, remote)
    out = Output(as_json)
    with target.open() as db:
        pending = target.migrations.pending(db)
        if not pending:
            out.result([])
            out.line("✅ No migrations to apply!")
            return
        out.line(f"🌀 Executing on local database {target.describe()} from {_shown(target.root)}:")
        try:
            applied = target.migrations.apply(db)
        except MigrationError as exc:
            raise CliError(str(exc)) from None
    out.result(applied)
    out.table([{"name": name, "status": "✅"} for name in applied], columns=["name", "status"])


def _shown(path: Path) -> str:
    with contextlib.suppress(ValueError):
        return str(path.resolve().relative_to(Path.cwd().resolve())) or "."
    return str(path)


def _json_cell(value: Any) -> Any:
    return list(value) if isinstance(value, bytes) else value


def _cell(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bytes):
        return str(list(value))
    return str(value)
