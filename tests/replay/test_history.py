"""Reading histories: the shapes Cloudflare and wf print, and errors that name the field."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.replay.projects import cloudflare_history
from wf import serialization
from wf.history import HistoryError, load_histories, parse_history
from wf.vocabulary import InstanceStatus, StepKind, StepState


def load(data: Any) -> list[Any]:
    return load_histories(json.dumps(data), "prod.json")


def test_cloudflare_envelope_and_bare_result_read_alike() -> None:
    [wrapped] = load(cloudflare_history("waiting"))
    [bare] = load(cloudflare_history("waiting")["result"])
    assert wrapped.steps == bare.steps
    assert wrapped.status == InstanceStatus.WAITING
    assert wrapped.id is None and wrapped.workflow is None
    assert [(s.kind, s.name, s.count, s.state) for s in wrapped.steps] == [
        (StepKind.DO, "reserve", 1, StepState.COMPLETE),
        (StepKind.SLEEP, "cool off", 1, StepState.COMPLETE),
        (StepKind.DO, "charge", 1, StepState.COMPLETE),
        (StepKind.WAIT_FOR_EVENT, "approve", 1, StepState.WAITING),
    ]
    assert serialization.to_plain(wrapped.steps[0].output) == {"item": "book", "by": "recorded"}
    assert wrapped.pending() is wrapped.steps[3]


def test_the_count_is_split_off_at_the_last_dash() -> None:
    history = cloudflare_history("sleeping")["result"]
    history["steps"][0]["name"] = "fetch page-2-3"
    [parsed] = load(history)
    assert (parsed.steps[0].name, parsed.steps[0].count) == ("fetch page-2", 3)


def test_a_name_without_a_count_takes_its_occurrence() -> None:
    history = cloudflare_history("sleeping")["result"]
    history["steps"] = [dict(history["steps"][0], name="reserve") for _ in range(2)]
    [parsed] = load(history)
    assert [(s.name, s.count) for s in parsed.steps] == [("reserve", 1), ("reserve", 2)]


def test_a_received_event_keeps_its_payload_and_a_date() -> None:
    [parsed] = load(cloudflare_history("complete"))
    event = serialization.loads(parsed.steps[3].output)
    assert event["payload"] == {"ok": True}
    assert event["type"] == "approval"
    assert event["timestamp"].isoformat() == "2026-08-02T10:30:00"


def test_a_list_and_an_export_of_several_give_one_history_each() -> None:
    one = cloudflare_history("sleeping")["result"]
    assert [h.source for h in load([one, one])] == ["prod.json[0]", "prod.json[1]"]
    export = {"format": "wf-history/1", "instances": [one | {"id": "a"}, one | {"id": "b"}]}
    assert [h.id for h in load(export)] == ["a", "b"]


def test_a_termination_entry_is_not_a_step() -> None:
    history = cloudflare_history("sleeping")["result"] | {"status": "terminated"}
    history["steps"].append({"type": "termination", "trigger": {"source": "api"}})
    [parsed] = load(history)
    assert len(parsed.steps) == 2
    assert parsed.terminated_by == "api"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda h: h.update(status="sleepy"), "prod.json: status: must be one of queued"),
        (lambda h: h.update(steps={}), "prod.json: steps: must be an array, got an object"),
        (
            lambda h: h["steps"][1].update(type="nap"),
            "prod.json: steps[1].type: must be one of step, sleep, waitForEvent, termination, "
            "got 'nap'",
        ),
        (lambda h: h["steps"][0].pop("name"), "prod.json: steps[0].name: must be the step's name"),
        (
            lambda h: h["steps"][1].update(finished=True, end=None),
            "prod.json: steps[1].end: a finished sleep needs its end",
        ),
        (
            lambda h: h["steps"].append(dict(h["steps"][0])),
            "prod.json: steps[2].name: do 'reserve-1' is in the history twice",
        ),
        (
            lambda h: h["steps"][0].update(start="yesterday"),
            "prod.json: steps[0].start: invalid timestamp",
        ),
        (
            lambda h: h["steps"][0].update(attempts={}),
            "prod.json: steps[0].attempts: must be an array, got an object",
        ),
        (
            lambda h: h["steps"][0].update(success="yes"),
            "prod.json: steps[0].success: must be true, false or null, got 'yes'",
        ),
        (lambda h: h.update(error="boom"), "prod.json: error: must be {name, message}"),
    ],
)
def test_a_bad_history_names_the_field(edit: Any, message: str) -> None:
    history = cloudflare_history("sleeping")["result"]
    edit(history)
    with pytest.raises(HistoryError) as caught:
        load(history)
    assert str(caught.value).startswith(message), str(caught.value)


def test_text_that_is_not_a_history() -> None:
    with pytest.raises(HistoryError, match=r"^prod.json: not JSON"):
        load_histories("{", "prod.json")
    with pytest.raises(HistoryError, match=r"^prod.json: the array holds no history$"):
        load_histories("[]", "prod.json")
    with pytest.raises(HistoryError, match=r"^h: a history must be a JSON object, got a string"):
        parse_history("x", "h")


def test_a_pending_sleep_without_its_end_takes_the_instance_wake_up() -> None:
    history = cloudflare_history("sleeping")["result"]
    history["steps"][1]["end"] = None
    [unknown] = load(history)
    assert unknown.steps[1].due is None
    [known] = load(history | {"wake_at": "2026-08-02T10:00:02.000Z"})
    assert known.steps[1].due == 1785664802000.0
