"""``step.sleep``, ``step.sleep_until`` and ``step.wait_for_event`` of one pass."""

from __future__ import annotations

import json
from typing import Any

from wf import serialization, usertime
from wf.durations import DurationError, parse_duration
from wf.engine import replay
from wf.engine.limits import (
    is_valid_id,
    validate_step_name,
)
from wf.engine.pass_state import PassState
from wf.engine.sdk import (
    SECONDS_LOOK_BELOW,
    epoch_ms,
    is_number,
    rebuild_error,
    user_call_site,
)
from wf.errors import (
    WorkflowFatalError,
)
from wf.store import StepRow
from wf.vocabulary import EventKind, StepKind, StepState

__all__ = ["Waits"]

# Enum members read once: an enum class's attribute lookup is slow on the per-step path.
_EVENT_EVENT_RECEIVED = EventKind.EVENT_RECEIVED
_EVENT_SLEEPING = EventKind.SLEEPING
_EVENT_WAITING_EVENT = EventKind.WAITING_EVENT
_KIND_SLEEP = StepKind.SLEEP
_KIND_WAIT_FOR_EVENT = StepKind.WAIT_FOR_EVENT
_STATE_COMPLETE = StepState.COMPLETE
_STATE_ERRORED = StepState.ERRORED
_STATE_WAITING = StepState.WAITING


class Waits(PassState):
    """The step calls that wait: sleeps and events, hibernating meanwhile."""

    # -- sleeps -------------------------------------------------------------------------------

    async def sleep(self, name: Any, duration: Any) -> None:
        """``step.sleep``: wait a duration, hibernating meanwhile."""
        name = validate_step_name(name)
        count, row = self._enter(_KIND_SLEEP, name)
        if row is None:
            try:
                ms = parse_duration(duration)
            except DurationError as exc:
                raise WorkflowFatalError(f'Step "{name}": {exc}') from None
            replay.check_sleep(name, ms)
            row = self._start_sleep(name, count, ms)
        await self._sleeping(row)

    async def sleep_until(self, name: Any, timestamp: Any) -> None:
        """``step.sleep_until``: wait until a datetime or epoch time, hibernating meanwhile."""
        name = validate_step_name(name)
        count, row = self._enter(_KIND_SLEEP, name)
        if row is None:
            due = epoch_ms(timestamp, name)
            if is_number(timestamp) and 0 < due < SECONDS_LOOK_BELOW:
                self.warn(
                    f'step.sleep_until("{name}", {timestamp!r}){user_call_site()}: a number is '
                    "epoch milliseconds, as in production; this one looks like seconds (it is "
                    "a time in 1970). Pass a datetime, or multiply by 1000."
                )
            ms = replay.sleep_until_due(name, due, self.clock.now())
            row = self._start_sleep(name, count, ms)
        await self._sleeping(row)

    def _start_sleep(self, name: str, count: int, ms: float) -> StepRow:
        ms = self.hooks.sleep_duration(self.workflow, self.instance_id, name, count, ms)
        row = self._new_row(_KIND_SLEEP, name, count, state=_STATE_WAITING)
        row.due = row.started + ms
        self.journal.record(row)
        self.emit(_EVENT_SLEEPING, self.row, step=f"{name}-{count}", until=row.due)
        return row

    async def _sleeping(self, row: StepRow) -> None:
        decision = replay.decide_sleep(row, self.clock.now())
        if isinstance(decision, replay.Cached):
            return
        if isinstance(decision, replay.WaitUntil):
            raise self._hibernate(decision.due, decision.reason)
        row.state, row.ended = _STATE_COMPLETE, row.due
        self.journal.record(row)

    # -- events -------------------------------------------------------------------------------

    async def wait_for_event(self, name: Any, event_type: Any, timeout: Any) -> Any:
        """``step.wait_for_event``: consume the oldest buffered event of a type, or hibernate."""
        name = validate_step_name(name)
        count, row = self._enter(_KIND_WAIT_FOR_EVENT, name)
        if row is not None and row.state == _STATE_COMPLETE:
            return serialization.loads(row.output)
        if row is not None and row.state == _STATE_ERRORED:
            raise rebuild_error(json.loads(row.error or "{}"))
        recorded = row
        if row is None:
            if not is_valid_id(event_type):
                raise WorkflowFatalError(f'Step "{name}": invalid event type {event_type!r}')
            try:
                ms = parse_duration(timeout)
            except DurationError as exc:
                raise WorkflowFatalError(f'Step "{name}": timeout: {exc}') from None
            replay.check_event_timeout(name, ms)
            ms = self.hooks.event_timeout(self.workflow, self.instance_id, name, count, ms)
            row = self._new_row(_KIND_WAIT_FOR_EVENT, name, count, state=_STATE_WAITING)
            row.due = row.started + ms
            row.config = json.dumps({"type": event_type, "timeout": ms})
            self.journal.record(row)
            self.emit(_EVENT_WAITING_EVENT, self.row, step=f"{name}-{count}", type=event_type)
        # A recorded wait keeps the type it was called with (the code may now pass another).
        wanted = event_type if recorded is None else replay.waits_for(row) or event_type
        event = self.journal.take_event(wanted)
        if event is not None:
            value = {
                "payload": serialization.loads(event.payload),
                "timestamp": usertime.from_js_date(event.timestamp),
                "type": event.type,
            }
            row.state, row.ended = _STATE_COMPLETE, self.clock.now()
            row.output = serialization.dumps(value)
            self.journal.record(row)
            self.emit(_EVENT_EVENT_RECEIVED, self.row, step=f"{name}-{count}", type=wanted)
            return serialization.loads(row.output)
        decision = replay.decide_wait(row, self.clock.now())
        if isinstance(decision, replay.CachedError):
            row.state, row.ended = _STATE_ERRORED, self.clock.now()
            row.error = json.dumps(decision.error)
            self.journal.record(row)
            raise rebuild_error(decision.error)
        raise self._hibernate(decision.due, decision.reason)
