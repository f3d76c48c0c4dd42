"""Shared fixtures: temporary projects and engines on a manual clock."""

from __future__ import annotations

import json
import textwrap
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from wf.bindings import Env
from wf.clock import Clock
from wf.config import load_config
from wf.engine import Engine
from wf.project import Project
from wf.server.views import instance_details
from wf.store import Store

START = 1_767_225_600_000.0  # 2026-01-01T00:00:00Z: virtual time starts here in tests


def describe(
    engine: Engine, workflow: str, instance_id: str, *, order: str = "asc", simple: bool = False
) -> dict[str, Any]:
    """The instance as the REST API details it (the server's view of the engine's rows)."""
    row = engine.get(workflow, instance_id)
    steps = None if simple else engine.store.load_steps(workflow, row.id)
    return instance_details(row, steps, order=order)


def write_project(
    root: Path,
    source: str,
    workflows: dict[str, str],
    *,
    flags: str = '"python_workers"',
    date: str = "2026-08-14",
    step_limit: int | None = None,
    schedules: list[str] | None = None,
) -> Path:
    """Write wrangler.jsonc and src/entry.py; ``workflows`` maps workflow name to class."""
    (root / "src").mkdir(parents=True, exist_ok=True)
    (root / "src" / "entry.py").write_text(textwrap.dedent(source))
    entries = ",\n".join(
        f'{{"name": "{name}", "binding": "{name.upper().replace("-", "_")}", '
        f'"class_name": "{cls}"'
        + (f', "limits": {{"steps": {step_limit}}}' if step_limit else "")
        + (f', "schedules": {json.dumps(schedules)}' if schedules else "")
        + "}"
        for name, cls in workflows.items()
    )
    (root / "wrangler.jsonc").write_text(
        f"""{{
  // test project
  "name": "test-project",
  "main": "src/entry.py",
  "compatibility_date": "{date}",
  "compatibility_flags": [{flags}],
  "workflows": [{entries}],
  "vars": {{"GREETING": "hello"}},
}}
"""
    )
    return root


EngineFactory = Callable[..., "Engine"]


@pytest.fixture
async def make_engine(tmp_path: Path) -> AsyncIterator[Callable[..., Engine]]:
    """Build an engine over a project written from source, on a manual clock at START."""
    engines: list[Engine] = []

    async def factory(
        source: str,
        workflows: dict[str, str] | None = None,
        *,
        store: Store | None = None,
        clock: Clock | None = None,
        **options: object,
    ) -> Engine:
        project_dir = tmp_path / f"project{len(engines)}"
        write_project(
            project_dir,
            source,
            workflows or {"wf": "MyWorkflow"},
            **{
                k: v
                for k, v in options.items()
                if k in ("flags", "date", "step_limit", "schedules")
            },
        )
        config = load_config(project_dir)
        code = Project(config).load()
        engine = Engine(
            config,
            code.workflow_classes,
            store=store or Store(),
            clock=clock or Clock("manual", now=START),
            settle_quiet=0.05,
            make_env=Env,
            **{
                k: v
                for k, v in options.items()
                if k not in ("flags", "date", "step_limit", "schedules")
            },  # type: ignore[arg-type]
        )
        await engine.start()
        engines.append(engine)
        return engine

    yield factory
    for engine in engines:
        await engine.close()
