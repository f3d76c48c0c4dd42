"""KV bindings (placeholder until implemented)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from emulator.config import Config
    from emulator.platform import Platform


def bindings(platform: Platform, config: Config) -> dict[str, Any]:
    """``env`` entries for every KV binding of the config."""
    return {}


def admin(platform: Platform, binding: str) -> Any:
    """The seeding and inspection handle of one KV binding."""
    raise KeyError(f"no KV binding {binding!r}")
