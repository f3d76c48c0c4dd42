"""The real `wrangler workflows ... --local` (4.86.0 from npm) drives `wf dev`.

wrangler is found through ``WRANGLER_BIN`` (the executable, or a directory holding it), then
``WF_WRANGLER_DIR`` (a directory with ``node_modules/.bin/wrangler``, as .ci/run installs it);
failing both, it is installed once into a temporary directory with npm. Only when there is no
wrangler and no npm is the module skipped. Every change wrangler reports is checked through
`wf instances describe --json`, so a success line alone never passes.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.conftest import REVIEW, start_dev
from tests.cli.devserver import DevServer
from tests.cli.waiting import wait_status

WRANGLER_VERSION = "4.86.0"
WF = "review"


def _wrangler_in(directory: Path) -> Path | None:
    for candidate in (
        directory / "wrangler",
        directory / "node_modules" / ".bin" / "wrangler",
        directory / "bin" / "wrangler",
    ):
        if candidate.is_file():
            return candidate
    return None


def _install(target: Path) -> Path:
    """npm-install wrangler into ``target`` (the registry is the only network it needs)."""
    npm = shutil.which("npm")
    assert npm is not None
    (target / "package.json").write_text('{"name": "wf-compat", "private": true}\n')
    result = subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", f"wrangler@{WRANGLER_VERSION}"],
        cwd=target,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0:
        pytest.fail(f"npm install wrangler@{WRANGLER_VERSION} failed:\n{result.stderr[-2000:]}")
    found = _wrangler_in(target)
    assert found is not None, "npm installed wrangler but node_modules/.bin/wrangler is missing"
    return found


@pytest.fixture(scope="session")
def wrangler_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = os.environ.get("WRANGLER_BIN")
    if given:
        path = Path(given)
        found = path if path.is_file() else _wrangler_in(path)
        if found is None:
            pytest.fail(f"WRANGLER_BIN={given} is neither wrangler nor a directory holding it")
        return found
    directory = os.environ.get("WF_WRANGLER_DIR")
    if directory:
        found = _wrangler_in(Path(directory))
        if found is not None:
            return found
    if shutil.which("npm") is None:
        pytest.skip(
            "wrangler compatibility: set WRANGLER_BIN or WF_WRANGLER_DIR to a wrangler "
            f"{WRANGLER_VERSION} install, or put npm on PATH to install it"
        )
    return _install(tmp_path_factory.mktemp("wrangler"))


class Wrangler:
    """Runs `wrangler workflows ... --local --port P` from a directory without any config."""

    def __init__(self, executable: Path, home: Path, port: int) -> None:
        self.executable = executable
        self.cwd = home / "cwd"
        self.cwd.mkdir()
        self.port = port
        self.env = {
            **os.environ,
            "WRANGLER_SEND_METRICS": "false",
            "WRANGLER_SEND_ERROR_REPORTS": "false",
            "WRANGLER_HIDE_BANNER": "true",  # no banner: no update check against the registry
            "WRANGLER_LOG_PATH": str(home / "logs"),
            "XDG_CONFIG_HOME": str(home / "config"),  # keep wrangler's files out of $HOME
            "CI": "1",
            "NO_COLOR": "1",
            "FORCE_COLOR": "0",
        }
        for secret in ("CLOUDFLARE_API_TOKEN", "CLOUDFLARE_API_KEY", "CLOUDFLARE_ACCOUNT_ID"):
            self.env.pop(secret, None)

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
def dev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    with start_dev(REVIEW, tmp_path_factory.mktemp("compat")) as server:
        yield server


@pytest.fixture(scope="module")
def wrangler(
    wrangler_bin: Path, dev: DevServer, tmp_path_factory: pytest.TempPathFactory
) -> Wrangler:
    return Wrangler(wrangler_bin, tmp_path_factory.mktemp("wrangler-home"), dev.port)


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
