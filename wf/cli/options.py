"""Options every client command shares: which server to talk to, and --json."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import click

from wf.cli.client import Client
from wf.cli.errors import CliError
from wf.cli.output import Output

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8787


def client_command(fn: F) -> F:
    """Add --port/--host/--json to a command; it receives ``client`` and ``out`` instead."""

    @click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
    @click.option(
        "--host",
        envvar="WF_HOST",
        default=DEFAULT_HOST,
        show_default=True,
        help="Host of the `wf dev` server (env WF_HOST).",
    )
    @click.option(
        "--port",
        envvar="WF_PORT",
        type=click.IntRange(1, 65535),
        default=DEFAULT_PORT,
        show_default=True,
        help="Port of the `wf dev` server (env WF_PORT).",
    )
    @functools.wraps(fn)
    def command(*args: Any, host: str, port: int, as_json: bool, **kwargs: Any) -> Any:
        client = Client(host, port)
        try:
            return fn(*args, client=client, out=Output(as_json), **kwargs)
        except CliError as exc:
            exc = with_valid_names(exc, client, kwargs)
            if as_json:  # a script reading stdout gets a JSON document either way
                Output(as_json).error(exc.format_message(), exc.code)
            raise exc from None

    return command  # type: ignore[return-value]


def with_valid_names(exc: CliError, client: Client, arguments: dict[str, Any]) -> CliError:
    """An unknown workflow's error, with the names that exist appended."""
    name = arguments.get("name") or arguments.get("workflow")
    if exc.status != 404 or not name or "Workflow instance" in exc.message:
        return exc
    try:
        found = client.explorer("GET", "/workflows") or []
    except CliError:
        return exc
    names = sorted(str(w.get("name")) for w in found if isinstance(w, dict))
    known = ", ".join(names) if names else "none"
    return CliError(
        f"{exc.message} The project's workflows: {known}", status=exc.status, code=exc.code
    )


def parse_json_option(text: str, what: str) -> Any:
    """Parse a JSON argument, failing with wrangler's one-line message."""
    import json

    from wf.cli.errors import CliError

    try:
        return json.loads(text)
    except ValueError as exc:
        raise CliError(f'Error while parsing {what}: "{text}" with {exc}') from None
