"""`wf queues ...`: the queues of a running `wf dev`: list them, send to one, look inside."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import click

from wf.cli import labels
from wf.cli.client import Client
from wf.cli.errors import CliError
from wf.cli.options import client_command
from wf.cli.output import Output

STATES = ("pending", "in_flight", "dead_lettered")


@click.group("queues", short_help="List queues, send messages, look inside a queue.")
def queues() -> None:
    """The queues of the project being served: producers, consumer settings and messages."""


@queues.command("list")
@client_command
def list_queues(client: Client, out: Output) -> None:
    """Every queue with its producers, consumer and message counts."""
    found = client.control("GET", "/queues")["queues"]
    out.result(found)
    if not found:
        out.line("No queues in this project (queues.producers / queues.consumers).")
        return
    rows = []
    for queue in found:
        counts = queue["counts"]
        consumer = queue["consumer"]
        rows.append(
            {
                "Queue": queue["queue"],
                "Producers": ", ".join(queue["producers"]) or "-",
                "Consumer": _consumer(consumer),
                "Pending": str(counts["pending"]),
                "Delayed": str(counts["delayed"]),
                "In flight": str(counts["in_flight"]),
                "Dead-lettered": str(counts["dead_lettered"]),
            }
        )
    out.table(rows)


def _consumer(consumer: dict[str, Any] | None) -> str:
    if consumer is None:
        return "none"
    text = (
        f"batch {consumer['max_batch_size']} / {consumer['max_batch_timeout']:g}s, "
        f"retries {consumer['max_retries']}"
    )
    if consumer.get("dead_letter_queue"):
        text += f" -> {consumer['dead_letter_queue']}"
    return text


@queues.command("send")
@click.argument("queue")
@click.argument("body")
@click.option(
    "--content-type",
    type=click.Choice(["json", "text", "bytes", "v8"]),
    default="json",
    show_default=True,
    help="How BODY is read: JSON, plain text, or base64 bytes (v8: JSON, delivered as a clone).",
)
@click.option(
    "--delay-seconds",
    type=click.IntRange(0, 43_200),
    default=0,
    show_default=True,
    help="Wait this long (virtual time) before the message can be delivered.",
)
@client_command
def send(
    client: Client, out: Output, queue: str, body: str, content_type: str, delay_seconds: int
) -> None:
    """Send BODY to QUEUE (a queue name or a producer binding)."""
    value: Any = body
    if content_type in ("json", "v8"):
        try:
            value = json.loads(body)
        except json.JSONDecodeError as exc:
            raise CliError(
                f"BODY is not JSON ({exc.msg} at column {exc.colno}); "
                "use --content-type text for plain text"
            ) from None
    result = client.control(
        "POST",
        f"/queues/{quote(queue, safe='')}/messages",
        {"body": value, "content_type": content_type, "delay_seconds": delay_seconds},
    )
    out.result(result)
    out.line(f"Sent message {result['id']} to queue {result['queue']}")


@queues.command("messages")
@click.argument("queue")
@click.option("--state", type=click.Choice(STATES), help="Only messages in this state.")
@client_command
def messages(client: Client, out: Output, queue: str, state: str | None) -> None:
    """The messages QUEUE holds: pending, in flight and dead-lettered (acked ones are gone)."""
    path = f"/queues/{quote(queue, safe='')}/messages"
    if state:
        path += f"?state={state}"
    found = client.control("GET", path)
    out.result(found["messages"])
    if not found["messages"]:
        out.line(f"Queue {found['queue']} holds no messages{f' {state}' if state else ''}.")
        return
    out.table(
        [
            {
                "Id": m["id"],
                "State": m["state"].replace("_", " ")
                + (f" -> {m['dead_letter_queue']}" if m["dead_letter_queue"] else ""),
                "Attempts": str(m["attempts"]),
                "Sent": labels.when(labels.iso_from_ms(m["timestamp"])),
                "Body": json.dumps(m["body"], ensure_ascii=False)[:80],
            }
            for m in found["messages"]
        ]
    )
