"""Time as user code sees it: the emulator's clock, in UTC, as on Cloudflare.

While workflow or Worker code runs (``user_time(clock)``, set where the engine calls ``run()``
and where the Worker's ``fetch`` is called), ``time.time()``, ``time.time_ns()``,
``datetime.now()``, ``datetime.utcnow()``, ``date.today()``, ``time.localtime()``,
``time.gmtime()``, ``time.strftime()`` and ``time.clock_gettime(CLOCK_REALTIME)`` answer the
emulator's clock, and ``asyncio.sleep`` waits on it (in manual time until an advance reaches
its end). Everything else (the server, its timers,
the clock itself) keeps real time.

How: time-machine swaps the C implementations of those functions for ones that ask its
topmost traveller for the time, so ``datetime.now()`` on the real ``datetime`` class and
names imported before (``from time import time``) follow too, with no fake classes. Our one
traveller answers from a context variable: the clock of the user code running in this
context, else the real time. Context variables follow the tasks user code creates (and
``asyncio.to_thread``), not threads it starts itself.

Not covered: ``time.monotonic``/``perf_counter`` (asyncio's own timers read them; user code
that reads one in virtual time gets a one-time RuntimeWarning), threads
started with ``threading``, C extensions that read the system clock themselves, and timers
other than ``asyncio.sleep`` (``asyncio.wait_for``, ``asyncio.timeout``, ``loop.call_later``).

Workers run in UTC, so the process's local zone is UTC while an engine runs (``TZ``), and a
JS ``Date`` reaches Python as Pyodide's SDK converts it: ``datetime.fromtimestamp(ms / 1000)``,
a naive datetime in UTC (``from_js_date``).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import os
import sys
import threading
import time
import warnings
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Protocol

from wf import realtime

# time-machine imports pytest when it is installed, for a fixture wf never uses: about a fifth
# of a second at every `wf dev` start. A None entry in sys.modules makes that import fail, so
# time-machine goes without it; under pytest (already imported) nothing changes.
_WITHOUT_PYTEST = "pytest" not in sys.modules
if _WITHOUT_PYTEST:
    sys.modules["pytest"] = None  # type: ignore[assignment]
try:
    import time_machine
finally:
    if _WITHOUT_PYTEST and "pytest" in sys.modules and sys.modules["pytest"] is None:
        del sys.modules["pytest"]


class Cancellable(Protocol):
    """A pending timer of the clock."""

    @property
    def cancelled(self) -> bool: ...

    def cancel(self) -> None: ...


class Clock(Protocol):
    """What user time needs of the emulator's clock (``wf.clock.Clock`` is one).

    A protocol rather than the class: the clock reads the real time through this module, so
    naming the class here would close an import cycle.
    """

    @property
    def mode(self) -> str: ...

    def now(self) -> float: ...

    def call_later(
        self, delay_ms: float, callback: Callable[[], None], label: str = ""
    ) -> Cancellable: ...

    def jump_to_next(self) -> None: ...


class SleepTimers(Protocol):
    """Where user code's ``asyncio.sleep`` registers (``wf.timers.Timers`` is one).

    Passed in by the engine (``use_timers``) rather than imported: the timers sit on the clock,
    which reads the real time through this module, so importing them would close a cycle.
    """

    def user_sleep(self, delay_ms: float, wake: Callable[[], None]) -> Cancellable: ...


# The timers a clock's user sleeps go to, kept on the clock as the load is (see _LOAD_ATTR).
_TIMERS_ATTR = "_wf_sleep_timers"


def use_timers(clock: Clock, timers: SleepTimers | None) -> None:
    """User code's ``asyncio.sleep`` on ``clock`` registers with ``timers`` from now on (None:
    on the clock directly, as for a clock no engine runs on)."""
    setattr(clock, _TIMERS_ATTR, timers)


# The clock of the user code running in this context; None outside user code.
_active: contextvars.ContextVar[Clock | None] = contextvars.ContextVar(
    "wf_user_clock", default=None
)


_EPOCH = datetime(1970, 1, 1)


def from_js_date(ms: float) -> datetime:
    """A JS Date (epoch ms) as the Python SDK hands it over: naive, in UTC (Workers' zone)."""
    # Epoch plus a timedelta: the naive UTC datetime without a time zone's conversion.
    return _EPOCH + timedelta(milliseconds=ms)


def current_clock() -> Clock | None:
    """The clock of the user code running in this context, if any."""
    return _active.get()


# -- who is running, who waits on the clock (auto mode jumps when all user code waits) -------


@dataclass
class _Load:
    running: int = 0  # user-code entries (instance passes, fetches) now inside user_time
    sleeping: int = 0  # asyncio.sleep calls of user code now waiting on the clock


# Kept on the clock itself (an attribute of ours): found in one lookup on every pass.
_LOAD_ATTR = "_wf_user_load"


def _load(clock: Clock) -> _Load:
    load: _Load | None = getattr(clock, _LOAD_ATTR, None)
    if load is None:
        load = _Load()
        setattr(clock, _LOAD_ATTR, load)
    return load


def only_clock_waits(clock: Clock) -> bool:
    """True when user code is running on ``clock`` and all of it waits in ``asyncio.sleep``."""
    load: _Load | None = getattr(clock, _LOAD_ATTR, None)
    return load is not None and load.running > 0 and load.sleeping >= load.running


def running(clock: Clock) -> int:
    """How many user-code entries (passes, fetches, Durable Object events) run on ``clock``."""
    load: _Load | None = getattr(clock, _LOAD_ATTR, None)
    return 0 if load is None else load.running


class user_time:  # used as a function: ``with user_time(clock):``
    """Run the block (user code) on ``clock``'s time; None leaves time as it is.

    A class rather than a generator-based context manager: it is entered on every pass.
    """

    __slots__ = ("_clock", "_load", "_token")

    def __init__(self, clock: Clock | None) -> None:
        self._clock = clock

    def __enter__(self) -> None:
        clock = self._clock
        if clock is not None:
            self._load = _load(clock)
            self._token = _active.set(clock)
            self._load.running += 1

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        clock = self._clock
        if clock is not None:
            self._load.running -= 1
            _active.reset(self._token)
            if clock.mode == "auto":
                _maybe_jump(clock)


# -- asyncio.sleep on the clock ------------------------------------------------------------------

_original_sleep = asyncio.sleep
USER_SLEEP_LABEL = "asyncio.sleep in user code"  # what ``wf time status`` reads the kind from


async def _user_sleep(delay: float, result: Any = None) -> Any:
    clock = _active.get()
    # In manual time the sleep ends when an advance reaches it, like every other timer.
    if clock is None or clock.mode == "real" or not _positive(delay):
        return await _original_sleep(delay, result)
    future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    load = _load(clock)

    def wake() -> None:
        # Counted awake as soon as the timer fires, so an advance waits for this code.
        load.sleeping -= 1
        if not future.done():
            future.set_result(None)

    load.sleeping += 1
    timers: SleepTimers | None = getattr(clock, _TIMERS_ATTR, None)
    if timers is not None:
        timer = timers.user_sleep(delay * 1000.0, wake)
    else:
        timer = clock.call_later(delay * 1000.0, wake, label=USER_SLEEP_LABEL)
    task = asyncio.current_task()
    if task is not None:
        _clock_waiters.add(task)
    _maybe_jump(clock)
    try:
        await future
    finally:
        if task is not None:
            _clock_waiters.discard(task)
        if not timer.cancelled:  # cancelled before it fired (the step timed out, say)
            timer.cancel()
            load.sleeping -= 1
    return result


# Tasks of user code now parked in asyncio.sleep on a clock that has not reached their time.
_clock_waiters: weakref.WeakSet[asyncio.Task[Any]] = weakref.WeakSet()


def waits_on_clock(task: asyncio.Task[Any]) -> bool:
    """True while ``task`` sleeps on the virtual clock (manual time: until an advance)."""
    return task in _clock_waiters


def _positive(delay: object) -> bool:
    try:
        return bool(delay > 0)  # type: ignore[operator]
    except TypeError:
        return False  # the original sleep raises its own TypeError


def _maybe_jump(clock: Clock) -> None:
    """In auto time, jump to the next timer once all running user code waits on the clock."""
    if clock.mode != "auto":
        return
    with contextlib.suppress(RuntimeError):  # no running loop: nothing can wait
        asyncio.get_running_loop().call_soon(_jump, clock)


def _jump(clock: Clock) -> None:
    if clock.mode == "auto" and only_clock_waits(clock):
        clock.jump_to_next()


# -- clocks wf leaves real -------------------------------------------------------------------------

# time.monotonic and perf_counter keep real time (asyncio's own timers read them); user code
# that reads one in virtual time gets one warning, since it sees no advance of the clock.
_REAL_CLOCKS = ("monotonic", "monotonic_ns", "perf_counter", "perf_counter_ns")
_real_originals: dict[str, Any] = {}
_warned_clocks: set[str] = set()
# Files that are not user code: the standard library, installed packages, wf itself.
_NOT_USER = tuple(
    {sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.path.abspath(__file__))}
)


def _watched(name: str, original: Any) -> Any:
    def read() -> Any:
        if name not in _warned_clocks:
            clock = _active.get()
            if clock is not None and clock.mode != "real":
                filename = sys._getframe(1).f_code.co_filename
                if not filename.startswith(_NOT_USER) and not filename.startswith("<"):
                    _warned_clocks.add(name)
                    warnings.warn(
                        f"time.{name}() keeps real time in wf's {clock.mode} time: it does "
                        "not move with step.sleep, an advance or asyncio.sleep; measure "
                        "durations with time.time() to follow the emulator's clock",
                        RuntimeWarning,
                        stacklevel=2,
                    )
        return original()

    read.__name__ = read.__qualname__ = name
    return read


def _watch_real_clocks(on: bool) -> None:
    for name in _REAL_CLOCKS:
        if on:
            _real_originals[name] = getattr(time, name)
            setattr(time, name, _watched(name, _real_originals[name]))
        elif name in _real_originals:
            setattr(time, name, _real_originals.pop(name))


# -- installing ----------------------------------------------------------------------------------


class _Traveller:
    """Answers time-machine's "what time is it": the context's clock, else the real time."""

    def __init__(self) -> None:
        self._real_ns = time_machine.escape_hatch.time.time_ns

    def time_ns(self) -> int:
        clock = _active.get()
        if clock is None:
            return self._real_ns()
        token = _active.set(None)  # the clock reads the wall clock through time.time()
        try:
            ms = clock.now()
        finally:
            _active.reset(token)
        return int(ms * 1_000_000)


_lock = threading.Lock()
_installs = 0
_travel: time_machine.travel | None = None
_saved_tz: str | None = None


def install() -> None:
    """Give user code virtual time and UTC (counted: each install needs one ``uninstall``)."""
    global _installs, _travel, _saved_tz
    with _lock:
        _installs += 1
        if _installs > 1:
            return
        travel = time_machine.travel(0)
        traveller = travel.start()
        realtime.wall_clock = realtime.unpatched_time or time_machine.escape_hatch.time.time
        traveller.time_ns = _Traveller().time_ns  # type: ignore[method-assign]
        _travel = travel
        asyncio.sleep = asyncio.tasks.sleep = _user_sleep
        _watch_real_clocks(True)
        _saved_tz = os.environ.get("TZ")
        _set_tz("UTC")
    _check()


def uninstall() -> None:
    """Undo one ``install``; the last one restores real time, asyncio.sleep and the zone."""
    global _installs, _travel
    with _lock:
        if _installs == 0:
            return
        _installs -= 1
        if _installs > 0:
            return
        asyncio.sleep = asyncio.tasks.sleep = _original_sleep
        _watch_real_clocks(False)
        realtime.wall_clock = time.time
        if _travel is not None:
            _travel.stop()
            _travel = None
        _set_tz(_saved_tz)


def _set_tz(zone: str | None) -> None:
    if zone is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = zone
    time.tzset()


class _ProbeClock:
    mode = "manual"

    def now(self) -> float:
        return 86_400_000.0  # 1970-01-02


def _check() -> None:
    """Fail clearly if time-machine no longer asks its traveller (a version we do not know)."""
    token = _active.set(_ProbeClock())  # type: ignore[arg-type]
    try:
        seen = (time.time(), datetime.now().day)
    finally:
        _active.reset(token)
    if seen != (86_400.0, 2):
        uninstall()
        raise RuntimeError(
            f"time-machine {_version()} does not route time through its traveller as wf "
            "expects: install the version pyproject.toml names"
        )


def _version() -> str:
    from importlib.metadata import version

    try:
        return version("time-machine")
    except Exception:
        return "(unknown version)"
