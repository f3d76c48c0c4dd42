"""The env user code reaches through `from workers import env`; the emulator sets it.

One process can run several Workers (``wf dev -c a -c b``), each with its own env. The
process-wide env is the first Worker's; ``scoped_env`` makes another Worker's env the current
one for the code it wraps (its module loads and handler calls) through a context variable,
so asyncio tasks started inside keep seeing it and the other Workers are not disturbed.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

_UNSET: Any = object()
_current_env: Any = _UNSET
# The env of the Worker whose code runs in this context (unset: the process-wide one).
_scoped: ContextVar[Any] = ContextVar("wf_worker_env", default=_UNSET)


def _set_current_env(env: Any) -> None:
    """Make `env` what `workers.env` returns (called by the emulator before loading user code).

    Inside ``scoped_env`` it replaces the scoped env, so ``patch_env`` works there too."""
    global _current_env
    if _scoped.get() is not _UNSET:
        _scoped.set(env)
        return
    _current_env = env


def _get_current_env() -> Any:
    """Return the env set by the emulator; RuntimeError if none was set yet."""
    scoped = _scoped.get()
    if scoped is not _UNSET:
        return scoped
    if _current_env is _UNSET:
        raise RuntimeError(
            "workers.env is not available yet: the emulator sets it before loading the Worker"
        )
    return _current_env


class scoped_env:
    """`workers.env` is ``env`` inside the block (and in the tasks it starts).

    A slotted class rather than a generator: every pass of every instance enters one.
    """

    __slots__ = ("_env", "_token")

    def __init__(self, env: Any) -> None:
        self._env = env

    def __enter__(self) -> None:
        self._token = _scoped.set(self._env)

    def __exit__(self, *exc: object) -> None:
        _scoped.reset(self._token)
