"""Retention: when a finished instance is removed, on the virtual clock.

Purged lazily on access, not by a clock timer, so that `--time auto` does not jump days
ahead just to remove instances.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

from wf.retention import DEFAULT_RETENTION_MS, Retention
from wf.store import InstanceRow
from wf.vocabulary import EventKind

if TYPE_CHECKING:
    pass
from wf.engine.base import EngineBase


class Expiry(EngineBase):
    """Keeps finished instances for their retention, then removes them."""

    def retention_of(self, row: InstanceRow) -> tuple[float, bool]:
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
        return expires

    def purge_expired(self) -> None:
        """Remove the finished instances whose retention has run out on the virtual clock."""
        if self._next_expiry is None or self._next_expiry > self.clock.now():
            return
        for workflow, instance_id in self.store.expired_instances(self.clock.now()):
            key = (workflow, instance_id)
            row = self.store.get_instance(workflow, instance_id)
            if row is None or key in self._live:
                continue
            _, defaulted = self.retention_of(row)
            self.store.delete_instance(workflow, instance_id)
            self.hooks.instance_removed(workflow, instance_id)
            self.emit(EventKind.PURGED, row)
            if defaulted and not self._warned_default_retention:
                self._warned_default_retention = True
                warnings.warn(
                    f"{workflow}/{instance_id} was removed after wf's default retention of 7 "
                    "days (Cloudflare: 7 days for Workflows created on Workers Paid since "
                    "2026-09-10, 30 days for older ones, 3 days on Workers Free); set "
                    "default_retention or create(retention=...) to choose",
                    RuntimeWarning,
                    stacklevel=2,
                )
        self._next_expiry = self.store.next_expiry()
        self.request_commit()
