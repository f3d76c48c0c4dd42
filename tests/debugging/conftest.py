"""Projects for the debugging tests: emulators in-process, `wf dev` for the CLI and HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import START, write_project
from wf.testing import Emulator

MakeEmulator = Callable[..., Awaitable[Emulator]]

# A step that fails through a helper on its first attempt and succeeds on its second; a step
# that always fails; run() prints and logs around them.
FLAKY = """
import logging
from workers import WorkflowEntrypoint

log = logging.getLogger("shop")


def lookup(order):
    return order["missing_key"]


class MyWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        print("run starts for", event["instanceId"])

        @step.do(config={"retries": {"limit": 1, "delay": "10 seconds", "backoff": "constant"}})
        async def charge(ctx):
            print(f"charging, attempt {ctx['attempt']}")
            log.warning("card declined once")
            if ctx["attempt"] == 1:
                lookup({})
            return "charged"

        await charge()
        if event["payload"].get("fail"):
            @step.do(config={"retries": {"limit": 0, "delay": "1 second"}})
            async def ship():
                print("shipping")
                raise ValueError("no address")

            await ship()
        print("run ends")
        return "done"
"""


def project(root: Path, source: str = FLAKY) -> Path:
    return write_project(root, source, {"shop": "MyWorkflow"})


@pytest.fixture
async def make_emulator(tmp_path: Path) -> AsyncIterator[MakeEmulator]:
    """Start an Emulator over a project written from ``source`` (workflow "shop", binding SHOP)."""
    emulators: list[Emulator] = []

    async def factory(source: str = FLAKY, **options: Any) -> Emulator:
        root = project(tmp_path / "project", source)
        options.setdefault("now", START)
        emulator = Emulator(root, **options)
        emulators.append(emulator)
        return await emulator.start()

    yield factory
    for emulator in emulators:
        if emulator.running:
            await emulator.close()
