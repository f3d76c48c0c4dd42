"""The replay core's rules, without SQLite, an event loop or a project.

Sources: workers-sdk ``packages/workflows-shared/src/context.ts`` (cache keys by name and
occurrence, retries counted per attempt, sleeps and event waits with their due times),
``lib/validators.ts`` (limits) and the Workflows documentation "Sleeping and retrying"
(defaults: 5 retries, 10 s, exponential; backoff formulas; sleeps up to 365 days).
"""

from __future__ import annotations

import json

import pytest

from wf.durations import DAY, SECOND
from wf.engine import replay
from wf.engine.limits import (
    DEFAULT_RETRIES,
    is_valid_id,
    resolve_config,
    validate_instance_id,
    validate_step_name,
)
from wf.errors import StepError, WorkflowError, WorkflowFatalError
from wf.store import EventRow, StepRow
from wf.vocabulary import StepKind, StepState


def row(kind: StepKind, name: str, count: int = 1, **values: object) -> StepRow:
    values.setdefault("state", StepState.RUNNING)
    values.setdefault("started", 0.0)
    return StepRow(workflow="wf", instance="i", kind=kind, name=name, count=count, pos=0, **values)  # type: ignore[arg-type]


# -- cache keys and divergence ---------------------------------------------------------------


def test_cache_key_is_kind_name_and_occurrence_in_this_pass() -> None:
    cursor = replay.Cursor([])
    keys = [cursor.call(StepKind.DO, n)[0] for n in ("a", "b", "a", "a")]
    assert keys == [("do", "a", 1), ("do", "b", 1), ("do", "a", 2), ("do", "a", 3)]
    # a sleep of the same name counts apart from the do
    assert cursor.call(StepKind.SLEEP, "a")[0] == ("sleep", "a", 1)


def test_divergence_names_the_position_and_both_steps() -> None:
    history = [row(StepKind.DO, "alpha"), row(StepKind.SLEEP, "nap")]
    cursor = replay.Cursor(history)
    assert cursor.call(StepKind.DO, "alpha")[1] is None
    _, divergence = cursor.call(StepKind.DO, "beta")
    assert divergence is not None
    assert divergence.position == 2
    assert divergence.message == (
        "replay divergence at step 2: history has sleep 'nap-1', code now calls do 'beta-1'"
    )
    # past the end of the history, new steps are no divergence
    assert cursor.call(StepKind.DO, "gamma")[1] is None


# -- step.do decisions -----------------------------------------------------------------------


def test_a_finished_step_answers_from_the_history() -> None:
    done = row(StepKind.DO, "s", state=StepState.COMPLETE, output="42")
    failed = row(StepKind.DO, "s", state=StepState.ERRORED, error='{"name": "Error"}')
    assert replay.decide_do(done) == replay.Cached("42")
    assert replay.decide_do(failed) == replay.CachedError({"name": "Error"})
    assert replay.decide_do(None) is None
    assert replay.decide_do(row(StepKind.DO, "s")) is None


def test_next_attempt_waits_out_a_retry_delay_then_runs_the_next_attempt() -> None:
    attempts = [{"start": 0, "end": 1, "success": False}]
    assert replay.next_attempt(attempts, 5_000.0, now=1_000.0) == replay.WaitUntil(5_000.0, "retry")
    assert replay.next_attempt(attempts, 5_000.0, now=5_000.0) == replay.RunAttempt(2)
    assert replay.next_attempt([], None, now=0.0) == replay.RunAttempt(1)


def test_retries_stop_after_the_limit_or_at_a_non_retryable_error() -> None:
    failed = [{"success": False}] * 6
    assert replay.should_retry(failed[:5], limit=5, non_retryable=False)
    assert not replay.should_retry(failed, limit=5, non_retryable=False)  # 6 attempts in all
    assert not replay.should_retry(failed[:1], limit=5, non_retryable=True)
    assert not replay.should_retry(failed[:1], limit=0, non_retryable=False)


def test_an_interrupted_attempt_does_not_use_up_a_retry() -> None:
    attempts = [{"success": False, "interrupted": True}, {"success": False}]
    assert replay.should_retry(attempts, limit=1, non_retryable=False)


def test_step_limit_counts_do_calls_of_the_pass() -> None:
    replay.check_step_limit(10, 10)
    with pytest.raises(WorkflowFatalError, match="The limit of 10 steps has been reached"):
        replay.check_step_limit(11, 10)


# -- backoff and delays ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("backoff", "delays"),
    [
        ("constant", [1_000, 1_000, 1_000, 1_000]),
        ("linear", [1_000, 2_000, 3_000, 4_000]),
        ("exponential", [1_000, 2_000, 4_000, 8_000]),
    ],
)
def test_backoff(backoff: str, delays: list[float]) -> None:
    retries = {"limit": 5, "delay": "1 second", "backoff": backoff}
    assert [replay.retry_delay(retries, n) for n in (1, 2, 3, 4)] == delays


def test_default_retries_are_ten_seconds_exponential() -> None:
    assert replay.retry_delay(DEFAULT_RETRIES, 1) == 10 * SECOND
    assert replay.retry_delay(DEFAULT_RETRIES, 5) == 160 * SECOND
    assert replay.retry_limit({"retries": DEFAULT_RETRIES}) == 5


def test_a_retry_delay_over_365_days_is_refused() -> None:
    delay = replay.retry_delay({"delay": 10_000, "backoff": "exponential"}, 25)
    with pytest.raises(WorkflowFatalError, match="the delay before attempt 26 would be"):
        replay.check_retry_delay(delay, "s", 1, 25)
    # 2 ** 1024 is past a float: the exponent is capped, the delay stays a number
    assert replay.backoff_delay({"backoff": "exponential"}, 5_000, 1.0) == 2.0**1023
    assert replay.check_retry_delay(365 * DAY, "s", 1, 1) == 365 * DAY


def test_timeout_defaults_to_ten_minutes() -> None:
    assert replay.timeout_ms({}) == 600 * SECOND
    assert replay.timeout_ms({"timeout": "2 seconds"}) == 2 * SECOND


# -- sleeps and event timeouts ---------------------------------------------------------------


def test_sleeps_last_at_most_365_days() -> None:
    assert replay.check_sleep("nap", 365 * DAY) == 365 * DAY
    with pytest.raises(WorkflowFatalError, match="at most 365 days"):
        replay.check_sleep("nap", 365 * DAY + 1)


def test_sleep_until_a_past_time_fails_and_a_future_one_is_its_distance() -> None:
    assert replay.sleep_until_due("nap", due=5_000.0, now=1_000.0) == 4_000.0
    with pytest.raises(StepError, match="time-traveler"):
        replay.sleep_until_due("nap", due=999.0, now=1_000.0)


def test_a_recorded_sleep_waits_until_its_due_then_ends() -> None:
    sleeping = row(StepKind.SLEEP, "nap", state=StepState.WAITING, due=10_000.0)
    assert replay.decide_sleep(sleeping, now=9_999.0) == replay.WaitUntil(10_000.0, "sleep")
    assert replay.decide_sleep(sleeping, now=10_000.0) is None
    done = row(StepKind.SLEEP, "nap", state=StepState.COMPLETE, due=10_000.0)
    assert replay.decide_sleep(done, now=0.0) == replay.Cached(None)


def test_event_timeouts_are_one_second_to_365_days() -> None:
    assert replay.check_event_timeout("w", SECOND) == SECOND
    for bad in (SECOND - 1, 365 * DAY + 1):
        with pytest.raises(WorkflowFatalError, match="between 1 second and 365 days"):
            replay.check_event_timeout("w", bad)


def test_a_wait_times_out_at_its_due_with_production_error() -> None:
    config = json.dumps({"type": "approval", "timeout": 60_000})
    waiting = row(
        StepKind.WAIT_FOR_EVENT, "w", state=StepState.WAITING, due=60_000.0, config=config
    )
    assert replay.waits_for(waiting) == "approval"
    assert replay.decide_wait(waiting, now=59_999.0) == replay.WaitUntil(60_000.0, "event")
    assert replay.decide_wait(waiting, now=60_000.0) == replay.CachedError(
        {"name": "WorkflowTimeoutError", "message": "Execution timed out after 60000ms"}
    )


def test_events_are_taken_oldest_first_per_type() -> None:
    events = [
        EventRow(3, "b", '"b1"', 0.0),
        EventRow(1, "a", '"a1"', 0.0),
        EventRow(2, "a", '"a2"', 0.0),
    ]
    taken = replay.oldest_event(events, "a")
    assert taken is not None and taken.payload == '"a1"'
    assert replay.oldest_event(events, "c") is None


# -- limits ----------------------------------------------------------------------------------


def test_one_id_rule_for_instance_ids_and_event_types() -> None:
    assert is_valid_id("a" * 100) and is_valid_id("_x-1")
    for bad in ("", "-x", "a" * 101, "a b", 7, None):
        assert not is_valid_id(bad)
    with pytest.raises(WorkflowError, match="invalid id"):
        validate_instance_id("-x")


def test_step_names_up_to_256_characters_without_control_characters() -> None:
    assert validate_step_name("x" * 256) == "x" * 256
    for bad in ("", "x" * 257, "a\nb", 3):
        with pytest.raises(WorkflowFatalError, match="exceeds max length"):
            validate_step_name(bad)


def test_step_config_merges_over_the_defaults_and_refuses_a_half_retries() -> None:
    merged, delay_fn = resolve_config("s", {"timeout": "1 minute"})
    assert merged == {"retries": DEFAULT_RETRIES, "timeout": "1 minute"} and delay_fn is None
    with pytest.raises(WorkflowFatalError, match="retries needs delay"):
        resolve_config("s", {"retries": {"limit": 1}})
