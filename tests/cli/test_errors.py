"""Client errors: one line on stderr, nothing on stdout, a non-zero exit status."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.cli.devserver import DevServer, free_port, run_wf, wf_command


@pytest.mark.parametrize(
    "args",
    [
        ("trigger", "onboarding"),
        ("instances", "list", "onboarding"),
        ("instances", "describe", "onboarding", "latest", "--json"),
        ("time", "status"),
        ("workflows", "list"),
    ],
)
def test_server_not_running(args: tuple[str, ...]) -> None:
    port = free_port()
    result = run_wf(*args, port=port)
    assert result.returncode != 0
    if "--json" in args:  # the error as a JSON document on stdout, for the script reading it
        assert json.loads(result.stdout)["errors"][0]["message"].startswith("Could not connect")
    else:
        assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert f"Could not connect to wf dev at http://127.0.0.1:{port}" in result.stderr


def test_wf_port_env_picks_the_server(quickstart: DevServer) -> None:
    env = {**os.environ, "WF_PORT": str(quickstart.port)}
    result = subprocess.run(
        [*wf_command(), "workflows", "list", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert '"onboarding"' in result.stdout


def test_unknown_instance(quickstart: DevServer) -> None:
    for args in (
        ("instances", "describe", "onboarding", "missing"),
        ("instances", "pause", "onboarding", "missing"),
        ("send-event", "onboarding", "missing", "--type", "x"),
    ):
        result = quickstart.wf(*args)
        assert result.returncode == 1, args
        assert result.stdout == ""
        assert result.stderr.count("\n") == 1
        assert "missing" in result.stderr and "not found" in result.stderr


def test_bad_params_json(quickstart: DevServer) -> None:
    result = quickstart.wf("trigger", "onboarding", "{name: Ada}")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith(
        'Error: Error while parsing instance parameters: "{name: Ada}" with '
    )
    assert result.stderr.count("\n") == 1


def test_duplicate_id_is_refused(quickstart: DevServer) -> None:
    quickstart.ok("trigger", "onboarding", '{"name": "A"}', "--id", "twice")
    again = quickstart.wf("trigger", "onboarding", '{"name": "A"}', "--id", "twice")
    assert again.returncode == 1 and again.stderr.count("\n") == 1
