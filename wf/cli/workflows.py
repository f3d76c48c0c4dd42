"""`wf workflows list|describe`: the workflows the running project declares."""

from __future__ import annotations

import click

from wf.cli.client import Client, quote
from wf.cli.complete import workflow_names
from wf.cli.labels import STATUSES
from wf.cli.options import client_command
from wf.cli.output import Output


@click.group()
def workflows() -> None:
    """List and describe the workflows of the running project."""


@workflows.command("list")
@client_command
def list_workflows(client: Client, out: Output) -> None:
    """List the workflows of the running project."""
    found = client.explorer("GET", "/workflows") or []
    out.result(found)
    if not found:
        out.warn("There are no Workflows in the local dev session")
        return
    out.line(
        f"Showing {len(found)} workflow{'s' if len(found) > 1 else ''} from local dev session:"
    )
    out.table(
        [
            {
                "Name": str(w.get("name", "")),
                "Script name": str(w.get("script_name") or ""),
                "Class name": str(w.get("class_name") or ""),
            }
            for w in found
        ]
    )


@workflows.command()
@click.argument("name", shell_complete=workflow_names)
@client_command
def describe(name: str, client: Client, out: Output) -> None:
    """Describe workflow NAME: its class, script and instance counts by status."""
    workflow = client.explorer("GET", f"/workflows/{quote(name)}")
    out.result(workflow)
    out.fields(
        {
            "Name": str(workflow.get("name", name)),
            "Script Name": str(workflow.get("script_name") or ""),
            "Class Name": str(workflow.get("class_name") or ""),
        }
    )
    counts = workflow.get("instances")
    if isinstance(counts, dict):
        out.line("Instance Status Counts:")
        # Every status is listed, zeros included, as the local explorer reports them.
        every = {status: counts.get(status, 0) for status in STATUSES} | counts
        out.fields({status: str(n) for status, n in every.items()}, indent=2)
