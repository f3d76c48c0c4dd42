"""Errors the emulator raises, named as Cloudflare names them."""

from __future__ import annotations

import traceback
from pathlib import Path
from typing import Any

from wf.runtime.pyodide.ffi import JsException

_EMULATOR_DIR = str(Path(__file__).resolve().parent)
# Error names a JS error keeps across Workers RPC; any other name is folded into the message.
JS_ERROR_NAMES = frozenset(
    {"Error", "EvalError", "RangeError", "ReferenceError", "SyntaxError", "TypeError", "URIError"}
)


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


class StepError(JsException):
    """A failed step's error as ``run`` sees it when its class cannot be rebuilt.

    It is a ``pyodide.ffi.JsException``, as in production (workers-py ``_from_js_error``
    leaves every error but TypeError, ValueError and NonRetryableError as the JS error), so a
    workflow should catch ``Exception``. ``name`` and ``message`` are the JS error's: an
    error name RPC does not keep is folded into the message (``Error``,
    ``"WorkflowTimeoutError: ..."``).
    """

    def __init__(self, name: str, message: str) -> None:
        if name not in JS_ERROR_NAMES:
            name, message = "Error", f"{name}: {message}" if message else name
        super().__init__(name, message)


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


_ENGINE_ERRORS = (WorkflowFatalError, WorkflowTimeoutError, WorkflowInternalError)


def error_info(exc: BaseException) -> dict[str, Any]:
    """``{"name", "message"}`` of an exception as the engine records it.

    A Python exception reaches the engine as Pyodide's ``PythonError``, whose message is the
    traceback, and RPC keeps only the standard JS error names, so it is recorded as
    ``{"name": "Error", "message": "PythonError: Traceback ...\n<last line>\n"}``.
    """
    stored = getattr(exc, "_wf_error", None)
    if stored is not None:
        return dict(stored)
    if isinstance(exc, InstanceFatal):
        return {"name": exc.name, "message": exc.message}
    if isinstance(exc, JsException):
        return {"name": exc.name, "message": exc.message}
    if isinstance(exc, _ENGINE_ERRORS) or type(exc).__module__ == "wf.watchdog":
        # Raised by the platform, not by user code: no Python traceback reaches the engine.
        return {"name": type(exc).__name__, "message": str(exc)}
    if type(exc).__name__ == "NonRetryableError":
        return {"name": "NonRetryableError", "message": str(exc)}
    return {"name": "Error", "message": python_error_message(exc)}


def python_error_message(exc: BaseException) -> str:
    """The message of the ``PythonError`` an exception becomes: ``PythonError: <traceback>``.

    Frames of wf itself are left out: production's frames are its own SDK's, not these.
    """
    frames = [
        frame
        for frame in traceback.extract_tb(exc.__traceback__)
        if not str(Path(frame.filename).resolve()).startswith(_EMULATOR_DIR)
    ]
    lines = ["Traceback (most recent call last):\n"]
    lines.extend(traceback.StackSummary.from_list(frames).format())
    lines.extend(traceback.format_exception_only(type(exc), exc))
    return "PythonError: " + "".join(lines)


# Production's run() sees a pyodide.ffi.JsException here; type(exc).__name__ says so too.
StepError.__name__ = StepError.__qualname__ = "JsException"
StepError.__module__ = "pyodide.ffi"
