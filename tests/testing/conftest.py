"""Projects written from source for the testing harness's tests, and emulators over them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import START, write_project
from wf.testing import Emulator

ROOT = Path(__file__).resolve().parents[2]
APPROVALS = ROOT / "fixtures" / "approvals30"
QUICKSTART = ROOT / "fixtures" / "quickstart"

# A payment: charge (2 retries, 10 s apart), a day's cooling-off, then a receipt.
PAYMENT = """
from workers import WorkflowEntrypoint

CALLS = []


class MyWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do(config={"retries": {"limit": 2, "delay": "10 seconds", "backoff": "constant"}})
        async def charge():
            CALLS.append("charge")
            return {"charged": event["payload"].get("amount", 10)}

        charged = await charge()
        await step.sleep("cool off", "1 day")

        @step.do()
        async def receipt(charge):
            CALLS.append("receipt")
            return {"receipt": charge["charged"]}

        return await receipt()
"""

MakeEmulator = Callable[..., Awaitable[Emulator]]


@pytest.fixture
async def make_emulator(tmp_path: Path) -> AsyncIterator[MakeEmulator]:
    """Start an Emulator over a project written from ``source`` (workflow "wf", binding WF)."""
    emulators: list[Emulator] = []

    async def factory(
        source: str, workflows: dict[str, str] | None = None, **options: Any
    ) -> Emulator:
        root = write_project(
            tmp_path / f"project{len(emulators)}", source, workflows or {"wf": "MyWorkflow"}
        )
        options.setdefault("now", START)
        emulator = Emulator(root, **options)
        emulators.append(emulator)
        return await emulator.start()

    yield factory
    for emulator in emulators:
        await emulator.close()


def calls(emulator: Emulator) -> list[str]:
    """What the payment workflow's step code recorded (module-level CALLS)."""
    result: list[str] = emulator.code.modules["entry"].CALLS
    return result
