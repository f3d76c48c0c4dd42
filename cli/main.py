"""The `wf` command line."""

from __future__ import annotations

import click

from emulator import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="wf")
def main() -> None:
    """wf: run Cloudflare Workflows written in Python on your machine."""
