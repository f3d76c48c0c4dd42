"""What crosses the step boundary, converted as production's SDK converts it.

Errors ``run()`` sees are rebuilt as workers-py's ``_from_js_error`` builds them; step configs
are copied and stored; ``sleep_until`` times are read as the SDK hands them to the engine.
"""

from __future__ import annotations

import json
import math
import os
import sys
from typing import Any

from wf.durations import DurationError, parse_timestamp
from wf.engine.limits import DEFAULT_RETRIES, DEFAULT_TIMEOUT
from wf.errors import StepError, WorkflowFatalError
from wf.runtime.workers.workflows import NonRetryableError

__all__ = [
    "SECONDS_LOOK_BELOW",
    "config_json",
    "copy_config",
    "epoch_ms",
    "is_non_retryable",
    "is_number",
    "rebuild_error",
    "user_call_site",
]


def rebuild_error(info: dict[str, Any]) -> Exception:
    """The exception ``run`` sees for a failed step, as workers-py ``_from_js_error`` builds it.

    A Python error (a ``PythonError`` message) is rebuilt from the last line of its traceback:
    ``TypeError``/``ValueError``/``workers.workflows.NonRetryableError`` lines become that
    class with the whole line as message; anything else stays the JS error. A JS error named
    ``RangeError`` becomes ``ValueError``, ``TypeError`` a ``TypeError``, the rest stay JS
    errors (``StepError``, a ``JsException``).
    """
    name, message = str(info.get("name", "Error")), str(info.get("message", ""))
    exc: Exception
    if name == "NonRetryableError":
        exc = NonRetryableError(f"workers.workflows.NonRetryableError: {message}")
        exc._wf_error = {"name": name, "message": message}  # type: ignore[attr-defined]
        return exc
    if message.startswith("PythonError"):
        lines = message.split("\n")
        last = lines[-2] if len(lines) > 1 else lines[-1]
        if last.startswith("TypeError"):
            exc = TypeError(last)
        elif last.startswith("ValueError"):
            exc = ValueError(last)
        elif last.startswith("workers.workflows.NonRetryableError"):
            exc = NonRetryableError(last)
            original = last.partition(":")[2].strip()
            exc._wf_error = {"name": "NonRetryableError", "message": original}  # type: ignore[attr-defined]
        else:
            exc = StepError(name, message)
    elif name == "RangeError":
        exc = ValueError(message)
    elif name == "TypeError":
        exc = TypeError(message)
    else:
        exc = StepError(name, message)
    # Uncaught, a rebuilt Python error is a new PythonError; a JS error is rethrown as it was.
    return exc


def is_non_retryable(exc: BaseException) -> bool:
    """True for a ``NonRetryableError``, however it reached the engine."""
    if isinstance(exc, NonRetryableError) or type(exc).__name__ == "NonRetryableError":
        return True
    return getattr(exc, "name", None) == "NonRetryableError" or str(exc).startswith(
        "NonRetryableError"
    )


_DEFAULT_CONFIG_JSON = json.dumps({"retries": DEFAULT_RETRIES, "timeout": DEFAULT_TIMEOUT})


def config_json(config: dict[str, Any]) -> str:
    """A resolved config as stored (the default one is one shared string)."""
    if (
        config.get("timeout") == DEFAULT_TIMEOUT
        and config.get("retries") == DEFAULT_RETRIES
        and (len(config) == 2)
    ):
        return _DEFAULT_CONFIG_JSON
    return json.dumps(config)


def copy_config(config: dict[str, Any]) -> dict[str, Any]:
    """A copy for ``ctx["config"]``: user code may mutate it without touching the cache."""
    copied = dict(config)
    if isinstance(copied.get("retries"), dict):
        copied["retries"] = dict(copied["retries"])
    return copied


# Epoch milliseconds below this (March 1973) are far more likely seconds.
SECONDS_LOOK_BELOW = 1e11


def is_number(value: Any) -> bool:
    """True for an int or float that is not a bool."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def user_call_site() -> str:
    """`` at file:line`` of the innermost caller outside wf, or "" when there is none."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not os.path.abspath(filename).startswith(_EMULATOR_DIR) and "asyncio" not in filename:
            return f" at {filename}:{frame.f_lineno}"
        frame = frame.f_back  # type: ignore[assignment]
    return ""


# wf's own frames: everything under wf/, this package included.
_EMULATOR_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def epoch_ms(timestamp: Any, name: str) -> float:
    """A ``sleep_until`` time in epoch ms: a datetime, an ISO string, or epoch ms."""
    if is_number(timestamp):
        if not math.isfinite(timestamp):
            raise WorkflowFatalError(f'Step "{name}": sleep_until needs a finite time')
        # The SDK hands a number to the engine's sleepUntil as it is: epoch milliseconds.
        return float(timestamp)
    try:
        return parse_timestamp(timestamp)
    except (DurationError, TypeError):
        raise WorkflowFatalError(
            f'Step "{name}": sleep_until needs a datetime or epoch milliseconds, got {timestamp!r}'
        ) from None
