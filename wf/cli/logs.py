"""`wf logs WORKFLOW ID`: what an instance's code printed and logged, and `--follow` to tail it.

It reads ``GET /cdn-cgi/wf/logs/{workflow}/{id}``; with ``--follow`` it asks again for what
came after the last line it printed, until the instance ends (and its last lines are out) or
Ctrl-C.
"""

from __future__ import annotations

import json
import time
from typing import Any

import click

from wf.cli import labels
from wf.cli.client import Client, quote
from wf.cli.complete import instance_ids, workflow_names
from wf.cli.instances import resolve_id
from wf.cli.options import client_command
from wf.cli.output import Output

FINAL = frozenset({"complete", "errored", "terminated"})
POLL_S = 0.25


def logs_path(workflow: str, instance_id: str) -> str:
    return f"/logs/{quote(workflow)}/{quote(instance_id)}"


def read_logs(
    client: Client, workflow: str, instance_id: str, *, step: str | None = None, after: int = 0
) -> dict[str, Any]:
    """One answer of the logs route: ``status``, ``lines``, ``next``."""
    query = [f"after={after}"]
    if step:
        query.append(f"step={quote(step)}")
    result: dict[str, Any] = client.control(
        "GET", logs_path(workflow, instance_id) + "?" + "&".join(query)
    )
    return result


def format_line(line: dict[str, Any]) -> str:
    """``2026-01-01 00:00:10 UTC charge-1 #2 warn  careful``; run()'s own lines say run()."""
    where = line.get("step") or "run()"
    if line.get("attempt"):
        where += f" #{line['attempt']}"
    message = str(line.get("message", ""))
    return f"{labels.when(line.get('at'))} {where} {line.get('level', 'log'):<5} {message}"


@click.command(short_help="Show (and follow) what an instance printed and logged.")
@click.argument("workflow", shell_complete=workflow_names)
@click.argument("instance_id", metavar="ID", shell_complete=instance_ids)
@click.option("--follow", "-f", is_flag=True, help="Keep printing new lines until it ends.")
@click.option("--step", metavar="NAME", help="Only this step's lines (charge or charge-1).")
@client_command
def logs(
    workflow: str,
    instance_id: str,
    follow: bool,
    step: str | None,
    client: Client,
    out: Output,
) -> None:
    """Print the log of instance ID of WORKFLOW ('latest' for the newest), oldest first.

    With --json: one JSON document ({"workflow", "instance", "status", "lines"}), or with
    --follow one JSON object per line as it comes.
    """
    resolved = resolve_id(client, workflow, instance_id)
    answer = read_logs(client, workflow, resolved, step=step)
    if not follow:
        if out.as_json:
            out.result({k: answer[k] for k in ("workflow", "instance", "status", "lines")})
            return
        if not answer["lines"]:
            click.echo(
                f"No lines logged by {workflow}/{resolved}" + (f" in {step}" if step else "")
            )
        for line in answer["lines"]:
            click.echo(format_line(line))
        return
    try:
        _follow(client, workflow, resolved, step, answer, out.as_json)
    except KeyboardInterrupt:
        return  # Ctrl-C ends following, as `tail -f`: no traceback, nothing more to say


def _follow(
    client: Client,
    workflow: str,
    instance_id: str,
    step: str | None,
    answer: dict[str, Any],
    as_json: bool,
) -> None:
    while True:
        for line in answer["lines"]:
            click.echo(json.dumps(line, ensure_ascii=False) if as_json else format_line(line))
        if answer["status"] in FINAL:
            # The status was read with these lines: nothing can come after them.
            return
        time.sleep(POLL_S)
        answer = read_logs(client, workflow, instance_id, step=step, after=answer["next"])
