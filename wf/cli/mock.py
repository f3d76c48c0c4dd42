"""`wf mock ...`: step and event mocks, and waiters, on a running `wf dev` (for CI).

The commands call the testing harness's routes under /cdn-cgi/wf (wf/testing/http.py).
A STEP is a step name, optionally with its occurrence: ``charge`` or ``charge#2`` (the second
``step.do("charge")`` of a run; the default is the first). Names that end in ``#<digits>``
themselves need ``--spec``.
"""

from __future__ import annotations

import json
from typing import Any

import click

from wf.cli.client import Client, quote
from wf.cli.complete import workflow_names
from wf.cli.errors import CliError
from wf.cli.options import client_command, parse_json_option
from wf.cli.output import Output

MAX_WAIT_S = 55.0  # below the client's own 60 s limit on one request


def parse_step(text: str) -> dict[str, Any]:
    """``name`` or ``name#N`` -> ``{"name", "index"}``."""
    name, sep, index = text.rpartition("#")
    if sep and name and index.isdigit() and int(index) >= 1:
        return {"name": name, "index": int(index)}
    if not text:
        raise CliError("A step name must not be empty")
    return {"name": text, "index": 1}


def _step_label(step: dict[str, Any]) -> str:
    index = step.get("index")
    return f"{step['name']}#{'*' if index is None else index}"


def _path(workflow: str, instance: str | None) -> str:
    base = f"/workflows/{quote(workflow)}"
    return base + (f"/instances/{quote(instance)}" if instance else "") + "/modifiers"


def _target(workflow: str, instance: str | None) -> str:
    return f"{workflow}/{instance}" if instance else f"every new instance of {workflow}"


def _show(out: Output, workflow: str, instance: str | None, spec: dict[str, Any]) -> None:
    """The modifiers in force, one line each, for people."""
    lines: list[str] = []
    for key, label in (("disable_sleeps", "sleeps"), ("disable_retry_delays", "retry delays")):
        value = spec.get(key)
        if value is True:
            lines.append(f"{label} disabled: all")
        elif value:
            lines.append(f"{label} disabled: {', '.join(_step_label(s) for s in value)}")
    for entry in spec.get("mock_step_result", []):
        lines.append(f"result of {_step_label(entry['step'])}: {json.dumps(entry['value'])}")
    for entry in spec.get("mock_step_error", []):
        times = "every attempt" if entry.get("times") is None else f"{entry['times']} attempts"
        error = entry.get("error") or {}
        lines.append(
            f"error in {_step_label(entry['step'])} ({times}, used {entry.get('used', 0)}): "
            f"{error.get('name', 'Error')}: {error.get('message', '')}"
        )
    for entry in spec.get("force_step_timeout", []):
        times = "every attempt" if entry.get("times") is None else f"{entry['times']} attempts"
        lines.append(f"timeout of {_step_label(entry['step'])} ({times})")
    for entry in spec.get("mock_event", []):
        lines.append(f"event {entry['type']}: {json.dumps(entry.get('payload'))}")
    for step in spec.get("force_event_timeout", []):
        lines.append(f"event wait {_step_label(step)} times out at once")
    out.line(f"Modifiers of {_target(workflow, instance)}:" if lines else "No modifiers.")
    for line in lines:
        out.line(f"  {line}")


@click.group("mock")
def mock() -> None:
    """Mock steps and events, and wait for results, on a running `wf dev` (for CI)."""


@mock.command("add")
@click.argument("workflow", shell_complete=workflow_names)
@click.argument("instance", required=False)
@click.option("--disable-sleeps", is_flag=True, help="Every sleep ends at once.")
@click.option(
    "--disable-sleep", "sleeps", multiple=True, metavar="STEP", help="This sleep ends at once."
)
@click.option("--disable-retry-delays", is_flag=True, help="Every retry starts at once.")
@click.option(
    "--disable-retry-delay",
    "retry_delays",
    multiple=True,
    metavar="STEP",
    help="Retries of this step start at once.",
)
@click.option(
    "--result",
    "results",
    multiple=True,
    nargs=2,
    metavar="STEP JSON",
    help="The step returns JSON without running.",
)
@click.option(
    "--error",
    "errors",
    multiple=True,
    nargs=2,
    metavar="STEP MESSAGE",
    help="Attempts of the step fail with MESSAGE ('Name: message' sets the error name).",
)
@click.option(
    "--timeout-step",
    "timeouts",
    multiple=True,
    metavar="STEP",
    help="Attempts of the step time out at once.",
)
@click.option(
    "--times",
    type=click.IntRange(min=1),
    default=None,
    help="Only this many attempts fail (for --error and --timeout-step); default every one.",
)
@click.option(
    "--event",
    "events",
    multiple=True,
    nargs=2,
    metavar="TYPE JSON",
    help="Deliver an event with this payload (now, or when the instance is created).",
)
@click.option(
    "--event-timeout",
    "event_timeouts",
    multiple=True,
    metavar="STEP",
    help="This wait_for_event step times out at once.",
)
@click.option("--spec", metavar="JSON|@FILE", help="A full modifier spec (see the docs).")
@client_command
def add(
    workflow: str,
    instance: str | None,
    disable_sleeps: bool,
    sleeps: tuple[str, ...],
    disable_retry_delays: bool,
    retry_delays: tuple[str, ...],
    results: tuple[tuple[str, str], ...],
    errors: tuple[tuple[str, str], ...],
    timeouts: tuple[str, ...],
    times: int | None,
    events: tuple[tuple[str, str], ...],
    event_timeouts: tuple[str, ...],
    spec: str | None,
    client: Client,
    out: Output,
) -> None:
    """Add modifiers to INSTANCE of WORKFLOW (which need not exist yet), or without INSTANCE
    to every instance of WORKFLOW created from now on.

    \b
    Examples:
      wf mock add onboarding ada --disable-sleeps
      wf mock add payments p1 --error charge "card declined" --times 2 --disable-retry-delays
      wf mock add approval --event decision '{"approved": true}'
    """
    body: dict[str, Any] = _spec(spec) if spec else {}
    if disable_sleeps or sleeps:
        body["disable_sleeps"] = True if disable_sleeps else [parse_step(s) for s in sleeps]
    if disable_retry_delays or retry_delays:
        body["disable_retry_delays"] = (
            True if disable_retry_delays else [parse_step(s) for s in retry_delays]
        )
    if results:
        body["mock_step_result"] = [
            {"step": parse_step(s), "value": parse_json_option(v, "--result")} for s, v in results
        ]
    if errors:
        body["mock_step_error"] = [
            {"step": parse_step(s), "error": _error(m), "times": times} for s, m in errors
        ]
    if timeouts:
        body["force_step_timeout"] = [{"step": parse_step(s), "times": times} for s in timeouts]
    if events:
        body["mock_event"] = [
            {"type": t, "payload": parse_json_option(p, "--event")} for t, p in events
        ]
    if event_timeouts:
        body["force_event_timeout"] = [parse_step(s) for s in event_timeouts]
    if not body:
        raise CliError("Nothing to add: give at least one modifier option (see --help)")
    result = client.control("POST", _path(workflow, instance), body)
    out.result(result)
    _show(out, workflow, instance, result)


def _error(message: str) -> dict[str, str]:
    name, sep, rest = message.partition(": ")
    if sep and name.isidentifier():
        return {"name": name, "message": rest}
    return {"name": "Error", "message": message}


def _spec(text: str) -> dict[str, Any]:
    if text.startswith("@"):
        try:
            with open(text[1:], encoding="utf-8") as handle:
                text = handle.read()
        except OSError as exc:
            raise CliError(f"Cannot read {text[1:]}: {exc.strerror}") from None
    value = parse_json_option(text, "--spec")
    if not isinstance(value, dict):
        raise CliError("--spec must be a JSON object")
    return value


@mock.command("show")
@click.argument("workflow", shell_complete=workflow_names)
@click.argument("instance", required=False)
@client_command
def show(workflow: str, instance: str | None, client: Client, out: Output) -> None:
    """Show the modifiers in force for INSTANCE of WORKFLOW (or for its new instances)."""
    result = client.control("GET", _path(workflow, instance))
    out.result(result)
    _show(out, workflow, instance, result)


@mock.command("clear")
@click.argument("workflow", shell_complete=workflow_names)
@click.argument("instance", required=False)
@client_command
def clear(workflow: str, instance: str | None, client: Client, out: Output) -> None:
    """Remove every modifier of INSTANCE of WORKFLOW (or of its new instances)."""
    result = client.control("DELETE", _path(workflow, instance))
    out.result(result)
    out.line(f"Cleared the modifiers of {_target(workflow, instance)}.")


@mock.command("wait")
@click.argument("workflow", shell_complete=workflow_names)
@click.argument("instance")
@click.option("--status", help="Wait until the instance has this status (complete, waiting...).")
@click.option("--step", metavar="STEP", help="Wait for this step.do's result and print it.")
@click.option(
    "--timeout",
    type=click.FloatRange(0, MAX_WAIT_S),
    default=30.0,
    show_default=True,
    help="Seconds to wait at most.",
)
@click.option(
    "--stall-after",
    type=click.FloatRange(0, MAX_WAIT_S),
    default=None,
    help="In manual time, give up after this many seconds in which the instance stays "
    "parked and the clock stands still.",
)
@client_command
def wait(
    workflow: str,
    instance: str,
    status: str | None,
    step: str | None,
    timeout: float,
    stall_after: float | None,
    client: Client,
    out: Output,
) -> None:
    """Wait until INSTANCE reaches a status or a step of it completes.

    Fails (exit 1) when the instance ends otherwise, say errored while waiting for complete.
    """
    if (status is None) == (step is None):
        raise CliError("Give --status STATUS or --step STEP (one of them)")
    body: dict[str, Any] = {"timeout": timeout}
    if stall_after is not None:
        body["stall_after"] = stall_after
    if status is not None:
        body["status"] = status
    else:
        body["step"] = parse_step(step or "")
    path = f"/workflows/{quote(workflow)}/instances/{quote(instance)}/wait"
    result = client.control("POST", path, body)
    out.result(result)
    if status is not None:
        out.line(f"{workflow}/{instance} is {result.get('status', status)}.")
    else:
        out.line(json.dumps(result.get("value"), indent=2, ensure_ascii=False))
