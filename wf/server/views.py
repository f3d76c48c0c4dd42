"""Cloudflare's REST shapes of instances and steps (the local explorer API, the dashboard).

Pure functions of the store's rows: the engine hands rows over, the server shapes them.
"""

from __future__ import annotations

import json
from typing import Any

from wf import serialization
from wf.durations import to_iso
from wf.store import InstanceRow, StepRow
from wf.vocabulary import InstanceStatus, StepKind, StepState

__all__ = ["instance_details", "step_json"]


def instance_details(
    row: InstanceRow, steps: list[StepRow] | None, *, order: str = "asc"
) -> dict[str, Any]:
    """The instance with its step history (None: the simple form, without steps)."""
    shaped = [] if steps is None else [step_json(s) for s in steps]
    if row.status == InstanceStatus.TERMINATED and steps is not None:
        shaped.append({"type": "termination", "trigger": {"source": "api"}})
    if order == "desc":
        shaped.reverse()
    success = {"complete": True, "errored": False, "terminated": False}.get(row.status)
    return {
        "id": row.id,
        "workflow": row.workflow,
        "status": str(row.status),  # a plain str, as JSON reads it back
        "params": serialization.to_plain(row.params),
        "trigger": {"source": row.trigger},
        "versionId": row.version,
        "queued": to_iso(row.created),
        "start": to_iso(row.started),
        "end": to_iso(row.ended),
        "success": success,
        "error": json.loads(row.error) if row.error else None,
        "output": serialization.to_plain(row.output),
        "wake_at": to_iso(row.wake_at),
        "warnings": json.loads(row.warnings) if row.warnings else [],
        "step_count": len(shaped),
        "steps": shaped,
    }


def step_json(step: StepRow) -> dict[str, Any]:
    """One history entry as Cloudflare's instance details list it."""
    name = f"{step.name}-{step.count}"
    if step.kind == StepKind.SLEEP:
        return {
            "type": "sleep",
            "name": name,
            "start": to_iso(step.started),
            # null until the sleep ends, as wrangler's describe expects (it reads a set end as done)
            "end": to_iso(step.due) if step.state == StepState.COMPLETE else None,
            "finished": step.state == StepState.COMPLETE,
        }
    if step.kind == StepKind.WAIT_FOR_EVENT:
        config = json.loads(step.config or "{}")
        return {
            "type": "waitForEvent",
            "name": name,
            "event_type": config.get("type"),
            "start": to_iso(step.started),
            "end": to_iso(step.ended),
            "finished": step.state in (StepState.COMPLETE, StepState.ERRORED),
            "error": json.loads(step.error) if step.error else None,
            "output": serialization.to_plain(step.output),
        }
    config = json.loads(step.config or "{}")
    sensitive = config.get("sensitive") == "output"
    return {
        "type": "step",
        "name": name,
        "start": to_iso(step.started),
        "end": to_iso(step.ended),
        "success": {"complete": True, "errored": False}.get(step.state),
        "output": "[REDACTED]"
        if sensitive and step.output
        else serialization.to_plain(step.output),
        "config": config,
        "retry_at": to_iso(step.due),
        "attempts": [
            {
                "start": to_iso(a.get("start")),
                "end": to_iso(a.get("end")),
                "success": a.get("success"),
                "error": a.get("error"),
                **({"retry_delay": a["retry_delay"]} if "retry_delay" in a else {}),
            }
            for a in step.attempts
        ],
    }
