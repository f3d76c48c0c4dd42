"""`wf replay` as CI runs it: one line per history, exit status 1 on divergence or error."""

from __future__ import annotations

import json
from pathlib import Path

from tests.devserver import run_wf
from tests.replay.projects import CONFIG, cloudflare_history, variant, write_json, write_project


def test_clean_histories_exit_zero(tmp_path: Path) -> None:
    root = write_project(tmp_path / "shop")
    first = write_json(tmp_path / "sleeping.json", cloudflare_history("sleeping"))
    second = write_json(tmp_path / "done.json", cloudflare_history("complete"))
    result = run_wf("replay", str(first), str(second), "--cwd", str(root))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        "✅ sleeping.json: replays cleanly up to step 1; next: sleep 'cool off-1' sleeps until "
        "2026-08-02T10:00:02.000Z",
        "✅ done.json: replays cleanly up to step 4; then run() returns",
        "2 histories: 2 clean, 0 not clean",
    ]


def test_a_divergence_exits_one_and_json_says_where(tmp_path: Path) -> None:
    root = write_project(tmp_path / "shop", variant('@step.do("charge")', '@step.do("bill")'))
    history = write_json(tmp_path / "prod.json", cloudflare_history("waiting"))
    result = run_wf("replay", str(history), "--config", str(root / "wrangler.jsonc"), "--json")
    assert result.returncode == 1
    body = json.loads(result.stdout)
    assert body["ok"] is False
    [report] = body["reports"]
    assert report["outcome"] == "diverged"
    assert report["replayed"] == 2
    assert report["divergence"]["expected"] == {"type": "do", "name": "charge", "count": 1}
    assert report["divergence"]["actual"] == {"type": "do", "name": "bill", "count": 1}


def test_an_unreadable_history_is_reported_and_fails_the_run(tmp_path: Path) -> None:
    root = write_project(tmp_path / "shop")
    bad = cloudflare_history("sleeping")
    bad["result"]["steps"][0]["type"] = "task"
    path = write_json(tmp_path / "bad.json", bad)
    good = write_json(tmp_path / "good.json", cloudflare_history("sleeping"))
    result = run_wf("replay", str(path), str(good), "--cwd", str(root))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("⚠️ bad.json: steps[0].type: must be one of step, sleep")
    assert lines[1].startswith("✅ good.json")
    assert lines[-1] == "2 histories: 1 clean, 1 not clean"


def test_a_project_of_two_workflows_needs_to_know_which(tmp_path: Path) -> None:
    config = dict(CONFIG)
    config["workflows"] = [
        *CONFIG["workflows"],
        {"name": "refunds", "binding": "REFUNDS", "class_name": "Orders"},
    ]
    root = write_project(tmp_path / "shop", config=config)
    history = write_json(tmp_path / "prod.json", cloudflare_history("sleeping"))
    unnamed = run_wf("replay", str(history), "--cwd", str(root))
    assert unnamed.returncode == 1
    assert "the project has 2 (orders, refunds): pass --workflow" in unnamed.stdout
    named = run_wf("replay", str(history), "--cwd", str(root), "--workflow", "refunds")
    assert named.returncode == 0, named.stdout
    assert "replays cleanly up to step 1" in named.stdout


def test_code_that_does_not_load_is_one_clear_error(tmp_path: Path) -> None:
    root = write_project(tmp_path / "shop", "from workers import WorkflowEntrypoint\n1/0\n")
    history = write_json(tmp_path / "prod.json", cloudflare_history("sleeping"))
    result = run_wf("replay", str(history), "--cwd", str(root))
    assert result.returncode == 1
    assert "Error: the project's code does not load: src/entry.py:2: ZeroDivisionError" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr


def test_what_the_code_prints_stays_off_the_json(tmp_path: Path) -> None:
    source = variant(
        "    async def run(self, event, step):\n",
        '    async def run(self, event, step):\n        print("replaying", event["instanceId"])\n',
    )
    root = write_project(tmp_path / "shop", "print('loading')\n" + source)
    history = write_json(tmp_path / "prod.json", cloudflare_history("sleeping"))
    result = run_wf("replay", str(history), "--cwd", str(root), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["ok"] is True
    assert "loading" in result.stderr and "replaying" in result.stderr
