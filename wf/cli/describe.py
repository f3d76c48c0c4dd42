"""The human rendering of `wf instances describe`: instance fields, a step table, attempts.

It reads Cloudflare's instance details JSON (spec 7.2) and shows what wrangler's
`instances describe` shows, with the steps gathered in one table.
"""

from __future__ import annotations

from typing import Any

from wf.cli import labels
from wf.cli.output import Output


def render_instance(
    out: Output,
    workflow: str,
    details: dict[str, Any],
    step_output: bool = True,
    limit: int = 5000,
) -> None:
    """Print the instance's fields, then its steps and the attempts of each step."""
    out.fields(_instance_fields(workflow, details, step_output, limit))
    _render_tracebacks(out, details)
    _render_logs(out, details.get("logs") or [])
    steps = details.get("steps") or []
    if not steps:
        out.line("Steps: none yet")
        return
    out.line("Steps:")
    out.table([_step_row(step, step_output, limit) for step in steps])
    for step in steps:
        attempts = step.get("attempts") or []
        if step.get("type") == "step" and _worth_showing(attempts):
            out.table(
                [_attempt_row(a) for a in attempts],
                title=f"Attempts of {step.get('name')}:",
            )


def _instance_fields(
    workflow: str, details: dict[str, Any], step_output: bool, limit: int
) -> dict[str, str]:
    fields = {"Workflow Name": workflow, "Instance Id": str(details.get("id", ""))}
    if details.get("versionId") is not None:
        fields["Version Id"] = str(details["versionId"])
    fields["Status"] = labels.status_label(details.get("status"))
    if details.get("trigger"):
        fields["Trigger"] = labels.trigger_label(details["trigger"].get("source"))
    if details.get("queued"):
        fields["Queued"] = labels.when(details["queued"])
    if details.get("success") is not None:
        fields["Success"] = labels.yes_no(bool(details["success"]))
    start, end = details.get("start"), details.get("end")
    if start:
        fields["Start"] = labels.when(start)
    if end:
        fields["End"] = labels.when(end)
    if start and end:
        fields["Duration"] = labels.distance(start, end)
    if details.get("wake_at") and details.get("status") == "waiting":
        fields["Wakes At"] = labels.when(details["wake_at"])
    last = _last_successful_step(details.get("steps") or [])
    if last:
        fields["Last Successful Step"] = last
    error = details.get("error")
    if error:
        fields["Error"] = f"{error.get('name')}: {error.get('message')}"
    if step_output and details.get("output") is not None:
        fields["Output"] = labels.truncate(labels.compact_json(details["output"]), limit)
    for warning in details.get("warnings") or []:
        fields.setdefault("Warnings", "")
        fields["Warnings"] += ("\n" if fields["Warnings"] else "") + str(warning)
    return fields


def _last_successful_step(steps: list[dict[str, Any]]) -> str | None:
    last = None
    for step in steps:
        if (step.get("type") == "step" and step.get("success")) or (
            step.get("type") == "sleep" and step.get("finished")
        ):
            last = step.get("name")
    return last


def _step_row(step: dict[str, Any], step_output: bool, limit: int) -> dict[str, str]:
    kind = step.get("type")
    if kind == "termination":
        source = (step.get("trigger") or {}).get("source", "")
        return {"Type": labels.step_type_label(kind), "Name": f"(by {source})"}
    start, end = step.get("start"), step.get("end")
    row = {
        "Name": str(step.get("name", "")),
        "Type": labels.step_type_label(kind),
        "Start": labels.when(start),
        "End": labels.when(end),
        "Duration": labels.distance(start, end),
        "Success": _step_state(step),
        "Attempts": str(len(step.get("attempts") or [])) if kind == "step" else "",
    }
    if step_output:
        output = step.get("output")
        if kind in ("step", "waitForEvent") and output is not None:
            row["Output"] = labels.truncate(labels.compact_json(output), limit)
        elif step.get("error"):
            error = step["error"]
            row["Output"] = f"{error.get('name')}: {error.get('message')}"
        else:
            row["Output"] = ""
    return row


def _step_state(step: dict[str, Any]) -> str:
    kind = step.get("type")
    if kind == "step":
        success = step.get("success")
        if success is None:
            retry_at = step.get("retry_at")
            return f"▶ Running (retries at {labels.when(retry_at)})" if retry_at else "▶ Running"
        return labels.yes_no(bool(success))
    if step.get("error"):
        return labels.yes_no(False)
    return "✅ Done" if step.get("finished") else "⏳ Pending"


def _worth_showing(attempts: list[dict[str, Any]]) -> bool:
    # One clean attempt says nothing the step row does not; retries and errors do.
    return len(attempts) > 1 or any(a.get("error") for a in attempts)


def _attempt_row(attempt: dict[str, Any]) -> dict[str, str]:
    success = attempt.get("success")
    state = "🔄 Working" if success is None else ("✅ Success" if success else "❌ Error")
    error = attempt.get("error")
    return {
        "Start": labels.when(attempt.get("start")),
        "End": labels.when(attempt.get("end")),
        "Duration": labels.distance(attempt.get("start"), attempt.get("end")),
        "State": state,
        "Error": f"{error.get('name')}: {error.get('message')}" if error else "",
    }


LOG_LINES = 10  # the last lines describe shows; `wf logs` shows them all


def _render_tracebacks(out: Output, details: dict[str, Any]) -> None:
    """The instance's traceback, then each failed step's (its latest failed attempt's)."""
    shown = []
    if details.get("traceback"):
        shown.append(("Traceback:", str(details["traceback"])))
    for step in details.get("steps") or []:
        if step.get("traceback"):
            shown.append((f"Traceback of {step.get('name')}:", str(step["traceback"])))
    for title, text in shown:
        out.line(title)
        for line in text.rstrip("\n").split("\n"):
            out.line("  " + line)


def _render_logs(out: Output, lines: list[dict[str, Any]]) -> None:
    if not lines:
        return
    from wf.cli.logs import format_line

    last = lines[-LOG_LINES:]
    more = (
        f" (last {len(last)} of {len(lines)}; wf logs shows them all)"
        if len(lines) > len(last)
        else ""
    )
    out.line(f"Logs{more}:")
    for line in last:
        out.line("  " + format_line(line))
