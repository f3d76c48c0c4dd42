"""How statuses, step types, triggers, times and durations read for people (as in wrangler)."""

from __future__ import annotations

from datetime import UTC, datetime

from wf.statuses import STATUSES

__all__ = ["STATUSES"]


_STATUS = {
    "complete": "✅ Completed",
    "errored": "❌ Errored",
    "paused": "⏸️ Paused",
    "queued": "⌛ Queued",
    "running": "▶ Running",
    "terminated": "🚫 Terminated",
    "waiting": "⏰ Waiting",
    "waitingForPause": "⏱️ Waiting for Pause",
}
_STEP_TYPE = {
    "step": "🎯 Step",
    "sleep": "💤 Sleeping",
    "termination": "🚫 Termination",
    "waitForEvent": "👀 Waiting for event",
}
_TRIGGER = {"api": "🌎 API", "binding": "🔗 Binding", "cron": "⌛ Cron", "event": "📩 Event"}
UNKNOWN = "❓ Unknown"


def status_label(status: str | None) -> str:
    return _STATUS.get(status or "", UNKNOWN)


def step_type_label(kind: str | None) -> str:
    return _STEP_TYPE.get(kind or "", UNKNOWN)


def trigger_label(source: str | None) -> str:
    return _TRIGGER.get(source or "", UNKNOWN)


def yes_no(value: bool) -> str:
    return "✅ Yes" if value else "❌ No"


def parse_iso(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def when(value: str | None) -> str:
    """An ISO timestamp as ``2026-01-08 00:00:00 UTC``: instance times are virtual, so UTC."""
    moment = parse_iso(value)
    if moment is None:
        return value or ""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def iso_from_ms(ms: float) -> str:
    """Epoch milliseconds as ISO-8601 UTC with milliseconds, as Cloudflare writes times."""
    moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


_UNITS = (
    ("year", 365 * 86_400),
    ("month", 30 * 86_400),
    ("day", 86_400),
    ("hour", 3_600),
    ("minute", 60),
    ("second", 1),
)


def distance(start: str | None, end: str | None) -> str:
    """The time between two ISO timestamps in one rounded unit (date-fns' strict distance)."""
    first, last = parse_iso(start), parse_iso(end)
    if first is None or last is None:
        return ""
    seconds = abs((last - first).total_seconds())
    if seconds < 1:
        return f"{round(seconds * 1000)} ms"  # emulated steps are fast: say how fast
    unit, size = next((u, s) for u, s in _UNITS if seconds >= s)
    count = round(seconds / size)
    return f"{count} {unit}{'' if count == 1 else 's'}"


def compact_json(value: object) -> str:
    """JSON as JSON.stringify writes it, for outputs and payloads shown in one cell."""
    import json

    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def truncate(text: str, limit: int) -> str:
    """Cut long text as wrangler does: the first ``limit`` characters and a marker."""
    return text if len(text) <= limit else text[:limit] + "[...output truncated]"
