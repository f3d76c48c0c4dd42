"""What the clock accepts: its modes, the scales and times it may take, saved snapshots.

Checked before anything changes, so bad input (a scale of NaN, a time past year 9999, a
corrupt snapshot in the store) gets a clear error and leaves the clock as it was.
"""

from __future__ import annotations

import contextlib
from typing import Any, Literal

from wf.durations import MAX_TIME, MIN_TIME, DurationError, to_iso

__all__ = ["MAX_SCALE", "MIN_SCALE", "MODES", "Mode", "check_scale", "check_time", "valid_snapshot"]

Mode = Literal["real", "scale", "manual", "auto"]
MODES: tuple[Mode, ...] = ("real", "scale", "manual", "auto")
MIN_SCALE = 0.001
MAX_SCALE = 10_000_000.0  # 115 days per real second


def check_scale(scale: object) -> float:
    """``scale`` as a float, or ValueError naming the allowed range."""
    if (
        isinstance(scale, bool)
        or not isinstance(scale, int | float)
        or not MIN_SCALE <= scale <= MAX_SCALE
    ):
        raise ValueError(
            f"time scale must be a number from {MIN_SCALE:g} to {MAX_SCALE:,.0f}, got {scale!r}"
        )
    return float(scale)


def check_time(ms: float) -> float:
    """``ms`` when virtual time may be there, else DurationError naming the range."""
    if not MIN_TIME <= ms <= MAX_TIME:
        raise DurationError(
            f"time cannot move to {to_iso(ms)}: virtual time stays between "
            f"{to_iso(MIN_TIME)} and {to_iso(MAX_TIME)}"
        )
    return ms


def valid_snapshot(state: dict[str, Any]) -> dict[str, Any]:
    """The usable entries of a saved snapshot: known mode, scale in range, times in range."""
    valid: dict[str, Any] = {}
    if state.get("mode") in MODES:
        valid["mode"] = state["mode"]
    with contextlib.suppress(ValueError):
        valid["scale"] = check_scale(state.get("scale", 1.0))
    for key in ("now", "lease", "wall"):
        value = state.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if MIN_TIME <= value <= MAX_TIME:
            valid[key] = float(value)
    return valid
