"""The replay core: Cloudflare's rules for one step call, as pure functions.

Given the instance's history, the step call and the clock's now, these decide what the call
does: return a cached result, raise a cached error, run attempt n, wait until a time, or fail
the instance. No SQLite, no event loop, no project: the runner (``runner.py``) carries the
decisions out. Sources: workers-sdk ``packages/workflows-shared/src/context.ts`` (cache keys,
retries, sleeps, events) and ``lib/validators.ts`` (limits), and the Workflows documentation
(defaults, backoff formulas).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from wf.durations import SECOND, format_duration, parse_duration
from wf.engine.limits import DEFAULT_RETRIES, DEFAULT_TIMEOUT, MAX_SLEEP_MS
from wf.errors import StepError, WorkflowFatalError
from wf.store import EventRow, StepRow
from wf.vocabulary import StepKind, StepState

__all__ = [
    "INTERRUPTED",
    "Cached",
    "CachedError",
    "Cursor",
    "Decision",
    "Divergence",
    "RunAttempt",
    "WaitUntil",
    "backoff_delay",
    "check_event_timeout",
    "check_retry_delay",
    "check_sleep",
    "check_step_limit",
    "decide_do",
    "decide_sleep",
    "decide_wait",
    "event_timeout_error",
    "next_attempt",
    "oldest_event",
    "retry_delay",
    "retry_limit",
    "should_retry",
    "sleep_until_due",
    "step_limit_message",
    "timeout_ms",
    "waits_for",
]

# Enum members read once: an enum class's attribute lookup is slow on the per-step path.
_KIND_WAIT_FOR_EVENT = StepKind.WAIT_FOR_EVENT
_STATE_COMPLETE = StepState.COMPLETE
_STATE_ERRORED = StepState.ERRORED

# The error recorded for an attempt the process died in (it does not use up a retry).
INTERRUPTED = {
    "name": "WorkflowInternalError",
    "message": "Attempt failed due to internal workflows error",
}


@dataclass(frozen=True)
class Cached:
    """The call returns the stored result (JSON text, or None)."""

    output: str | None


@dataclass(frozen=True)
class CachedError:
    """The call raises the stored error again."""

    error: dict[str, Any]


@dataclass(frozen=True)
class RunAttempt:
    """The step's code runs: attempt number ``attempt`` (1-based)."""

    attempt: int


@dataclass(frozen=True)
class WaitUntil:
    """The instance hibernates until ``due`` (virtual ms): a sleep, a retry delay, an event."""

    due: float
    reason: str


Decision = Cached | CachedError | RunAttempt | WaitUntil
# The decisions of the first attempts, made once (a step runs attempt 1 almost always).
_RUN = [RunAttempt(n) for n in range(16)]


@dataclass(frozen=True)
class Divergence:
    """The history has another step at this position than the code now calls."""

    position: int  # 1-based
    expected: tuple[str, str, int]
    actual: tuple[str, str, int]

    @property
    def message(self) -> str:
        kind, name, count = self.expected
        now_kind, now_name, now_count = self.actual
        return (
            f"replay divergence at step {self.position}: history has {kind} '{name}-{count}', "
            f"code now calls {now_kind} '{now_name}-{now_count}'"
        )


class Cursor:
    """Where one pass of ``run()`` is in the history: occurrence counts and position.

    The cache key of a call is its kind, its name and how many calls of that kind and name
    came before it in this pass, plus one (``name-1``, ``name-2``): duplicate names are
    legal and order matters, as in production.
    """

    __slots__ = ("_counts", "_expected", "position")

    def __init__(self, history: Sequence[StepRow]) -> None:
        self._expected = [row.key for row in history]
        self._counts: dict[tuple[str, str], int] = {}
        self.position = 0

    def call(self, kind: str, name: str) -> tuple[tuple[str, str, int], Divergence | None]:
        """The cache key of the next call, and the divergence it shows, if any."""
        count = self._counts.get((kind, name), 0) + 1
        self._counts[(kind, name)] = count
        key = (kind, name, count)
        divergence = None
        if self.position < len(self._expected):
            expected = self._expected[self.position]
            if expected != key:
                divergence = Divergence(self.position + 1, expected, key)
        self.position += 1
        return key, divergence


# -- step.do ---------------------------------------------------------------------------------


def step_limit_message(limit: int) -> str:
    """Production's message when a pass calls more ``step.do`` than the limit allows."""
    return (
        f"The limit of {limit} steps has been reached. This limit can be changed in your "
        "worker configuration."
    )


def check_step_limit(do_calls: int, limit: int) -> None:
    """WorkflowFatalError once the pass has made more than ``limit`` ``step.do`` calls."""
    if do_calls > limit:
        raise WorkflowFatalError(step_limit_message(limit))


def decide_do(row: StepRow | None) -> Cached | CachedError | None:
    """A finished ``step.do`` answers from the history; None: it is to be executed."""
    if row is None:
        return None
    if row.state == _STATE_COMPLETE:
        return Cached(row.output)
    if row.state == _STATE_ERRORED:
        return CachedError(json.loads(row.error or "{}"))
    return None


def next_attempt(attempts: Sequence[dict[str, Any]], due: float | None, now: float) -> Decision:
    """A step still to be executed: wait out its retry delay, or run the next attempt."""
    if due is not None and now < due:
        return WaitUntil(due, "retry")
    n = len(attempts) + 1
    return _RUN[n] if n < len(_RUN) else RunAttempt(n)


def should_retry(attempts: Sequence[dict[str, Any]], limit: int, non_retryable: bool) -> bool:
    """After a failed attempt: retry unless non-retryable or ``limit`` retries are used up.

    An attempt the process died in is not counted (it was never the step's failure).
    """
    failures = sum(1 for a in attempts if not a.get("interrupted"))
    return not non_retryable and failures <= limit


def retry_limit(config: dict[str, Any]) -> int:
    """``retries.limit`` of a resolved config (5 by default: 6 attempts)."""
    retries = config.get("retries", DEFAULT_RETRIES)
    return int(retries.get("limit", DEFAULT_RETRIES["limit"]))


def backoff_delay(retries: dict[str, Any], attempt: int, base: float) -> float:
    """Wait before the next attempt, after attempt number ``attempt`` (1-based) failed.

    ``constant`` waits ``base``, ``linear`` ``base * attempt``, ``exponential``
    ``base * 2 ** (attempt - 1)``.
    """
    backoff = retries.get("backoff", "constant")
    if backoff == "exponential":
        # 2.0 ** 1024 is past a float; a delay that long is over the limit anyway.
        return base * 2.0 ** min(attempt - 1, 1023) if base else 0.0
    if backoff == "linear":
        return base * attempt
    return base


def retry_delay(retries: dict[str, Any], attempt: int) -> float:
    """The configured delay (ms) after attempt ``attempt`` failed (10 s exponential default)."""
    base = parse_duration(retries.get("delay", DEFAULT_RETRIES["delay"]))
    return backoff_delay(retries, attempt, base)


def check_retry_delay(delay: float, name: str, count: int, attempt: int) -> float:
    """``delay`` when an instance may wait that long; else the WorkflowFatalError to record.

    UNCONFIRMED: production documents no limit on a retry delay; an instance cannot wait
    longer than a sleep may last (365 days), so wf fails the step there.
    """
    if not delay <= MAX_SLEEP_MS:
        raise WorkflowFatalError(
            f'Step "{name}-{count}": the delay before attempt {attempt + 1} would be '
            f"{format_duration(delay)}, more than the 365 days a workflow can wait"
        )
    return delay


def timeout_ms(config: dict[str, Any]) -> float:
    """The per-attempt timeout of a resolved config (10 minutes by default)."""
    return parse_duration(config.get("timeout", DEFAULT_TIMEOUT))


# -- sleeps ----------------------------------------------------------------------------------


def check_sleep(name: str, ms: float) -> float:
    """``ms`` when a sleep may last that long (at most 365 days), else WorkflowFatalError."""
    if not ms <= MAX_SLEEP_MS:
        raise WorkflowFatalError(
            f'Step "{name}": a sleep can last at most 365 days (asked for {ms:.0f} ms)'
        )
    return ms


def sleep_until_due(name: str, due: float, now: float) -> float:
    """The length of a ``sleep_until`` (ms): a time in the past fails the step, as there."""
    if due < now:
        raise StepError("Error", "You can't sleep until a time in the past, time-traveler")
    return check_sleep(name, due - now)


def decide_sleep(row: StepRow, now: float) -> Cached | WaitUntil | None:
    """A recorded sleep: done (cached), still to wait, or None when it ends now."""
    if row.state == _STATE_COMPLETE:
        return Cached(None)
    if now < (row.due or 0):
        return WaitUntil(row.due or 0, "sleep")
    return None


# -- events ----------------------------------------------------------------------------------


def check_event_timeout(name: str, ms: float) -> float:
    """``ms`` when a ``wait_for_event`` timeout is from 1 second to 365 days."""
    if not SECOND <= ms <= MAX_SLEEP_MS:
        raise WorkflowFatalError(
            f'Step "{name}": the timeout must be between 1 second and 365 days'
        )
    return ms


def decide_wait(row: StepRow, now: float) -> CachedError | WaitUntil:
    """A waiting ``wait_for_event`` with no event for it: time out, or wait until its due.

    The event is looked for first (``oldest_event``): an event that came in before the
    timeout's due wins even when the instance wakes after it.
    """
    if now >= (row.due or 0):
        config = json.loads(row.config or "{}")
        return CachedError(event_timeout_error(config.get("timeout", 0)))
    return WaitUntil(row.due or 0, "event")


def event_timeout_error(ms: float) -> dict[str, Any]:
    """The error a ``wait_for_event`` fails with when its timeout passes."""
    return {"name": "WorkflowTimeoutError", "message": f"Execution timed out after {int(ms)}ms"}


def oldest_event(events: Sequence[EventRow], event_type: str) -> EventRow | None:
    """The event a ``wait_for_event`` takes: the oldest buffered one of its type (FIFO).

    The store's ``take_event`` runs this rule in SQL (``ORDER BY seq LIMIT 1``).
    """
    matching = [e for e in events if e.type == event_type]
    return min(matching, key=lambda e: e.seq) if matching else None


def waits_for(row: StepRow) -> str | None:
    """The event type a recorded ``wait_for_event`` waits for."""
    if row.kind != _KIND_WAIT_FOR_EVENT:
        return None
    value = json.loads(row.config or "{}").get("type")
    return None if value is None else str(value)
