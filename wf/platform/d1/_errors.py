"""The errors D1 calls raise, worded as production words them.

In production a D1 call that fails rejects with a JavaScript ``Error`` whose message starts with
``D1_ERROR:``, ``D1_TYPE_ERROR:``, ``D1_EXEC_ERROR:`` or ``D1_COLUMN_NOTFOUND:``; Pyodide hands
it to Python as a ``JsException`` whose ``str()`` is ``"Error: <message>"``. ``D1Error`` keeps
both spellings: ``err.message`` is the JavaScript message, ``str(err)`` what Python prints.
"""

from __future__ import annotations

import sqlite3

from wf.runtime.pyodide.ffi import JsException

# SQLite's primary result codes by number, as workerd names them in its messages.
_PRIMARY_NAMES = (
    "ERROR",
    "INTERNAL",
    "PERM",
    "ABORT",
    "BUSY",
    "LOCKED",
    "NOMEM",
    "READONLY",
    "INTERRUPT",
    "IOERR",
    "CORRUPT",
    "NOTFOUND",
    "FULL",
    "CANTOPEN",
    "PROTOCOL",
    "EMPTY",
    "SCHEMA",
    "TOOBIG",
    "CONSTRAINT",
    "MISMATCH",
    "MISUSE",
    "NOLFS",
    "AUTH",
    "FORMAT",
    "RANGE",
    "NOTADB",
    "NOTICE",
    "WARNING",
)
_PRIMARY = {getattr(sqlite3, f"SQLITE_{name}"): f"SQLITE_{name}" for name in _PRIMARY_NAMES}

WRONG_BINDINGS = "Wrong number of parameter bindings for SQL query."
NO_STATEMENTS = "No SQL statements detected."
STATEMENT_TOO_LONG = "statement too long: SQLITE_TOOBIG"  # SQLite's text past SQL_LENGTH
# workerd refuses SQL transactions: D1 runs every query (and batch) in one for you.
NO_TRANSACTIONS = (
    "To execute a transaction, please use the state.storage.transaction() or "
    "state.storage.transactionSync() APIs instead of the SQL BEGIN TRANSACTION or SAVEPOINT "
    "statements. The JavaScript API is safer because it will automatically roll back on "
    "exceptions, and because it interacts correctly with Durable Objects' automatic atomic "
    "write coalescing."
)


class D1Error(JsException):
    """A D1 call that failed; ``message`` is production's text (``D1_ERROR: ...``).

    A JsException, as Pyodide raises a JS error: ``except JsException`` catches it.
    """

    def __init__(self, message: str, *, name: str = "Error") -> None:
        super().__init__(name, message)  # name: the JavaScript error's class (Error, TypeError)


class SqlFailure(Exception):
    """What the database answered instead of rows: the text after ``D1_ERROR:``."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text
        self.index = 0  # which query of a transaction failed


def sqlite_text(exc: sqlite3.Error) -> str:
    """SQLite's error as workerd words it: ``no such table: t: SQLITE_ERROR``."""
    message = str(exc)
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:
        return message
    primary = _PRIMARY.get(code & 0xFF, "SQLITE_ERROR")
    extended = getattr(exc, "sqlite_errorname", None) or primary
    if extended != primary:
        return f"{message}: {primary} (extended: {extended})"
    return f"{message}: {primary}"
