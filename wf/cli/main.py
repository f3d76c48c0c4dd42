"""The `wf` command line."""

from __future__ import annotations

import importlib

import click

from wf import __version__

# Where each command lives. A command's module is imported only when that command runs (or
# for --help), so `wf dev` does not load the client commands on its way to serving.
COMMANDS = {
    "ai": "wf.cli.ai:ai",
    "completion": "wf.cli.complete:completion",
    "d1": "wf.cli.d1:d1",
    "dev": "wf.cli.dev:dev",
    "instances": "wf.cli.instances:instances",
    "kv": "wf.cli.kv:kv",
    "logs": "wf.cli.logs:logs",
    "mock": "wf.cli.mock:mock",
    "queues": "wf.cli.queues:queues",
    "r2": "wf.cli.r2:r2",
    "replay": "wf.cli.replay:replay",
    "send-event": "wf.cli.events:send_event",
    "time": "wf.cli.time:time_group",
    "trigger": "wf.cli.instances:trigger",
    "types": "wf.cli.types:types_command",
    "workers": "wf.cli.workers:workers",
    "workflows": "wf.cli.workflows:workflows",
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
