"""Importing a recorded history as a live instance: status, cached steps, the pending wait.

The instance continues from where the history leaves it, as production's would after a
deploy: its ``run()`` replays the recorded steps from the cache, a pending sleep is due at
its recorded end, a wait for an event times out at its start plus its timeout, a step
between retries runs again at its recorded retry time, and a finished instance stays
finished. The rows go into the open transaction like a create's, so the answer that
acknowledges the import waits for their commit.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING

from wf import serialization
from wf.engine.limits import validate_instance_id
from wf.errors import WorkflowError
from wf.history import History
from wf.statuses import FINAL_STATUSES
from wf.store import InstanceRow
from wf.vocabulary import EventKind, InstanceStatus, StepKind

if TYPE_CHECKING:
    from wf.engine.instances import Engine

__all__ = ["import_history"]


def import_history(
    engine: Engine, history: History, workflow: str, instance_id: str
) -> InstanceRow:
    """Insert ``history`` as instance ``instance_id`` of ``workflow`` and set it going."""
    engine.workflow(workflow)  # an unknown workflow is not_found
    validate_instance_id(instance_id)
    if engine.store.get_instance(workflow, instance_id) is not None:
        raise WorkflowError(
            f"(instance.already_exists) Workflow instance '{instance_id}' already exists; "
            "import it under another id (--id) or delete it first",
            "conflict",
        )
    pending = history.pending()
    if pending is not None and pending.kind == StepKind.SLEEP and pending.due is None:
        raise WorkflowError(
            f"history: steps[{pending.pos}].end: a sleep that has not finished needs its end "
            "(when it is due) to be imported"
        )
    now = engine.clock.now()
    status = history.status
    final = status in FINAL_STATUSES
    row = InstanceRow(
        workflow=workflow,
        id=instance_id,
        seq=engine._seq,
        status=status,
        params=serialization.dumps(history.params, "params"),
        trigger=history.trigger,
        version=engine.version,
        created=history.queued or history.start or now,
        started=history.start,
        ended=(history.end or now) if final else None,
        modified=now,
    )
    if status == InstanceStatus.COMPLETE and history.output is not None:
        row.output = serialization.dumps(history.output, "output")
    if history.error is not None and final:
        row.error = json.dumps(history.error)
    if status == InstanceStatus.WAITING_FOR_PAUSE:
        row.status = InstanceStatus.PAUSED  # nothing of it runs here: the pause is done
    if row.status == InstanceStatus.PAUSED:
        row.paused_at = now
    elif status == InstanceStatus.WAITING:
        due = pending.due if pending is not None and pending.due is not None else now
        row.wake_at = due
    engine._seq += 1
    engine.store.insert_instance(row)
    for step in history.steps:
        step.workflow, step.instance = workflow, instance_id
        engine.store.save_step(step)
    engine.request_commit()
    engine.emit(EventKind.QUEUED, row, trigger="import")
    key = (workflow, instance_id)
    if final:
        # Retention counts from the import: an old production history would be gone at once.
        engine._retain(replace(row, ended=max(row.ended or now, now)))
    elif row.status == InstanceStatus.WAITING:
        engine._schedule(key, row.wake_at if row.wake_at is not None else now)
    elif row.status in (InstanceStatus.QUEUED, InstanceStatus.RUNNING):
        engine._wake(key, row)
    return row
