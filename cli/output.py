"""One output helper: wrangler-like lines and rich tables for people, JSON for machines.

Every client command builds an ``Output`` from its ``--json`` flag and hands it both the
machine result and the human rendering; in JSON mode only the result is printed, as one JSON
document on stdout. rich is imported only when a table is actually drawn.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any

import click


class Output:
    """Prints a command's result for people (lines, labelled values, tables) or as JSON."""

    def __init__(self, as_json: bool = False) -> None:
        self.as_json = as_json

    def result(self, data: Any) -> None:
        """The machine result: printed only with --json."""
        if self.as_json:
            click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))

    def line(self, text: str = "") -> None:
        """A line for people; silent with --json so stdout stays one JSON document."""
        if not self.as_json:
            click.echo(text)

    def warn(self, text: str) -> None:
        """A warning for people, on stderr like wrangler's ``▲ [WARNING]``."""
        if not self.as_json:
            click.echo(f"▲ {text}", err=True)

    def fields(self, values: Mapping[str, str], indent: int = 0) -> None:
        """Labelled values aligned in one column, as wrangler's formatLabelledValues."""
        if self.as_json or not values:
            return
        width = max(len(label) for label in values) + 1
        pad = " " * indent
        for label, value in values.items():
            head = f"{pad}{label + ':':<{width}}  "
            lines = str(value).split("\n")
            click.echo(head + lines[0])
            for more in lines[1:]:
                click.echo(" " * len(head) + more)

    def table(
        self,
        rows: Sequence[Mapping[str, str]],
        columns: Sequence[str] | None = None,
        title: str | None = None,
    ) -> None:
        """A rich table of string cells; the columns default to the first row's keys."""
        if self.as_json:
            return
        from rich.table import Table
        from rich.text import Text

        names = list(columns or (rows[0].keys() if rows else []))
        table = Table(title=title, title_justify="left", show_lines=False)
        for name in names:
            table.add_column(name, overflow="fold")
        for row in rows:
            table.add_row(*(Text(str(row.get(name, ""))) for name in names))
        _console().print(table)


def _console() -> Any:
    from rich.console import Console

    # Piped output (tests, CI logs) gets a wide page instead of rich's 80 columns.
    width = None if sys.stdout.isatty() or "COLUMNS" in os.environ else 160
    return Console(width=width, markup=False, emoji=False, highlight=False)
