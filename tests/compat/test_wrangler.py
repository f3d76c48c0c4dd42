"""The real `wrangler workflows ... --local` drives `wf dev`, for 4.86.0 and the current release.

wrangler is found as tests/compat/conftest.py says (``WRANGLER_BIN``, ``WF_WRANGLER_DIR``,
``WF_WRANGLER_CURRENT_DIR``, else npm), and each wrangler's tests are skipped, with the reason,
when it is absent. Every change wrangler reports is checked through `wf instances describe
--json`, so a success line alone never passes.
"""

from __future__ import annotations

import re
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.conftest import REVIEW, start_dev
from tests.cli.devserver import DevServer
from tests.cli.waiting import wait_status
from tests.compat.conftest import WranglerInstall

WF = "review"


class Wrangler:
    """Runs `wrangler workflows ... --local --port P` from a directory without any config."""

    def __init__(self, install: WranglerInstall, home: Path, port: int) -> None:
        self.executable = install.executable
        self.cwd = home / "cwd"
        self.cwd.mkdir()
        self.port = port
        self.env = install.env(home)

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.executable), "workflows", *args, "--local", "--port", str(self.port)]
        return subprocess.run(
            command,
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=120,
        )

    def ok(self, *args: str) -> str:
        """Run a command that must succeed; its stdout."""
        result = self.run(*args)
        assert result.returncode == 0, (
            f"wrangler workflows {' '.join(args)} failed ({result.returncode}):\n"
            f"{result.stdout}\n{result.stderr}"
        )
        return result.stdout


@pytest.fixture(scope="module")
def dev(
    wrangler_install: WranglerInstall, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DevServer]:
    """A fresh `wf dev` per wrangler, so instance ids and "latest" never cross between them."""
    with start_dev(REVIEW, tmp_path_factory.mktemp("compat")) as server:
        yield server


@pytest.fixture(scope="module")
def wrangler(
    wrangler_install: WranglerInstall, dev: DevServer, tmp_path_factory: pytest.TempPathFactory
) -> Wrangler:
    return Wrangler(wrangler_install, tmp_path_factory.mktemp("wrangler-home"), dev.port)


def test_the_wrangler_is_the_version_named(
    wrangler: Wrangler, wrangler_install: WranglerInstall
) -> None:
    result = subprocess.run(
        [str(wrangler.executable), "--version"],
        env=wrangler.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert wrangler_install.version in result.stdout, result.stdout


def test_workflows_list_and_describe(wrangler: Wrangler) -> None:
    out = wrangler.ok("list")
    assert "Showing 2 workflows from local dev session:" in out
    assert re.search(r"│ review\s+│ review\s+│ Review\s+│", out), out

    out = wrangler.ok("describe", WF)
    assert re.search(r"^Class Name: +Review$", out, re.M), out
    assert "Instance Status Counts:" in out and "waitingForPause:" in out


def test_trigger(wrangler: Wrangler, dev: DevServer) -> None:
    out = wrangler.ok("trigger", WF, '{"title": "Compat"}', "--id", "c1")
    assert '🚀 Workflow instance "c1" has been triggered successfully' in out
    details = wait_status(dev, WF, "c1", "waiting")
    assert details["params"] == {"title": "Compat"}

    out = wrangler.ok("trigger", WF)
    match = re.search(r'🚀 Workflow instance "([^"]+)" has been triggered successfully', out)
    assert match, out
    uuid.UUID(match.group(1))
    assert dev.describe(WF, match.group(1))["id"] == match.group(1)


def test_instances_list_and_describe(wrangler: Wrangler, dev: DevServer) -> None:
    dev.ok("trigger", WF, '{"title": "Listed"}', "--id", "c2")
    wait_status(dev, WF, "c2", "waiting")

    out = wrangler.ok("instances", "list", WF)
    assert re.search(r"Showing \d+ instances? from page 1:", out), out
    assert "c2" in out and "⏰ Waiting" in out
    out = wrangler.ok("instances", "list", WF, "--status", "complete")
    assert "c2" not in out

    out = wrangler.ok("instances", "describe", WF, "c2")
    for text in ("Instance Id:", "c2", "⏰ Waiting", "🎯 Step", "draft-1", "👀 Waiting for event"):
        assert text in out, f"{text!r} missing from:\n{out}"
    assert '{"title":"Listed"}' in out


def test_send_event(wrangler: Wrangler, dev: DevServer) -> None:
    dev.ok("trigger", WF, '{"title": "Evented"}', "--id", "c3")
    wait_status(dev, WF, "c3", "waiting")
    out = wrangler.ok(
        "instances", "send-event", WF, "c3", "--type", "review", "--payload", '{"approved":true}'
    )
    assert (
        '📤 The event with type "review" and payload "{"approved":true}" was sent '
        'to the instance "c3" from review'
    ) in out
    details = wait_status(dev, WF, "c3", "complete")
    assert details["output"] == {"published": True, "title": "Evented"}


def test_pause_resume_terminate_restart(wrangler: Wrangler, dev: DevServer) -> None:
    dev.ok("trigger", WF, '{"title": "Steered"}', "--id", "c4")
    wait_status(dev, WF, "c4", "waiting")

    out = wrangler.ok("instances", "pause", WF, "latest")  # c4 is the newest instance
    assert 'Latest instance is "c4"' in out
    assert '⏸️ The instance "c4" from review was paused successfully' in out
    assert dev.status(WF, "c4") == "paused"

    out = wrangler.ok("instances", "resume", WF, "c4")
    assert '🔄 The instance "c4" from review was resumed successfully' in out
    wait_status(dev, WF, "c4", "waiting")

    out = wrangler.ok("instances", "terminate", WF, "c4")
    assert '🥷 The instance "c4" from review was terminated successfully' in out
    assert dev.status(WF, "c4") == "terminated"

    out = wrangler.ok("instances", "restart", WF, "c4")
    assert '🥷 The instance "c4" from review was restarted successfully' in out
    details = wait_status(dev, WF, "c4", "waiting")
    assert [s["type"] for s in details["steps"]] == ["step", "waitForEvent"]


def test_errors_reach_wrangler_as_local_api_errors(wrangler: Wrangler) -> None:
    result = wrangler.run("instances", "describe", WF, "missing")
    assert result.returncode != 0
    assert "Local API error: Workflow instance 'missing' not found." in (
        result.stdout + result.stderr
    )
