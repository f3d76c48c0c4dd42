"""Cloudflare's limits on what user code passes in: ids, names, batch sizes, step configs.

Every check raises the error production raises (a ``WorkflowError`` for the API's arguments,
a ``WorkflowFatalError`` for what ``run()`` passes to ``step``), before anything changes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from wf.durations import DAY, DurationError, parse_duration
from wf.errors import WorkflowError, WorkflowFatalError

__all__ = [
    "CONFIG_DOCS",
    "DEFAULT_EVENT_TIMEOUT",
    "DEFAULT_RETRIES",
    "DEFAULT_TIMEOUT",
    "ID_PATTERN",
    "MAX_BATCH",
    "MAX_ID_LENGTH",
    "MAX_RETRIES",
    "MAX_SLEEP_MS",
    "MAX_STEP_NAME",
    "invalid_config",
    "is_valid_id",
    "resolve_config",
    "validate_event_type",
    "validate_instance_id",
    "validate_step_name",
]

# The one id rule: instance ids and event types (workers-sdk workflows-shared lib/validators.ts).
ID_PATTERN = re.compile(r"^[a-zA-Z0-9_][a-zA-Z0-9\-_]*$")
MAX_ID_LENGTH = 100
MAX_BATCH = 100
MAX_STEP_NAME = 256
MAX_SLEEP_MS = 365 * DAY
MAX_RETRIES = 10_000
DEFAULT_RETRIES: dict[str, Any] = {"limit": 5, "delay": 10_000, "backoff": "exponential"}
DEFAULT_TIMEOUT = "10 minutes"
DEFAULT_EVENT_TIMEOUT = "24 hours"
CONFIG_DOCS = "See https://developers.cloudflare.com/workflows/build/sleeping-and-retrying/"
_CONTROL_CHARS = re.compile(r"[\x00-\x1f]")


def is_valid_id(text: Any) -> bool:
    """True for 1 to 100 characters from a-z A-Z 0-9 _ -, not starting with -."""
    return isinstance(text, str) and len(text) <= MAX_ID_LENGTH and bool(ID_PATTERN.fullmatch(text))


def validate_instance_id(instance_id: Any) -> str:
    """Raise WorkflowError unless ``instance_id`` is a valid Cloudflare instance id."""
    if not is_valid_id(instance_id):
        raise WorkflowError(
            f"Workflow instance has invalid id {instance_id!r}: use 1 to {MAX_ID_LENGTH} "
            "characters from a-z A-Z 0-9 _ -, not starting with -"
        )
    return str(instance_id)


def validate_event_type(event_type: Any) -> str:
    """Raise WorkflowError unless ``event_type`` follows the id rule."""
    if not is_valid_id(event_type):
        raise WorkflowError(
            f"(workflow.invalid_event_type) invalid event type {event_type!r}: use up to 100 "
            "characters from a-z A-Z 0-9 _ -"
        )
    return str(event_type)


def validate_step_name(name: Any) -> str:
    """Raise WorkflowFatalError unless ``name`` is 1 to 256 characters without control chars."""
    if (
        not isinstance(name, str)
        or not name
        or len(name) > MAX_STEP_NAME
        or _CONTROL_CHARS.search(name)
    ):
        raise WorkflowFatalError(
            f'Step name "{name}" exceeds max length ({MAX_STEP_NAME} chars) '
            "or invalid characters found"
        )
    return name


def invalid_config(name: str, detail: str) -> WorkflowFatalError:
    """Production's error for a step config it refuses, with what is wrong."""
    return WorkflowFatalError(
        f'Step config for "{name}" is in a invalid format. {CONFIG_DOCS} ({detail})'
    )


def resolve_config(name: str, user: Any) -> tuple[dict[str, Any], Callable[..., Any] | None]:
    """Validate a step config and merge it over the defaults (shallow, ``retries`` one deeper).

    Returns the config to persist and the dynamic delay function, if ``retries.delay`` is one.
    """
    base: dict[str, Any] = {"retries": dict(DEFAULT_RETRIES), "timeout": DEFAULT_TIMEOUT}
    if user is None:
        return base, None
    if not isinstance(user, dict):
        raise invalid_config(name, "config must be a dict")
    unknown = set(user) - {"retries", "timeout", "sensitive"}
    if unknown:
        raise invalid_config(name, f"unknown key {sorted(unknown)[0]!r}")
    retries = user.get("retries", {})
    if not isinstance(retries, dict):
        raise invalid_config(name, "retries must be a dict")
    unknown = set(retries) - {"limit", "delay", "backoff"}
    if unknown:
        raise invalid_config(name, f"unknown key retries.{sorted(unknown)[0]}")
    missing = [key for key in ("limit", "delay") if key not in retries]
    if "retries" in user and missing:
        # workers-sdk lib/validators.ts: a retries object needs both limit and delay.
        raise invalid_config(name, f"retries needs {' and '.join(missing)}")
    delay_fn = None
    if "limit" in retries:
        limit = retries["limit"]
        if isinstance(limit, bool) or not isinstance(limit, int | float) or limit < 0:
            raise invalid_config(name, "retries.limit must be a number >= 0")
        if limit > MAX_RETRIES:
            raise invalid_config(name, f"retries.limit must be at most {MAX_RETRIES}")
    if "delay" in retries:
        delay = retries["delay"]
        if callable(delay):
            delay_fn = delay
        else:
            try:
                parse_duration(delay)
            except DurationError as exc:
                raise invalid_config(name, f"retries.delay: {exc}") from None
    if "backoff" in retries and retries["backoff"] not in ("constant", "linear", "exponential"):
        raise invalid_config(name, "retries.backoff must be constant, linear or exponential")
    if "timeout" in user:
        try:
            if parse_duration(user["timeout"]) == 0:
                raise invalid_config(name, "timeout must not be 0")
        except DurationError as exc:
            raise invalid_config(name, f"timeout: {exc}") from None
    if "sensitive" in user and user["sensitive"] != "output":
        raise invalid_config(name, "sensitive must be 'output'")
    merged: dict[str, Any] = {**base, **user}
    merged["retries"] = {**base["retries"], **retries}
    if delay_fn is not None:
        del merged["retries"]["delay"]
    return merged, delay_fn
