"""The env user code reaches through `from workers import env`; the emulator sets it."""

from __future__ import annotations

from typing import Any

_UNSET: Any = object()
_current_env: Any = _UNSET


def _set_current_env(env: Any) -> None:
    """Make `env` what `workers.env` returns (called by the emulator before loading user code)."""
    global _current_env
    _current_env = env


def _get_current_env() -> Any:
    """Return the env set by the emulator; RuntimeError if none was set yet."""
    if _current_env is _UNSET:
        raise RuntimeError(
            "workers.env is not available yet: the emulator sets it before loading the Worker"
        )
    return _current_env
