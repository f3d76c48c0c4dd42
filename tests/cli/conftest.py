"""A `wf dev` per test module over a temporary copy of a project, on manual time."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.devserver import DevServer

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "fixtures" / "quickstart"
REVIEW = Path(__file__).resolve().parent / "fixtures" / "review"


def start_dev(source: Path, tmp: Path) -> DevServer:
    """Copy the project into ``tmp`` and serve it with `wf dev --time manual`."""
    project = tmp / source.name
    shutil.copytree(source, project)
    return DevServer(project, "--time", "manual").wait_ready()


@pytest.fixture(scope="module")
def quickstart(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    """`wf dev` over fixtures/quickstart: workflow `onboarding` sleeps a week between two steps."""
    with start_dev(QUICKSTART, tmp_path_factory.mktemp("quickstart")) as server:
        yield server


@pytest.fixture(scope="module")
def review(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    """`wf dev` over tests/cli/fixtures/review: `review` waits for an event, `flaky` retries."""
    with start_dev(REVIEW, tmp_path_factory.mktemp("review")) as server:
        yield server
