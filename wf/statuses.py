"""Instance statuses, as Cloudflare names them (one list for the engine, the APIs and the CLI)."""

from __future__ import annotations

from wf.vocabulary import InstanceStatus

# Plain strings, for the CLI's choices and the APIs' messages; `unknown` is only ever
# reported, never stored.
STATUSES: tuple[str, ...] = tuple(s.value for s in InstanceStatus if s != InstanceStatus.UNKNOWN)
REPORTED_STATUSES: tuple[str, ...] = tuple(s.value for s in InstanceStatus)
FINAL_STATUSES: frozenset[str] = frozenset(s.value for s in InstanceStatus if s.final)
