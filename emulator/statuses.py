"""Instance statuses, as Cloudflare names them (one list for the engine, the APIs and the CLI)."""

from __future__ import annotations

# What an instance can report; `unknown` is only ever reported, never stored.
STATUSES = (
    "queued",
    "running",
    "paused",
    "errored",
    "terminated",
    "complete",
    "waiting",
    "waitingForPause",
)
REPORTED_STATUSES = (*STATUSES, "unknown")
FINAL_STATUSES = frozenset({"complete", "errored", "terminated"})
