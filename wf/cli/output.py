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

    def error(self, message: str, code: int | None = None) -> None:
        """A failure as JSON on stdout, in Cloudflare's envelope (the line goes to stderr too)."""
        error: dict[str, Any] = {} if code is None else {"code": code}
        error["message"] = message
        click.echo(json.dumps({"success": False, "errors": [error], "result": None}, indent=2))

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
        *,
        whole: Sequence[str] = (),
        optional: Sequence[str] = (),
    ) -> None:
        """A rich table of string cells; the columns default to the first row's keys.

        Cells of ``whole`` columns are never wrapped (ids). With two rows or more, a column of
        ``optional`` that holds one value throughout is said once above the table instead, and
        while the table is wider than the terminal the ``optional`` columns go, last first.
        """
        if self.as_json:
            return
        from rich import box
        from rich.cells import cell_len
        from rich.table import Table
        from rich.text import Text

        console = _console()
        names = list(columns or (rows[0].keys() if rows else []))
        if len(rows) > 1:
            for name in [n for n in optional if n in names]:
                values = {str(row.get(name, "")) for row in rows}
                if len(values) == 1:
                    names.remove(name)
                    self.line(f"{name}: {values.pop() or '-'} (every row)")

        def width(columns: list[str]) -> int:
            cells = [
                max([cell_len(name), *(cell_len(str(r.get(name, ""))) for r in rows)])
                for name in columns
            ]
            return sum(cells) + 3 * len(cells) + 1  # a border and a padding either side

        hidden: list[str] = []
        for name in reversed([n for n in optional if n in names]):
            if width(names) <= console.width:
                break
            names.remove(name)
            hidden.insert(0, name)
        if hidden:
            shown = ", ".join(hidden)
            self.line(f"Hidden to fit {console.width} columns: {shown} (--json has all)")
        table = Table(title=title, title_justify="left", show_lines=False, box=box.HEAVY_HEAD)
        for name in names:
            whole_cells = name in whole
            table.add_column(name, overflow="fold", no_wrap=whole_cells)
        for row in rows:
            table.add_row(*(Text(str(row.get(name, ""))) for name in names))
        console.print(table)


def _console() -> Any:
    from rich.console import Console

    # Piped output (tests, CI logs) gets a wide page instead of rich's 80 columns.
    width = None if sys.stdout.isatty() or "COLUMNS" in os.environ else 160
    return Console(width=width, markup=False, emoji=False, highlight=False)
