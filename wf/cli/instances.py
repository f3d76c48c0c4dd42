"""`wf trigger` and `wf instances ...`: create, list, inspect and control workflow instances."""

from __future__ import annotations

from typing import Any

import click

from wf.cli import histories, labels
from wf.cli.client import Client, quote
from wf.cli.complete import instance_ids, workflow_names
from wf.cli.errors import CliError
from wf.cli.options import client_command, parse_json_option
from wf.cli.output import Output

LATEST = "latest"
ID_HELP = "Instance ID, or 'latest' for the newest instance."


def instances_path(workflow: str, instance_id: str | None = None) -> str:
    path = f"/workflows/{quote(workflow)}/instances"
    return path if instance_id is None else f"{path}/{quote(instance_id)}"


def resolve_id(client: Client, workflow: str, instance_id: str) -> str:
    """The instance ID itself, or the newest instance's ID for ``latest``."""
    if instance_id != LATEST:
        return instance_id
    instances = client.explorer("GET", instances_path(workflow), query={"page": 1})
    if not instances:
        raise CliError(f'There are no instances in workflow "{workflow}"')
    # The server lists newest first; a stable sort keeps that order among equal timestamps.
    newest = sorted(instances, key=lambda i: i.get("created_on") or "", reverse=True)
    return str(newest[0]["id"])


@click.command(short_help="Start a new instance of a workflow.")
@click.argument("name", shell_complete=workflow_names)
@click.argument("params", required=False, default="")
@click.option("--id", "instance_id", help="Custom instance ID (default: a random UUIDv4).")
@client_command
def trigger(name: str, params: str, instance_id: str | None, client: Client, out: Output) -> None:
    """Trigger workflow NAME, creating a new instance with PARAMS (a JSON string)."""
    body: dict[str, Any] = {}
    if instance_id is not None:
        body["id"] = instance_id
    if params:
        body["params"] = parse_json_option(params, "instance parameters")
    result = client.explorer("POST", instances_path(name), body) or {}
    new_id = result.get("id", instance_id)
    out.result({"workflow": name, **result, "id": new_id})
    out.line(f'🚀 Workflow instance "{new_id}" has been queued successfully')


@click.group()
def instances() -> None:
    """List, inspect and control workflow instances."""


@instances.command("list")
@click.argument("name", shell_complete=workflow_names)
@click.option(
    "--status", type=click.Choice(labels.STATUSES), help="Only instances with this status."
)
@click.option(
    "--page", type=click.IntRange(min=1), default=1, show_default=True, help="Page to show."
)
@click.option("--per-page", type=click.IntRange(min=1), help="Instances per page.")
@click.option("--reverse", is_flag=True, help="Oldest first.")
@client_command
def list_instances(
    name: str,
    status: str | None,
    page: int,
    per_page: int | None,
    reverse: bool,
    client: Client,
    out: Output,
) -> None:
    """List the instances of workflow NAME, newest first."""
    query = {"status": status, "page": page, "per_page": per_page}
    found, info = client.explorer_page(instances_path(name), query=query)
    found = sorted(found or [], key=lambda i: i.get("created_on") or "", reverse=not reverse)
    out.result(found)
    if not found:
        if page > 1:
            out.warn(f"No instances found on page {page}. Please try a smaller page number.")
        elif status:
            out.warn(f'There are no {status} instances in workflow "{name}"')
        else:
            out.warn(
                f'There are no instances in workflow "{name}". '
                f'You can trigger it with "wf trigger {name}"'
            )
        return
    out.line(f"Showing {len(found)} instance{'s' if len(found) > 1 else ''} from page {page}:")
    out.table(
        [_instance_row(i) for i in found],
        whole=("Instance ID",),
        optional=("Status", "Created (UTC)", "Modified (UTC)", "Version"),
    )
    total, pages = info.get("total_count"), info.get("total_pages")
    if isinstance(total, int) and isinstance(pages, int):
        out.line(f"{total:,} instance{'s' if total != 1 else ''} in all, page {page} of {pages}")
        if page < pages:
            flags = "".join(
                f" --{flag} {value}"
                for flag, value in (("status", status), ("per-page", per_page))
                if value is not None
            )
            out.line(f"Next page: wf instances list {name}{flags} --page {page + 1}")


def _instance_row(instance: dict[str, Any]) -> dict[str, str]:
    row = {"Instance ID": str(instance.get("id", ""))}
    row["Status"] = labels.status_label(instance.get("status"))
    row["Created (UTC)"] = _when(instance.get("created_on")) or "N/A"
    row["Modified (UTC)"] = _when(instance.get("modified_on")) or ""
    row["Version"] = str(instance.get("version_id") or "")
    return row


def _when(value: str | None) -> str:
    return labels.when(value).removesuffix(" UTC")


@instances.command(short_help="Show an instance: status, steps and attempts.")
@click.argument("name", shell_complete=workflow_names)
@click.argument("instance_id", metavar="[ID]", default=LATEST, shell_complete=instance_ids)
@click.option(
    "--step-output/--no-step-output",
    default=True,
    show_default=True,
    help="Show each step's output.",
)
@click.option(
    "--truncate-output-limit",
    type=click.IntRange(min=0),
    default=5000,
    show_default=True,
    help="Truncate outputs after this many characters.",
)
@client_command
def describe(
    name: str,
    instance_id: str,
    step_output: bool,
    truncate_output_limit: int,
    client: Client,
    out: Output,
) -> None:
    """Describe instance ID of workflow NAME (default: latest): status, steps and attempts."""
    resolved = resolve_id(client, name, instance_id)
    details = client.explorer("GET", instances_path(name, resolved))
    details = {**details, "id": details.get("id", resolved)}
    from wf.cli.logs import read_logs

    # wf's own field: what the instance's code printed and logged (its last 1,000 entries)
    details["logs"] = read_logs(client, name, resolved)["lines"]
    out.result(details)
    if out.as_json:
        return
    from wf.cli.describe import render_instance

    render_instance(out, name, details, step_output, truncate_output_limit)


def _change_status(client: Client, name: str, instance_id: str, action: str, **extra: Any) -> str:
    resolved = resolve_id(client, name, instance_id)
    client.explorer(
        "PATCH", instances_path(name, resolved) + "/status", {"action": action, **extra}
    )
    return resolved


@instances.command()
@click.argument("name", shell_complete=workflow_names)
@click.argument("instance_id", metavar="ID", shell_complete=instance_ids)
@client_command
def pause(name: str, instance_id: str, client: Client, out: Output) -> None:
    """Pause instance ID of workflow NAME."""
    resolved = resolve_id(client, name, instance_id)
    before = _status_of(client, name, resolved)
    if before not in PAUSABLE:
        _unchanged(out, name, resolved, before, "pause")
        return
    _change_status(client, name, resolved, "pause")
    out.result({"workflow": name, "id": resolved, "action": "pause", "changed": True})
    out.line(f'⏸️ The instance "{resolved}" from {name} was paused successfully')


@instances.command()
@click.argument("name", shell_complete=workflow_names)
@click.argument("instance_id", metavar="ID", shell_complete=instance_ids)
@client_command
def resume(name: str, instance_id: str, client: Client, out: Output) -> None:
    """Resume paused instance ID of workflow NAME."""
    resolved = resolve_id(client, name, instance_id)
    before = _status_of(client, name, resolved)
    if before not in RESUMABLE:
        _unchanged(out, name, resolved, before, "resume")
        return
    _change_status(client, name, resolved, "resume")
    out.result({"workflow": name, "id": resolved, "action": "resume", "changed": True})
    out.line(f'🔄 The instance "{resolved}" from {name} was resumed successfully')


# Production ignores a pause or resume with nothing to act on: say so rather than "succeeded".
PAUSABLE = {"queued", "running", "waiting"}
RESUMABLE = {"paused", "waitingForPause"}


def _status_of(client: Client, name: str, instance_id: str) -> str:
    details = client.explorer("GET", instances_path(name, instance_id)) or {}
    return str(details.get("status") or "unknown")


def _unchanged(out: Output, name: str, instance_id: str, status: str, action: str) -> None:
    out.result(
        {"workflow": name, "id": instance_id, "action": action, "changed": False, "status": status}
    )
    label = labels.status_label(status)
    out.warn(f'The instance "{instance_id}" from {name} is {label}: nothing to {action}, unchanged')


@instances.command()
@click.argument("name", shell_complete=workflow_names)
@click.argument("instance_id", metavar="ID", shell_complete=instance_ids)
@client_command
def terminate(name: str, instance_id: str, client: Client, out: Output) -> None:
    """Terminate instance ID of workflow NAME."""
    resolved = _change_status(client, name, instance_id, "terminate")
    out.result({"workflow": name, "id": resolved, "action": "terminate"})
    out.line(f'🥷 The instance "{resolved}" from {name} was terminated successfully')


@instances.command(short_help="Restart an instance, or replay it from one step.")
@click.argument("name", shell_complete=workflow_names)
@click.argument("instance_id", metavar="ID", shell_complete=instance_ids)
@click.option("--from-step-name", help="Restart from this step (its name, without the -N count).")
@click.option(
    "--from-step-count",
    type=click.IntRange(min=1),
    help="Which occurrence of that step name (default 1).",
)
@click.option(
    "--from-step-type",
    type=click.Choice(["do", "sleep", "waitForEvent"]),
    help="The kind of that step.",
)
@client_command
def restart(
    name: str,
    instance_id: str,
    from_step_name: str | None,
    from_step_count: int | None,
    from_step_type: str | None,
    client: Client,
    out: Output,
) -> None:
    """Restart instance ID of workflow NAME: from scratch, or from one step onwards."""
    extra: dict[str, Any] = {}
    if from_step_name is not None:
        step: dict[str, Any] = {"name": from_step_name}
        if from_step_count is not None:
            step["count"] = from_step_count
        if from_step_type is not None:
            step["type"] = from_step_type
        extra["from"] = step
    elif from_step_count is not None or from_step_type is not None:
        raise CliError("--from-step-count and --from-step-type need --from-step-name")
    resolved = _change_status(client, name, instance_id, "restart", **extra)
    out.result({"workflow": name, "id": resolved, "action": "restart", **extra})
    out.line(f'🥷 The instance "{resolved}" from {name} was restarted successfully')


@instances.command()
@click.argument("name", shell_complete=workflow_names)
@click.argument(
    "instance_ids", metavar="ID...", nargs=-1, required=True, shell_complete=instance_ids
)
@client_command
def delete(name: str, instance_ids: tuple[str, ...], client: Client, out: Output) -> None:
    """Delete instances of workflow NAME with all their state."""
    deleted: list[str] = []
    for instance_id in instance_ids:
        try:
            resolved = resolve_id(client, name, instance_id)
            client.explorer("DELETE", instances_path(name, resolved))
        except CliError as exc:
            done = f" (deleted before it: {_quoted(deleted)})" if deleted else ""
            raise CliError(f"{exc.message}{done}") from None
        deleted.append(resolved)
    out.result({"workflow": name, "deleted": deleted})
    out.line(f'🗑️  Deleted workflow instances from "{name}": {_quoted(deleted)}')


def _quoted(ids: list[str]) -> str:
    return ", ".join(f'"{i}"' for i in ids)


histories.register(instances)  # export and import
