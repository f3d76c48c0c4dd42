"""Whose code runs in this context: one context variable for every reader.

A ``Scope`` is entered when user code starts (an instance's ``run()``, one attempt of a step,
a Worker's handler, a Durable Object's method) and reset when it ends. Three readers:
the watchdog names the code that blocks the loop (no scope: wf's own code, never stopped),
the dev console attributes prints to their instance and step, and the instance logs keep what
workflow code writes. One variable for all three rather than one each: a step attempt
enters it, and each ``ContextVar.set`` and object made there is paid per attempt.
"""

from __future__ import annotations

import contextvars
from typing import Any

__all__ = ["Scope", "current", "user_code"]


class Scope:
    """The code running now: an instance's (``workflow``, ``instance``; ``step`` and
    ``attempt`` inside a step's attempt), or other user code named by ``what``.

    ``logs`` keeps the instance's output (`wf.instance_logs`), None where nothing is kept.
    A plain slotted class: one is made per step attempt."""

    __slots__ = ("attempt", "instance", "logs", "step", "what", "workflow")

    def __init__(
        self,
        what: str | None = None,
        workflow: str | None = None,
        instance: str | None = None,
        step: str | None = None,
        attempt: int | None = None,
        logs: Any = None,
    ) -> None:
        self.what, self.workflow, self.instance = what, workflow, instance
        self.step, self.attempt, self.logs = step, attempt, logs

    def label(self) -> str:
        """The code, as the watchdog names it (formatted only when it has to)."""
        if self.what is not None:
            return self.what
        if self.step is not None:
            return f'step "{self.step}" of {self.workflow}/{self.instance}'
        return f"workflow {self.workflow}/{self.instance}"

    def __repr__(self) -> str:
        return f"Scope({self.label()!r}, attempt={self.attempt!r})"


current: contextvars.ContextVar[Scope | None] = contextvars.ContextVar("wf_scope", default=None)


class user_code:  # used as a function: ``with user_code(label):``
    """Run the code inside as user code named ``label`` (a Worker's handler, a Durable
    Object's method), which the watchdog may interrupt. Workflow code enters its scope
    through `wf.instance_logs`, which also keeps its output."""

    __slots__ = ("_label", "_token")

    def __init__(self, label: str) -> None:
        self._label = label

    def __enter__(self) -> None:
        self._token = current.set(Scope(self._label))

    def __exit__(self, *exc_info: object) -> None:
        current.reset(self._token)
