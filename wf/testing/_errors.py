"""Exceptions a test sees: each message names the instance, the step and the error."""

from __future__ import annotations

from typing import Any


class WorkflowTestError(Exception):
    """Base class of the errors raised by ``wf.testing``."""


class WorkflowFailed(WorkflowTestError):
    """An instance ended in a status the test did not ask for (usually ``errored``).

    ``error`` is the instance's ``{"name", "message"}`` (None unless it errored) and ``step``
    the label of the step that failed for good (``"charge-1"``), when one did.
    """

    def __init__(
        self,
        message: str,
        *,
        workflow: str,
        instance_id: str,
        status: str,
        error: dict[str, Any] | None = None,
        step: str | None = None,
    ) -> None:
        super().__init__(message)
        self.workflow = workflow
        self.instance_id = instance_id
        self.status = status
        self.error = error
        self.step = step


class StepFailed(WorkflowTestError):
    """``wait_for_step_result`` on a step that failed for good (no retries left).

    ``error`` is the step's ``{"name", "message"}``; ``attempts`` how many attempts ran.
    """

    def __init__(self, message: str, *, step: str, error: dict[str, Any], attempts: int) -> None:
        super().__init__(message)
        self.step = step
        self.error = error
        self.attempts = attempts


class ReplayDivergence(WorkflowTestError):
    """In hibernation mode, a replay called other steps than the history holds.

    Code that keeps state outside steps (a module-level list, a variable set inside a step
    and not returned) or that picks step names from time or randomness does this; in
    production the instance would go wrong after its next hibernation.
    """

    def __init__(self, message: str, *, workflow: str, instance_id: str, warnings: list[str]):
        super().__init__(message)
        self.workflow = workflow
        self.instance_id = instance_id
        self.warnings = warnings


class WaitTimeout(WorkflowTestError, TimeoutError):
    """A waiter gave up: its timeout passed, or (manual time) the instance cannot move.

    The message says where the instance is parked (a sleep until when, an event of which
    type, a retry delay, a pause) and what would move it.
    """
