"""The `wf` command line."""

from __future__ import annotations

import importlib

import click

from emulator import __version__

# Where each command lives. A command's module is imported only when that command runs (or
# for --help), so `wf dev` does not load the client commands on its way to serving.
COMMANDS = {
    "ai": "cli.ai:ai",
    "completion": "cli.complete:completion",
    "d1": "cli.d1:d1",
    "dev": "cli.dev:dev",
    "instances": "cli.instances:instances",
    "kv": "cli.kv:kv",
    "logs": "cli.logs:logs",
    "mock": "cli.mock:mock",
    "queues": "cli.queues:queues",
    "r2": "cli.r2:r2",
    "replay": "cli.replay:replay",
    "send-event": "cli.events:send_event",
    "time": "cli.time:time_group",
    "trigger": "cli.instances:trigger",
    "types": "cli.types:types_command",
    "workers": "cli.workers:workers",
    "workflows": "cli.workflows:workflows",
}


class CommandIndex(click.Group):
    """A group that imports its commands from ``COMMANDS`` when they are asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS and cmd_name not in self.commands:
            module, _, name = COMMANDS[cmd_name].partition(":")
            self.add_command(getattr(importlib.import_module(module), name), cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(cls=CommandIndex, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="wf")
def main() -> None:
    """wf: run Cloudflare Workflows written in Python on your machine."""
