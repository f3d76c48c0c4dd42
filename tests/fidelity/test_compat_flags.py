"""Compatibility dates and flags select production's behaviour (issue 9, part 5).

Written from workerd ``src/workerd/io/compatibility-date.capnp`` (``pythonWorkflows``:
``python_workflows`` / ``disable_python_workflows``, implied by ``pythonWorkers`` after
2025-09-20; ``pythonWorkflowsImplicitDeps`` implied after 2026-02-25; ``pythonExternalSDK``:
``enable_``/``disable_python_external_sdk``; ``pythonDedicatedSnapshot`` ``$experimental``),
workerd ``src/pyodide/internal/metadata.ts`` (``WORKFLOWS_ENABLED`` gates the workflow
handler), and the compatibility-flags page of Cloudflare's documentation ("Workflows preserve
NonRetryableError message": default 2026-05-14, disable flag
``workflows_replace_non_retryable_error_message``).
"""

from __future__ import annotations

import datetime
import json
import warnings
from pathlib import Path

import pytest

from tests.conftest import START
from wf.compat import Compat
from wf.config import ConfigError, load_config
from wf.server.dev import DevOptions, StartupError, load_dev_config
from wf.testing import Emulator

WORKFLOW = """
from workers import WorkflowEntrypoint, WorkerEntrypoint, Response
from workers.workflows import NonRetryableError

class MyWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("boom")
        async def boom():
            raise NonRetryableError("stop now")
        await boom()

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response("ok")
"""


def project(root: Path, *, flags: list[str] | None = None, date: str | None = "2026-08-14") -> Path:
    """A one-workflow project; the config written one key a line, so lines can be asserted."""
    (root / "src").mkdir(parents=True, exist_ok=True)
    (root / "src" / "entry.py").write_text(WORKFLOW)
    config: dict[str, object] = {"name": "compat", "main": "src/entry.py"}
    if date is not None:
        config["compatibility_date"] = date
    if flags is not None:
        config["compatibility_flags"] = flags
    config["workflows"] = [{"name": "wf", "binding": "WF", "class_name": "MyWorkflow"}]
    (root / "wrangler.jsonc").write_text(json.dumps(config, indent=2))
    return root


@pytest.fixture(autouse=True)
def _in_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # messages name the config relative to the working directory


def line_of(root: Path, key: str) -> int:
    lines = (root / "wrangler.jsonc").read_text().splitlines()
    return next(i for i, text in enumerate(lines, 1) if f'"{key}"' in text)


# -- which behaviours a date and flags select ------------------------------------------------


@pytest.mark.parametrize(
    ("date", "flags", "on"),
    [
        ("2025-09-19", ["python_workers"], False),
        ("2025-09-20", ["python_workers"], True),  # impliedByAfterDate(pythonWorkers, 2025-09-20)
        ("2025-06-01", ["python_workers", "python_workflows"], True),
        ("2026-08-14", ["python_workers", "disable_python_workflows"], False),
        ("2026-08-14", [], False),  # implied only together with python_workers
    ],
)
def test_python_workflows_is_implied_by_python_workers_from_2025_09_20(
    date: str, flags: list[str], on: bool
) -> None:
    """capnp ``pythonWorkflows``: the enable flag wins, the disable flag wins, else the date."""
    assert Compat(date, tuple(flags)).python_workflows is on


@pytest.mark.parametrize(
    ("date", "flags", "on"),
    [
        ("2026-04-20", [], False),
        ("2026-04-21", [], True),
        ("2026-01-01", ["enable_python_external_sdk"], True),
        ("2026-08-14", ["disable_python_external_sdk"], False),
        (None, [], True),  # no date: today's, as wrangler uses
    ],
)
def test_the_external_sdk_follows_its_date_and_both_flags(
    tmp_path: Path, date: str | None, flags: list[str], on: bool
) -> None:
    """capnp ``pythonExternalSDK``: ``enable_``/``disable_python_external_sdk`` beat the date."""
    config = load_config(project(tmp_path, flags=["python_workers", *flags], date=date))
    assert config.runtime_sdk is on


@pytest.mark.parametrize(
    ("date", "flags", "on"),
    [
        ("2026-02-24", [], False),
        ("2026-02-25", [], True),
        ("2026-01-01", ["python_workflows_implicit_dependencies"], True),
        ("2026-08-14", ["no_python_workflows_implicit_dependencies"], False),
    ],
)
def test_implicit_dependencies_follow_their_date_and_flags(
    date: str, flags: list[str], on: bool
) -> None:
    """capnp ``pythonWorkflowsImplicitDeps`` (implied by ``pythonWorkers`` after 2026-02-25)."""
    assert Compat(date, ("python_workers", *flags)).implicit_dependencies is on


async def test_the_replace_flag_brings_back_the_generic_non_retryable_message(
    tmp_path: Path,
) -> None:
    """Compatibility-flags docs: ``workflows_replace_non_retryable_error_message`` is the
    opposite of the preserving flag, so after 2026-05-14 it restores ``WorkflowFatalError``."""
    root = project(
        tmp_path, flags=["python_workers", "workflows_replace_non_retryable_error_message"]
    )
    async with Emulator(root, now=START) as emu:
        await emu.env.WF.create(id="n")
        await emu.introspect_instance("WF", "n").wait_for_status("errored")
        error = await emu.introspect_instance("WF", "n").get_error()
    assert error["name"] == "WorkflowFatalError"
    assert "NonRetryableError" in error["message"]


async def test_the_preserving_flag_keeps_the_message_before_its_date(tmp_path: Path) -> None:
    """Compatibility-flags docs: the enable flag turns it on before 2026-05-14."""
    flags = ["python_workers", "workflows_preserve_non_retryable_error_message"]
    async with Emulator(project(tmp_path, flags=flags, date="2026-03-01"), now=START) as emu:
        await emu.env.WF.create(id="n")
        await emu.introspect_instance("WF", "n").wait_for_status("errored")
        error = await emu.introspect_instance("WF", "n").get_error()
    assert error == {"name": "NonRetryableError", "message": "stop now"}


# -- what production refuses: wf does not start ----------------------------------------------


def test_python_without_python_workers_does_not_start(tmp_path: Path) -> None:
    """A Python Worker runs on Cloudflare only with ``python_workers`` (capnp ``pythonWorkers``:
    no date, only the flag). The error names the flag and where to add it."""
    root = project(tmp_path, flags=[])
    line = line_of(root, "compatibility_flags")
    with pytest.raises(ConfigError) as err:
        Emulator(root)
    assert str(err.value) == (
        f"wrangler.jsonc:{line}: compatibility_flags: Python Workers need the "
        '"python_workers" flag: Cloudflare does not run a Python Worker without it; add it to '
        "compatibility_flags"
    )
    with pytest.raises(StartupError, match='need the "python_workers" flag'):
        load_dev_config(DevOptions(directory=root))


def test_python_workflows_before_their_date_need_the_flag(tmp_path: Path) -> None:
    """metadata.ts: ``WORKFLOWS_ENABLED = !!COMPATIBILITY_FLAGS.python_workflows``; before
    2025-09-20 ``python_workers`` does not imply it."""
    root = project(tmp_path, flags=["python_workers"], date="2025-09-01")
    with pytest.raises(ConfigError, match=r"compatibility_flags: Python Workflows need the "):
        Emulator(root)
    assert "2025-09-01 is before 2025-09-20" in load_config(root).compat_errors[0]
    project(tmp_path, flags=["python_workers", "python_workflows"], date="2025-09-01")
    assert load_config(root).compat_errors == ()


def test_disable_python_workflows_with_a_workflow_does_not_start(tmp_path: Path) -> None:
    root = project(tmp_path, flags=["python_workers", "disable_python_workflows"])
    with pytest.raises(ConfigError, match='"disable_python_workflows" turns them off'):
        Emulator(root)


def test_a_flag_beside_its_own_opposite_is_refused(tmp_path: Path) -> None:
    """workerd refuses an enable flag listed with its disable flag; wf does for every pair."""
    flags = ["python_workers", "enable_python_external_sdk", "disable_python_external_sdk"]
    with pytest.raises(ConfigError, match="enable_python_external_sdk and disable_python"):
        load_config(project(tmp_path, flags=flags))


# -- what production reads otherwise: a start-up warning ---------------------------------------


def test_a_good_config_has_no_compat_notes(tmp_path: Path) -> None:
    config = load_config(project(tmp_path, flags=["python_workers"]))
    assert (config.compat_errors, config.compat_warnings) == ((), ())


def test_a_missing_date_warns_that_it_moves_with_today(tmp_path: Path) -> None:
    config = load_config(project(tmp_path, flags=["python_workers"], date=None))
    assert config.compat_warnings == (
        "wrangler.jsonc: compatibility_date: not set: wf uses today's date, as wrangler dev "
        "does, so flags change defaults as time passes; `wrangler deploy` refuses a config "
        "without one",
    )


def test_a_future_date_warns(tmp_path: Path) -> None:
    future = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    root = project(tmp_path, flags=["python_workers"], date=future)
    line = line_of(root, "compatibility_date")
    assert load_config(root).compat_warnings == (
        f"wrangler.jsonc:{line}: compatibility_date: {future} is in the future: Cloudflare "
        "refuses to deploy it",
    )


def test_an_experimental_flag_warns(tmp_path: Path) -> None:
    """capnp: ``python_dedicated_snapshot`` is ``$experimental`` ("cannot be used in Workers
    deployed on Cloudflare except by test accounts belonging to Cloudflare team members")."""
    config = load_config(project(tmp_path, flags=["python_workers", "python_dedicated_snapshot"]))
    (warning,) = config.compat_warnings
    assert 'compatibility_flags: "python_dedicated_snapshot" is experimental' in warning


def test_a_misspelt_python_flag_is_pointed_out(tmp_path: Path) -> None:
    config = load_config(project(tmp_path, flags=["python_workers", "python_workflow"]))
    (warning,) = config.compat_warnings
    assert 'unknown flag "python_workflow": did you mean "python_workflows"?' in warning


def test_other_flags_wf_does_not_know_are_left_alone(tmp_path: Path) -> None:
    config = load_config(project(tmp_path, flags=["python_workers", "nodejs_compat"]))
    assert config.compat_warnings == ()


async def test_the_emulator_warns_once_at_start(tmp_path: Path) -> None:
    root = project(tmp_path, flags=["python_workers", "python_dedicated_snapshot"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        async with Emulator(root, now=START):
            pass
        async with Emulator(root, now=START):
            pass
    notes = [w for w in caught if "python_dedicated_snapshot" in str(w.message)]
    assert len(notes) == 1
    assert notes[0].category is RuntimeWarning
