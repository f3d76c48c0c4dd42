"""Retention: when a finished instance is removed, on the virtual clock.

The earliest removal due is one `TimerKind.RETENTION` timer, so removals happen on the clock
(an ``advance`` past it, real time reaching it, an auto-time jump past it) and ``wf time
status`` lists it. A background timer: skips and auto time never jump *to* it, which would
remove every finished instance as soon as the engine is idle. Reads still purge what is
overdue first, so no read sees an expired instance between a due time and its timer firing.
"""

from __future__ import annotations

import warnings

from wf.engine.base import EngineBase
from wf.retention import DEFAULT_RETENTION_MS, Retention
from wf.store import ExpiredRow, InstanceRow
from wf.timers import TimerKind
from wf.vocabulary import EventKind

_RETENTION_KEY = "next"  # one timer: the earliest removal due


class Expiry(EngineBase):
    """Keeps finished instances for their retention, then removes them."""

    def retention_of(self, row: InstanceRow | ExpiredRow) -> tuple[float, bool]:
        """How long ``row`` is kept once finished (ms), and whether that is wf's default."""
        config = self._workflows.get(row.workflow)
        if not row.retention and (config is None or config.default_retention is None):
            return DEFAULT_RETENTION_MS, True  # the common case, without building Retentions
        own = Retention.from_json(row.retention)
        ms = own.over(config.default_retention if config else None).for_status(row.status)
        return (DEFAULT_RETENTION_MS, True) if ms is None else (ms, False)

    def _retain(self, row: InstanceRow) -> None:
        self.store.set_expiry(row.workflow, row.id, self._expires(row))

    def _expires(self, row: InstanceRow) -> float:
        """When a finished ``row`` is due for removal (noted as the next purge if earliest)."""
        expires = (row.ended or self.clock.now()) + self.retention_of(row)[0]
        if self._next_expiry is None or expires < self._next_expiry:
            self._next_expiry = expires
            self._arm_expiry()
        return expires

    def _arm_expiry(self, *, after_purge: bool = False) -> None:
        """Put the retention timer at the earliest removal due (or take it away: none due).

        Only while running: before ``start`` the clock is not restored yet (``start`` arms it),
        after ``close`` nothing fires. Right after a purge, a due already passed (an instance
        still live, so skipped) is left to the next read rather than fired again at once.
        """
        if not self._time_installed or self._closed:
            return
        due = self._next_expiry
        if due is None or (after_purge and due <= self.clock.now()):
            self._timers.cancel(TimerKind.RETENTION, _RETENTION_KEY)
        elif self._timers.due(TimerKind.RETENTION, _RETENTION_KEY) != due:
            # In the background: a skip or auto time's jump never moves days ahead to
            # remove instances; time passing the due (advance, real time, a jump) fires it.
            self._timers.set(
                TimerKind.RETENTION, _RETENTION_KEY, due, self._expiry_due, background=True
            )

    def remove_next_now(self) -> bool:
        """Fire the retention timer early: the next finished instance due is removed now.

        False when no finished instance is due for removal."""
        for workflow, instance_id, _ in self.store.expiring_instances(1):
            now = self.clock.now()
            self.store.set_expiry(workflow, instance_id, now)
            self._next_expiry = now
            self.purge_expired()
            return True
        return False

    def _expiry_due(self) -> None:
        """The retention timer fired (or was fired early): purge what is due, re-arm."""
        if not self.purge_expired():  # a purge re-arms it
            self._arm_expiry(after_purge=True)

    def purge_expired(self) -> bool:
        """Remove the finished instances whose retention has run out on the virtual clock.

        False when none was due (nothing read, the retention timer left as it was)."""
        now = self.clock.now()
        if self._next_expiry is None or self._next_expiry > now:
            return False
        expired, next_due = self.store.expired_instances(now)
        for row in expired:
            workflow, instance_id = row.workflow, row.id
            if (workflow, instance_id) in self._live:
                next_due = row.expires if next_due is None else min(next_due, row.expires)
                continue
            self.store.delete_instance(workflow, instance_id)
            self.hooks.instance_removed(workflow, instance_id)
            self.emit(EventKind.PURGED, row)
            if not self._warned_default_retention and self.retention_of(row)[1]:
                self._warned_default_retention = True
                warnings.warn(
                    f"{workflow}/{instance_id} was removed after wf's default retention of 7 "
                    "days (Cloudflare: 7 days for Workflows created on Workers Paid since "
                    "2026-09-10, 30 days for older ones, 3 days on Workers Free); set "
                    "default_retention or create(retention=...) to choose",
                    RuntimeWarning,
                    stacklevel=2,
                )
        self._next_expiry = next_due
        self._arm_expiry(after_purge=True)
        self._commit.later()  # nothing waits on a purge; redone at start if lost
        return True
