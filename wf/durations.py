"""The duration grammar: one parser for every time API (sleeps, retries, timeouts, the CLI).

Cloudflare accepts a number of milliseconds or a string such as ``"10 seconds"``,
``"1 minute, 30 seconds"`` or ``"2.5 hours"``. Abbreviations (``"24h"``) are not part of the
documented grammar, so workflow code gets an error for them; the CLI accepts them as a
convenience (``lenient=True``).
"""

from __future__ import annotations

import functools
import math
import re
from datetime import UTC, datetime

SECOND = 1_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR
WEEK = 7 * DAY
MONTH = 30 * DAY
YEAR = 365 * DAY

_UNITS: dict[str, int] = {
    "ms": 1,
    "millisecond": 1,
    "second": SECOND,
    "minute": MINUTE,
    "hour": HOUR,
    "day": DAY,
    "week": WEEK,
    "month": MONTH,
    "year": YEAR,
}
_SHORT_UNITS: dict[str, int] = {
    "s": SECOND,
    "sec": SECOND,
    "secs": SECOND,
    "m": MINUTE,
    "min": MINUTE,
    "mins": MINUTE,
    "h": HOUR,
    "hr": HOUR,
    "hrs": HOUR,
    "d": DAY,
    "w": WEEK,
    "y": YEAR,
    "mo": MONTH,
}
# Bounds that keep every duration and every point in time representable (as a datetime, an
# ISO string, a timer): the clock stays before MAX_TIME, and MAX_TIME plus the longest
# duration is still before the end of year 9999.
MAX_DURATION = 1000 * YEAR
MIN_TIME = 0.0
MAX_TIME = datetime(9000, 1, 1, tzinfo=UTC).timestamp() * 1000

_SEGMENT = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*([a-zA-Z]+)\s*$")
_NUMBER = re.compile(r"^\s*\d+(?:\.\d+)?\s*$")


class DurationError(ValueError):
    """A duration that does not parse; the message names the value and the grammar."""


def parse_duration(value: object, *, lenient: bool = False) -> float:
    """Return a duration in milliseconds from a number (ms) or a duration string."""
    if isinstance(value, bool):
        raise DurationError(f"invalid duration {value!r}: expected milliseconds or '10 seconds'")
    if isinstance(value, int | float):
        if not math.isfinite(value) or value < 0:
            raise DurationError(f"invalid duration {value!r}: must be a number >= 0")
        return _bounded(float(value), value)
    if not isinstance(value, str):
        raise DurationError(
            f"invalid duration {value!r}: expected milliseconds or a string like '10 seconds'"
        )
    return _bounded(_parse_text(value, lenient), value)


def _bounded(ms: float, value: object) -> float:
    if not ms <= MAX_DURATION:
        raise DurationError(f"invalid duration {value!r}: at most 1000 years")
    return ms


@functools.lru_cache(maxsize=1024)
def _parse_text(value: str, lenient: bool) -> float:
    # Cached: every step attempt parses its timeout, nearly always the same few strings.
    if _NUMBER.match(value):
        return float(value)
    total = 0.0
    for segment in re.split(r",\s*", value.strip()):
        match = _SEGMENT.match(segment)
        factor = _unit_factor(match.group(2), lenient) if match else None
        if match is None or factor is None:
            hint = " (use '24 hours', not '24h')" if not lenient and _looks_short(segment) else ""
            raise DurationError(
                f"invalid duration {value!r}{hint}: expected '<number> <unit>' with unit "
                "second, minute, hour, day, week, month or year"
            )
        amount = float(match.group(1))
        if amount < 0:
            raise DurationError(f"invalid duration {value!r}: must not be negative")
        total += amount * factor
    return total


def _unit_factor(unit: str, lenient: bool) -> int | None:
    unit = unit.lower()
    if unit in _UNITS:
        return _UNITS[unit]
    if unit.endswith("s") and unit[:-1] in _UNITS:
        return _UNITS[unit[:-1]]
    if lenient:
        return _SHORT_UNITS.get(unit)
    return None


def _looks_short(segment: str) -> bool:
    match = _SEGMENT.match(segment)
    return bool(match and match.group(2).lower() in _SHORT_UNITS)


def format_duration(ms: float) -> str:
    """Render milliseconds for people: ``1.5s``, ``7d 2h``, ``350ms``."""
    if ms < SECOND:
        return f"{ms:.0f}ms"
    if ms < MINUTE:
        return f"{ms / SECOND:.3g}s"
    parts = []
    remaining = int(ms // SECOND)
    for label, size in (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)):
        count, remaining = divmod(remaining, size)
        if count:
            parts.append(f"{count}{label}")
    return " ".join(parts[:2])


def to_iso(ms: float | None) -> str | None:
    """Epoch milliseconds to an ISO-8601 UTC string with milliseconds, as Cloudflare prints.

    A time no datetime can hold (only state written before times were bounded has one) is
    shown at the nearest end of the range rather than breaking the answer it is part of.
    """
    if ms is None:
        return None
    if not _MIN_ISO <= ms <= _MAX_ISO:
        ms = _MIN_ISO if ms < _MAX_ISO else _MAX_ISO  # NaN lands here too
    moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return (
        f"{moment.year:04d}"
        + moment.strftime("-%m-%dT%H:%M:%S.")
        + (f"{moment.microsecond // 1000:03d}Z")
    )


def parse_timestamp(value: str | float | int | datetime) -> float:
    """Epoch milliseconds from an ISO-8601 string, a datetime, or a number of milliseconds,
    between 1970 and MAX_TIME (year 9000)."""
    ms = _timestamp(value)
    if not MIN_TIME <= ms <= MAX_TIME:
        raise DurationError(
            f"invalid timestamp {value!r}: must be between {to_iso(MIN_TIME)} and "
            f"{to_iso(MAX_TIME)}"
        )
    return ms


def _timestamp(value: object) -> float:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.timestamp() * 1000
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if _NUMBER.match(text):
            return float(text)
        try:
            return _timestamp(datetime.fromisoformat(text.replace("Z", "+00:00")))
        except ValueError:
            pass
    raise DurationError(f"invalid timestamp {value!r}: expected ISO-8601 or epoch milliseconds")


_MIN_ISO = datetime(1, 1, 1, tzinfo=UTC).timestamp() * 1000 + DAY  # a day in: any timezone fits
_MAX_ISO = datetime(9999, 12, 31, tzinfo=UTC).timestamp() * 1000
