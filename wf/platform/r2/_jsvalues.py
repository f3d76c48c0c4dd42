"""Dates between R2 and Python: epoch milliseconds in the store, naive UTC datetimes in code.

The SDK's ``python_from_rpc`` turns a JS Date into a naive datetime in UTC (Workers run in
UTC); a datetime sent to JS becomes a Date. The JS values R2 hands over unconverted (a
``list()`` result's objects, bodies) are the shared ones of ``wf.runtime.js``.
"""

from __future__ import annotations

import datetime

_EPOCH = datetime.datetime(1970, 1, 1)


def to_datetime(ms: float) -> datetime.datetime:
    """A JS Date as the SDK hands it to Python: a naive datetime in UTC (Workers run in UTC)."""
    return _EPOCH + datetime.timedelta(milliseconds=ms)


def to_ms(value: datetime.datetime) -> int:
    """A datetime as the SDK sends it to JS (naive counts as UTC, the Workers time zone)."""
    if value.tzinfo is not None:
        value = value.astimezone(datetime.UTC).replace(tzinfo=None)
    return (value - _EPOCH) // datetime.timedelta(milliseconds=1)
