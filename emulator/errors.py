"""Errors the emulator raises, named as Cloudflare names them."""

from __future__ import annotations

from typing import Any


class WorkflowError(Exception):
    """An error of the Workflows API (binding or REST): bad id, unknown instance, and so on.

    ``kind`` says which HTTP answer the error deserves: ``invalid`` 400, ``not_found`` 404,
    ``conflict`` 409.
    """

    def __init__(self, message: str, kind: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind


class WorkflowFatalError(Exception):
    """A user error the engine will not retry (bad step config, step limit, and so on)."""


class WorkflowTimeoutError(Exception):
    """A step attempt or an event wait ran past its timeout."""


class WorkflowInternalError(Exception):
    """An error of the engine itself, such as a step output over 1 MiB."""


class StepError(Exception):
    """A failed step's error as ``run`` sees it when its class cannot be rebuilt.

    Custom exception classes do not cross the step boundary in production either, so a
    workflow should catch ``Exception``; ``name`` and ``message`` keep what was raised.
    """

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}" if message else name)
        self.name = name
        self.message = message


class Hibernate(BaseException):
    """Unwinds ``run`` when the instance must wait (sleep, event, retry delay, pause)."""

    def __init__(self, due: float | None = None, reason: str = "wait") -> None:
        super().__init__(reason)
        self.due = due
        self.reason = reason


class InstanceFatal(BaseException):
    """Fails the whole instance at once, as production does for a non-serializable step result."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name
        self.message = message


def error_info(exc: BaseException) -> dict[str, Any]:
    """``{"name", "message"}`` of an exception, as stored and reported."""
    stored = getattr(exc, "_wf_error", None)
    if stored is not None:
        return dict(stored)
    if isinstance(exc, StepError | InstanceFatal):
        return {"name": exc.name, "message": exc.message}
    return {"name": type(exc).__name__, "message": str(exc)}
