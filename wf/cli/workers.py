"""`wf workers ...`: the Workers of a running `wf dev -c a -c b`: list them, reload one."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import click

from wf.cli.client import Client
from wf.cli.errors import CliError
from wf.cli.options import client_command
from wf.cli.output import Output


@click.group("workers", short_help="List the Workers of the session, reload one.")
def workers() -> None:
    """The Workers `wf dev` runs: the first serves HTTP, the others answer its bindings."""


def _state(worker: dict[str, Any]) -> str:
    if worker.get("error"):
        kept = " (previous code serving)" if worker.get("loaded") else ""
        return f"error{kept}"
    return "loaded" if worker.get("loaded") else "not loaded"


def _services(worker: dict[str, Any]) -> str:
    parts = []
    for entry in worker.get("services", []):
        target = entry["service"] + (f"#{entry['entrypoint']}" if entry.get("entrypoint") else "")
        state = "" if entry.get("connected") else " (not connected)"
        parts.append(f"{entry['binding']} -> {target}{state}")
    return ", ".join(parts) or "-"


@workers.command("list")
@client_command
def list_workers(client: Client, out: Output) -> None:
    """Every Worker: whether its code loaded, its service bindings, the queues it consumes and
    its crons (--json: its config too)."""
    found = client.control("GET", "/workers")
    out.result(found)
    rows = [
        {
            "Worker": worker["name"] + (" (serves HTTP)" if worker.get("primary") else ""),
            "State": _state(worker),
            "Generation": str(worker.get("generation", 0)),
            "Services": _services(worker),
            "Consumes": ", ".join(worker.get("consumes", [])) or "-",
            "Crons": ", ".join(worker.get("crons", [])) or "-",
        }
        for worker in found
    ]
    out.table(rows, whole=("Worker",))  # the config paths are in --json
    for worker in found:
        error = worker.get("error")
        if error:
            out.line(f"{worker['name']}: {error['message']}")


@workers.command("reload")
@click.argument("name")
@client_command
def reload(name: str, client: Client, out: Output) -> None:
    """Load Worker NAME's code and config again now (the others keep running)."""
    worker = client.control("POST", f"/workers/{quote(name, safe='')}/reload")
    out.result(worker)
    if worker.get("error"):
        raise CliError(f"Worker {name} did not reload: {worker['error']['message']}")
    out.line(f"Reloaded Worker {name} (generation {worker.get('generation')})")
