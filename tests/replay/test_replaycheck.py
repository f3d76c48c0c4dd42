"""Replaying histories in process: clean, divergent, raising, and never running a step."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.replay.projects import (
    CONFIG,
    ORIGINAL,
    cloudflare_history,
    marks,
    variant,
    write_project,
)
from wf.config import load_config
from wf.history import load_histories
from wf.project import Project
from wf.replaycheck import CLEAN, DIVERGED, ERROR, RAISED, ReplayReport, replay_history


def check(
    tmp_path: Path,
    history: dict[str, Any],
    source: str = ORIGINAL,
    config: dict[str, Any] | None = None,
    **kw: Any,
) -> ReplayReport:
    root = write_project(tmp_path / "shop", source, config)
    config = load_config(root)
    code = Project(config).load()
    [parsed] = load_histories(json.dumps(history), "prod.json")
    report = replay_history(parsed, config, dict(code.workflow_classes), **kw)
    assert marks(root) == [], "a replay ran step code"
    return report


def test_a_sleeping_instance_replays_cleanly_up_to_its_sleep(tmp_path: Path) -> None:
    report = check(tmp_path, cloudflare_history("sleeping"))
    assert report.outcome == CLEAN and report.ok
    assert report.replayed == 1
    assert report.workflow == "orders"
    assert report.next_step == "sleep 'cool off-1' sleeps until 2026-08-02T10:00:02.000Z"
    assert report.message.startswith("prod.json: replays cleanly up to step 1; next: sleep")


def test_a_waiting_instance_stops_at_its_wait_with_the_default_timeout(tmp_path: Path) -> None:
    report = check(tmp_path, cloudflare_history("waiting"))
    assert report.outcome == CLEAN
    assert report.replayed == 3
    # Cloudflare's log has no timeout: the documented default of 24 hours from its start
    assert report.next_step == (
        "waitForEvent 'approve-1' waits for an event of type 'approval' "
        "until 2026-08-03T10:00:04.000Z"
    )


def test_a_complete_instance_replays_to_the_end(tmp_path: Path) -> None:
    report = check(tmp_path, cloudflare_history("complete"))
    assert report.outcome == CLEAN
    assert report.replayed == 4
    assert report.message.endswith("replays cleanly up to step 4; then run() returns")


def test_a_renamed_step_diverges_and_would_run_again(tmp_path: Path) -> None:
    source = variant('@step.do("reserve")', '@step.do("hold")')
    report = check(tmp_path, cloudflare_history("waiting"), source)
    assert report.outcome == DIVERGED and not report.ok
    assert report.replayed == 0
    assert report.divergence == {
        "position": 1,
        "expected": {"type": "do", "name": "reserve", "count": 1},
        "actual": {"type": "do", "name": "hold", "count": 1},
        "effect": "not in the history: production would run it again",
    }
    assert "diverges at step 1 (expected do 'reserve-1', got do 'hold-1'" in report.message


def test_a_reordered_step_diverges_where_the_order_changed(tmp_path: Path) -> None:
    source = variant(
        '        reserved = await reserve()\n        await step.sleep("cool off", "1 day")\n',
        '        await step.sleep("cool off", "1 day")\n        reserved = await reserve()\n',
    )
    report = check(tmp_path, cloudflare_history("waiting"), source)
    assert report.outcome == DIVERGED
    assert report.divergence is not None
    assert report.divergence["position"] == 1
    assert report.divergence["actual"] == {"type": "sleep", "name": "cool off", "count": 1}
    assert "step 2's cached result, out of order" in report.message


def test_a_step_of_another_kind_diverges(tmp_path: Path) -> None:
    source = variant(
        'await step.sleep("cool off", "1 day")',
        'await step.wait_for_event("cool off", "cooled", timeout="1 day")',
    )
    report = check(tmp_path, cloudflare_history("waiting"), source)
    assert report.outcome == DIVERGED
    assert report.replayed == 1
    assert (
        "diverges at step 2 (expected sleep 'cool off-1', got waitForEvent 'cool off-1'"
        in report.message
    )


def test_code_that_no_longer_calls_the_last_steps_diverges(tmp_path: Path) -> None:
    source = variant(
        'approval = await step.wait_for_event("approve", "approval", timeout="1 hour")',
        "return charged",
    )
    report = check(tmp_path, cloudflare_history("complete"), source)
    assert report.outcome == DIVERGED
    assert report.replayed == 3
    assert "diverges at step 4 (expected waitForEvent 'approve-1', got run() returning)" in (
        report.message
    )


def test_code_that_cannot_read_a_recorded_output_raises(tmp_path: Path) -> None:
    source = variant(
        "        reserved = await reserve()\n", '        reserved = (await reserve())["sku"]\n'
    )
    report = check(tmp_path, cloudflare_history("waiting"), source)
    assert report.outcome == RAISED and not report.ok
    assert report.error is not None
    assert report.error["name"] == "KeyError"
    line = next(n for n, text in enumerate(source.splitlines(), 1) if '["sku"]' in text)
    assert report.error["at"] == f"entry.py:{line}"
    assert "raises KeyError: 'sku' at entry.py:" in report.message
    assert report.message.endswith("(after step 1)")


def test_a_binding_used_outside_a_step_is_refused(tmp_path: Path) -> None:
    source = variant(
        "    async def run(self, event, step):\n",
        '    async def run(self, event, step):\n        await self.env.KV.put("seen", "1")\n',
    )
    report = check(tmp_path, cloudflare_history("sleeping"), source)
    assert report.outcome == RAISED
    assert report.error is not None and report.error["name"] == "SideEffect"
    assert "env.KV.put used outside a step" in report.message


def test_vars_reach_the_code(tmp_path: Path) -> None:
    source = variant(
        "        reserved = await reserve()\n",
        '        reserved = await reserve()\n        assert self.env.SHOP == "corner"\n',
    )
    assert check(tmp_path, cloudflare_history("sleeping"), source).outcome == CLEAN


def test_an_instance_that_errored_replays_to_its_recorded_error(tmp_path: Path) -> None:
    history = cloudflare_history("waiting")
    result = history["result"]
    failed = {"name": "Error", "message": "card declined"}
    charge = result["steps"][2]
    charge.update(success=False, output=None)
    charge["attempts"][0].update(success=False, error=failed)
    del result["steps"][3]
    result.update(status="errored", error=failed, success=False)
    report = check(tmp_path, history)
    assert report.outcome == CLEAN
    assert report.replayed == 3
    assert "then run() raises the recorded error (Error)" in report.message


def test_a_history_of_a_workflow_the_project_lacks_is_an_error(tmp_path: Path) -> None:
    history = cloudflare_history("sleeping")["result"] | {"workflow": "invoices", "id": "i1"}
    report = check(tmp_path, history)
    assert report.outcome == ERROR
    assert report.message == "i1: the project has no workflow 'invoices' (have: orders)"


def test_run_awaiting_something_outside_its_steps_is_reported(tmp_path: Path) -> None:
    source = variant(
        "    async def run(self, event, step):\n",
        "    async def run(self, event, step):\n        import asyncio\n"
        "        await asyncio.Event().wait()\n",
    )
    report = check(tmp_path, cloudflare_history("sleeping"), source, time_limit=0.2)
    assert report.outcome == RAISED
    assert "run() did not reach a step within 0.2 s" in report.message


GATHERED = """
import asyncio
from workers import WorkflowEntrypoint


class Orders(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("left")
        async def left():
            raise RuntimeError("step code ran")

        @step.do("right")
        async def right():
            raise RuntimeError("step code ran")

        both = await asyncio.gather(left(), right())
        await step.sleep("rest", "1 hour")
        return both
"""


def _gathered_history(*names: str) -> dict[str, Any]:
    steps = cloudflare_history("sleeping")["result"]["steps"][:1]
    steps = [dict(steps[0], name=f"{name}-1", output=name) for name in names]
    return cloudflare_history("sleeping")["result"] | {"steps": steps}


def test_steps_run_together_replay_in_call_order(tmp_path: Path) -> None:
    report = check(tmp_path, _gathered_history("left", "right"), GATHERED)
    assert report.outcome == CLEAN
    assert report.replayed == 2
    assert report.next_step == "sleep 'rest-1' would run (not in the history)"


def test_a_step_missing_from_a_gather_stops_the_replay(tmp_path: Path) -> None:
    report = check(tmp_path, _gathered_history("left"), GATHERED)
    assert report.outcome == CLEAN
    assert report.replayed == 1
    assert report.next_step == "do 'right-1' would run (not in the history)"


def test_the_step_limit_counts_cached_calls(tmp_path: Path) -> None:
    workflows = [dict(CONFIG["workflows"][0], limits={"steps": 1})]
    report = check(
        tmp_path, cloudflare_history("waiting"), config=CONFIG | {"workflows": workflows}
    )
    assert report.outcome == RAISED
    assert "The limit of 1 steps has been reached" in report.message


def test_the_code_s_own_timeout_error_is_reported_as_raised(tmp_path: Path) -> None:
    source = variant(
        "        reserved = await reserve()\n",
        '        reserved = await reserve()\n        raise TimeoutError("upstream slow")\n',
    )
    report = check(tmp_path, cloudflare_history("sleeping"), source)
    assert report.outcome == RAISED
    assert "raises TimeoutError: upstream slow at entry.py:" in report.message
