"""`wf send-event`: deliver an event to an instance waiting (or about to wait) for it."""

from __future__ import annotations

import click

from wf.cli.client import Client, quote
from wf.cli.complete import instance_ids, workflow_names
from wf.cli.instances import instances_path, resolve_id
from wf.cli.options import client_command, parse_json_option
from wf.cli.output import Output


@click.command("send-event", short_help="Send an event to an instance.")
@click.argument("name", shell_complete=workflow_names)
@click.argument("instance_id", metavar="ID", shell_complete=instance_ids)
@click.option("--type", "event_type", required=True, help="Type of the event.")
@click.option(
    "--payload",
    default="{}",
    show_default=True,
    help="""Payload of the event, as JSON (e.g. '{"approved": true}').""",
)
@client_command
def send_event(
    name: str, instance_id: str, event_type: str, payload: str, client: Client, out: Output
) -> None:
    """Send an event of --type to instance ID of workflow NAME ('latest' for the newest)."""
    value = parse_json_option(payload, "event payload")
    resolved = resolve_id(client, name, instance_id)
    path = f"{instances_path(name, resolved)}/events/{quote(event_type)}"
    client.explorer("POST", path, value)
    out.result({"workflow": name, "id": resolved, "type": event_type, "payload": value})
    shown = f' and payload "{payload}"' if value not in ({}, [], None, "") else ""
    out.line(
        f'📤 The event with type "{event_type}"{shown} was sent '
        f'to the instance "{resolved}" from {name}'
    )


__all__ = ["send_event"]
