"""R2's errors, with production's texts.

workerd turns an error answer of the R2 service into a JS ``Error`` whose message is
``"<method>: <message> (<code>)"``; Python code sees it as a ``JsException``. Argument checks
done by the binding itself throw ``TypeError``/``RangeError``, also as ``JsException``.
"""

from __future__ import annotations

# One class for every JS error, the one user code catches: `from pyodide.ffi import JsException`.
from wf.runtime.pyodide.ffi import JsException as JsException

# name -> (message, v4 code), as the R2 service answers
_R2_ERRORS = {
    "InternalError": ("We encountered an internal error. Please try again.", 10001),
    "EntityTooLarge": ("Your proposed upload exceeds the maximum allowed object size.", 100100),
    "EntityTooSmall": (
        "Your proposed upload is smaller than the minimum allowed object size.",
        10011,
    ),
    "MetadataTooLarge": (
        "Your metadata headers exceed the maximum allowed metadata size.",
        10012,
    ),
    "InvalidObjectName": ("The specified object name is not valid.", 10020),
    "InvalidMaxKeys": ("MaxKeys params must be positive integer <= 1000.", 10022),
    "NoSuchUpload": ("The specified multipart upload does not exist.", 10024),
    "InvalidPart": ("One or more of the specified parts could not be found.", 10025),
    "InvalidArgument": ("Invalid Argument", 10029),
    "InvalidRange": ("The requested range is not satisfiable", 10039),
    "BadUpload": ("There was a problem with the multipart upload.", 10048),
}


def r2_error(method: str, name: str) -> JsException:
    """The error the R2 service answers ``name`` with, as ``method`` rethrows it."""
    message, code = _R2_ERRORS[name]
    return JsException("Error", f"{method}: {message} ({code})")


def bad_digest(method: str, algorithm: str, provided: bytes, actual: bytes) -> JsException:
    message = (
        f"The {algorithm} checksum you specified did not match what we received.\n"
        f"You provided a {algorithm} checksum with value: {provided.hex()}\n"
        f"Actual {algorithm} was: {actual.hex()}"
    )
    return JsException("Error", f"{method}: {message} (10037)")


def type_error(message: str) -> JsException:
    return JsException("TypeError", message)


def range_error(message: str) -> JsException:
    return JsException("RangeError", message)


def not_of_type(method: str, index: int, expected: str, owner: str = "R2Bucket") -> JsException:
    """What workerd says when an argument cannot be converted to the declared type."""
    return type_error(
        f"Failed to execute '{method}' on '{owner}': parameter {index} is not of type '{expected}'."
    )
