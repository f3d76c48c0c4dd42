"""Chaos: `wf dev` SIGKILLed at random moments (some right after an acknowledged create or
event) while instances run with sleeps, events and retries; then every acknowledged write,
every step execution, every instance's output and virtual time are audited.

This is the short version for CI (8 kills, 30 instances, ~20 s). The full run (50 kills,
200 instances) is ``.venv/bin/python bench/chaos.py``. ``WF_CHAOS_SEED`` picks another seed;
``WF_CHAOS_CODE=DIR`` serves another source tree's ``cli``/``emulator`` (e.g. an older revision
from ``git archive REV | tar -x -C DIR``). The audit's rules are in tests/chaos/driver.py.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.chaos.driver import ChaosConfig, run_chaos

pytestmark = pytest.mark.skipif(os.name != "posix", reason="needs SIGKILL")

CI = ChaosConfig(
    instances=30,
    kills=8,
    after_create_kills=2,
    after_event_kills=2,
    scale=400,
    interval=(0.4, 1.0),
    seed=int(os.environ.get("WF_CHAOS_SEED", "7")),
    deadline_s=150,
    code=Path(os.environ["WF_CHAOS_CODE"]).resolve() if os.environ.get("WF_CHAOS_CODE") else None,
)


def test_chaos_kills_lose_nothing_acknowledged(tmp_path: Path) -> None:
    report = run_chaos(CI, tmp_path)
    print()
    print(report.summary())
    print(report.kill_table())
    # The scenario itself must have happened, or the audit proves nothing.
    assert len(report.kills) == CI.kills
    assert sum(1 for k in report.kills if k.ack_to_kill_ms is not None) >= 2, [
        k.kind for k in report.kills
    ]
    assert report.executions > 0
    failed = report.failed()
    assert not failed, (
        f"{len(failed)} of the chaos checks failed (logs in {tmp_path}):\n{report.failures()}"
    )
