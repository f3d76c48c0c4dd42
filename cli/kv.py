"""`wf kv ...`: the project's local KV data, as `wrangler kv ... --local` reaches it."""

from __future__ import annotations

import click


@click.group("kv")
def kv() -> None:
    """Read and write the project's local KV data."""
