"""What the API does to one instance: pause, resume, terminate, restart, delete, events."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from wf import serialization
from wf.engine.limits import validate_event_type
from wf.errors import (
    WorkflowError,
)
from wf.statuses import FINAL_STATUSES
from wf.store import StepRow
from wf.vocabulary import EventKind, InstanceStatus

if TYPE_CHECKING:
    pass
from wf.engine.passes import Passes


class Lifecycle(Passes):
    """The instance verbs of the binding and the REST API."""

    async def pause(self, workflow: str, instance_id: str) -> None:
        """Pause at the next step boundary; sleeps and waits pause at once."""
        row = self._row(workflow, instance_id)
        if row.status in FINAL_STATUSES or row.status in (
            InstanceStatus.PAUSED,
            InstanceStatus.WAITING_FOR_PAUSE,
        ):
            return
        key = (workflow, instance_id)
        live = self._live.get(key)
        if live is not None and live.executing > 0:
            live.pause_requested = True
            row.status = InstanceStatus.WAITING_FOR_PAUSE
            self._save(row)
            self.emit(EventKind.WAITING_FOR_PAUSE, row)
            return
        await self._stop(key)
        row = self.store.get_instance(workflow, instance_id) or row
        row.status, row.paused_at = InstanceStatus.PAUSED, self.clock.now()
        self._save(row)
        self.emit(EventKind.PAUSED, row)

    async def resume(self, workflow: str, instance_id: str) -> None:
        """Resume a paused instance (timers shifted by the time paused); otherwise no effect."""
        row = self._row(workflow, instance_id)
        key = (workflow, instance_id)
        live = self._live.get(key)
        if row.status == InstanceStatus.WAITING_FOR_PAUSE and live is not None:
            live.pause_requested = False
            row.status = InstanceStatus.RUNNING
            self._save(row)
            self.emit(EventKind.RESUMED, row)
            return
        if row.status != InstanceStatus.PAUSED:
            return
        delta = self.clock.now() - (row.paused_at or self.clock.now())
        if delta > 0:
            self.store.shift_step_dues(workflow, instance_id, delta)
        row.status, row.paused_at, row.wake_at = InstanceStatus.QUEUED, None, None
        self._save(row)
        self.emit(EventKind.RESUMED, row)
        self._wake(key)

    async def terminate(self, workflow: str, instance_id: str) -> None:
        """End an unfinished instance for good."""
        row = self._row(workflow, instance_id)
        if row.status in FINAL_STATUSES:
            raise WorkflowError(
                "(instance.cannot_terminate) Cannot terminate instance since its on a finite state",
                "conflict",
            )
        await self._stop((workflow, instance_id))
        row = self.store.get_instance(workflow, instance_id) or row
        row.status, row.ended, row.wake_at = InstanceStatus.TERMINATED, self.clock.now(), None
        self._save(row)
        self._retain(row)
        self.emit(EventKind.TERMINATED, row)

    async def restart(
        self, workflow: str, instance_id: str, from_step: Mapping[str, Any] | None = None
    ) -> None:
        """Run again with the same id and params: from scratch, or from one step onwards."""
        self._row(workflow, instance_id)
        key = (workflow, instance_id)
        # Validate first, change second: an unknown step leaves the instance as it was.
        target = self._find_step(workflow, instance_id, from_step) if from_step else None
        await self._stop(key)
        row = self.store.get_instance(workflow, instance_id)
        assert row is not None
        if target is not None:
            self.store.delete_steps(workflow, instance_id, from_pos=target.pos)
        else:
            self.store.delete_steps(workflow, instance_id)
            self.store.delete_events(workflow, instance_id)
            mocked = self.hooks.instance_created(workflow, instance_id, restarted=True)
            for event_type, payload in mocked:
                self.store.add_event(
                    workflow,
                    instance_id,
                    event_type,
                    serialization.dumps(payload),
                    self.clock.now(),
                )
        row.status, row.started, row.ended = InstanceStatus.QUEUED, None, None
        row.output = row.error = row.warnings = None
        row.wake_at = row.paused_at = None
        self._save(row)
        # Live again: kept until it ends, and no longer the removal the timer waits for.
        self.store.set_expiry(workflow, instance_id, None)
        self._next_expiry = self.store.next_expiry()
        self._arm_expiry()
        self.emit(EventKind.RESTARTED, row, from_step=dict(from_step) if from_step else None)
        self._wake(key)

    def _find_step(self, workflow: str, instance_id: str, spec: Mapping[str, Any]) -> StepRow:
        name = spec.get("name")
        count = int(spec.get("count") or 1)
        kind = spec.get("type")
        unsaved = self._commit.unsaved_steps(workflow, instance_id)
        for step in [*self.store.load_steps(workflow, instance_id), *unsaved]:
            if step.name == name and step.count == count and kind in (None, step.kind):
                return step
        raise WorkflowError(
            f'(instance.cannot_restart) Step "{name}" not found in execution history',
            "not_found",
        )

    async def delete(self, workflow: str, instance_id: str) -> None:
        """Remove an instance and all its state."""
        self._row(workflow, instance_id)
        key = (workflow, instance_id)
        await self._stop(key)
        self.store.delete_instance(workflow, instance_id)
        self.hooks.instance_removed(workflow, instance_id)
        self.request_commit()

    def send_event(self, workflow: str, instance_id: str, event_type: str, payload: Any) -> None:
        """Buffer an event for the instance and wake it if it sleeps."""
        validate_event_type(event_type)
        row = self._row(workflow, instance_id)
        if row.status in FINAL_STATUSES:
            raise WorkflowError(
                f"(instance.not_running) Cannot send an event to instance '{instance_id}': "
                f"it is {row.status}",
                "conflict",
            )
        try:
            text = serialization.dumps(payload, "payload")
        except serialization.NotSerializable as exc:
            raise WorkflowError(str(exc)) from None
        if serialization.size_of(text) > serialization.MAX_BYTES:
            raise WorkflowError("payload: the event payload is larger than 1 MiB", "too_large")
        self.store.add_event(workflow, instance_id, event_type, text, self.clock.now())
        self.request_commit()
        self.emit(EventKind.EVENT_SENT, row, type=event_type)
        if row.status in (
            InstanceStatus.WAITING,
            InstanceStatus.RUNNING,
            InstanceStatus.QUEUED,
            InstanceStatus.WAITING_FOR_PAUSE,
        ):
            self._wake((workflow, instance_id), row)  # just read (or live): no second read

    def fire_now(self, workflow: str, instance_id: str) -> bool:
        """End an instance's pending sleep, retry delay or event timeout now."""
        row = self._row(workflow, instance_id)
        if row.status != InstanceStatus.WAITING or row.wake_at is None:
            return False
        due = row.wake_at
        delta = due - self.clock.now()
        if delta > 0:
            self.store.shift_step_dues(workflow, instance_id, -delta)
        self._wake((workflow, instance_id))
        return True
