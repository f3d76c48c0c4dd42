"""Testing workflows: an in-process emulator, time control, mocks and introspection.

``Emulator`` runs a project's workflows and Worker in the test's event loop with a clock the
test moves; ``introspect_instance`` / ``introspect_workflow`` give ``cloudflare:test``'s
modifiers and waiters in Python names. The pytest plugin (``emulator.testing.plugin``,
registered as an entry point) provides the ``wf`` fixture; ``emulator.testing.http`` serves
the same mocks over HTTP for ``wf dev``.
"""

from emulator.testing._emulator import Emulator, TimeMode
from emulator.testing._errors import (
    ReplayDivergence,
    StepFailed,
    WaitTimeout,
    WorkflowFailed,
    WorkflowTestError,
)
from emulator.testing._introspect import InstanceIntrospector, WorkflowIntrospector
from emulator.testing._modifier import Modifier, StepSelector

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
