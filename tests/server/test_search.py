"""Instances across every workflow: ``GET /cdn-cgi/wf/instances`` finds by part of an id,
status and creation time, newest first, errored rows with their error, in pages."""

from __future__ import annotations

from tests.server.conftest import DevServer


def test_search_across_workflows_by_id_status_and_time(approvals, dev_server) -> None:
    server: DevServer = dev_server(approvals, "--time", "manual", "--no-reload")
    for n in range(30):
        server.explorer("POST", "/workflows/approvals/instances", {"id": f"req-{n:02d}"})
    server.wait_status("approvals", "req-29", "waiting")
    early = server.get("/cdn-cgi/wf/time").result["now_ms"]  # epoch ms work as well as ISO
    server.advance("1 day")
    server.explorer("POST", "/workflows/approvals/instances", {"id": "late-one"})
    server.wait_status("approvals", "late-one", "waiting")

    page1 = server.get("/cdn-cgi/wf/instances?per_page=25")
    assert page1.status == 200
    info = page1.json["result_info"]
    assert (info["total_count"], info["total_pages"], info["count"]) == (31, 2, 25)
    assert page1.result[0]["id"] == "late-one"  # newest first
    assert {row["workflow"] for row in page1.result} == {"approvals"}
    page2 = server.get("/cdn-cgi/wf/instances?per_page=25&page=2").result
    assert [row["id"] for row in page2] == [f"req-{n:02d}" for n in range(5, -1, -1)]

    # Part of an id, ASCII case ignored; LIKE wildcards match themselves only.
    assert [r["id"] for r in server.get("/cdn-cgi/wf/instances?q=REQ-1").result] == [
        f"req-{n}" for n in range(19, 9, -1)
    ]
    assert server.get("/cdn-cgi/wf/instances?q=req_%25").result == []
    before = server.get(f"/cdn-cgi/wf/instances?since=2026-01-01&until={early}&per_page=100")
    assert len(before.result) == 30 and before.result[0]["id"] == "req-29"
    since = server.get("/cdn-cgi/wf/time").result["now_ms"] - 1000
    later = server.get(f"/cdn-cgi/wf/instances?since={since}").result
    assert [r["id"] for r in later] == ["late-one"]
    waiting = server.get("/cdn-cgi/wf/instances?status=waiting&workflow=approvals")
    assert waiting.json["result_info"]["total_count"] == 31

    # An errored instance carries its error.
    server.explorer(
        "PATCH", "/workflows/approvals/instances/req-00/status", {"action": "terminate"}
    )
    terminated = server.get("/cdn-cgi/wf/instances?status=terminated").result
    assert [(r["id"], r["error"]) for r in terminated] == [("req-00", None)]


def test_search_refuses_bad_queries_by_name(approvals, dev_server) -> None:
    server: DevServer = dev_server(approvals, "--time", "manual", "--no-reload")
    cases = {
        "status=sleeping": "Invalid status 'sleeping'",
        "workflow=nope": "no workflow 'nope' in this project (workflows: approvals)",
        "page=0": "page must be a whole number from 1",
        "per_page=500": "per_page must be a whole number from 1 to 100",
        "since=yesterday": "since:",
        f"q={'x' * 101}": "q is 101 characters",
    }
    for query, message in cases.items():
        answer = server.get(f"/cdn-cgi/wf/instances?{query}")
        assert answer.status in (400, 404), (query, answer)
        assert message in answer.error, (query, answer.error)
    bad = server.get("/cdn-cgi/wf/time/timers?limit=0")
    assert bad.status == 400 and "limit must be a whole number from 1 to 1000" in bad.error
    missing = server.post("/cdn-cgi/wf/time/timers/12345/fire", {})
    assert missing.status == 404 and "no pending timer '12345'" in missing.error
