"""The explorer REST API: the routes and JSON shapes `wrangler workflows --local` relies on."""

from __future__ import annotations

from pathlib import Path

import pytest

LOCAL = "/cdn-cgi/local/explorer/api"


@pytest.fixture
def server(approvals: Path, dev_server):
    return dev_server(approvals, "--time", "manual")


def test_workflows_list_and_describe(server) -> None:
    listed = server.explorer("GET", "/workflows")
    assert listed.result == [
        {"name": "approvals", "class_name": "Approval", "script_name": "approvals"}
    ]
    assert listed.json["result_info"]["count"] == 1
    assert listed.json["errors"] == [] and listed.json["messages"] == []

    server.explorer("POST", "/workflows/approvals/instances", {"id": "a1", "params": {}})
    server.wait_status("approvals", "a1", "waiting")
    details = server.request("GET", LOCAL + "/workflows/approvals").result  # the newer base path
    assert details["name"] == "approvals" and details["class_name"] == "Approval"
    assert details["instances"]["waiting"] == 1
    assert set(details["instances"]) >= {
        "complete",
        "errored",
        "paused",
        "queued",
        "running",
        "terminated",
        "waiting",
        "waitingForPause",
    }


def test_create_list_and_paginate(server) -> None:
    created = server.explorer(
        "POST", "/workflows/approvals/instances", {"id": "one", "params": {"what": "desk"}}
    ).result
    assert created["id"] == "one" and created["version_id"]
    # wrangler 4.86 sends `id`; Cloudflare's REST API spells it `instance_id`.
    assert (
        server.explorer("POST", "/workflows/approvals/instances", {"instance_id": "two"}).result[
            "id"
        ]
        == "two"
    )
    generated = server.explorer("POST", "/workflows/approvals/instances").result["id"]
    assert len(generated) == 36

    duplicate = server.explorer("POST", "/workflows/approvals/instances", {"id": "one"})
    assert duplicate.status == 409 and "already exists" in duplicate.error

    batch = server.explorer(
        "POST",
        "/workflows/approvals/instances/batch",
        [{"id": "b1", "params": {"what": "x"}}, {"id": "one"}, {"instance_id": "b2"}],
    ).result
    assert [entry["id"] for entry in batch] == ["b1", "b2"]  # existing ids are skipped

    for instance in ("one", "two", generated, "b1", "b2"):
        server.wait_status("approvals", instance, "waiting")

    page = server.explorer("GET", "/workflows/approvals/instances?per_page=2&page=1")
    assert [i["id"] for i in page.result] == ["b2", "b1"]  # newest first
    info = page.json["result_info"]
    assert (info["page"], info["per_page"], info["total_count"], info["total_pages"]) == (
        1,
        2,
        5,
        3,
    )
    assert info["status_counts"]["waiting"] == 5
    first = page.result[0]
    assert set(first) >= {"id", "status", "created_on"}
    assert first["status"] == "waiting" and first["created_on"].endswith("Z")

    last = server.explorer("GET", "/workflows/approvals/instances?per_page=2&page=3").result
    assert [i["id"] for i in last] == ["one"]

    server.explorer("PATCH", "/workflows/approvals/instances/two/status", {"action": "pause"})
    paused = server.explorer("GET", "/workflows/approvals/instances?status=paused").result
    assert [i["id"] for i in paused] == ["two"]


def test_instance_details_follow_the_step_history(server) -> None:
    server.explorer(
        "POST", "/workflows/approvals/instances", {"id": "d1", "params": {"what": "desk"}}
    )
    server.wait_status("approvals", "d1", "waiting")
    sent = server.explorer(
        "POST", "/workflows/approvals/instances/d1/events/approval", {"approved": True}
    )
    assert sent.status == 200
    details = server.wait_status("approvals", "d1", "complete")
    assert details["output"] == {"request": "desk", "approved": True}
    assert details["params"] == {"what": "desk"}
    assert details["trigger"] == {"source": "api"}
    assert details["success"] is True and details["error"] is None
    for key in ("queued", "start", "end"):
        assert details[key].endswith("Z")
    assert details["step_count"] == 3
    request, wait, record = details["steps"]
    assert request["type"] == "step" and request["name"] == "request-1"
    assert request["success"] is True and request["output"] == {"request": "desk"}
    assert request["config"]["retries"]["limit"] == 5
    assert [a["success"] for a in request["attempts"]] == [True]
    assert wait["type"] == "waitForEvent" and wait["name"] == "wait for approval-1"
    assert wait["finished"] is True
    assert wait["output"]["type"] == "approval"
    assert wait["output"]["payload"] == {"approved": True}
    assert record["name"] == "record-1" and record["output"] == {"approved": True}

    desc = server.explorer("GET", "/workflows/approvals/instances/d1?order=desc").result
    assert [s["name"] for s in desc["steps"]] == ["record-1", "wait for approval-1", "request-1"]
    latest = server.explorer("GET", "/workflows/approvals/instances/latest").result
    assert latest["id"] == "d1"


def test_lifecycle_actions(server) -> None:
    url = "/workflows/approvals/instances/l1"
    server.explorer("POST", "/workflows/approvals/instances", {"id": "l1"})
    server.wait_status("approvals", "l1", "waiting")

    paused = server.explorer("PATCH", url + "/status", {"action": "pause"}).result
    assert paused["status"] == "paused"
    # Production's key is `status`; Miniflare's (and wrangler 4.86's) is `action`.
    resumed = server.explorer("PATCH", url + "/status", {"status": "resume"}).result
    assert resumed["status"] in ("queued", "running", "waiting")
    server.wait_status("approvals", "l1", "waiting")

    terminated = server.explorer("PATCH", url + "/status", {"action": "terminate"}).result
    assert terminated["status"] == "terminated"
    details = server.describe("approvals", "l1")
    assert details["steps"][-1] == {"type": "termination", "trigger": {"source": "api"}}
    again = server.explorer("PATCH", url + "/status", {"action": "terminate"})
    assert again.status == 409 and "cannot_terminate" in again.error

    server.explorer("PATCH", url + "/status", {"action": "restart"})
    server.wait_status("approvals", "l1", "waiting")
    server.explorer("POST", url + "/events/approval", {"approved": False})
    done = server.wait_status("approvals", "l1", "complete")
    assert done["output"]["approved"] is False

    # Restart from a step: the steps before it stay cached, the rest runs again.
    server.explorer(
        "PATCH",
        url + "/status",
        {
            "action": "restart",
            "from": {"name": "wait for approval", "count": 1, "type": "waitForEvent"},
        },
    )
    waiting = server.wait_status("approvals", "l1", "waiting")
    assert [s["name"] for s in waiting["steps"]] == ["request-1", "wait for approval-1"]
    unknown = server.explorer(
        "PATCH", url + "/status", {"action": "restart", "from": {"name": "nope"}}
    )
    assert unknown.status == 404 and "not found" in unknown.error


def test_delete_one_batch_and_all(server) -> None:
    for instance in ("x1", "x2", "x3", "x4"):
        server.explorer("POST", "/workflows/approvals/instances", {"id": instance})
    deleted = server.explorer("DELETE", "/workflows/approvals/instances/x1")
    assert deleted.status == 200
    assert server.explorer("GET", "/workflows/approvals/instances/x1").status == 404

    batch = server.explorer(
        "POST", "/workflows/approvals/instances/batch/delete", {"instances": ["x2", "x3", "nope"]}
    ).result
    assert batch["deleted"] == [{"id": "x2"}, {"id": "x3"}]
    assert [e["id"] for e in batch["errors"]] == ["nope"]

    server.explorer("DELETE", "/workflows/approvals")  # all instances of the workflow
    remaining = server.explorer("GET", "/workflows/approvals/instances")
    assert remaining.result == [] and remaining.json["result_info"]["total_count"] == 0
