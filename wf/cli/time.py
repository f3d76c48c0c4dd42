"""`wf time ...`: read and steer the virtual clock of a running `wf dev`."""

from __future__ import annotations

from typing import Any

import click

from wf.cli import labels
from wf.cli.client import Client
from wf.cli.complete import instance_ids, workflow_names
from wf.cli.errors import CliError
from wf.cli.options import client_command
from wf.cli.output import Output

MODES = ("real", "scale", "manual", "auto")


@click.group("time", short_help="Read and steer virtual time.")
def time_group() -> None:
    """Read and steer virtual time: advance it, skip to the next timer, change its pace."""


def clock_state(raw: dict[str, Any]) -> dict[str, Any]:
    """The server's clock with ISO times under ``now``/``next_timer`` and ms under ``*_ms``.

    Tolerates servers that report epoch milliseconds under the plain names.
    """
    state = dict(raw)
    for key in ("now", "next_timer"):
        value = raw.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            state[key] = raw.get(f"{key}_iso") or labels.iso_from_ms(value)
            state.setdefault(f"{key}_ms", value)
        state.pop(f"{key}_iso", None)
    return state


def _show(out: Output, state: dict[str, Any]) -> None:
    """The clock state for people: now, mode, and the next timer."""
    mode = state.get("mode", "")
    if mode == "scale":
        mode = f"scale (x{_number(state.get('scale'))})"
    fields = {"Now": labels.when(state.get("now")), "Mode": str(mode)}
    next_timer = state.get("next_timer")
    fields["Next timer"] = labels.when(next_timer) if next_timer else "none"
    if "pending_timers" in state:
        fields["Pending timers"] = str(state["pending_timers"])
    out.fields(fields)


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, int | float) else str(value)


def _where(entry: dict[str, Any]) -> str:
    """The instance (or workflow) a timer belongs to, as `wf instances describe` names it."""
    workflow, instance = entry.get("workflow"), entry.get("instance")
    if workflow and instance:
        return f"{workflow} {instance}"
    return str(workflow or "-")


def _timer_rows(entries: list[dict[str, Any]], now: str | None) -> list[dict[str, str]]:
    return [
        {
            "Due": labels.when(entry.get("due")),
            "In": labels.distance(now, entry.get("due")) or "now",
            "Kind": str(entry.get("kind", "")),
            "Instance": _where(entry),
            "Step": str(entry.get("step") or ""),
        }
        for entry in entries
    ]


def _fired(out: Output, fired: list[dict[str, Any]]) -> None:
    """One line per timer fired: its kind and the instance it woke."""
    if not fired:
        out.line("No timer fired")
        return
    out.line(f"Fired {len(fired)} timer{'' if len(fired) == 1 else 's'}:")
    for entry in fired[:LISTED]:
        step = f" ({entry['step']})" if entry.get("step") else ""
        out.line(f"  {entry.get('kind')}: {_where(entry)}{step} at {labels.when(entry.get('due'))}")
    if len(fired) > LISTED:
        out.line(f"  ... and {len(fired) - LISTED} more (--json lists them all)")


LISTED = 20  # fired timers named one by one; the rest are counted


@time_group.command()
@click.option(
    "--limit", type=click.IntRange(1, 1000), default=20, show_default=True, help="Timers listed."
)
@client_command
def status(limit: int, client: Client, out: Output) -> None:
    """Show virtual now, the time mode and the pending timers in due order.

    Each timer says its kind (sleep, retry delay, event timeout, step timeout, cron...) and
    the instance it wakes; the next removals by retention follow.
    """
    raw = client.control("GET", f"/time/timers?limit={limit}")
    state = clock_state(raw)
    out.result(state)
    _show(out, state)
    timers = raw.get("timers", [])
    if timers:
        out.line()
        out.table(
            _timer_rows(timers, state.get("now")),
            title=f"Pending timers ({raw.get('total', len(timers))})",
            whole=("Instance",),
        )
        if raw.get("total", 0) > len(timers):
            more = raw["total"] - len(timers)
            out.line(f"... and {more} more: wf time status --limit {min(1000, raw['total'])}")
    retention = raw.get("retention", [])
    if retention:
        out.line()
        out.table(
            _timer_rows(retention, state.get("now")),
            columns=("Due", "In", "Kind", "Instance"),
            title="Next removals by retention",
            whole=("Instance",),
        )


@time_group.command(short_help="Move virtual time forward by a duration.")
@click.argument("duration", required=False)
@click.option("--to", "target", metavar="TIMESTAMP", help="Advance to an ISO-8601 time instead.")
@client_command
def advance(duration: str | None, target: str | None, client: Client, out: Output) -> None:
    """Move virtual time forward by DURATION ("7 days", "1 hour, 30 minutes", or 7d, 90m).

    Every timer passed fires in order; the command returns once the instances settled.
    """
    if (duration is None) == (target is None):
        raise CliError('Give a DURATION such as "7 days", or --to TIMESTAMP (not both)')
    before = clock_state(client.control("GET", "/time"))
    body = {"by": duration} if duration is not None else {"to": target}
    state = clock_state(client.control("POST", "/time/advance", body))
    out.result(state)
    moved = f"by {duration}" if duration is not None else f"to {target}"
    out.line(
        f"⏩ Advanced virtual time {moved}: {labels.when(before.get('now'))} → "
        f"{labels.when(state.get('now'))}"
    )
    _fired(out, state.get("fired", []))
    _show(out, state)


@time_group.command(short_help="Jump to the next timer, or fire one instance's.")
@click.argument("name", required=False, shell_complete=workflow_names)
@click.argument("instance_id", metavar="[ID]", required=False, shell_complete=instance_ids)
@client_command
def skip(name: str | None, instance_id: str | None, client: Client, out: Output) -> None:
    """Jump to the next pending timer; or, given NAME ID, fire that instance's timer now.

    An instance's timer is its pending sleep, retry delay or event timeout.
    """
    if name is not None and instance_id is None:
        raise CliError("Give both NAME and ID to fire one instance's timer, or neither")
    if name is None:
        state = clock_state(client.control("POST", "/time/skip", {}))
        out.result(state)
        if not state.get("skipped", True):
            out.line("⏭️ No pending timers: virtual time did not move")
        else:
            out.line(f"⏭️ Skipped to the next timer: {labels.when(state.get('now'))}")
            _fired(out, state.get("fired", []))
        _show(out, state)
        return
    from wf.cli.instances import resolve_id

    assert instance_id is not None
    resolved = resolve_id(client, name, instance_id)
    state = clock_state(
        client.control("POST", "/time/skip", {"workflow": name, "instance": resolved})
    )
    if state.get("fired") is False:
        raise CliError(
            f'The instance "{resolved}" from {name} has no pending sleep, retry delay '
            "or event timeout"
        )
    out.result(state)
    kinds = [entry.get("kind") for entry in state.get("timers_fired", [])]
    what = kinds[0] if kinds else "timer"
    out.line(f'⏭️ Fired the pending {what} of instance "{resolved}" from {name}')


@time_group.command(short_help="Bring virtual time back to the wall clock.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@client_command
def reset(yes: bool, client: Client, out: Output) -> None:
    """Bring virtual time back to the wall clock (the mode stays as it is).

    Time never runs back past a time already stored: with instances, steps or events stored
    later than the wall clock, it stops at the latest of them (`wf dev --fresh` empties the
    state). Timers keep their due times.
    """
    before = clock_state(client.control("GET", "/time"))
    if not yes:
        _confirm(f"Reset virtual time from {labels.when(before.get('now'))} to the wall clock?")
    state = clock_state(client.control("POST", "/time/reset", {}))
    out.result(state)
    out.line(
        f"⏪ Reset virtual time: {labels.when(state.get('from'))} → {labels.when(state.get('now'))}"
    )
    if state.get("held_by_state"):
        out.line(
            f"Held at {labels.when(state.get('latest_stored'))}, the latest time stored by an "
            "instance, step or event (not before it); `wf dev --fresh` empties the state"
        )
    _show(out, state)


def _confirm(question: str) -> None:
    """Ask on a terminal; without one, ask for --yes instead of guessing."""
    import sys

    if not sys.stdin.isatty():
        raise CliError(f"{question} Give --yes to confirm (stdin is not a terminal)")
    if not click.confirm(question, default=False):
        raise CliError("Nothing changed")


@time_group.command(short_help="Run virtual time FACTOR times faster.")
@click.argument("factor", type=click.FloatRange(min=0, min_open=True))
@client_command
def scale(factor: float, client: Client, out: Output) -> None:
    """Run virtual time FACTOR times faster than the wall clock (mode "scale")."""
    state = clock_state(client.control("POST", "/time", {"mode": "scale", "scale": factor}))
    out.result(state)
    out.line(f"⏱️ Virtual time now runs at x{factor:g}")
    _show(out, state)


@time_group.command(short_help="Set the time mode: real, scale, manual or auto.")
@click.argument("mode", type=click.Choice(MODES))
@client_command
def mode(mode: str, client: Client, out: Output) -> None:
    """Set the time mode: real, scale, manual (moves only when told) or auto (skips idle time)."""
    state = clock_state(client.control("POST", "/time", {"mode": mode}))
    out.result(state)
    out.line(f"⏱️ Time mode is now {mode}")
    _show(out, state)
