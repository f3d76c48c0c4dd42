"""The words the engine, the store, the APIs and the CLI share, as string enums.

Each member is its own text (``InstanceStatus.COMPLETE == "complete"``), so the same values
go into SQL, JSON and Cloudflare's REST shapes without conversion.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["EventKind", "InstanceStatus", "StepKind", "StepState", "Trigger"]


class InstanceStatus(StrEnum):
    """What an instance reports, as Cloudflare names it; ``unknown`` is never stored."""

    QUEUED = "queued"
    RUNNING = "running"
    PAUSED = "paused"
    ERRORED = "errored"
    TERMINATED = "terminated"
    COMPLETE = "complete"
    WAITING = "waiting"
    WAITING_FOR_PAUSE = "waitingForPause"
    UNKNOWN = "unknown"

    @property
    def final(self) -> bool:
        """True for the statuses an instance never leaves (except by restart)."""
        return self in _FINAL


_FINAL = frozenset({InstanceStatus.COMPLETE, InstanceStatus.ERRORED, InstanceStatus.TERMINATED})


class StepKind(StrEnum):
    """The three kinds of entry in an instance's history."""

    DO = "do"
    SLEEP = "sleep"
    WAIT_FOR_EVENT = "waitForEvent"


class StepState(StrEnum):
    """Where one history entry is: its code runs, it waits (sleep, event), or it ended."""

    RUNNING = "running"
    WAITING = "waiting"
    COMPLETE = "complete"
    ERRORED = "errored"


class Trigger(StrEnum):
    """Who created an instance (``trigger.source`` of ``describe``)."""

    API = "api"
    BINDING = "binding"
    CRON = "cron"


class EventKind(StrEnum):
    """What the engine tells its listeners (the console, the dashboard, the test harness)."""

    QUEUED = "queued"
    STARTED = "started"
    STEP_START = "step_start"
    STEP_SUCCESS = "step_success"
    STEP_FAILURE = "step_failure"
    SLEEPING = "sleeping"
    WAITING_EVENT = "waiting_event"
    EVENT_RECEIVED = "event_received"
    EVENT_SENT = "event_sent"
    COMPLETE = "complete"
    ERRORED = "errored"
    PAUSED = "paused"
    WAITING_FOR_PAUSE = "waitingForPause"
    RESUMED = "resumed"
    RESTARTED = "restarted"
    TERMINATED = "terminated"
    PURGED = "purged"
    WARNING = "warning"
    # A replayed position of the history now has another step: its own kind, so that nobody
    # has to recognise it by the text of a warning.
    DIVERGENCE = "divergence"
