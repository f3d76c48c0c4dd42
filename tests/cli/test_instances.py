"""`wf trigger` and `wf instances ...` against a real `wf dev` over the quickstart project."""

from __future__ import annotations

import json
import re
import uuid

from tests.cli.devserver import DevServer
from tests.cli.waiting import wait_status

WF = "onboarding"


def trigger(server: DevServer, instance_id: str, name: str = "Ada") -> None:
    server.ok("trigger", WF, json.dumps({"name": name}), "--id", instance_id)
    wait_status(server, WF, instance_id, "waiting")


def test_trigger_with_id_queues_that_instance(quickstart: DevServer) -> None:
    out = quickstart.ok("trigger", WF, '{"name": "Ada"}', "--id", "ada")
    assert out == '🚀 Workflow instance "ada" has been queued successfully\n'
    details = wait_status(quickstart, WF, "ada", "waiting")
    assert details["params"] == {"name": "Ada"}
    assert details["trigger"] == {"source": "api"}


def test_trigger_without_id_gets_a_uuid(quickstart: DevServer) -> None:
    out = quickstart.ok("trigger", WF, '{"name": "Bo"}')
    match = re.fullmatch(r'🚀 Workflow instance "([^"]+)" has been queued successfully\n', out)
    assert match, out
    uuid.UUID(match.group(1))
    result = quickstart.json("trigger", WF, '{"name": "Cy"}')
    assert result["workflow"] == WF
    uuid.UUID(result["id"])
    assert quickstart.describe(WF, "latest")["id"] == result["id"]


def test_seven_day_sleep_fast_forwarded(quickstart: DevServer) -> None:
    trigger(quickstart, "week", "Wu")
    advanced = quickstart.ok("time", "advance", "7 days")
    assert "⏩ Advanced virtual time by 7 days" in advanced

    details = quickstart.describe(WF, "week")
    assert details["status"] == "complete"
    assert details["output"]["check_in"] == {"message": "One week in: how is it going, Wu?"}
    assert [s["name"] for s in details["steps"]] == ["welcome-1", "wait a week-1", "check_in-1"]

    human = quickstart.ok("instances", "describe", WF, "week")
    for text in (
        "Instance Id:",
        "✅ Completed",
        "Success:",
        "✅ Yes",
        "Steps:",
        "🎯 Step",
        "💤 Sleeping",
        "wait a week-1",
        "Attempts",
        '{"message":"Welcome, Wu!"}',
    ):
        assert text in human, f"{text!r} missing from:\n{human}"
    assert re.search(r"^Duration: +7 days$", human, re.M)
    assert re.search(r"^Last Successful Step: +check_in-1$", human, re.M)


def test_describe_truncates_outputs_as_wrangler(quickstart: DevServer) -> None:
    trigger(quickstart, "short", "Xi")
    out = quickstart.ok("instances", "describe", WF, "short", "--truncate-output-limit", "5")
    assert '{"mes[...output truncated]' in out
    hidden = quickstart.ok("instances", "describe", WF, "short", "--no-step-output")
    assert "Welcome" not in hidden


def test_list_filters_by_status_and_pages(quickstart: DevServer) -> None:
    trigger(quickstart, "listed-1")
    trigger(quickstart, "listed-2")
    waiting = quickstart.json("instances", "list", WF, "--status", "waiting", "--per-page", "100")
    assert {"listed-1", "listed-2"} <= {i["id"] for i in waiting}
    assert {i["status"] for i in waiting} == {"waiting"}

    human = quickstart.ok("instances", "list", WF, "--status", "waiting")
    assert re.search(r"Showing \d+ instances from page 1:", human)
    assert "⏰ Waiting" in human and "listed-2" in human

    one = quickstart.json("instances", "list", WF, "--per-page", "1")
    assert len(one) == 1
    assert quickstart.json("instances", "list", WF, "--per-page", "1", "--page", "2") != one


def test_pause_resume_terminate_restart(quickstart: DevServer) -> None:
    trigger(quickstart, "ctl")

    out = quickstart.ok("instances", "pause", WF, "ctl")
    assert out == '⏸️ The instance "ctl" from onboarding was paused successfully\n'
    assert quickstart.status(WF, "ctl") == "paused"
    assert "⏸️ Paused" in quickstart.ok("instances", "list", WF, "--status", "paused")

    out = quickstart.ok("instances", "resume", WF, "ctl")
    assert out == '🔄 The instance "ctl" from onboarding was resumed successfully\n'
    wait_status(quickstart, WF, "ctl", "waiting")

    out = quickstart.ok("instances", "terminate", WF, "ctl")
    assert out == '🥷 The instance "ctl" from onboarding was terminated successfully\n'
    details = quickstart.describe(WF, "ctl")
    assert details["status"] == "terminated"
    assert details["steps"][-1]["type"] == "termination"
    assert "🚫 Terminated" in quickstart.ok("instances", "describe", WF, "ctl")

    out = quickstart.ok("instances", "restart", WF, "ctl")
    assert out == '🥷 The instance "ctl" from onboarding was restarted successfully\n'
    details = wait_status(quickstart, WF, "ctl", "waiting")
    assert [s["name"] for s in details["steps"]] == ["welcome-1", "wait a week-1"]


def test_restart_from_a_step_keeps_the_steps_before_it(quickstart: DevServer) -> None:
    trigger(quickstart, "redo")
    quickstart.ok("time", "advance", "7 days")
    assert quickstart.status(WF, "redo") == "complete"

    result = quickstart.json(
        "instances", "restart", WF, "redo", "--from-step-name", "check_in", "--from-step-type", "do"
    )
    assert result["from"] == {"name": "check_in", "type": "do"}
    # Only check_in runs again: no new week-long sleep, so it completes without moving time.
    details = wait_status(quickstart, WF, "redo", "complete")
    assert [s["name"] for s in details["steps"]] == ["welcome-1", "wait a week-1", "check_in-1"]


def test_restart_from_an_unknown_step_fails_in_one_line(quickstart: DevServer) -> None:
    trigger(quickstart, "redo-bad")
    result = quickstart.wf("instances", "restart", WF, "redo-bad", "--from-step-name", "nope")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "nope" in result.stderr


def test_delete_removes_every_instance_named(quickstart: DevServer) -> None:
    quickstart.ok("trigger", WF, '{"name": "D"}', "--id", "del-1")
    quickstart.ok("trigger", WF, '{"name": "E"}', "--id", "del-2")
    out = quickstart.ok("instances", "delete", WF, "del-1", "del-2")
    assert out == '🗑️  Deleted workflow instances from "onboarding": "del-1", "del-2"\n'
    gone = quickstart.wf("instances", "describe", WF, "del-1")
    assert gone.returncode == 1 and "not found" in gone.stderr


def test_latest_resolves_to_the_newest_instance(quickstart: DevServer) -> None:
    quickstart.ok("trigger", WF, '{"name": "N"}', "--id", "newest")
    assert quickstart.describe(WF, "latest")["id"] == "newest"
    out = quickstart.ok("instances", "describe", WF)  # ID defaults to latest
    assert re.search(r"^Instance Id: +newest$", out, re.M)
    paused = quickstart.json("instances", "pause", WF, "latest")
    assert paused["id"] == "newest"
