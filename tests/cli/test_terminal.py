"""CLI output that fits a terminal: narrow tables, totals and the next page, JSON errors on
stdout, no "succeeded" for an action that changed nothing, valid names listed, completion."""

from __future__ import annotations

import json

from rich.cells import cell_len

from tests.cli.devserver import DevServer, free_port, run_wf
from tests.cli.waiting import wait_status

WF = "onboarding"


def trigger(server: DevServer, *ids: str) -> None:
    for instance_id in ids:
        server.ok("trigger", WF, '{"name": "Ada"}', "--id", instance_id)
    for instance_id in ids:
        wait_status(server, WF, instance_id, "waiting")


def test_list_fits_80_columns_and_says_how_to_page(quickstart: DevServer) -> None:
    long_ids = [f"0b6a9f3e-3f5c-4f7e-9d7a-2c1e5b8a90{n:02d}" for n in range(3)]  # 36 characters
    trigger(quickstart, *long_ids)
    quickstart.ok("time", "advance", "1 hour")  # a later created_on: Created is not uniform
    trigger(quickstart, "later")
    quickstart.ok("instances", "pause", WF, "later")

    listed = run_wf(
        "instances", "list", WF, "--per-page", "3", port=quickstart.port, env={"COLUMNS": "80"}
    )
    assert listed.returncode == 0, listed.stderr
    out = listed.stdout
    assert max(cell_len(line) for line in out.splitlines()) <= 80, out
    # whole ids, never wrapped across lines
    assert sum(i in out for i in long_ids) == 2 and "later" in out
    assert "⏸️ Paused" in out and "⏰ Waiting" in out
    assert "Version: " in out and "(every row)" in out  # one version: said once, not per row
    assert "4 instances in all, page 1 of 2" in out
    assert f"Next page: wf instances list {WF} --per-page 3 --page 2" in out

    wide = quickstart.ok("instances", "list", WF, "--per-page", "3")  # 160 columns when piped
    assert "Created (UTC)" in wide and "Modified (UTC)" in wide and "Hidden" not in wide
    last = quickstart.ok("instances", "list", WF, "--per-page", "3", "--page", "2")
    assert "page 2 of 2" in last and "Next page" not in last


def test_a_json_error_is_a_json_document_on_stdout(quickstart: DevServer) -> None:
    result = quickstart.wf("instances", "describe", WF, "missing", "--json")
    assert result.returncode == 1
    payload = json.loads(result.stdout)
    assert payload["success"] is False and payload["result"] is None
    assert payload["errors"] == [
        {"code": 10501, "message": "Workflow instance 'missing' not found."}
    ]
    assert result.stderr == "Error: Workflow instance 'missing' not found.\n"


def test_an_unknown_workflow_lists_the_ones_there_are(quickstart: DevServer) -> None:
    result = quickstart.wf("instances", "list", "onbaording")
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr == (
        "Error: Workflow 'onbaording' not found. The project's workflows: onboarding\n"
    )


def test_pause_and_resume_that_change_nothing_say_so(quickstart: DevServer) -> None:
    trigger(quickstart, "still")
    out = quickstart.wf("instances", "resume", WF, "still")
    assert out.returncode == 0 and out.stdout == ""
    assert "is ⏰ Waiting: nothing to resume, unchanged" in out.stderr
    assert "successfully" not in out.stderr

    quickstart.ok("instances", "pause", WF, "still")
    again = quickstart.wf("instances", "pause", WF, "still", "--json")
    assert json.loads(again.stdout) == {
        "workflow": WF,
        "id": "still",
        "action": "pause",
        "changed": False,
        "status": "paused",
    }
    quickstart.ok("instances", "terminate", WF, "still")
    done = quickstart.wf("instances", "pause", WF, "still")
    assert "is 🚫 Terminated: nothing to pause, unchanged" in done.stderr
    assert quickstart.status(WF, "still") == "terminated"


def test_completion_scripts_and_live_names(quickstart: DevServer) -> None:
    for shell, marker in (("bash", "_wf_completion"), ("zsh", "#compdef wf"), ("fish", "complete")):
        script = run_wf("completion", shell)
        assert script.returncode == 0 and marker in script.stdout, (shell, script.stdout)
    trigger(quickstart, "completed-id")

    def complete(words: str, port: int = quickstart.port) -> list[str]:
        env = {
            "_WF_COMPLETE": "bash_complete",
            "COMP_WORDS": words,
            "COMP_CWORD": str(len(words.split(" ")) - 1),
            "WF_PORT": str(port),
        }
        result = run_wf(env=env)
        assert result.returncode == 0, result.stderr
        return [line.split(",", 1)[1] for line in result.stdout.splitlines() if line]

    assert complete("wf instances describe onb") == [WF]
    ids = complete(f"wf instances describe {WF} comp")
    assert ids == ["completed-id"]
    assert "latest" in complete(f"wf instances pause {WF} ")
    # no server there: nothing to offer, and no error
    assert complete("wf trigger o", port=free_port()) == []
