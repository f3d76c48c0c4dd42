"""The control API: reading and steering virtual time, firing one instance's timer."""

from __future__ import annotations

from pathlib import Path

INSTANCES = "/workflows/approvals/instances"


def test_time_modes_advance_skip_and_fire(approvals: Path, dev_server) -> None:
    server = dev_server(approvals, "--time", "manual")
    clock = server.get("/cdn-cgi/wf/time").result
    assert clock["mode"] == "manual" and clock["next_timer"] is None
    start = clock["now_ms"]
    assert clock["now"].endswith("Z")

    # Manual time does not move by itself; advancing by a duration moves it exactly.
    moved = server.advance("1 hour")
    assert moved["now_ms"] == start + 3_600_000

    # Two instances wait for an event with a 30-day timeout: two timers.
    for instance in ("t1", "t2"):
        server.explorer("POST", INSTANCES, {"id": instance, "params": {"what": instance}})
        server.wait_status("approvals", instance, "waiting")
    clock = server.get("/cdn-cgi/wf/time").result
    assert clock["pending_timers"] == 2
    assert clock["next_timer_ms"] == start + 3_600_000 + 30 * 86_400_000

    # Fire one instance's event timeout now: it times out and completes, time stays put.
    fired = server.post("/cdn-cgi/wf/workflows/approvals/instances/t1/fire").result
    assert fired["fired"] is True and fired["status"] == "complete"
    assert server.describe("approvals", "t1")["output"] == {
        "request": "t1",
        "approved": False,
        "reason": "timed out",
    }
    assert fired["now_ms"] == start + 3_600_000
    again = server.post("/cdn-cgi/wf/time/skip", {"workflow": "approvals", "instance": "t1"})
    assert again.result["fired"] is False

    # Skip jumps to the next timer (t2's timeout) and fires it.
    skipped = server.post("/cdn-cgi/wf/time/skip").result
    assert skipped["skipped"] is True
    assert skipped["now_ms"] == start + 3_600_000 + 30 * 86_400_000
    assert server.status("approvals", "t2") == "complete"
    assert server.post("/cdn-cgi/wf/time/skip").result["skipped"] is False

    # Advance to a timestamp.
    target = "2099-01-01T00:00:00.000Z"
    assert server.post("/cdn-cgi/wf/time/advance", {"to": target}).result["now"] == target

    # Switch modes; a scale alone implies scale mode.
    assert server.request("PUT", "/cdn-cgi/wf/time", {"scale": 60}).result["mode"] == "scale"
    auto = server.post("/cdn-cgi/wf/time", {"mode": "auto"}).result
    assert (auto["mode"], auto["scale"]) == ("auto", 1.0)

    status = server.get("/cdn-cgi/wf/status").result
    assert status["workflows"] == ["approvals"]
    assert status["code"]["loaded"] is True and status["code"]["error"] is None


def test_advance_answers_once_the_woken_instances_settled(quickstart: Path, dev_server) -> None:
    server = dev_server(quickstart, "--time", "manual")
    ids = [server.post("/start", {"name": f"user{i}"}).json["id"] for i in range(5)]
    for instance in ids:
        server.wait_status("onboarding", instance, "waiting")
    server.advance("6 days")
    assert {server.status("onboarding", i) for i in ids} == {"waiting"}
    server.advance("1 day")
    # No polling: the advance itself waited for every instance it woke.
    assert {server.status("onboarding", i) for i in ids} == {"complete"}
