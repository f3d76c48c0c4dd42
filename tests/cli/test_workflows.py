"""`wf workflows list|describe` against `wf dev` over the review fixture (two workflows)."""

from __future__ import annotations

from tests.cli.devserver import DevServer


def test_list_shows_every_workflow(review: DevServer) -> None:
    found = review.json("workflows", "list")
    assert {(w["name"], w["class_name"]) for w in found} == {
        ("review", "Review"),
        ("flaky", "Flaky"),
    }
    human = review.ok("workflows", "list")
    assert "Showing 2 workflows from local dev session:" in human
    assert "Review" in human and "Flaky" in human and "Class name" in human


def test_describe_counts_instances_by_status(review: DevServer) -> None:
    review.ok("trigger", "review", "--id", "counted")
    described = review.json("workflows", "describe", "review")
    assert described["name"] == "review"
    assert described["class_name"] == "Review"
    assert sum(described["instances"].values()) >= 1

    human = review.ok("workflows", "describe", "review")
    assert "Class Name:" in human and "Review" in human
    assert "Instance Status Counts:" in human and "waitingForPause:" in human


def test_unknown_workflow_fails_in_one_line(review: DevServer) -> None:
    result = review.wf("workflows", "describe", "nope")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "nope" in result.stderr


def test_a_workflow_without_instances(review: DevServer) -> None:
    listed = review.wf("instances", "list", "flaky")
    assert listed.returncode == 0 and listed.stdout == ""
    assert 'There are no instances in workflow "flaky"' in listed.stderr
    assert review.json("instances", "list", "flaky") == []
    latest = review.wf("instances", "describe", "flaky", "latest")
    assert latest.returncode == 1
    assert latest.stderr == 'Error: There are no instances in workflow "flaky"\n'
