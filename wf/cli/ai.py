"""`wf ai ...`: the Workers AI mocks of a running `wf dev`, and the calls the Worker made."""

from __future__ import annotations

import json
from typing import Any

import click

from wf.cli import labels
from wf.cli.client import Client
from wf.cli.options import client_command, parse_json_option
from wf.cli.output import Output


@click.group("ai", short_help="Mock Workers AI models and see the calls made.")
def ai() -> None:
    """Mock Workers AI models (no model runs locally) and see the calls env.AI.run made."""


def _short(value: Any, width: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return text if len(text) <= width else text[: width - 1] + "…"


@ai.command()
@click.option("--limit", type=click.IntRange(0, 1000), default=50, show_default=True)
@client_command
def calls(limit: int, client: Client, out: Output) -> None:
    """List the latest env.AI.run calls: model, inputs, and the answer or error."""
    found = client.control("GET", f"/ai/calls?limit={limit}")
    out.result(found)
    if not found:
        out.line("No Workers AI calls yet.")
        return
    rows = [
        {
            "At": labels.when(labels.iso_from_ms(c["at"])),
            "Model": c["model"],
            "Inputs": _short(c["inputs"]),
            "Answer": _short(c["error"] or c["response"]),
            "Mock": c["mocked_by"] or "none",
        }
        for c in found
    ]
    out.table(rows)


@ai.command()
@client_command
def mocks(client: Client, out: Output) -> None:
    """List the registered mocks (and those of .wf/ai.json)."""
    found = client.control("GET", "/ai/mocks")
    out.result(found)
    if not found:
        out.line("No Workers AI mocks: add one with wf ai mock MODEL RESPONSE_JSON.")
        return
    rows = [
        {
            "Model": m["model"],
            "Match": _short(m["match"]) if m["match"] is not None else "any input",
            "Answer": _short(m["error"] or m["response"]),
            "Used": str(m["used"]),
            "From": m["source"],
        }
        for m in found
    ]
    out.table(rows)


@ai.command(short_help="Make a model answer with a response.")
@click.argument("model")
@click.argument("response", required=False)
@click.option("--match", "match", metavar="JSON", help="Only for inputs with these keys/values.")
@click.option("--error", metavar="MESSAGE", help="Fail the call with this error instead.")
@click.option("--times", type=click.IntRange(1), help="Answer only this many calls.")
@client_command
def mock(
    model: str,
    response: str | None,
    match: str | None,
    error: str | None,
    times: int | None,
    client: Client,
    out: Output,
) -> None:
    """Make env.AI.run(MODEL, ...) answer RESPONSE (JSON, e.g. '{"response": "Hi"}')."""
    body: dict[str, Any] = {"model": model}
    if response is not None:
        body["response"] = parse_json_option(response, "RESPONSE")
    if match is not None:
        body["match"] = parse_json_option(match, "--match")
    if error is not None:
        body["error"] = error
    if times is not None:
        body["times"] = times
    made = client.control("POST", "/ai/mocks", body)
    out.result(made)
    out.line(f"Mocked {model}" + (f" for inputs {match}" if match else ""))


@ai.command()
@client_command
def clear(client: Client, out: Output) -> None:
    """Forget the registered mocks and the call log (.wf/ai.json stays)."""
    out.result(client.control("DELETE", "/ai/mocks"))
    out.line("Cleared the Workers AI mocks and calls.")
