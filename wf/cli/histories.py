"""`wf instances export` and `wf instances import`: histories out of and into a running `wf dev`.

An export is the format `wf replay` reads; an import makes a history (from production, or
from another `wf dev`) a live local instance that continues from where it was.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import click

from wf.cli import labels
from wf.cli.client import Client, quote
from wf.cli.complete import instance_ids, workflow_names
from wf.cli.errors import CliError
from wf.cli.options import client_command
from wf.cli.output import Output


@click.command(short_help="Write instance histories (the format wf replay reads).")
@click.argument("workflow", shell_complete=workflow_names)
@click.argument("instance_id", metavar="[ID]", required=False, shell_complete=instance_ids)
@click.option("--all", "every", is_flag=True, help="Every instance of the workflow.")
@click.option(
    "--status",
    type=click.Choice(labels.STATUSES),
    help="Every instance with this status (implies --all).",
)
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (default: stdout).",
)
@client_command
def export(
    workflow: str,
    instance_id: str | None,
    every: bool,
    status: str | None,
    output: Path | None,
    client: Client,
    out: Output,
) -> None:
    """Export instance ID of WORKFLOW ('latest' for the newest), or --all / --status S."""
    from wf.cli.instances import resolve_id

    several = every or status is not None
    if several == (instance_id is not None):
        raise CliError("give an instance ID, or --all / --status to export several")
    if instance_id is not None:
        resolved = resolve_id(client, workflow, instance_id)
        data: Any = client.control("GET", f"/history/{quote(workflow)}/{quote(resolved)}")
        count = 1
    else:
        query = f"?status={quote(status)}" if status else ""
        data = client.control("GET", f"/history/{quote(workflow)}{query}")
        count = len(data.get("instances", [])) if isinstance(data, dict) else 0
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if output is None:
        click.echo(text, nl=False)
        return
    _write(output, text)
    out.result({"workflow": workflow, "file": str(output), "instances": count})
    out.line(f'📦 Exported {count} instance{"s" * (count != 1)} of "{workflow}" to {output}')


def _write(path: Path, text: str) -> None:
    """Replace ``path`` whole: a crash leaves the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@click.command("import", short_help="Load a history as a live local instance.")
@click.argument("history", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--workflow", "-w", metavar="NAME", help="Import into this workflow.")
@click.option("--id", "instance_id", help="The new instance's id (one history only).")
@client_command
def import_(
    history: Path,
    workflow: str | None,
    instance_id: str | None,
    client: Client,
    out: Output,
) -> None:
    """Import the instance history(s) in HISTORY into the running `wf dev`.

    The instance continues from where the history leaves it: its cached steps are not run
    again, a pending sleep ends at its recorded end, a wait for an event times out at its
    start plus its timeout (24 hours unless the history says).
    """
    from wf.history import HistoryError, history_documents

    try:
        documents = history_documents(history.read_text(encoding="utf-8"), history.name)
    except (HistoryError, UnicodeDecodeError) as exc:
        raise CliError(str(exc)) from None
    if instance_id is not None and len(documents) > 1:
        raise CliError(f"{history.name} holds {len(documents)} histories: --id needs one")
    imported = []
    for where, document in documents:
        body: dict[str, Any] = {"history": document}
        if workflow is not None:
            body["workflow"] = workflow
        if instance_id is not None:
            body["id"] = instance_id
        try:
            result = client.control("POST", "/instances/import", body)
        except CliError as exc:
            raise CliError(f"{where}: {exc.message}", exc.status, exc.code) from None
        imported.append(result)
        wakes = f", due at {result['wake_at']}" if result.get("wake_at") else ""
        out.line(
            f'📥 Imported "{result["id"]}" into {result["workflow"]}: {result["status"]}, '
            f"{result['steps']} recorded step{'s' * (result['steps'] != 1)}{wakes}"
        )
    out.result(imported)


def register(group: click.Group) -> None:
    """Add export and import to the `wf instances` group."""
    group.add_command(export)
    group.add_command(import_, "import")
