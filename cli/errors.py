"""The one error a client command raises: printed as a single line, exit status 1."""

from __future__ import annotations

import click


class CliError(click.ClickException):
    """A failure the user can act on; click prints ``Error: <message>`` and exits 1."""

    def format_message(self) -> str:
        # One line, whatever the server said.
        return " ".join(self.message.split())
