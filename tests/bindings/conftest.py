"""Emulators on each side of the runtime SDK's compatibility date, for the binding tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.bindings.test_sdk_dates import NEW, OLD, write_project
from tests.conftest import START
from wf.testing import Emulator


@pytest.fixture
async def old(tmp_path: Path) -> AsyncIterator[Emulator]:
    """The project on the day before the runtime SDK: raw JS bindings."""
    async with Emulator(write_project(tmp_path / "old", OLD), now=START) as emu:
        yield emu


@pytest.fixture
async def new(tmp_path: Path) -> AsyncIterator[Emulator]:
    """The project from the runtime SDK's date: wrapped bindings."""
    async with Emulator(write_project(tmp_path / "new", NEW), now=START) as emu:
        yield emu
