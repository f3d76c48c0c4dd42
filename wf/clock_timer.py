"""A timer of the clock: a callback at a virtual time, as `wf.clock` keeps them in its heaps."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

__all__ = ["Timer", "TimerOwner"]


class TimerOwner(Protocol):
    """The clock a timer is on, as the timer sees it."""

    def timer_cancelled(self, background: bool) -> None: ...


class Timer:
    """A pending callback at a virtual time; ``cancel()`` removes it.

    A slotted class rather than a dataclass: a step attempt makes one (its timeout), and
    the dataclass's ``__init__`` with defaults cost a fifth of setting the timer.

    ``registry``/``key``: a dict that holds this timer under ``key`` (`wf.timers`), which
    forgets it as it fires. ``label`` may be given as a function of ``key``, formatted only
    when read (``wf time status``), since most timers are cancelled unread."""

    __slots__ = (
        "_label",
        "background",
        "callback",
        "cancelled",
        "clock",
        "due",
        "key",
        "registry",
        "seq",
    )

    def __init__(
        self,
        due: float,
        seq: int,
        callback: Callable[[], None],
        label: str | Callable[[Any], str] = "",
        clock: TimerOwner | None = None,
        background: bool = False,
    ) -> None:
        self.due, self.seq, self.callback, self._label = due, seq, callback, label
        self.clock, self.background, self.cancelled = clock, background, False
        self.registry: dict[Any, Timer] | None = None
        self.key: Any = None

    @property
    def label(self) -> str:
        label = self._label
        return label if isinstance(label, str) else label(self.key)

    def __lt__(self, other: Timer) -> bool:  # earliest first; created first among equals
        return (self.due, self.seq) < (other.due, other.seq)

    def __repr__(self) -> str:
        return f"Timer(due={self.due!r}, seq={self.seq}, label={self.label!r})"

    def cancel(self) -> None:
        if not self.cancelled:
            self.cancelled = True
            if self.clock is not None:
                self.clock.timer_cancelled(self.background)

    def fire(self) -> None:
        """Mark it fired (a later ``cancel()`` is a no-op), forget it, then call back."""
        self.cancelled = True
        registry = self.registry
        if registry is not None and registry.get(self.key) is self:
            del registry[self.key]
        self.callback()
