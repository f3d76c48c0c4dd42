"""Tracebacks of failed step attempts and of a failed ``run()``: the user's frames, kept.

An error's ``{"name", "message"}`` is Cloudflare's shape; the traceback is wf's own addition,
stored beside it in its own table of the store (``wf_tracebacks``), in the transaction that
records the failure, so it survives a restart with the step it belongs to. Only the user's
frames are kept (wf's own are noise), each file relative to the project, and the text is
bounded (``MAX_FRAMES`` per exception, ``MAX_CHARS`` in all).
"""

from __future__ import annotations

import os
import traceback
from dataclasses import dataclass
from pathlib import Path

from wf.store import Store

__all__ = ["MAX_CHARS", "MAX_FRAMES", "RUN", "Trace", "Tracebacks", "user_traceback"]

MAX_FRAMES = 40  # per exception of a chain: the first 10 and the last 30 are kept
MAX_CHARS = 16 * 1024
RUN = ""  # the step label of run()'s own traceback
_EMULATOR_DIR = str(Path(__file__).resolve().parent) + os.sep
_HEAD = 10

_SCHEMA = """
CREATE TABLE IF NOT EXISTS wf_tracebacks (
    workflow TEXT NOT NULL,
    instance TEXT NOT NULL,
    step     TEXT NOT NULL,
    attempt  INTEGER NOT NULL,
    started  REAL NOT NULL,
    text     TEXT NOT NULL,
    PRIMARY KEY (workflow, instance, step, attempt)
) WITHOUT ROWID
"""


def _is_wf_frame(filename: str) -> bool:
    if filename.startswith("<frozen "):
        return True
    try:
        resolved = os.path.realpath(filename)
    except (OSError, ValueError):
        return False
    return resolved.startswith(_EMULATOR_DIR)


def _shown_path(filename: str, root: Path | None) -> str:
    """A file under the project as a relative path (``src/entry.py``), others as they are."""
    if root is None or filename.startswith("<"):
        return filename
    try:
        return os.path.relpath(os.path.realpath(filename), os.path.realpath(root))
    except ValueError:  # another drive
        return filename


def _user_frames(
    summary: traceback.StackSummary, root: Path | None
) -> list[traceback.FrameSummary]:
    kept = []
    for frame in summary:
        if _is_wf_frame(frame.filename):
            continue
        shown = _shown_path(frame.filename, root)
        if shown.startswith(".." + os.sep) and root is not None:
            shown = frame.filename  # outside the project: its full path says more
        kept.append(traceback.FrameSummary(shown, frame.lineno, frame.name, line=frame.line))
    return kept


def _bounded(frames: list[traceback.FrameSummary]) -> tuple[list[traceback.FrameSummary], int]:
    if len(frames) <= MAX_FRAMES:
        return frames, 0
    tail = MAX_FRAMES - _HEAD
    return frames[:_HEAD] + frames[-tail:], len(frames) - MAX_FRAMES


def _format(exc: BaseException, root: Path | None, seen: set[int]) -> tuple[list[str], bool]:
    """Lines of one exception and its chain; whether any of them has a user frame."""
    seen.add(id(exc))
    lines: list[str] = []
    any_user = False
    cause = exc.__cause__
    context = None if exc.__suppress_context__ else exc.__context__
    if cause is not None and id(cause) not in seen:
        lines, any_user = _format(cause, root, seen)
        lines.append("\nThe above exception was the direct cause of the following exception:\n\n")
    elif context is not None and id(context) not in seen:
        lines, any_user = _format(context, root, seen)
        lines.append("\nDuring handling of the above exception, another exception occurred:\n\n")
    frames = _user_frames(traceback.extract_tb(exc.__traceback__), root)
    frames, omitted = _bounded(frames)
    if frames:
        any_user = True
        lines.append("Traceback (most recent call last):\n")
        formatted = traceback.StackSummary.from_list(frames).format()
        if omitted:
            formatted.insert(_HEAD, f"  ... {omitted} frames left out ...\n")
        lines.extend(formatted)
    lines.extend(traceback.format_exception_only(type(exc), exc))
    return lines, any_user


def user_traceback(exc: BaseException, root: Path | None = None) -> str | None:
    """The traceback of ``exc`` through the user's frames, or None when it has none.

    An error the platform raised (a timeout, a limit) has no frame of the user's: None.
    """
    lines, any_user = _format(exc, root, set())
    if not any_user:
        return None
    text = "".join(lines)
    if len(text) > MAX_CHARS:
        cut = len(text) - MAX_CHARS
        half = MAX_CHARS // 2
        text = f"{text[:half]}\n... {cut} characters left out ...\n{text[-half:]}"
    return text


@dataclass(frozen=True)
class Trace:
    """One stored traceback: of an attempt of a step, or of ``run()`` (step ``RUN``)."""

    step: str
    attempt: int
    started: float  # the attempt's start (run(): when the instance ended), to match it
    text: str


class Tracebacks:
    """The ``wf_tracebacks`` table: one traceback per failed attempt and per failed run()."""

    def __init__(self, store: Store, root: Path | None = None) -> None:
        self.store = store
        self.root = root
        store.execute(_SCHEMA)
        # Rows of instances deleted while no engine ran go at start.
        store.execute(
            "DELETE FROM wf_tracebacks WHERE NOT EXISTS (SELECT 1 FROM instances i "
            "WHERE i.workflow = wf_tracebacks.workflow AND i.id = wf_tracebacks.instance)"
        )
        store.commit()

    def record(
        self,
        workflow: str,
        instance: str,
        step: str,
        attempt: int,
        started: float,
        exc: BaseException,
    ) -> str | None:
        """Keep the traceback of ``exc`` (in the open transaction); the text, or None."""
        text = user_traceback(exc, self.root)
        if text is not None:
            self.store.execute(
                "INSERT OR REPLACE INTO wf_tracebacks VALUES (?, ?, ?, ?, ?, ?)",
                (workflow, instance, step, attempt, started, text),
            )
        return text

    def of_instance(self, workflow: str, instance: str) -> list[Trace]:
        """Every traceback kept for an instance, by step and attempt."""
        rows = self.store.query(
            "SELECT step, attempt, started, text FROM wf_tracebacks "
            "WHERE workflow = ? AND instance = ? ORDER BY step, attempt",
            (workflow, instance),
        )
        return [Trace(str(s), int(a), float(t), str(x)) for s, a, t, x in rows]

    def forget(self, workflow: str, instance: str) -> None:
        self.store.execute(
            "DELETE FROM wf_tracebacks WHERE workflow = ? AND instance = ?", (workflow, instance)
        )
