"""`ConfigError`: what cannot be loaded, and where (file, line, column, field)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


class ConfigError(Exception):
    """A config that cannot be loaded.

    ``str(err)`` is ``FILE:LINE:COL: message`` for syntax errors and ``FILE[:LINE]: field: message``
    for semantic ones. FILE is relative to the working directory when the file lies below it.
    """

    def __init__(
        self,
        message: str,
        *,
        path: Path | None = None,
        line: int | None = None,
        column: int | None = None,
        field: str | None = None,
    ) -> None:
        self.path = path
        self.line = line
        self.column = column
        self.field = field
        self.message = message
        super().__init__(self._format())

    def _format(self) -> str:
        where = ""
        if self.path is not None:
            where = _display(self.path)
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        what = f"{self.field}: {self.message}" if self.field else self.message
        return where + what


def _names(names: Any) -> str:
    return ", ".join(names) or "none"


def _display(path: Path) -> str:
    """The path relative to the working directory when below it (shorter, still clickable)."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
