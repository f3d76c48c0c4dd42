"""`wf d1 ...`: the project's local D1 data, as `wrangler d1 ... --local` reaches it."""

from __future__ import annotations

import click


@click.group("d1")
def d1() -> None:
    """Read and write the project's local D1 data."""
