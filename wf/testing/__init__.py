"""Testing workflows: an in-process emulator, time control, mocks and introspection.

``Emulator`` runs a project's workflows and Worker in the test's event loop with a clock the
test moves; ``introspect_instance`` / ``introspect_workflow`` give ``cloudflare:test``'s
modifiers and waiters in Python names. The pytest plugin (``wf.testing.plugin``,
registered as an entry point) provides the ``wf`` fixture; ``wf.testing.http`` serves
the same mocks over HTTP for ``wf dev``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from wf.testing._errors import (
    ReplayDivergence,
    StepFailed,
    WaitTimeout,
    WorkflowFailed,
    WorkflowTestError,
)
from wf.testing._modifier import Modifier, StepSelector

if TYPE_CHECKING:
    from wf.testing._emulator import Emulator, TimeMode
    from wf.testing._introspect import InstanceIntrospector, WorkflowIntrospector

# Tracebacks and reprs name the errors where users import them from.
for _error in (ReplayDivergence, StepFailed, WaitTimeout, WorkflowFailed, WorkflowTestError):
    _error.__module__ = __name__
del _error

__all__ = [
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
]

# The emulator and the introspectors load on first use: `wf dev` imports wf.testing.http
# at start, which needs neither.
_LAZY = {
    "Emulator": "_emulator",
    "TimeMode": "_emulator",
    "InstanceIntrospector": "_introspect",
    "WorkflowIntrospector": "_introspect",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
