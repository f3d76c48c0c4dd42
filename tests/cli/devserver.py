"""A real `wf dev` in a subprocess, and the `wf` CLI run against it (for CLI and compat tests)."""

from __future__ import annotations

import json
import subprocess
from typing import Any

from tests import devserver
from tests.devserver import free_port, run_wf, wf_command

__all__ = ["DevServer", "free_port", "run_wf", "wf_command"]


class DevServer(devserver.DevServer):
    """`wf dev PROJECT --port P ...`, driven through `wf` client commands."""

    start_timeout = 30.0

    def wf(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run a client command against this server."""
        return run_wf(*args, port=self.port)

    def ok(self, *args: str) -> str:
        """Run a client command that must succeed; its stdout."""
        result = self.wf(*args)
        assert result.returncode == 0, (
            f"wf {' '.join(args)} failed ({result.returncode}):\n{result.stdout}{result.stderr}"
        )
        return result.stdout

    def json(self, *args: str) -> Any:
        """Run a client command with --json; its parsed output."""
        return json.loads(self.ok(*args, "--json"))

    def describe(self, workflow: str, instance_id: str) -> dict[str, Any]:
        """`wf instances describe --json`."""
        return dict(self.json("instances", "describe", workflow, instance_id))

    def status(self, workflow: str, instance_id: str) -> str:
        """The instance's status, through `wf instances describe`."""
        return str(self.describe(workflow, instance_id)["status"])
