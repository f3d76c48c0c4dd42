"""The pytest plugin, run the way a user runs it: pytest in a project folder of its own."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

from tests.conftest import write_project
from tests.testing.conftest import QUICKSTART

WORKFLOWS = """
from workers import WorkflowEntrypoint

seen = []


class MyWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do(config={"retries": {"limit": 0, "delay": 0}})
        async def boom():
            if event["payload"].get("fail"):
                raise ValueError("kaboom")
            return "fine"

        return await boom()


class Drifting(WorkflowEntrypoint):
    async def run(self, event, step):
        seen.append(1)  # state outside steps: grows at every replay

        @step.do(f"visit {len(seen)}")
        async def visit():
            return len(seen)

        await visit()
        await step.do("second")(lambda: None)()
        return "done"
"""

TESTS = """
import asyncio

import pytest


async def test_unexpected_error(wf):
    await wf.env.WF.create(id="x", params={"fail": True})
    await wf.settle()


@pytest.mark.wf_allow_errors
async def test_allowed_error(wf):
    await wf.env.WF.create(id="x", params={"fail": True})
    await wf.settle()


async def test_error_read_by_the_test(wf):
    inst = wf.introspect_instance("WF", "x")
    await wf.env.WF.create(id="x", params={"fail": True})
    await inst.wait_for_status("errored")
    assert (await inst.get_error())["message"].endswith("ValueError: ValueError: kaboom\\n")


def test_plain_asyncio_run(wf):
    async def scenario():
        async with wf:
            handle = await wf.env.WF.create(id="x")
            await wf.settle()
            return (await handle.status())["status"]

    assert asyncio.run(scenario()) == "complete"


def test_plain_asyncio_run_unexpected_error(wf):
    async def scenario():
        async with wf:
            await wf.env.WF.create(id="x", params={"fail": True})
            await wf.settle()

    asyncio.run(scenario())


async def test_drift_without_hibernation(wf):
    inst = wf.introspect_instance("DRIFT", "d")
    await wf.env.DRIFT.create(id="d")
    await inst.wait_for_status("complete")


@pytest.mark.wf_project(hibernate=True)
async def test_drift_with_hibernation(wf):
    await wf.env.DRIFT.create(id="d")
    await wf.settle()


@pytest.mark.wf_project("quickstart", time="auto")
async def test_marker_names_another_project(wf):
    inst = wf.introspect_instance("ONBOARDING", "ada")
    await wf.env.ONBOARDING.create(id="ada", params={"name": "Ada"})
    await inst.wait_for_status("complete")
"""


def run_pytest(folder: Path, *args: str) -> dict[str, str]:
    """Run pytest in ``folder``; return each test's outcome and failure message."""
    report = folder / "report.xml"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-o",
            "asyncio_mode=auto",
            "-o",
            "asyncio_default_fixture_loop_scope=function",
            f"--junitxml={report}",
            *args,
        ],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    outcomes = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        problem = next(iter(case), None)
        if problem is None:
            outcomes[case.get("name", "")] = "passed"
        else:
            outcomes[case.get("name", "")] = f"{problem.tag}: {problem.get('message', '')}"
    return outcomes


def make_user_project(tmp_path: Path) -> Path:
    root = write_project(tmp_path / "app", WORKFLOWS, {"wf": "MyWorkflow", "drift": "Drifting"})
    (root / "tests").mkdir()
    (root / "tests" / "test_flows.py").write_text(TESTS)
    (root / "pytest.ini").write_text("[pytest]\n")  # the rootdir: the project itself
    shutil.copytree(QUICKSTART, root / "quickstart", ignore=shutil.ignore_patterns("tests"))
    return root


def test_the_plugin_in_a_user_project(tmp_path):
    outcomes = run_pytest(make_user_project(tmp_path))

    failure = outcomes.pop("test_unexpected_error")
    assert failure.startswith("failure: ")
    assert 'workflow instance wf/x errored at step "boom-1" after 1 attempt: ' in failure
    assert "ValueError: kaboom" in failure
    # The hint follows the error's traceback, past the lines the outcome keeps.
    assert "wf_allow_errors" in failure or "more line" in failure
    sync_failure = outcomes.pop("test_plain_asyncio_run_unexpected_error")
    assert "ValueError: kaboom" in sync_failure
    drift = outcomes.pop("test_drift_with_hibernation")
    assert "ReplayDivergence" in drift or "replayed differently" in drift
    assert outcomes == {
        "test_allowed_error": "passed",
        "test_error_read_by_the_test": "passed",
        "test_plain_asyncio_run": "passed",
        "test_drift_without_hibernation": "passed",
        "test_marker_names_another_project": "passed",
    }


def test_wf_hibernate_runs_every_test_in_hibernation_mode(tmp_path):
    outcomes = run_pytest(make_user_project(tmp_path), "--wf-hibernate", "-k", "drift")
    assert "replayed differently" in outcomes["test_drift_without_hibernation"]


def test_a_project_named_in_the_ini_file(tmp_path):
    root = make_user_project(tmp_path)
    (root / "pytest.ini").write_text("[pytest]\nwf_project = quickstart\n")
    (root / "tests" / "test_flows.py").write_text(
        textwrap.dedent(
            """
            async def test_ini(wf):
                assert wf.config.name == "quickstart"
            """
        )
    )
    assert run_pytest(root) == {"test_ini": "passed"}


def test_no_project_found_says_how_to_name_one(tmp_path):
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_alone.py").write_text("async def test_alone(wf):\n    pass\n")
    outcome = run_pytest(tmp_path)["test_alone"]
    assert outcome.startswith("error: ")
    assert "no wrangler.jsonc / wrangler.json / wrangler.toml found" in outcome
    assert "@pytest.mark.wf_project" in outcome


def test_pytest_asyncio_strict_mode(tmp_path):
    root = make_user_project(tmp_path)
    (root / "tests" / "test_flows.py").write_text(
        textwrap.dedent(
            """
            import pytest

            @pytest.mark.asyncio
            async def test_strict(wf):
                handle = await wf.env.WF.create(id="x")
                await wf.settle()
                assert (await handle.status())["status"] == "complete"
            """
        )
    )
    assert run_pytest(root, "-o", "asyncio_mode=strict") == {"test_strict": "passed"}
