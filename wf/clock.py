"""The clock: the only source of "now" and of timers in the emulator.

Modes:
- ``real``: virtual time runs with the wall clock (plus any offset added by ``advance``);
- ``scale``: N virtual seconds pass per real second;
- ``manual``: time moves only when told (``advance``, ``advance_to``, ``skip_to_next``);
- ``auto``: like real, but whenever the engine is idle the clock jumps to the next timer.

Advancing fires every timer it passes in due order, each at its own due time, and waits for
the engine to settle after each, so a retry chain inside the window runs through and time
never jumps past a timer that has not fired.

A *background* timer (a retention removal) fires like any other when time reaches it, but
is never a target: ``skip_to_next`` and auto time's jumps go to the next foreground timer, so
they never move time days ahead just to remove finished instances.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Awaitable, Callable
from typing import Any

from wf import realtime
from wf.clock_input import MODES, Mode, check_scale, check_time, valid_snapshot
from wf.clock_timer import Timer
from wf.durations import (
    MAX_TIME,
    parse_duration,
    parse_timestamp,
)
from wf.realtime import real_time

# The input checks live in wf.clock_input; their names stay importable from here.
__all__ = [
    "LEASE_S",
    "MODES",
    "Clock",
    "Mode",
    "Timer",
    "check_scale",
    "check_time",
    "valid_snapshot",
]

# In real and scale mode virtual time runs on by itself. The store holds a time a little
# ahead of now (a lease of this many real seconds), renewed before now passes it, so a
# reading the emulator has handed out is never ahead of what a restart resumes from.
LEASE_S = 1.0


_Entry = tuple[float, int, Timer]  # a heap entry: (due, seq, timer)


class Clock:
    """Virtual time in epoch milliseconds, with timers."""

    def __init__(
        self,
        mode: Mode = "real",
        *,
        scale: float = 1.0,
        now: float | None = None,
        wall: Callable[[], float] = real_time,  # user code's time.time() may be virtual
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown time mode {mode!r}: use one of {', '.join(MODES)}")
        self._wall = wall
        self.mode: Mode = mode
        self.scale = check_scale(scale) if mode == "scale" else 1.0
        start = self._wall_ms() if now is None else check_time(float(now))
        # virtual = anchor_virtual + (wall - anchor_wall) * rate; rate 0 when manual.
        self._anchor_virtual = start
        self._anchor_wall = self._wall_ms()
        self._last = start  # the latest reading: now() never answers less
        self.lease = start  # the time the store vouches for (see LEASE_S)
        self.on_lease: Callable[[], None] = lambda: None
        # Heaps of (due, seq, timer): tuples compare in C, a dataclass's __lt__ in Python.
        self._heap: list[_Entry] = []
        self._background: list[_Entry] = []  # few (one retention timer)
        self._cancelled = 0
        self._seq = itertools.count()
        self._handle: asyncio.TimerHandle | None = None
        self.settle: Callable[[], Awaitable[None]] = _nothing
        self.is_idle: Callable[[], bool] = lambda: True
        self.on_change: Callable[[], None] = lambda: None
        # Called with each timer just before its callback runs (``wf time`` reports what fired).
        self.on_fire: Callable[[Timer], None] = lambda timer: None
        self._auto_pending = False

    # -- reading ------------------------------------------------------------------------------

    def _wall_ms(self) -> float:
        return self._wall() * 1000.0

    @property
    def rate(self) -> float:
        return 0.0 if self.mode == "manual" else self.scale

    def now(self) -> float:
        """Virtual now, epoch milliseconds; never less than an earlier reading."""
        if self.mode == "manual":
            return self._anchor_virtual
        wall = self._wall
        # The default wall read without real_time's frame (this runs on every reading).
        seconds = realtime.wall_clock() if wall is real_time else wall()
        now = self._anchor_virtual + (seconds * 1000.0 - self._anchor_wall) * self.scale
        if now <= self._last:  # the wall clock stepped back (NTP): hold still instead
            return self._last
        self._last = now
        if now > self.lease:
            self.lease = now + LEASE_S * 1000.0 * self.scale
            self.on_lease()
        return now

    def next_due(self) -> float | None:
        """Due time of the earliest pending timer."""
        self._drop_cancelled()
        return self._heap[0][0] if self._heap else None

    def _next_any(self) -> float | None:
        """Due time of the earliest pending timer, background ones included."""
        due = self.next_due()
        if self._background and (due is None or self._background[0][0] < due):
            return self._background[0][0]
        return due

    def pending(self) -> int:
        """How many timers wait to fire, background ones aside (as for ``next_due``)."""
        return len(self._heap) - self._cancelled

    def timers(self) -> list[Timer]:
        """The pending timers, earliest first."""
        return sorted(t for _, _, t in [*self._heap, *self._background] if not t.cancelled)

    def snapshot(self) -> dict[str, Any]:
        """What the store keeps so a restart never moves time backwards."""
        now = self.now()
        return {
            "mode": self.mode,
            "scale": self.scale,
            "now": now,
            "wall": self._wall_ms(),
            "lease": max(self.lease, now),
        }

    def restore(
        self,
        state: dict[str, Any] | None,
        *,
        mode: Mode | None = None,
        scale: float | None = None,
        at_least: float | None = None,
    ) -> None:
        """Continue from a snapshot; real and auto keep their offset from the wall clock.

        ``mode`` and ``scale`` override the saved ones (a restart may choose another mode).
        Time resumes at no earlier than the saved lease and ``at_least`` (the latest time
        already stored anywhere), so it never runs backwards across a restart. A snapshot
        with values out of range (written before they were checked) is ignored.
        """
        state = valid_snapshot(state or {})
        saved_now = state.get("now", self.now())
        self.mode = mode or state.get("mode", self.mode)
        chosen = scale if scale is not None else state.get("scale", 1.0)
        self.scale = chosen if self.mode == "scale" else 1.0
        start = saved_now
        if self.mode in ("real", "auto") and "now" in state:
            offset = saved_now - state.get("wall", saved_now)
            start = self._wall_ms() + offset
        floor = max(saved_now, state.get("lease", saved_now), at_least or 0.0)
        self._set_anchor(min(max(start, floor), MAX_TIME))
        self._rearm()

    # -- changing -----------------------------------------------------------------------------

    def _set_anchor(self, virtual: float) -> None:
        self._anchor_virtual = virtual
        self._anchor_wall = self._wall_ms()
        self._last = virtual

    def _move_to(self, virtual: float) -> None:
        if virtual > self.now():
            self._set_anchor(virtual)

    def set_mode(self, mode: Mode, scale: float | None = None) -> None:
        """Switch mode (and scale) without moving virtual time."""
        if mode not in MODES:
            raise ValueError(f"unknown time mode {mode!r}: use one of {', '.join(MODES)}")
        if scale is not None:
            scale = check_scale(scale)
        current = self.now()
        self.mode = mode
        self.scale = (scale if scale is not None else self.scale) if mode == "scale" else 1.0
        self._set_anchor(current)
        self._rearm()
        self.on_change()

    def reset_to(self, virtual: float) -> None:
        """Put virtual time at ``virtual``, even backwards; the caller checks it against the
        times already stored (nothing stored may end up in the future)."""
        virtual = check_time(virtual)
        self._set_anchor(virtual)
        self.lease = virtual
        self._rearm()
        self.on_change()

    def fire_early(self, timer: Timer) -> bool:
        """Run one pending timer's callback now, ahead of its due time."""
        heap = self._background if timer.background else self._heap
        if timer.cancelled or (timer.due, timer.seq, timer) not in heap:
            return False
        timer.cancel()  # taken off its heap
        self.on_fire(timer)
        timer.fire()
        self._rearm()
        return True

    def call_at(
        self,
        due: float,
        callback: Callable[[], None],
        label: str | Callable[[Any], str] = "",
        *,
        background: bool = False,
    ) -> Timer:
        """Run ``callback`` when virtual time reaches ``due``.

        ``background``: it fires when time gets there, but skips and auto time never jump to
        it (see the module's docstring)."""
        due, seq = float(due), next(self._seq)
        timer = Timer(due, seq, callback, label, self, background)
        if background:
            heapq.heappush(self._background, (due, seq, timer))
            self._rearm()
            return timer
        heapq.heappush(self._heap, (due, seq, timer))
        if self._heap[0][2] is timer:
            self._rearm()
        return timer

    def call_later(self, delay_ms: float, callback: Callable[[], None], label: str = "") -> Timer:
        return self.call_at(self.now() + delay_ms, callback, label)

    async def sleep(self, delay_ms: float) -> None:
        """Wait for ``delay_ms`` of virtual time."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def wake() -> None:
            if not future.done():
                future.set_result(None)

        timer = self.call_later(delay_ms, wake)
        try:
            await future
        finally:
            timer.cancel()

    async def advance(self, by: str | float) -> float:
        """Move time forward by a duration, firing every timer passed; returns the new now."""
        return await self.advance_to(check_time(self.now() + parse_duration(by, lenient=True)))

    async def advance_to(self, target: str | float) -> float:
        """Move time forward to a timestamp, firing every timer passed, each at its due time."""
        goal = check_time(parse_timestamp(target) if isinstance(target, str) else float(target))
        await self.settle()
        while True:
            due = self._next_any()
            if due is None or due > goal:
                break
            self._move_to(due)
            self._fire_due()
            await self.settle()
        self._move_to(goal)
        self._fire_due()
        await self.settle()
        self.on_change()
        return self.now()

    async def skip_to_next(self) -> float | None:
        """Jump to the earliest timer and fire it; None when no timer is pending."""
        await self.settle()
        due = self.next_due()
        if due is None:
            return None
        await self.advance_to(max(due, self.now()))
        return due

    async def run_until_idle(self, limit: int = 10_000) -> int:
        """Fire timers in order until none is left (or ``limit`` jumps); returns the jumps."""
        jumps = 0
        while jumps < limit and await self.skip_to_next() is not None:
            jumps += 1
        return jumps

    # -- firing -------------------------------------------------------------------------------

    def timer_cancelled(self, background: bool) -> None:
        """One of this clock's timers was cancelled (`Timer.cancel`)."""
        if background:  # few of them: drop it at once
            self._background = [e for e in self._background if not e[2].cancelled]
            heapq.heapify(self._background)
            return
        # Step timeouts are cancelled far more often than they fire: compact the heap when
        # cancelled entries dominate, so it never grows with dead timers.
        self._cancelled += 1
        if self._cancelled > 64 and self._cancelled * 2 > len(self._heap):
            self._heap = [e for e in self._heap if not e[2].cancelled]
            heapq.heapify(self._heap)
            self._cancelled = 0

    def _drop_cancelled(self) -> None:
        while self._heap and self._heap[0][2].cancelled:
            heapq.heappop(self._heap)
            self._cancelled = max(0, self._cancelled - 1)

    def _fire_due(self) -> None:
        now = self.now()
        while True:
            self._drop_cancelled()
            heap = self._heap
            if self._background and (not heap or self._background[0] < heap[0]):
                heap = self._background  # the earlier of the two, so all fire in due order
            if not heap or heap[0][0] > now:
                break
            timer = heapq.heappop(heap)[2]
            self.on_fire(timer)
            timer.fire()
        self._rearm()

    def _rearm(self) -> None:
        """Schedule a real-time wake-up for the earliest timer (not in manual mode)."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        if self.mode == "manual":
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        due = self._next_any()
        if due is None:
            return
        delay = max(0.0, (due - self.now()) / self.rate / 1000.0)
        self._handle = loop.call_later(min(delay, 3600.0), self._fire_due)

    def notify_idle(self) -> None:
        """Called by the engine when nothing is running; auto mode jumps to the next timer."""
        if self.mode != "auto" or self._auto_pending:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._auto_pending = True
        loop.call_soon(self._auto_jump)

    def _auto_jump(self) -> None:
        self._auto_pending = False
        if self.mode != "auto" or not self.is_idle():
            return
        self.jump_to_next()

    def jump_to_next(self) -> None:
        """Move to the earliest timer and fire it (auto time, when nothing else can run)."""
        due = self.next_due()
        if due is None or due > MAX_TIME:
            return
        self._move_to(due)
        self._fire_due()
        self.on_change()


async def _nothing() -> None:
    return None
