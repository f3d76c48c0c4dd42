"""Instance statuses, as Cloudflare names them (one list for the engine, the APIs and the CLI)."""

from __future__ import annotations

from emulator.vocabulary import InstanceStatus

# What an instance can report; `unknown` is only ever reported, never stored.
STATUSES: tuple[InstanceStatus, ...] = tuple(s for s in InstanceStatus if s != "unknown")
REPORTED_STATUSES: tuple[InstanceStatus, ...] = tuple(InstanceStatus)
FINAL_STATUSES = frozenset(s for s in InstanceStatus if s.final)
