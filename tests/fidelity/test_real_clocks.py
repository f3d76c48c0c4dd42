"""Clocks wf leaves real (``time.monotonic``, ``perf_counter``) warn once when user code
reads them in virtual time (issue 9, part 1): they never move with an advance."""

from __future__ import annotations

import warnings

import pytest

from tests.conftest import START, write_project
from wf import usertime
from wf.testing import Emulator

SOURCE = """
import time
from workers import WorkflowEntrypoint

class Measures(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("measure")
        async def measure():
            return [time.monotonic() > 0, time.monotonic() > 0, time.perf_counter() > 0]
        return await measure()
"""


@pytest.fixture(autouse=True)
def _fresh() -> None:
    usertime._warned_clocks.clear()


async def test_reading_monotonic_in_manual_time_warns_once_per_clock(tmp_path):
    root = write_project(tmp_path, SOURCE, {"measures": "Measures"})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        async with Emulator(root, now=START) as emu:
            inst = emu.introspect_instance("MEASURES", "m")
            await emu.env.MEASURES.create(id="m")
            await inst.wait_for_status("complete")
            assert await inst.get_output() == [True, True, True]
    notes = [str(w.message) for w in caught if "keeps real time" in str(w.message)]
    assert notes == [
        "time.monotonic() keeps real time in wf's manual time: it does not move with "
        "step.sleep, an advance or asyncio.sleep; measure durations with time.time() to "
        "follow the emulator's clock",
        "time.perf_counter() keeps real time in wf's manual time: it does not move with "
        "step.sleep, an advance or asyncio.sleep; measure durations with time.time() to "
        "follow the emulator's clock",
    ]


async def test_real_time_reads_them_silently(tmp_path):
    root = write_project(tmp_path, SOURCE, {"measures": "Measures"})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        async with Emulator(root, time="real", now=START) as emu:
            inst = emu.introspect_instance("MEASURES", "m")
            await emu.env.MEASURES.create(id="m")
            await inst.wait_for_status("complete")
    assert not [w for w in caught if "keeps real time" in str(w.message)]
