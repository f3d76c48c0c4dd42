"""How long a finished instance's state is kept before the platform removes it.

Cloudflare keeps a complete instance for ``successRetention`` and an errored one for
``errorRetention`` (``create(retention=...)``), else for the Workflow's ``default_retention``
(``workflows[]`` or a ``workflow`` export), else for the account's default: seven days for
Workflows created on Workers Paid since 2026-09-10. After that the instance is gone: ``get``
says ``instance.not_found`` and its id can be used again.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from wf.durations import DurationError, format_duration, parse_duration

DAY_MS = 86_400_000.0
MAX_RETENTION_MS = 30 * DAY_MS  # the platform's limit (Workers Paid)
DEFAULT_RETENTION_MS = 7 * DAY_MS  # new Workflows on Workers Paid, since 2026-09-10

# (create option, config key) for each kind of finished instance
FIELDS = (("successRetention", "success_retention"), ("errorRetention", "error_retention"))


class RetentionError(ValueError):
    """A retention value that is not a duration of at most 30 days; names the field."""


@dataclass(frozen=True)
class Retention:
    """Milliseconds to keep a complete / an errored instance; None leaves it to the default."""

    success: float | None = None
    error: float | None = None

    def for_status(self, status: str) -> float | None:
        # A terminated instance did not succeed: kept as long as an errored one (UNCONFIRMED).
        return self.success if status == "complete" else self.error

    def to_json(self) -> str | None:
        if self.success is None and self.error is None:
            return None
        return json.dumps({"success": self.success, "error": self.error})

    @classmethod
    def from_json(cls, text: str | None) -> Retention:
        if not text:
            return cls()
        data = json.loads(text)
        return cls(success=data.get("success"), error=data.get("error"))

    def over(self, fallback: Retention | None) -> Retention:
        """This retention, with the unset kinds taken from ``fallback``."""
        if fallback is None:
            return self
        return Retention(
            success=self.success if self.success is not None else fallback.success,
            error=self.error if self.error is not None else fallback.error,
        )


def parse_retention(value: Any, *, config: bool) -> Retention:
    """``{"successRetention", "errorRetention"}`` (``create``) or the snake_case config form."""
    keys = {k[1] if config else k[0]: i for i, k in enumerate(FIELDS)}
    if not isinstance(value, Mapping):
        raise RetentionError(f"must be an object with {' and/or '.join(keys)}")
    unknown = [k for k in value if k not in keys]
    if unknown:
        raise RetentionError(f"unknown field {unknown[0]!r} (allowed: {', '.join(keys)})")
    found: list[float | None] = [None, None]
    for key, index in keys.items():
        if key not in value:
            continue
        try:
            ms = parse_duration(value[key])
        except DurationError as exc:
            raise RetentionError(f"{key}: {exc}") from None
        if ms <= 0 or ms > MAX_RETENTION_MS:
            raise RetentionError(
                f"{key}: must be more than 0 and at most 30 days (got {format_duration(ms)})"
            )
        found[index] = ms
    return Retention(success=found[0], error=found[1])
