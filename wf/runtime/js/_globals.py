"""``js.console``, ``js.Date``, ``js.crypto``, ``js.Math``, the Error classes and small globals."""

from __future__ import annotations

import base64
import binascii
import datetime
import math
import random
import sys
import time
import uuid
from typing import Any, TextIO
from urllib.parse import quote, unquote

from wf.runtime.pyodide._values import (
    UNDEFINED,
    JsArrayValue,
    JsMapValue,
    JsObject,
    js_number,
    to_heap,
)
from wf.runtime.pyodide.ffi import JsException


def now_ms() -> int:
    """Virtual now in epoch ms: the running emulator's clock, else the wall clock.

    The emulator's `Env` carries its engine's clock (``_clock``); the env user code last
    received (`workers.env`) says which emulator is running.
    """
    from wf.runtime.workers._env import _get_current_env
    from wf.usertime import current_clock

    clock = current_clock()  # the clock of the user code calling, as time.time() reads it
    if clock is None:
        try:
            clock = getattr(_get_current_env(), "_clock", None)
        except RuntimeError:
            clock = None
    return int(clock.now() if clock is not None else time.time() * 1000)


# ---------------------------------------------------------------------------------------------
# console


def _inspect(value: Any, nested: bool = False) -> str:
    """A JS value as console.log shows it (close to workerd's format)."""
    if value is UNDEFINED:
        return "undefined"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        number = js_number(value) if math.isfinite(value) else value
        if isinstance(number, float) and not math.isfinite(number):
            return "NaN" if math.isnan(number) else ("Infinity" if number > 0 else "-Infinity")
        return str(number)
    if isinstance(value, str):
        return "'" + value.replace("'", "\\'") + "'" if nested else value
    if isinstance(value, JsArrayValue):
        return "[ " + ", ".join(_inspect(v, True) for v in value) + " ]" if value else "[]"
    if isinstance(value, JsMapValue):
        inner = ", ".join(f"{_inspect(k, True)} => {_inspect(v, True)}" for k, v in value.items())
        return f"Map({len(value)}) {{ {inner} }}" if value else "Map(0) {}"
    if isinstance(value, JsObject):
        inner = ", ".join(f"{k}: {_inspect(v, True)}" for k, v in value.items())
        return "{ " + inner + " }" if value else "{}"
    return str(value)  # a Python object (a PyProxy): its str


class _Console:
    """``js.console``: log, info and debug to stdout; warn and error to stderr."""

    def _write(self, stream: TextIO, args: tuple[Any, ...]) -> None:
        print(" ".join(_inspect(to_heap(a)) for a in args), file=stream)

    def log(self, *args: Any) -> None:
        self._write(sys.stdout, args)

    def info(self, *args: Any) -> None:
        self._write(sys.stdout, args)

    def debug(self, *args: Any) -> None:
        self._write(sys.stdout, args)

    def warn(self, *args: Any) -> None:
        self._write(sys.stderr, args)

    def error(self, *args: Any) -> None:
        self._write(sys.stderr, args)


console = _Console()


# ---------------------------------------------------------------------------------------------
# Date


class _DateValue:
    """A JS Date: milliseconds since the epoch, UTC (Workers run in UTC)."""

    def __init__(self, ms: float) -> None:
        self._ms = float(ms)

    def __repr__(self) -> str:
        return self.toISOString()

    def _utc(self) -> datetime.datetime:
        if math.isnan(self._ms):
            raise JsException("RangeError", "Invalid time value")
        return datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC) + datetime.timedelta(
            milliseconds=self._ms
        )

    def getTime(self) -> int | float:
        return js_number(self._ms)

    def valueOf(self) -> int | float:
        return self.getTime()

    def toISOString(self) -> str:
        return self._utc().isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def toJSON(self) -> str:
        return self.toISOString()

    def toUTCString(self) -> str:
        return self._utc().strftime("%a, %d %b %Y %H:%M:%S GMT")

    @property
    def constructor(self) -> Any:
        from wf.runtime.pyodide._values import _Constructor

        return _Constructor("Date")

    def __getitem__(self, key: Any) -> Any:
        raise TypeError("'pyodide.ffi.JsProxy' object is not subscriptable")

    def getUTCFullYear(self) -> int:
        return self._utc().year

    def getUTCMonth(self) -> int:
        return self._utc().month - 1

    def getUTCDate(self) -> int:
        return self._utc().day

    def getUTCHours(self) -> int:
        return self._utc().hour

    getFullYear = getUTCFullYear
    getMonth = getUTCMonth
    getDate = getUTCDate
    getHours = getUTCHours


def _parse_date(text: str) -> float:
    try:
        parsed = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return math.nan
    if parsed.tzinfo is None:
        # JS reads a date-only form as UTC and a date-time form as local time: UTC in Workers
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return parsed.timestamp() * 1000


class _Date:
    """``js.Date``: ``Date.now()`` follows the emulator's virtual clock."""

    @staticmethod
    def now() -> int:
        return now_ms()

    @staticmethod
    def new(value: Any = UNDEFINED) -> _DateValue:
        if value is UNDEFINED:
            return _DateValue(now_ms())
        if isinstance(value, _DateValue):
            return _DateValue(value._ms)
        if isinstance(value, str):
            return _DateValue(_parse_date(value))
        if isinstance(value, int | float) and not isinstance(value, bool):
            return _DateValue(value)
        raise JsException("TypeError", f"Date.new() got {type(value).__name__}")

    @staticmethod
    def parse(text: str) -> int | float:
        return js_number(_parse_date(text))


Date = _Date()


# ---------------------------------------------------------------------------------------------
# crypto, Math, errors, encodings


class _Crypto:
    """``js.crypto``: randomUUID (``crypto.subtle`` is not emulated: use hashlib or hmac)."""

    def randomUUID(self) -> str:
        return str(uuid.uuid4())

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(
            f"js.crypto.{name} is not emulated by wf; use Python's hashlib, hmac or secrets"
        )


crypto = _Crypto()


class _Math:
    """``js.Math``: the handful of functions Workers code reaches for."""

    PI = math.pi
    E = math.e

    @staticmethod
    def random() -> float:
        return random.random()

    @staticmethod
    def floor(x: float) -> int:
        return math.floor(x)

    @staticmethod
    def ceil(x: float) -> int:
        return math.ceil(x)

    @staticmethod
    def round(x: float) -> int:
        return math.floor(x + 0.5)  # JS rounds halves up, Python's round() to even

    @staticmethod
    def abs(x: float) -> float:
        return abs(x)

    @staticmethod
    def max(*xs: float) -> float:
        return max(xs) if xs else -math.inf

    @staticmethod
    def min(*xs: float) -> float:
        return min(xs) if xs else math.inf


Math = _Math()


class _ErrorClass:
    """``js.Error`` and friends: ``js.TypeError.new("...")`` is a JsException to raise."""

    def __init__(self, name: str) -> None:
        self.name = name

    def new(self, message: str = "") -> JsException:
        return JsException(self.name, message)


Error = _ErrorClass("Error")
TypeError_ = _ErrorClass("TypeError")
RangeError = _ErrorClass("RangeError")
SyntaxError_ = _ErrorClass("SyntaxError")


def btoa(data: str) -> str:
    """Base64 of a binary string (each character one byte), as JS ``btoa``."""
    try:
        return base64.b64encode(data.encode("latin-1")).decode("ascii")
    except UnicodeEncodeError:
        raise JsException(
            "InvalidCharacterError", "btoa: the string has characters outside Latin-1"
        ) from None


def atob(data: str) -> str:
    """The binary string of base64 text, as JS ``atob``."""
    try:
        return base64.b64decode("".join(data.split()), validate=True).decode("latin-1")
    except (binascii.Error, ValueError):
        raise JsException("InvalidCharacterError", "atob: invalid base64") from None


def encodeURIComponent(text: str) -> str:
    return quote(str(text), safe="-_.!~*'()")


def decodeURIComponent(text: str) -> str:
    return unquote(str(text), errors="strict")
