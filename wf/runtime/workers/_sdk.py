"""`patch_env` and `import_from_javascript`, as workers-py exports them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from ._env import _get_current_env, _set_current_env


class _PatchedEnv:
    """The env seen inside `patch_env`: the patched names first, then the real env."""

    def __init__(self, base: Any, patches: dict[str, Any]) -> None:
        self._base = base
        self._patches = patches
        self._clock = getattr(base, "_clock", None)  # js.Date.now() keeps the virtual clock

    def __getattr__(self, name: str) -> Any:
        if name in self._patches:
            return self._patches[name]
        return getattr(self._base, name)


@contextmanager
def patch_env(
    d: Mapping[str, Any] | Sequence[tuple[str, Any]] | None = None, **kwds: Any
) -> Iterator[None]:
    """Override names of `workers.env` inside the ``with`` block."""
    patches = {**dict(d or {}), **kwds}
    base = _get_current_env()
    _set_current_env(_PatchedEnv(base, patches))
    try:
        yield
    finally:
        _set_current_env(base)


class _CloudflareWorkers:
    """``import_from_javascript("cloudflare:workers")``: its ``env``."""

    @property
    def env(self) -> Any:
        return _get_current_env()

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(
            f"cloudflare:workers.{name} is not emulated by wf; "
            "use self.ctx.wait_until for waitUntil"
        )


def import_from_javascript(module_name: str) -> Any:
    """A JS module: only ``cloudflare:workers`` (for its ``env``) is emulated."""
    if module_name == "cloudflare:workers":
        return _CloudflareWorkers()
    raise ImportError(
        f"Failed to import {module_name!r}: JavaScript modules are not emulated by wf "
        "(only 'cloudflare:workers', for its env)"
    )
