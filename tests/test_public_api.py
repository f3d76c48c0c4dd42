"""Each package's public surface, stated in its ``__all__`` and held here (as httpx does).

A name added to or dropped from a package's surface changes this list on purpose; every name
listed must exist.
"""

from __future__ import annotations

import importlib

import pytest

SURFACES = {
    "wf.engine": [
        "MAX_BATCH",
        "NO_HOOKS",
        "Engine",
        "EngineEvent",
        "EngineHooks",
        "ExecutionContext",
        "saved_clock",
        "validate_event_type",
        "validate_instance_id",
    ],
    "wf.engine.replay": [
        "INTERRUPTED",
        "Cached",
        "CachedError",
        "Cursor",
        "Decision",
        "Divergence",
        "RunAttempt",
        "WaitUntil",
        "backoff_delay",
        "check_event_timeout",
        "check_retry_delay",
        "check_sleep",
        "check_step_limit",
        "decide_do",
        "decide_sleep",
        "decide_wait",
        "event_timeout_error",
        "next_attempt",
        "oldest_event",
        "retry_delay",
        "retry_limit",
        "should_retry",
        "sleep_until_due",
        "step_limit_message",
        "timeout_ms",
        "waits_for",
    ],
    "wf.engine.hooks": ["NO_HOOKS", "EngineHooks"],
    "wf.engine.journal": ["Journal"],
    "wf.engine.commit": ["GroupCommit"],
    "wf.step": ["DEFAULT_EVENT_TIMEOUT", "StepCallback", "StepCalls", "WorkflowStep"],
    "wf.scope": ["Scope", "current", "user_code"],
    "wf.timers": ["TimerKind", "Timers"],
    "wf.typegen": [
        "DEFAULT_FILENAME",
        "STUBS_DIR",
        "Member",
        "default_output",
        "env_members",
        "render_env",
        "secret_names",
        "stub_files",
    ],
    "wf.vocabulary": ["EventKind", "InstanceStatus", "StepKind", "StepState", "Trigger"],
    "wf.server": ["DevOptions", "DevSession", "create_app", "run", "serve"],
    "wf.server.views": ["instance_details", "step_json"],
    "wf.server.extensions": ["RouteSetup", "add_routes", "route_setups"],
    "wf.testing": [
        "Emulator",
        "InstanceIntrospector",
        "Modifier",
        "ReplayDivergence",
        "StepFailed",
        "StepSelector",
        "TimeMode",
        "WaitTimeout",
        "WorkflowFailed",
        "WorkflowIntrospector",
        "WorkflowTestError",
    ],
}


@pytest.mark.parametrize("module", sorted(SURFACES))
def test_public_surface(module: str) -> None:
    imported = importlib.import_module(module)
    assert sorted(imported.__all__) == sorted(SURFACES[module])
    missing = [name for name in imported.__all__ if not hasattr(imported, name)]
    assert missing == []
