"""`wf r2 ...`: the project's local R2 data, as `wrangler r2 ... --local` reaches it."""

from __future__ import annotations

import click


@click.group("r2")
def r2() -> None:
    """Read and write the project's local R2 data."""
