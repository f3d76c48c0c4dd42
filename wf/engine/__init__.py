"""The engine: workflow instances, their replay, timers and durable state.

Modules, each named for its concept:

- ``instances``: ``Engine``, the facade the bindings, the server and the test harness call;
- ``replay``: Cloudflare's rules for one step call, as pure functions (no I/O);
- ``runner``: the step runner, which carries the replay core's decisions out;
- ``journal``: an instance's history and writes, as the runner sees them;
- ``commit``: group commit, and what is durable when;
- ``limits``: ids, names, sizes and step configs, checked as production checks them;
- ``hooks``: where a test harness may change how steps behave (no-op by default).
"""

from __future__ import annotations

from wf.engine.hooks import NO_HOOKS, EngineHooks
from wf.engine.instances import Engine, EngineEvent, saved_clock
from wf.engine.limits import MAX_BATCH, validate_event_type, validate_instance_id
from wf.runtime.workers._context import ExecutionContext

__all__ = [
    "MAX_BATCH",
    "NO_HOOKS",
    "Engine",
    "EngineEvent",
    "EngineHooks",
    "ExecutionContext",
    "saved_clock",
    "validate_event_type",
    "validate_instance_id",
]
