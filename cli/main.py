"""The `wf` command line."""

from __future__ import annotations

import click

from emulator import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="wf")
def main() -> None:
    """wf: run Cloudflare Workflows written in Python on your machine."""


def _register_client_commands() -> None:
    # Client commands talk to a running `wf dev`; they import only click and the stdlib.
    from cli.events import send_event
    from cli.instances import instances, trigger
    from cli.mock import mock
    from cli.time import time_group
    from cli.workflows import workflows

    for command in (trigger, send_event, instances, workflows, time_group, mock):
        main.add_command(command)


_register_client_commands()

from cli.dev import dev  # noqa: E402  (the server command: imports the server only when run)

main.add_command(dev)
