"""The retention timer over HTTP: listed with the clock's timers, fired early, in the CLI."""

from __future__ import annotations

from pathlib import Path

from tests.devserver import run_wf

INSTANCES = "/workflows/approvals/instances"
WEEK_MS = 7 * 86_400_000


def test_the_next_removal_is_a_timer_to_list_and_fire(approvals: Path, dev_server) -> None:
    server = dev_server(approvals, "--time", "manual")
    server.explorer("POST", INSTANCES, {"id": "t1", "params": {"what": "t1"}})
    server.wait_status("approvals", "t1", "waiting")
    fired = server.post("/cdn-cgi/wf/workflows/approvals/instances/t1/fire").result
    assert fired["status"] == "complete"
    now = fired["now_ms"]

    listing = server.get("/cdn-cgi/wf/time/timers").result
    [timer] = [t for t in listing["timers"] if t["kind"] == "retention"]
    assert (timer["workflow"], timer["instance"]) == ("approvals", "t1")
    assert timer["due_ms"] == now + WEEK_MS  # wf's default retention: 7 days
    assert listing["retention"][0]["instance"] == "t1"
    # The clock's next target stays the foreground timers': none is left.
    assert listing["next_timer"] is None

    status = run_wf("time", "status", port=server.port)
    assert status.returncode == 0, status.stderr
    assert "Pending timers (1)" in status.stdout and "Next removals by retention" in status.stdout
    rows = [line for line in status.stdout.splitlines() if "retention" in line]
    assert sum("approvals t1" in row for row in rows) == 2  # a timer row and a removal row

    answer = server.post(f"/cdn-cgi/wf/time/timers/{timer['id']}/fire").result
    assert [(f["kind"], f["instance"]) for f in answer["fired"]] == [("retention", "t1")]
    assert answer["now_ms"] == now  # removed now; time stays put
    gone = server.explorer("GET", f"{INSTANCES}/t1")
    assert gone.status == 404
    after = server.get("/cdn-cgi/wf/time/timers").result
    assert [t for t in after["timers"] if t["kind"] == "retention"] == []
    assert after["retention"] == []
