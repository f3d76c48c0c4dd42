"""Workers AI (``ai: {binding}``): ``env.AI.run(model, inputs, options)`` from registered mocks.

No model runs offline: each answer is registered per model (optionally per input match) in
the test ``Emulator`` (``emu.mock_ai``), over HTTP (``/cdn-cgi/wf/ai/mocks``) or in
``.wf/ai.json``; a call without one fails with an error that says how to register it. Every
call is recorded (``emu.ai_calls``, ``GET /cdn-cgi/wf/ai/calls``, ``wf ai calls``).
Modules: ``_binding`` (the JS ``Ai`` object), ``_mocks`` (mocks, the file, the call log).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wf.platform.ai._binding import Ai
from wf.platform.ai._mocks import (
    AI_FILE,
    AICall,
    AIMock,
    AIMockError,
    AIMocks,
    make_mock,
    new_mock,
)

if TYPE_CHECKING:
    from wf.config import Config
    from wf.platform import Platform

__all__ = [
    "AI_FILE",
    "AICall",
    "AIMock",
    "AIMockError",
    "AIMocks",
    "Ai",
    "admin",
    "bindings",
    "make_mock",
    "mocks_of",
    "new_mock",
]


def mocks_of(platform: Platform, config: Config) -> AIMocks:
    """The one mock registry of a project, kept across reloads."""
    found: AIMocks = platform.resource("ai", "mocks", lambda: AIMocks(config.root))
    found.project_root = config.root
    return found


def bindings(platform: Platform, config: Config) -> dict[str, Any]:
    """``env.AI``: always the raw JS binding (the SDK does not wrap ``Ai``)."""
    from wf.runtime.pyodide._host import raw_binding

    if config.ai is None:
        return {}
    binding = Ai(config.ai.binding, mocks_of(platform, config), platform.clock.now)
    return {config.ai.binding: raw_binding(binding, config.ai.binding)}


def admin(platform: Platform, binding: str) -> AIMocks:
    """The mocks and call log of the AI binding."""
    config = platform.config
    assert config is not None
    if config.ai is None:
        raise KeyError(
            'this project has no Workers AI binding: add "ai": {"binding": "AI"} to '
            f"{config.path.name}"
        )
    if binding not in (config.ai.binding, ""):
        raise KeyError(f"no AI binding {binding!r} in the config (AI binding: {config.ai.binding})")
    return mocks_of(platform, config)
