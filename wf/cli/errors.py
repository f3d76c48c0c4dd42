"""The one error a client command raises: printed as a single line, exit status 1."""

from __future__ import annotations

import click


class CliError(click.ClickException):
    """A failure the user can act on; click prints ``Error: <message>`` and exits 1.

    ``status`` and ``code`` are the server's HTTP status and error code when the failure came
    from it (404 and 10501 for an unknown workflow).
    """

    def __init__(self, message: str, status: int | None = None, code: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code

    def format_message(self) -> str:
        # One line, whatever the server said.
        return " ".join(self.message.split())
