"""wf's own real time: the wall clock and the loop, as wf reads them while user time runs.

`wf.usertime` gives user code virtual time: it patches ``time.time()`` (time-machine), puts
``asyncio.sleep`` on the virtual clock and wraps ``time.monotonic`` to warn. wf's own code
must not pay for any of that on its hot paths, nor be fooled by it; it reads the real wall
and yields to the loop through these instead.
"""

from __future__ import annotations

import time
import types
from collections.abc import Callable, Generator

__all__ = ["next_round", "real_monotonic", "real_time", "wall_clock"]

# time-machine's own unpatched time(), only while travelling: its escape hatch calls it
# through two Python frames. The C module alone (the package is `wf.usertime`'s to import).
try:
    from _time_machine import original_time  # type: ignore[import-not-found]
except ImportError:  # another build of time-machine: `wf.usertime` uses the escape hatch
    original_time = None
unpatched_time: Callable[[], float] | None = original_time

# The wall clock in epoch seconds as one C function, rebound by `wf.usertime` as time travel
# starts and stops: the real clock reads it on every ``now()``, without a frame of ours.
wall_clock: Callable[[], float] = time.time

# Read before user time wraps it (to warn user code that it keeps real time).
real_monotonic = time.monotonic


def real_time() -> float:
    """The wall clock in epoch seconds, even where ``time.time()`` reads a virtual clock."""
    return wall_clock()


@types.coroutine
def next_round() -> Generator[None, None, None]:
    """Let the loop run one round: ``asyncio.sleep(0)`` for wf's own code.

    ``asyncio.sleep`` is user time's while the emulator runs (it puts user code's sleeps on
    the virtual clock); a bare yield is what ``sleep(0)`` does underneath, without that check.
    """
    yield
