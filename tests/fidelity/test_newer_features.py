"""The platform's newer Workflows features, each from the source that describes it.

Sources (cloudflare/cloudflare-docs ``src/content/changelog/workflows/``):
``2026-09-24-workflow-exports.mdx``, ``2026-09-10-paid-retention-default.mdx``,
``2026-10-08-create-batch-object-form.mdx``, ``2026-09-17-instance-delete.mdx``; the binding's
JS surface from cloudflare/workers-sdk ``packages/workflows-shared/src/binding.ts`` and
``types.ts``; what Python reaches of it from cloudflare/workers-py
``packages/runtime-sdk/src/workers/_workers.py`` (``_WorkflowBindingWrapper``).
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import START
from wf.bindings import Env
from wf.clock import Clock
from wf.config import ConfigError, load_config
from wf.engine import Engine
from wf.errors import WorkflowError
from wf.project import Project
from wf.store import Store

DAY = 86_400_000.0

SOURCE = """
from workers import WorkflowEntrypoint

class MyWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("one")
        async def one():
            if event["payload"].get("fail"):
                raise ValueError("boom")
            return 1
        return await one()

class Other(WorkflowEntrypoint):
    async def run(self, event, step):
        return "other"
"""


def project(root: Path, extra: dict[str, Any]) -> Path:
    """A project whose wrangler.jsonc is the base config plus ``extra``, one key a line."""
    (root / "src").mkdir(parents=True, exist_ok=True)
    (root / "src" / "entry.py").write_text(textwrap.dedent(SOURCE))
    config = {
        "name": "test-project",
        "main": "src/entry.py",
        "compatibility_date": "2026-08-14",
        "compatibility_flags": ["python_workers"],
        **extra,
    }
    (root / "wrangler.jsonc").write_text(json.dumps(config, indent=2))
    return root


BOUND = {"workflows": [{"name": "wf", "binding": "WF", "class_name": "MyWorkflow"}]}


@pytest.fixture
async def engines(tmp_path: Path) -> Any:
    made: list[Engine] = []

    async def factory(
        extra: dict[str, Any] | None = None,
        *,
        store: Store | None = None,
        now: float = START,
        name: str = "p",
    ) -> Engine:
        root = project(tmp_path / name, BOUND if extra is None else extra)
        config = load_config(root)
        engine = Engine(
            config,
            Project(config).load().workflow_classes,
            store=store or Store(),
            clock=Clock("manual", now=now),
            settle_quiet=0.05,
            make_env=Env,
        )
        await engine.start()
        made.append(engine)
        return engine

    yield factory
    for engine in made:
        await engine.close()


def config_error(tmp_path: Path, extra: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(project(tmp_path, extra))
    return str(info.value)


# -- exports of type "workflow" ------------------------------------------------------------------


async def test_a_workflow_declared_only_in_exports_runs_without_a_binding(engines: Any) -> None:
    """2026-09-24-workflow-exports.mdx: keyed by class name, ``type``/``name``/``limits``/
    ``schedules``/``default_retention``; no ``workflows`` binding needed."""
    exports = {"MyWorkflow": {"type": "workflow", "name": "wf", "limits": {"steps": 50}}}
    engine = await engines({"exports": exports})
    workflow = engine.config.workflow("wf")
    assert (workflow.class_name, workflow.binding, workflow.step_limit) == ("MyWorkflow", "", 50)
    assert workflow.exported
    assert "WF" not in dir(engine.env)  # no binding: env does not grow one
    engine.create("wf", {"id": "a"})
    await engine.settle()
    assert engine.status("wf", "a")["status"] == "complete"


async def test_a_binding_and_an_export_of_the_same_workflow_share_it(engines: Any) -> None:
    """2026-09-24-workflow-exports.mdx: both declarations allowed, same class, settings merge."""
    extra = {
        **BOUND,
        "exports": {
            "MyWorkflow": {"type": "workflow", "name": "wf", "schedules": ["0 * * * *"]},
            "Default": {"type": "worker"},  # not a Workflow: left alone
        },
    }
    engine = await engines(extra)
    assert [w.name for w in engine.config.workflows] == ["wf"]
    workflow = engine.config.workflow("wf")
    assert (workflow.binding, workflow.schedules, workflow.exported) == ("WF", ("0 * * * *",), True)


@pytest.mark.parametrize(
    ("exports", "expected"),
    [
        (
            {"Other": {"type": "workflow", "name": "wf"}},
            'exports.Other: workflow "wf" is class "MyWorkflow" in workflows[] but "Other" here',
        ),
        (
            {"MyWorkflow": {"type": "workflow", "name": "wf", "limits": {"steps": 7}}},
            'exports.MyWorkflow.limits: differs from the same setting of "wf"',
        ),
        (
            {"MyWorkflow": {"type": "workflow"}},
            "exports.MyWorkflow.name: required",
        ),
        (
            {"MyWorkflow": {"type": "workflow", "name": "x", "binding": "X"}},
            "exports.MyWorkflow.binding: unknown field of a workflow export",
        ),
        (
            {"MyWorkflow": {"type": "workflow", "name": "x", "default_retention": {"days": 1}}},
            "exports.MyWorkflow.default_retention: unknown field 'days'",
        ),
    ],
)
def test_bad_exports_name_the_file_line_and_field(
    tmp_path: Path, exports: dict[str, Any], expected: str
) -> None:
    """2026-09-24-workflow-exports.mdx: same class, no conflicting settings."""
    limits = {"limits": {"steps": 9}} if "limits" in json.dumps(exports) else {}
    workflows = [{**BOUND["workflows"][0], **limits}]
    message = config_error(tmp_path, {"workflows": workflows, "exports": exports})
    assert "wrangler.jsonc:" in message
    assert expected in message


# -- retention -----------------------------------------------------------------------------------


async def test_a_complete_instance_is_removed_after_its_success_retention(engines: Any) -> None:
    """2026-09-10-paid-retention-default.mdx: ``create(retention={successRetention, ...})``;
    after it the instance is gone and its id free again."""
    engine = await engines()
    retention = {"successRetention": "1 day", "errorRetention": "3 days"}
    await engine.env.WF.create(id="ok", retention=retention)
    await engine.env.WF.create(id="bad", params={"fail": True}, retention=retention)
    await engine.settle()
    assert engine.status("wf", "ok")["status"] == "complete"
    await engine.clock.advance("23 hours")
    assert engine.status("wf", "ok")["status"] == "complete"
    await engine.clock.advance("2 hours")
    with pytest.raises(WorkflowError, match=r"instance\.not_found"):
        await engine.env.WF.get("ok")
    assert engine.status("wf", "bad")["status"] == "errored"  # errorRetention: 3 days
    await engine.clock.advance("2 days")
    with pytest.raises(WorkflowError, match="not found"):
        engine.status("wf", "bad")
    again = await engine.env.WF.create(id="ok")  # the id can be used again
    assert again.id == "ok"


async def test_default_retention_in_the_config_and_the_platform_default(engines: Any) -> None:
    """2026-09-10-paid-retention-default.mdx: seven days by default for new Workflows on
    Workers Paid; ``default_retention`` (wrangler config) sets it per Workflow."""
    workflows = [{**BOUND["workflows"][0], "default_retention": {"success_retention": "2 days"}}]
    configured = await engines({"workflows": workflows}, name="configured")
    configured.create("wf", {"id": "a"})
    await configured.settle()
    await configured.clock.advance("2 days")
    with pytest.raises(WorkflowError, match="not found"):
        configured.status("wf", "a")

    default = await engines(name="default")
    default.create("wf", {"id": "a"})
    await default.settle()
    await default.clock.advance("6 days")
    assert default.status("wf", "a")["status"] == "complete"
    # Removed on the clock (its retention timer), so the warning comes with the advance.
    with pytest.warns(RuntimeWarning, match="default retention of 7 days"):
        await default.clock.advance("1 day")
    with pytest.raises(WorkflowError, match="not found"):
        default.status("wf", "a")


async def test_retention_runs_on_the_virtual_clock_across_a_restart(
    engines: Any, tmp_path: Path
) -> None:
    """The removal time is stored with the instance: a restarted wf still removes it."""
    path = tmp_path / "state.sqlite"
    first = await engines(store=Store(path), name="first")
    await first.env.WF.create(id="a", retention={"successRetention": "1 hour"})
    await first.settle()
    await first.close()
    second = await engines(store=Store(path), name="second")
    assert second.status("wf", "a")["status"] == "complete"  # the clock went on from the store
    await second.clock.advance("1 hour")
    with pytest.raises(WorkflowError, match="not found"):
        second.status("wf", "a")


async def test_create_options_production_accepts(engines: Any) -> None:
    """workers-types ``WorkflowInstanceCreateOptions``: ``retention`` durations (at most the
    30-day limit) and ``locationHint`` regions; wf accepts the hint and runs locally."""
    engine = await engines()
    instance = await engine.env.WF.create(id="eu", locationHint="weur")
    assert instance.id == "eu"
    with pytest.raises(WorkflowError, match="locationHint: must be one of"):
        await engine.env.WF.create(locationHint="mars")
    with pytest.raises(WorkflowError, match="retention: successRetention: must be more than 0"):
        await engine.env.WF.create(retention={"successRetention": "31 days"})
    with pytest.raises(WorkflowError, match="unknown field 'success_retention'"):
        await engine.env.WF.create(retention={"success_retention": "1 day"})


def test_a_bad_default_retention_names_the_field(tmp_path: Path) -> None:
    workflows = [{**BOUND["workflows"][0], "default_retention": {"error_retention": "soon"}}]
    message = config_error(tmp_path, {"workflows": workflows})
    assert "wrangler.jsonc:" in message
    assert "workflows[0].default_retention" in message and "error_retention" in message


# -- createBatch's object form -------------------------------------------------------------------


async def test_create_batch_by_count_and_by_list(engines: Any) -> None:
    """2026-10-08-create-batch-object-form.mdx: ``{count}`` or ``{instances}`` ->
    ``{created, errors}``; existing and repeated ids are errors with their index."""
    engine = await engines()
    result = await engine.env.WF.createBatch({"count": 3, "params": {"report": "daily"}})
    assert len(result["created"]) == 3 and result["errors"] == []
    await engine.env.WF.create(id="taken")
    result = await engine.env.WF.createBatch(
        instances=[{"id": "o-1"}, {"id": "taken"}, {"id": "o-1"}, {"id": "o-2"}]
    )
    assert [i.id for i in result.created] == ["o-1", "o-2"]
    assert [(e["index"], e["id"]) for e in result.errors] == [(1, "taken"), (2, "o-1")]
    assert all(e["code"] == "instance.already_exists" for e in result["errors"])
    with pytest.raises(WorkflowError, match="either 'count' or 'instances'"):
        await engine.env.WF.createBatch({"count": 1, "instances": []})
    with pytest.raises(WorkflowError, match="at most 100"):
        await engine.env.WF.createBatch({"count": 101})


async def test_create_batch_snake_case_only_takes_a_list(engines: Any) -> None:
    """workers-py ``_WorkflowBindingWrapper.create_batch`` iterates what JS returns: the
    object form's result is not iterable, after the instances were created."""
    engine = await engines()
    with pytest.raises(TypeError, match="call createBatch"):
        await engine.env.WF.create_batch({"instances": [{"id": "x"}]})
    assert engine.status("wf", "x")["status"] in ("queued", "running", "complete")
    handles = await engine.env.WF.create_batch([{"id": "y"}])
    assert [h.id for h in handles] == ["y"]


# -- deleteBatch ---------------------------------------------------------------------------------


async def test_delete_batch_reports_each_position(engines: Any) -> None:
    """2026-09-17-instance-delete.mdx and workers-sdk ``workflows-shared/src/binding.ts``: a
    repeated id is deleted once and reported at each position; unknown ids are 10400."""
    engine = await engines()
    await engine.env.WF.create_batch([{"id": "a"}, {"id": "b"}])
    await engine.settle()
    result = await engine.env.WF.deleteBatch(["a", "a", "missing", "b"])
    assert result == {
        "deleted": [{"id": "a"}, {"id": "a"}, {"id": "b"}],
        "errors": [
            {"id": "missing", "code": 10400, "message": "workflows.api.error.instance.not_found"}
        ],
    }
    with pytest.raises(WorkflowError, match="not found"):
        engine.status("wf", "a")
    with pytest.raises(WorkflowError, match="1 to 100"):
        await engine.env.WF.deleteBatch([])


async def test_what_the_python_sdk_does_not_expose_is_absent(engines: Any) -> None:
    """workers-py has no ``delete_batch`` wrapper; names it lacks fail as there."""
    engine = await engines()
    with pytest.raises(AttributeError):
        engine.env.WF.delete_batch  # noqa: B018
