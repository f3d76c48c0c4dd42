"""The rows the store reads and writes (decoded), and the SQL column lists they map to."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from wf.vocabulary import InstanceStatus, StepKind, StepState

__all__ = ["EventRow", "ExpiredRow", "InstanceRow", "StepRow"]


@dataclass
class InstanceRow:
    """One workflow instance as stored."""

    workflow: str
    id: str
    seq: int
    status: InstanceStatus
    params: str
    trigger: str
    version: str
    created: float
    started: float | None = None
    ended: float | None = None
    modified: float = 0.0
    output: str | None = None
    error: str | None = None
    wake_at: float | None = None
    paused_at: float | None = None
    warnings: str | None = None
    schedule: str | None = None
    retention: str | None = None  # {"success", "error"} in ms, from create(retention=...)


class ExpiredRow(NamedTuple):
    """A finished instance whose retention has run out: what its removal reads of it."""

    workflow: str
    id: str
    status: str
    retention: str | None
    expires: float


@dataclass
class StepRow:
    """One step (``do``, ``sleep`` or ``waitForEvent``) of an instance's history."""

    workflow: str
    instance: str
    kind: StepKind
    name: str
    count: int
    pos: int
    state: StepState
    started: float
    ended: float | None = None
    due: float | None = None
    output: str | None = None
    error: str | None = None
    config: str | None = None
    attempts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str, int]:
        """The cache key: kind, name and occurrence count in one pass of ``run()``."""
        return (self.kind, self.name, self.count)


@dataclass
class EventRow:
    """A buffered event not yet consumed by a ``wait_for_event``."""

    seq: int
    type: str
    payload: str
    timestamp: float


_INSTANCE_COLUMNS = (
    "workflow, id, seq, status, params, trigger, version, created, started, ended, modified, "
    "output, error, wake_at, paused_at, warnings, schedule, retention"
)
_STEP_COLUMNS = (
    "workflow, instance, kind, name, count, pos, state, started, ended, due, output, error, "
    "config, attempts"
)


_SAVE_SET = (
    "status = ?, started = ?, ended = ?, modified = ?, output = ?, error = ?, wake_at = ?, "
    "paused_at = ?, warnings = ?, version = ? WHERE workflow = ? AND id = ?"
)
_SAVE_INSTANCE = f"UPDATE instances SET {_SAVE_SET}"
_SAVE_FINISHED = f"UPDATE instances SET expires = ?, {_SAVE_SET}"


def _all_columns(table: str) -> str:
    columns = {
        "instances": _INSTANCE_COLUMNS,
        "steps": _STEP_COLUMNS,
        "events": "seq, workflow, instance, type, payload, timestamp",
    }[table]
    return ") || quote(".join(c.strip() for c in columns.split(","))


def _instance_values(row: InstanceRow) -> tuple[Any, ...]:
    return (
        row.workflow,
        row.id,
        row.seq,
        row.status,
        row.params,
        row.trigger,
        row.version,
        row.created,
        row.started,
        row.ended,
        row.modified,
        row.output,
        row.error,
        row.wake_at,
        row.paused_at,
        row.warnings,
        row.schedule,
        row.retention,
    )


# The members by their stored text: a dict lookup costs a tenth of calling the enum.
_STATUSES: dict[str, InstanceStatus] = {s.value: s for s in InstanceStatus}
_KINDS: dict[str, StepKind] = {k.value: k for k in StepKind}
_STATES: dict[str, StepState] = {s.value: s for s in StepState}


def _instance_from_db(row: tuple[Any, ...]) -> InstanceRow:
    instance = InstanceRow(*row)
    instance.status = _STATUSES.get(instance.status) or InstanceStatus(instance.status)
    return instance


def _step_from_db(row: tuple[Any, ...]) -> StepRow:
    *head, attempts = row
    step = StepRow(*head)
    step.kind = _KINDS.get(step.kind) or StepKind(step.kind)
    step.state = _STATES.get(step.state) or StepState(step.state)
    step.attempts = json.loads(attempts) if attempts else []
    return step


def status_and_time_filters(
    where: list[str],
    args: list[Any],
    status: str | None,
    since: float | None,
    until: float | None,
) -> None:
    """Add ``status = ?`` and the creation-time bounds (epoch ms, inclusive) that are given."""
    for clause, value in (("status = ?", status), ("created >= ?", since), ("created <= ?", until)):
        if value is not None:
            where.append(clause)
            args.append(value)
