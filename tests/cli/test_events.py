"""`wf send-event` and the attempts table, against `wf dev` over the review fixture."""

from __future__ import annotations

from tests.cli.devserver import DevServer
from tests.cli.waiting import wait_status


def test_send_event_wakes_the_waiting_instance(review: DevServer) -> None:
    review.ok("trigger", "review", '{"title": "Spec"}', "--id", "r1")
    waiting = wait_status(review, "review", "r1", "waiting")
    assert waiting["steps"][-1]["type"] == "waitForEvent"
    assert "👀 Waiting for event" in review.ok("instances", "describe", "review", "r1")

    out = review.ok("send-event", "review", "r1", "--type", "review", "--payload", '{"ok": 1}')
    assert out == (
        '📤 The event with type "review" and payload "{"ok": 1}" was sent '
        'to the instance "r1" from review\n'
    )
    details = wait_status(review, "review", "r1", "complete")
    assert details["output"] == {"published": False, "title": "Spec"}
    assert details["steps"][1]["output"]["payload"] == {"ok": 1}


def test_send_event_to_latest_with_json_output(review: DevServer) -> None:
    review.ok("trigger", "review", '{"title": "Plan"}', "--id", "r2")
    wait_status(review, "review", "r2", "waiting")
    sent = review.json(
        "send-event", "review", "latest", "--type", "review", "--payload", '{"approved": true}'
    )
    assert sent == {
        "workflow": "review",
        "id": "r2",
        "type": "review",
        "payload": {"approved": True},
    }
    details = wait_status(review, "review", "r2", "complete")
    assert details["output"] == {"published": True, "title": "Plan"}


def test_event_without_payload_reads_like_wrangler(review: DevServer) -> None:
    review.ok("trigger", "review", "--id", "r3")
    out = review.ok("send-event", "review", "r3", "--type", "review")
    assert out == '📤 The event with type "review" was sent to the instance "r3" from review\n'


def test_bad_payload_json_fails_in_one_line(review: DevServer) -> None:
    result = review.wf("send-event", "review", "latest", "--type", "review", "--payload", "{nope")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith('Error: Error while parsing event payload: "{nope"')
    assert result.stderr.count("\n") == 1


def test_retries_show_in_the_attempts_table(review: DevServer) -> None:
    review.ok("trigger", "flaky", "--id", "f1")
    details = wait_status(review, "flaky", "f1", "waiting")  # in the retry delay
    assert len(details["steps"][0]["attempts"]) == 1

    out = review.ok("time", "skip", "flaky", "f1")
    assert out == '⏭️ Fired the pending retry delay of instance "f1" from flaky\n'
    review.ok("time", "skip", "flaky", "f1")
    details = wait_status(review, "flaky", "f1", "complete")
    assert [a["success"] for a in details["steps"][0]["attempts"]] == [False, False, True]

    human = review.ok("instances", "describe", "flaky", "f1")
    for text in (
        "Attempts of call_api-1:",
        "❌ Error",
        "ValueError: upstream down (attempt 1)",
        "✅ Success",
        '{"attempts":3}',
    ):
        assert text in human, f"{text!r} missing from:\n{human}"
