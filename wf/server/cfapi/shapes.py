"""The JSON shapes of Cloudflare's v4 Workflows API, from the config and the store's rows.

Field names are those of the official SDK's response types (``WorkflowGetResponse``,
``InstanceListResponse``, ``VersionGetResponse``...). Ids production gives a workflow (a
UUID) are derived from its name, so they stay the same across restarts.
"""

from __future__ import annotations

import uuid
from typing import Any

from wf.config import WorkflowConfig
from wf.cron import CronError, parse_cron
from wf.durations import to_iso
from wf.store import InstanceRow

_IDS = uuid.UUID("6f1c7d8e-2a41-4c55-9a3e-8b0d1f2e3c4a")  # the namespace of wf's derived ids
COUNTED = ("queued", "running", "paused", "errored", "terminated", "complete", "waiting")


def workflow_id(name: str) -> str:
    """The workflow's id: stable for a name, as production's is for a workflow."""
    return str(uuid.uuid5(_IDS, f"workflow:{name}"))


def instance_counts(counts: dict[str, int]) -> dict[str, int]:
    """Instances per status, every status present (production lists zeros too)."""
    shaped = dict.fromkeys(COUNTED, 0) | {"waitingForPause": 0}
    shaped.update({str(status): n for status, n in counts.items()})
    return shaped


def workflow_json(
    config: WorkflowConfig,
    script: str,
    *,
    created: float,
    modified: float,
    triggered: float | None,
    counts: dict[str, int],
    now: float,
) -> dict[str, Any]:
    """A workflow as ``GET /workflows`` and ``GET /workflows/{name}`` return it."""
    body: dict[str, Any] = {
        "id": workflow_id(config.name),
        "name": config.name,
        "class_name": config.class_name,
        "script_name": config.script_name or script,
        "created_on": to_iso(created),
        "modified_on": to_iso(modified),
        "triggered_on": to_iso(triggered),
        "instances": instance_counts(counts),
    }
    if config.schedules:
        body["schedules"] = [_schedule(cron, now) for cron in config.schedules]
    return body


def _schedule(expression: str, now: float) -> dict[str, Any]:
    try:
        following = to_iso(parse_cron(expression).next_after(now))
    except CronError:  # the config loader rejects these; never fail a listing over one
        following = None
    return {"cron": expression, "next_instance": following}


def created_json(row: InstanceRow) -> dict[str, Any]:
    """An instance as create and batch create return it."""
    return {
        "id": row.id,
        "status": str(row.status),
        "version_id": row.version,
        "workflow_id": workflow_id(row.workflow),
        "trigger_source": row.trigger,
    }


def listed_json(row: InstanceRow) -> dict[str, Any]:
    """An instance in ``GET .../instances``."""
    return {
        "id": row.id,
        "status": str(row.status),
        "created_on": to_iso(row.created),
        "modified_on": to_iso(row.modified),
        "started_on": to_iso(row.started),
        "ended_on": to_iso(row.ended),
        "version_id": row.version,
        "workflow_id": workflow_id(row.workflow),
        "trigger_source": row.trigger,
    }


def version_json(
    config: WorkflowConfig, version: str, *, created: float, modified: float
) -> dict[str, Any]:
    """A version of the workflow's code (one per load or reload of the code in wf)."""
    body: dict[str, Any] = {
        "id": version,
        "workflow_id": workflow_id(config.name),
        "class_name": config.class_name,
        "created_on": to_iso(created),
        "modified_on": to_iso(modified),
        "has_dag": False,
        "language": "python",
        "limits": {"steps": config.step_limit},
    }
    retention = config.default_retention
    if retention is not None:
        body["default_retention"] = {
            "success_retention": retention.success,
            "error_retention": retention.error,
        }
    return body
