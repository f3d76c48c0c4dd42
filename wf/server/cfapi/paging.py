"""Query parameters of the list routes: page/per_page, Cloudflare's opaque cursor, dates."""

from __future__ import annotations

import base64
import binascii
import json
import math
from dataclasses import dataclass

from aiohttp import web

from wf.durations import DurationError, parse_timestamp
from wf.server.cfapi.errors import BAD_QUERY, CfApiError

DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100
MAX_PAGE = 1_000_000


def whole(request: web.Request, name: str, default: int, high: int) -> int:
    """A whole-number query value from 1 to ``high``; the SDK sends ``per_page`` as a float
    when given one (``2.0``), so an integral float is accepted."""
    raw = request.query.get(name, "").strip()
    if not raw:
        return default
    try:
        number = float(raw)
    except ValueError:
        number = 0.5
    if not number.is_integer() or not 1 <= number <= high:
        message = f"{name} must be a whole number from 1 to {high:,}, got {raw!r}"
        raise CfApiError(BAD_QUERY, message)
    return int(number)


def choice(request: web.Request, name: str, allowed: tuple[str, ...], default: str) -> str:
    raw = request.query.get(name) or default
    if raw not in allowed:
        raise CfApiError(BAD_QUERY, f"{name} must be one of {', '.join(allowed)}, got {raw!r}")
    return raw


def moment(request: web.Request, name: str) -> float | None:
    """An ISO-8601 time (UTC when it names no offset) as epoch ms, or None when absent."""
    raw = request.query.get(name, "").strip()
    if not raw:
        return None
    try:
        return parse_timestamp(raw)
    except DurationError as exc:
        raise CfApiError(BAD_QUERY, f"{name}: {exc}") from None


@dataclass(frozen=True)
class Cursor:
    """Where a cursor page starts: after the row (created, seq), in ``direction``."""

    created: float
    seq: int
    direction: str

    def encode(self) -> str:
        text = json.dumps([self.created, self.seq, self.direction], separators=(",", ":"))
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor:
        try:
            padded = token + "=" * (-len(token) % 4)
            created, seq, direction = json.loads(base64.urlsafe_b64decode(padded))
            # SQLite takes 64-bit integers only: a forged cursor must not reach it
            if (
                direction not in ("asc", "desc")
                or not isinstance(seq, int)
                or isinstance(seq, bool)
                or not -(2**63) <= seq < 2**63
                or not isinstance(created, int | float)
                or not math.isfinite(created)
            ):
                raise ValueError(direction)
            return cls(float(created), seq, str(direction))
        except (ValueError, TypeError, binascii.Error):
            raise CfApiError(
                BAD_QUERY, "cursor is not one this server returned (take result_info.cursor)"
            ) from None
