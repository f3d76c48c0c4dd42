"""Logs per instance: what workflow code prints or logs, kept with where and when it ran.

While an instance's ``run()`` or one attempt of a step executes, its `wf.scope.Scope` (a
ContextVar) names it: workflow, instance, step label (``charge-1``; None in ``run()`` itself)
and attempt, and holds the instance's logs.
Three taps read it: ``sys.stdout`` and ``sys.stderr`` are wrapped by tees (each ``print()``
line is one entry of level ``log``, as ``console.log`` is in a Worker; each line written to
stderr, ``print(..., file=sys.stderr)``, a warning, is one of level ``error``, as
``console.error``) and a handler on the root logger takes each
``logging`` record (its level: ``debug``, ``info``, ``warn``, ``error``, ``critical``). Both
pass the output on unchanged, so the console shows it as before.

Entries go into the store's open transaction (table ``wf_logs``), committed with the step's
own writes at the end of the tick: one insert per line, no commit of its own. An instance
keeps its last ``MAX_LINES`` entries, each cut at ``MAX_LINE_CHARS`` characters.
"""

from __future__ import annotations

import contextvars
import io
import logging
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from wf.clock import Clock
from wf.durations import to_iso
from wf.scope import Scope, current
from wf.store import Store

__all__ = [
    "MAX_LINES",
    "MAX_LINE_CHARS",
    "InstanceLogs",
    "LogLine",
    "enter_step",
    "leave",
    "run_scope",
]

MAX_LINES = 1000
MAX_LINE_CHARS = 2000
_PRUNE_EVERY = 64  # old entries are deleted in batches: between MAX_LINES and +64 are stored
_LEVELS = {"warning": "warn"}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS wf_logs (
    workflow TEXT NOT NULL,
    instance TEXT NOT NULL,
    seq      INTEGER NOT NULL,
    at       REAL NOT NULL,
    step     TEXT,
    attempt  INTEGER,
    level    TEXT NOT NULL,
    message  TEXT NOT NULL,
    PRIMARY KEY (workflow, instance, seq)
) WITHOUT ROWID
"""


@dataclass(frozen=True)
class LogLine:
    """One stored entry of an instance's log."""

    seq: int
    at: float  # virtual time, ms since the epoch
    step: str | None
    attempt: int | None
    level: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": to_iso(self.at),
            "step": self.step,
            "attempt": self.attempt,
            "level": self.level,
            "message": self.message,
        }


class InstanceLogs:
    """The ``wf_logs`` table of one store: entries per instance, bounded, in order."""

    def __init__(self, store: Store, clock: Clock, commit_soon: Callable[[], None]) -> None:
        self.store = store
        self.clock = clock
        self._commit_soon = commit_soon  # the engine's end-of-tick group commit
        self._next: dict[tuple[str, str], int] = {}
        self._partial: dict[tuple[Scope, str], str] = {}  # text before its newline, by level
        store.execute(_SCHEMA)
        # Entries of instances deleted while no engine ran go at start.
        store.execute(
            "DELETE FROM wf_logs WHERE NOT EXISTS (SELECT 1 FROM instances i "
            "WHERE i.workflow = wf_logs.workflow AND i.id = wf_logs.instance)"
        )
        store.commit()

    # -- writing ----------------------------------------------------------------------------------

    def _seq(self, key: tuple[str, str]) -> int:
        seq = self._next.get(key)
        if seq is None:
            rows = self.store.query(
                "SELECT MAX(seq) FROM wf_logs WHERE workflow = ? AND instance = ?", key
            )
            seq = int(rows[0][0] or 0) + 1 if rows else 1
        self._next[key] = seq + 1
        return seq

    def add(self, scope: Scope, level: str, message: str) -> None:
        """Keep one entry (in the open transaction, committed at the end of this tick)."""
        if len(message) > MAX_LINE_CHARS:
            cut = len(message) - MAX_LINE_CHARS
            message = f"{message[:MAX_LINE_CHARS]}… [{cut} more characters]"
        key = (str(scope.workflow), str(scope.instance))  # a scope with logs is an instance's
        seq = self._seq(key)
        self.store.execute(
            "INSERT OR REPLACE INTO wf_logs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (*key, seq, self.clock.now(), scope.step, scope.attempt, level, message),
        )
        if seq % _PRUNE_EVERY == 0 and seq > MAX_LINES:
            self.store.execute(
                "DELETE FROM wf_logs WHERE workflow = ? AND instance = ? AND seq <= ?",
                (*key, seq - MAX_LINES),
            )
        self._commit_soon()

    def write(self, scope: Scope, text: str, level: str = "log") -> None:
        """Text written to stdout (``log``) or stderr (``error``) by the scope's code: one entry
        per completed line."""
        buffered = self._partial.pop((scope, level), "") + text
        *lines, rest = buffered.split("\n")
        for line in lines:
            self.add(scope, level, line)
        if rest:
            self._partial[(scope, level)] = rest

    def flush(self, scope: Scope) -> None:
        """The scope's code ended: its unfinished lines are entries too."""
        if not self._partial:
            return
        for level in ("log", "error"):
            rest = self._partial.pop((scope, level), None)
            if rest:
                self.add(scope, level, rest)

    def forget(self, workflow: str, instance: str) -> None:
        """Drop an instance's entries (it was deleted)."""
        self.store.execute(
            "DELETE FROM wf_logs WHERE workflow = ? AND instance = ?", (workflow, instance)
        )
        self._next.pop((workflow, instance), None)

    # -- reading ----------------------------------------------------------------------------------

    def read(
        self,
        workflow: str,
        instance: str,
        *,
        after: int = 0,
        since: float | None = None,
        limit: int = MAX_LINES,
    ) -> list[LogLine]:
        """The kept entries after seq ``after`` (and at or after ``since``), oldest first."""
        key = (workflow, instance)
        last = self._next.get(key)
        floor = after
        if last is not None:
            floor = max(after, last - 1 - MAX_LINES)
        sql = (
            "SELECT seq, at, step, attempt, level, message FROM wf_logs "
            "WHERE workflow = ? AND instance = ? AND seq > ?"
        )
        args: list[Any] = [workflow, instance, floor]
        if since is not None:
            sql += " AND at >= ?"
            args.append(since)
        rows = self.store.query(sql + " ORDER BY seq DESC LIMIT ?", [*args, min(limit, MAX_LINES)])
        return [
            LogLine(int(s), float(at), step, None if a is None else int(a), str(lv), str(m))
            for s, at, step, a, lv, m in reversed(rows)
        ]

    def install(self) -> None:
        """Make sure the taps are in place (a test runner may have swapped ``sys.stdout``)."""
        _install()


# -- scopes --------------------------------------------------------------------------------------


class run_scope:  # used as a function: ``with run_scope(logs, workflow, instance):``
    """An instance's ``run()`` executes inside: the watchdog may stop it, the console
    attributes its prints, and its output goes to ``logs``.

    Only around ``run()`` itself, as `wf.scope.user_code` is around a Worker's handler: what
    the engine does after it (draining, finishing the instance) is not user code."""

    __slots__ = ("_scope", "_token")

    def __init__(self, logs: InstanceLogs, workflow: str, instance: str) -> None:
        self._scope = Scope(None, workflow, instance, logs=logs)

    def __enter__(self) -> None:
        _install()
        self._token = current.set(self._scope)

    def __exit__(self, *exc_info: object) -> None:
        scope = self._scope
        if scope.logs._partial:
            scope.logs.flush(scope)  # its unfinished lines are entries too
        current.reset(self._token)


def enter_step(
    workflow: str, instance: str, step: str, attempt: int
) -> contextvars.Token[Scope | None]:
    """An attempt of a step starts executing; its output goes to its instance's logs (those
    of the ``run()`` around it, none outside one)."""
    outer = current.get()
    logs = None if outer is None else outer.logs
    if logs is not None and (type(sys.stdout) is not _Tee or type(sys.stderr) is not _Tee):
        _install()
    return current.set(Scope(None, workflow, instance, step, attempt, logs))


def leave(token: contextvars.Token[Scope | None]) -> None:
    """The code of the scope ``token`` entered has ended: its unfinished lines are entries."""
    scope = current.get()
    if scope is not None and scope.logs is not None and scope.logs._partial:
        scope.logs.flush(scope)
    current.reset(token)


# -- taps ------------------------------------------------------------------------------------------

_local = threading.local()  # a tee writing into another tee must not keep the text twice


class _Tee(io.TextIOBase):
    """``sys.stdout`` or ``sys.stderr``, with the lines written inside a scope kept in its
    instance's log at ``level``."""

    def __init__(self, stream: Any, level: str) -> None:
        super().__init__()
        self._stream = stream
        self._level = level

    def write(self, text: str) -> int:
        scope = current.get()
        if (
            scope is not None
            and scope.logs is not None
            and not getattr(_local, "inside", False)
            # a logging handler's own output: the record is kept once, by _Handler
            and sys._getframe(1).f_globals.get("__name__") != "logging"
        ):
            scope.logs.write(scope, text, self._level)
        _local.inside = True
        try:
            written: int = self._stream.write(text)
        finally:
            _local.inside = False
        return written

    def flush(self) -> None:
        self._stream.flush()

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return bool(self._stream.isatty())

    def fileno(self) -> int:
        return int(self._stream.fileno())

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._stream, "encoding", "utf-8") or "utf-8"

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class _Handler(logging.Handler):
    """On the root logger: keeps records of workflow code; the usual output is unchanged."""

    def emit(self, record: logging.LogRecord) -> None:
        scope = current.get()
        if scope is not None and scope.logs is not None:
            try:
                message = record.getMessage()
            except Exception:  # a bad format string: logging would report it too
                message = str(record.msg)
            if record.exc_info:
                message += "\n" + logging.Formatter().formatException(record.exc_info)
            level = record.levelname.lower()
            scope.logs.add(scope, _LEVELS.get(level, level), message)
        if not _handled_elsewhere(record):
            # With this handler the only one, logging would not use its last resort (stderr):
            # do it here, so the output is what it was without wf.
            last = logging.lastResort
            if last is not None and record.levelno >= last.level:
                _local.inside = True  # it writes to stderr: the record is kept once, above
                try:
                    last.handle(record)
                finally:
                    _local.inside = False


def _handled_elsewhere(record: logging.LogRecord) -> bool:
    logger: logging.Logger | None = logging.getLogger(record.name)
    while logger is not None:
        if any(h is not _HANDLER for h in logger.handlers):
            return True
        if not logger.propagate:
            return False
        logger = logger.parent
    return False


_HANDLER = _Handler()


def _install() -> None:
    if sys.stdout is not None and type(sys.stdout) is not _Tee:
        sys.stdout = _Tee(sys.stdout, "log")
    if sys.stderr is not None and type(sys.stderr) is not _Tee:
        sys.stderr = _Tee(sys.stderr, "error")
    if _HANDLER not in logging.root.handlers:
        logging.root.addHandler(_HANDLER)
