"""The typed-env tests' project: a fresh copy of tests/types/fixtures/project."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

FIXTURE = Path(__file__).parent / "fixtures" / "project"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the project that has every binding kind, in its own folder."""
    target = tmp_path / "project"
    shutil.copytree(FIXTURE, target)
    return target
