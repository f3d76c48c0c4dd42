"""Waiting for an instance to reach a status, through the CLI (the engine works in the background)."""

from __future__ import annotations

import time
from typing import Any

from tests.cli.devserver import DevServer


def wait_status(
    server: DevServer, workflow: str, instance_id: str, *statuses: str, timeout: float = 10
) -> dict[str, Any]:
    """Poll `wf instances describe --json` until the status is one of ``statuses``."""
    deadline = time.monotonic() + timeout
    while True:
        details = server.describe(workflow, instance_id)
        if details["status"] in statuses:
            return details
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{workflow}/{instance_id} stayed {details['status']!r}, wanted {statuses}"
            )
        time.sleep(0.05)
