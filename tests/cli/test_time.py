"""`wf time ...` against `wf dev --time manual` over the quickstart project."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.cli.devserver import DevServer
from tests.cli.waiting import wait_status

WF = "onboarding"
WEEK = timedelta(days=7)


def moment(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def test_status_json_shape(quickstart: DevServer) -> None:
    state = quickstart.json("time", "status")
    assert {"now", "mode", "scale", "next_timer"} <= state.keys()
    assert moment(state["now"]).tzinfo is not None
    assert state["mode"] == "manual"
    assert isinstance(state["scale"], int | float)
    assert state["next_timer"] is None or moment(state["next_timer"]) >= moment(state["now"])
    human = quickstart.ok("time", "status")
    assert "Mode:" in human and "manual" in human and "Now:" in human


def test_manual_time_stands_still_and_advance_moves_it(quickstart: DevServer) -> None:
    before = quickstart.json("time", "status")
    assert quickstart.json("time", "status")["now"] == before["now"]
    after = quickstart.json("time", "advance", "7d")  # the short form, as a convenience
    assert moment(after["now"]) - moment(before["now"]) == WEEK
    after = quickstart.json("time", "advance", "1 hour, 30 minutes")
    assert moment(after["now"]) - moment(before["now"]) == WEEK + timedelta(minutes=90)


def test_skip_jumps_to_the_next_timer(quickstart: DevServer) -> None:
    quickstart.ok("trigger", WF, '{"name": "S"}', "--id", "skip-all")
    wait_status(quickstart, WF, "skip-all", "waiting")
    state = quickstart.json("time", "status")
    assert state["next_timer"] is not None
    assert moment(state["next_timer"]) - moment(state["now"]) == WEEK

    out = quickstart.ok("time", "skip")
    assert "⏭️ Skipped to the next timer" in out
    assert quickstart.json("time", "status")["now"] == state["next_timer"]
    assert quickstart.status(WF, "skip-all") == "complete"


def test_skip_one_instance_fires_its_sleep_now(quickstart: DevServer) -> None:
    quickstart.ok("trigger", WF, '{"name": "T"}', "--id", "skip-one")
    wait_status(quickstart, WF, "skip-one", "waiting")
    before = quickstart.json("time", "status")["now"]
    out = quickstart.ok("time", "skip", WF, "skip-one")
    assert out == '⏭️ Fired the pending sleep of instance "skip-one" from onboarding\n'
    wait_status(quickstart, WF, "skip-one", "complete")
    assert quickstart.json("time", "status")["now"] == before  # only that instance moved on

    again = quickstart.wf("time", "skip", WF, "skip-one")
    assert again.returncode == 1
    assert "no pending sleep" in again.stderr and again.stderr.count("\n") == 1


def test_bad_duration_fails_in_one_line(quickstart: DevServer) -> None:
    result = quickstart.wf("time", "advance", "seven days")
    assert result.returncode == 1
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1


def test_scale_and_mode(quickstart: DevServer) -> None:
    state = quickstart.json("time", "scale", "1000")
    assert (state["mode"], state["scale"]) == ("scale", 1000)
    assert "x1000" in quickstart.ok("time", "status")

    state = quickstart.json("time", "mode", "auto")
    assert state["mode"] == "auto"
    out = quickstart.ok("time", "mode", "manual")
    assert "⏱️ Time mode is now manual" in out
    assert quickstart.json("time", "status")["mode"] == "manual"

    wrong = quickstart.wf("time", "mode", "warp")
    assert wrong.returncode != 0
