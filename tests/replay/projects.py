"""Projects and histories the replay tests share: one workflow, and versions of its code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CONFIG = {
    "name": "shop",
    "main": "src/entry.py",
    "compatibility_date": "2026-08-14",
    "compatibility_flags": ["python_workers"],
    "workflows": [{"name": "orders", "binding": "ORDERS", "class_name": "Orders"}],
    "kv_namespaces": [{"binding": "KV", "id": "kv"}],
    "vars": {"SHOP": "corner"},
}

# The code that made the recorded histories: reserve, a day's cool-off, charge, approval.
# Every step's code appends its name to MARKS (a file), so a test sees which steps ran.
ORIGINAL = """
import os
from workers import WorkflowEntrypoint

MARKS = os.path.join(os.path.dirname(__file__), "..", "ran.txt")


def mark(name):
    with open(MARKS, "a") as f:
        f.write(name + "\\n")


class Orders(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("reserve")
        async def reserve():
            mark("reserve")
            return {"item": event["payload"]["item"], "by": "code"}

        reserved = await reserve()
        await step.sleep("cool off", "1 day")

        @step.do("charge")
        async def charge():
            mark("charge")
            return {"charged": reserved["item"], "shop": self.env.SHOP}

        charged = await charge()
        approval = await step.wait_for_event("approve", "approval", timeout="1 hour")
        return {"reserved": reserved, "charged": charged, "approved": approval["payload"]}
"""


def variant(old: str, new: str) -> str:
    """The original code with one edit (the test says which)."""
    assert old in ORIGINAL, old
    return ORIGINAL.replace(old, new, 1)


def write_project(root: Path, source: str = ORIGINAL, config: dict[str, Any] | None = None) -> Path:
    """A project folder under ``root`` with ``source`` as its entry module."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "src").mkdir(exist_ok=True)
    (root / "src" / "entry.py").write_text(source, encoding="utf-8")
    (root / "wrangler.jsonc").write_text(json.dumps(config or CONFIG), encoding="utf-8")
    return root


def marks(root: Path) -> list[str]:
    """The steps whose code ran in the project, in order."""
    path = root / "ran.txt"
    return path.read_text(encoding="utf-8").split() if path.exists() else []


def _step(name: str, output: Any, start: str = "2026-08-01T10:00:01.000Z") -> dict[str, Any]:
    return {
        "type": "step",
        "name": name,
        "start": start,
        "end": start,
        "success": True,
        "output": output,
        "config": {"retries": {"limit": 5, "delay": 10000, "backoff": "exponential"}},
        "attempts": [{"start": start, "end": start, "success": True, "error": None}],
    }


def cloudflare_history(stage: str = "sleeping") -> dict[str, Any]:
    """An instance as Cloudflare's REST API documents it (InstanceStatusAndLogs), enveloped.

    ``sleeping``: reserved, in its cool-off; ``waiting``: charged, waiting for approval;
    ``complete``: approved and done. The recorded outputs say "recorded" where the code
    would say "code", so a test can tell a cached answer from a re-run.
    """
    steps: list[dict[str, Any]] = [_step("reserve-1", {"item": "book", "by": "recorded"})]
    status = "waiting"
    sleep = {
        "type": "sleep",
        "name": "cool off-1",
        "start": "2026-08-01T10:00:02.000Z",
        "end": "2026-08-02T10:00:02.000Z",
        "finished": stage != "sleeping",
    }
    steps.append(sleep)
    output = None
    if stage in ("waiting", "complete"):
        steps.append(
            _step("charge-1", {"charged": "book", "shop": "recorded"}, "2026-08-02T10:00:03.000Z")
        )
        steps.append(
            {
                "type": "waitForEvent",
                "name": "approve-1",
                "start": "2026-08-02T10:00:04.000Z",
                "end": None,
                "finished": False,
                "error": None,
                "output": None,
            }
        )
    if stage == "complete":
        steps[-1].update(
            end="2026-08-02T10:30:00.000Z",
            finished=True,
            output={
                "type": "approval",
                "payload": {"ok": True},
                "timestamp": "2026-08-02T10:30:00.000Z",
            },
        )
        status = "complete"
        output = {"done": True}
    result = {
        "status": status,
        "params": {"item": "book"},
        "trigger": {"source": "api"},
        "versionId": "5f0e4a4e-0000-4000-8000-000000000001",
        "queued": "2026-08-01T10:00:00.000Z",
        "start": "2026-08-01T10:00:00.500Z",
        "end": "2026-08-02T10:30:00.000Z" if stage == "complete" else None,
        "success": True if stage == "complete" else None,
        "error": None,
        "output": output,
        "steps": steps,
    }
    return {"success": True, "errors": [], "messages": [], "result": result}


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path
