"""Time you can see and undo: `wf time status` lists the pending timers, `advance` and `skip`
say what they fired, `wf time reset` and `wf dev --fresh` undo time (with a confirmation)."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import QUICKSTART, REVIEW, start_dev
from tests.cli.devserver import DevServer, wf_command
from tests.cli.waiting import wait_status


def moment(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def review(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    """Its own `wf dev` over the review project: these tests move its clock a lot."""
    with start_dev(REVIEW, tmp_path_factory.mktemp("timers")) as server:
        yield server


def _post(server: DevServer, path: str) -> Any:
    request = urllib.request.Request(
        f"http://127.0.0.1:{server.port}{path}", data=b"{}", method="POST"
    )
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())["result"]


def test_status_lists_pending_timers_in_due_order_with_kind_and_instance(
    review: DevServer,
) -> None:
    review.ok("trigger", "review", '{"title": "T"}', "--id", "doc-1")
    review.ok("trigger", "flaky", "--id", "api-1")
    wait_status(review, "review", "doc-1", "waiting")
    wait_status(review, "flaky", "api-1", "waiting")

    state = review.json("time", "status")
    timers = state["timers"]
    assert [t["due_ms"] for t in timers] == sorted(t["due_ms"] for t in timers)
    assert state["total"] == len(timers) == state["pending_timers"] == 2
    first, second = timers
    # The retry delay (1 s) is due before the event timeout (1 hour).
    assert (first["kind"], first["workflow"], first["instance"], first["step"]) == (
        "retry delay",
        "flaky",
        "api-1",
        "call_api-1",
    )
    assert (second["kind"], second["instance"], second["step"]) == (
        "event timeout",
        "doc-1",
        "await review-1",
    )
    human = review.ok("time", "status")
    assert "Pending timers (2)" in human
    assert human.index("retry delay") < human.index("event timeout")
    assert "flaky api-1" in human and "review doc-1" in human and "1 hour" in human


def test_advance_says_what_it_fired_in_order(review: DevServer) -> None:
    review.ok("trigger", "flaky", "--id", "api-2")
    wait_status(review, "flaky", "api-2", "waiting")
    fired = review.json("time", "advance", "2 seconds")["fired"]
    mine = [f for f in fired if f["instance"] == "api-2"]
    # Attempts 1 and 2 fail; each retry delay fires in turn and attempt 3 succeeds.
    assert [(f["kind"], f["step"]) for f in mine] == [("retry delay", "call_api-1")] * 2
    assert review.status("flaky", "api-2") == "complete"

    review.ok("trigger", "flaky", "--id", "api-3")
    wait_status(review, "flaky", "api-3", "waiting")
    out = review.ok("time", "advance", "1 second")
    assert "Fired 1 timer:" in out
    assert "retry delay: flaky api-3 (call_api-1) at " in out
    assert "No timer fired" in review.ok("time", "advance", "1 ms")


def test_skip_says_what_it_fired(review: DevServer) -> None:
    review.ok("trigger", "review", "--id", "doc-2")
    wait_status(review, "review", "doc-2", "waiting")
    while True:  # earlier tests may have left timers due before this one's
        answer = review.json("time", "skip")
        assert answer["skipped"], answer
        if any(f["instance"] == "doc-2" for f in answer["fired"]):
            break
    assert answer["fired"][-1]["kind"] == "event timeout"
    assert review.status("review", "doc-2") == "errored"  # wait_for_event timed out

    review.ok("trigger", "review", "--id", "doc-3")
    wait_status(review, "review", "doc-3", "waiting")
    out = review.ok("time", "skip", "review", "doc-3")
    assert out.startswith('⏭️ Fired the pending event timeout of instance "doc-3" from review\n')


def test_one_timer_fires_by_its_id_and_a_fired_id_is_gone(review: DevServer) -> None:
    review.ok("trigger", "review", "--id", "doc-4")
    wait_status(review, "review", "doc-4", "waiting")
    timer = next(t for t in review.json("time", "status")["timers"] if t["instance"] == "doc-4")
    before = review.json("time", "status")["now"]
    answer = _post(review, f"/cdn-cgi/wf/time/timers/{timer['id']}/fire")
    assert [(f["kind"], f["instance"]) for f in answer["fired"]] == [("event timeout", "doc-4")]
    assert review.status("review", "doc-4") == "errored"
    assert review.json("time", "status")["now"] == before  # only that instance moved on
    with pytest.raises(urllib.error.HTTPError) as gone:
        _post(review, f"/cdn-cgi/wf/time/timers/{timer['id']}/fire")
    assert gone.value.code == 404
    assert "no pending timer" in json.loads(gone.value.read())["errors"][0]["message"]


def test_reset_is_held_by_stored_times_and_asks_first(review: DevServer) -> None:
    review.ok("time", "advance", "30 days")
    review.ok("trigger", "review", "--id", "doc-late")  # stored 30 days ahead of the wall
    wait_status(review, "review", "doc-late", "waiting")
    refused = review.wf("time", "reset")  # stdin is not a terminal: no guess, no change
    assert refused.returncode == 1 and "--yes" in refused.stderr
    before = review.json("time", "status")["now"]
    state = review.json("time", "reset", "--yes")
    assert state["held_by_state"] is True
    assert moment(state["now"]) <= moment(before)
    assert moment(state["now"]) == moment(state["latest_stored"])
    assert moment(state["now"]) > moment(state["wall"])
    assert review.describe("review", "doc-late")["status"] == "waiting"


def test_reset_with_no_state_ahead_comes_back_to_the_wall_clock(tmp_path: Path) -> None:
    with start_dev(QUICKSTART, tmp_path) as server:
        server.ok("time", "advance", "90 days")
        out = server.ok("time", "reset", "--yes")
        assert "⏪ Reset virtual time" in out and "Held at" not in out
        now = moment(server.json("time", "status")["now"]).timestamp()
        assert abs(now - time.time()) < 60


def test_dev_fresh_empties_the_state_after_confirmation(tmp_path: Path) -> None:
    project = tmp_path / "quickstart"
    shutil.copytree(QUICKSTART, project)
    with DevServer(project, "--time", "manual").wait_ready() as server:
        server.ok("trigger", "onboarding", '{"name": "A"}', "--id", "old-one")
        server.ok("time", "advance", "400 days")
    refused = subprocess.run(
        [*wf_command(), "dev", str(project), "--fresh"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=30,
    )
    assert refused.returncode == 1 and "--yes" in refused.stderr, refused.stderr
    assert (project / ".wf" / "state.sqlite3").exists()  # nothing deleted
    with DevServer(project, "--time", "manual", "--fresh", "--yes").wait_ready() as server:
        assert server.json("instances", "list", "onboarding") == []
        now = moment(server.json("time", "status")["now"]).timestamp()
        assert abs(now - time.time()) < 60
