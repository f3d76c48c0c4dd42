"""Replaying recorded histories against the project's current code, with no side effects.

What a deploy does to an instance that is asleep or waiting: its ``run()`` starts again from
the top with the new code and every step call is answered from the history by its cache key.
``replay_history`` does the same in this process, with nothing but the history: a cached step
returns its recorded output (or raises its recorded error), the first call the history cannot
answer stops the replay (production would run it), and a call that is not the one the history
has at that position is a divergence (``replay.Cursor`` decides, as for live instances). Step
code never runs; ``env`` holds the config's vars and bindings that refuse to be used, so code
outside the steps cannot reach D1, KV, a queue or another workflow either.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import traceback
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from wf import serialization, usertime
from wf.config import Config
from wf.durations import to_iso
from wf.engine import replay
from wf.engine.limits import validate_step_name
from wf.engine.sdk import rebuild_error
from wf.errors import error_info
from wf.history import History
from wf.runtime.workers import JsDict
from wf.runtime.workers._context import ExecutionContext
from wf.step import StepCallback, WorkflowStep
from wf.store import StepRow
from wf.vocabulary import InstanceStatus, StepKind, StepState

__all__ = ["CLEAN", "DIVERGED", "ERROR", "RAISED", "ReplayReport", "replay_history"]

CLEAN, DIVERGED, RAISED, ERROR = "clean", "diverged", "raised", "error"
TIME_LIMIT_S = 10.0  # run() awaiting something outside its steps would hang the check


@dataclass(frozen=True)
class ReplayReport:
    """How one history replays: clean up to a step, diverging, raising, or not replayable."""

    source: str
    workflow: str | None
    instance: str | None
    outcome: str  # CLEAN, DIVERGED, RAISED or ERROR
    replayed: int  # steps answered from the history
    message: str  # one line for people
    next_step: str | None = None  # what the instance does after the replayed steps
    divergence: dict[str, Any] | None = None
    error: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        """True when the new code replays this history cleanly."""
        return self.outcome == CLEAN

    def to_json(self) -> dict[str, Any]:
        """The report as ``wf replay --json`` prints it."""
        return {"ok": self.ok, **asdict(self)}


class _Stop(BaseException):
    """Unwinds ``run()`` at the first call the history does not answer (it would run)."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


class _Diverged(BaseException):
    def __init__(self, divergence: replay.Divergence, found_at: int | None) -> None:
        super().__init__(divergence.message)
        self.divergence = divergence
        self.found_at = found_at  # 1-based position of the called key in the history, if any


class _Hung(BaseException):
    """``run()`` went past the time limit without reaching a step the history cannot answer."""


class SideEffect(BaseException):
    """Code outside a step used a binding: a replay has no side effects."""


def _label(kind: str, name: str, count: int) -> str:
    return f"{kind} '{name}-{count}'"


class _HistoryRunner:
    """Answers ``WorkflowStep``'s calls from a history only (``step.StepCalls``)."""

    def __init__(self, steps: list[StepRow], step_limit: int) -> None:
        self._step_limit = step_limit
        self._do_calls = 0
        self._cache = {s.key: s for s in steps}
        self._positions = {s.key: i + 1 for i, s in enumerate(steps)}
        self.cursor = replay.Cursor(steps)
        self.replayed = 0
        self.warnings: list[str] = []

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def _enter(self, kind: StepKind, name: Any) -> StepRow:
        name = validate_step_name(name)
        key, divergence = self.cursor.call(kind, name)
        if divergence is not None:
            raise _Diverged(divergence, self._positions.get(key))
        row = self._cache.get(key)
        if row is None:
            raise _Stop(f"{_label(*key)} would run (not in the history)")
        return row

    def _answered(self) -> None:
        self.replayed += 1

    async def do(self, name: Any, callback: StepCallback, config: Any = None) -> Any:
        row = self._enter(StepKind.DO, name)
        self._do_calls += 1  # production's limit counts cached calls too
        replay.check_step_limit(self._do_calls, self._step_limit)
        decision = replay.decide_do(row)
        if isinstance(decision, replay.Cached):
            self._answered()
            return serialization.loads(decision.output)
        if isinstance(decision, replay.CachedError):
            self._answered()
            raise rebuild_error(decision.error)
        tries = len(row.attempts)
        retry = f", retrying at {to_iso(row.due)}" if row.due is not None else ""
        raise _Stop(
            f"{_label(*row.key)} would run again (unfinished after {tries} "
            f"attempt{'s' * (tries != 1)}{retry})"
        )

    async def _sleep(self, name: Any) -> None:
        row = self._enter(StepKind.SLEEP, name)
        if row.state == StepState.COMPLETE:
            self._answered()
            return
        until = f" until {to_iso(row.due)}" if row.due is not None else ""
        raise _Stop(f"{_label(*row.key)} sleeps{until}")

    async def sleep(self, name: Any, duration: Any) -> None:
        await self._sleep(name)

    async def sleep_until(self, name: Any, timestamp: Any) -> None:
        await self._sleep(name)

    async def wait_for_event(self, name: Any, event_type: Any, timeout: Any) -> Any:
        row = self._enter(StepKind.WAIT_FOR_EVENT, name)
        if row.state == StepState.COMPLETE:
            self._answered()
            return serialization.loads(row.output)
        if row.state == StepState.ERRORED:
            self._answered()
            raise rebuild_error(json.loads(row.error or "{}"))
        wanted = replay.waits_for(row) or event_type
        raise _Stop(
            f"{_label(*row.key)} waits for an event of type {wanted!r} until {to_iso(row.due)}"
        )


class _Refused:
    """A binding on the replay's ``env``: any use of it is a side effect, refused."""

    def __init__(self, binding: str) -> None:
        self._binding = binding

    def __getattr__(self, attribute: str) -> Any:
        raise SideEffect(
            f"env.{self._binding}.{attribute} used outside a step: production runs that again "
            "on every replay (move it into a step.do)"
        )


class _ReplayEnv:
    """``env`` for a replay: the config's vars, and every binding refusing side effects."""

    def __init__(self, config: Config) -> None:
        values: dict[str, Any] = dict(config.vars)
        for name in _binding_names(config):
            values[name] = _Refused(name)
        object.__setattr__(self, "_values", values)

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"env has no binding or var {name!r}") from None


def _binding_names(config: Config) -> list[str]:
    names = [w.binding for w in config.workflows if w.binding]
    names += [d.binding for d in config.d1_databases]
    names += [k.binding for k in config.kv_namespaces]
    names += [r.binding for r in config.r2_buckets]
    names += [q.binding for q in config.queue_producers]
    names += [d.binding for d in config.durable_objects]
    if config.ai is not None:
        names.append(config.ai.binding)
    if config.assets is not None and config.assets.binding:
        names.append(config.assets.binding)
    return names


def _event(history: History, workflow: str) -> JsDict:
    return serialization.jsdict(
        {
            "payload": serialization.loads(serialization.dumps(history.params)),
            "timestamp": usertime.from_js_date(history.queued or history.start or 0.0),
            "instanceId": history.id or "replay",
            "workflowName": workflow,
        }
    )


def _workflow_of(history: History, config: Config, workflow: str | None) -> str:
    names = [w.name for w in config.workflows]
    chosen = workflow or history.workflow
    if chosen is None:
        if len(names) != 1:
            raise LookupError(
                "the history does not name its workflow and the project has "
                f"{len(names)} ({', '.join(names) or 'none'}): pass --workflow"
            )
        chosen = names[0]
    if chosen not in names:
        raise LookupError(
            f"the project has no workflow {chosen!r} (have: {', '.join(names) or 'none'})"
        )
    return chosen


def replay_history(
    history: History,
    config: Config,
    classes: Mapping[str, type],
    *,
    workflow: str | None = None,
    time_limit: float = TIME_LIMIT_S,
) -> ReplayReport:
    """Replay one history against the loaded code (``classes`` by class name)."""
    base: dict[str, Any] = {"source": history.source, "instance": history.id}
    try:
        name = _workflow_of(history, config, workflow)
    except LookupError as exc:
        return ReplayReport(
            **base,
            workflow=workflow or history.workflow,
            outcome=ERROR,
            replayed=0,
            message=f"{_who(history, workflow)}: {exc}",
        )
    base["workflow"] = name
    class_name = config.workflow(name).class_name
    cls = classes.get(class_name or "")
    if cls is None:
        return ReplayReport(
            **base,
            outcome=ERROR,
            replayed=0,
            message=f"{_who(history, name)}: the code has no class {class_name!r}",
        )
    runner = _HistoryRunner(history.steps, config.workflow(name).step_limit)
    step = WorkflowStep(runner, config.implicit_dependencies)

    async def run() -> Any:
        entry = cls(ExecutionContext(), _ReplayEnv(config))
        result = entry.run(_event(history, name), step)
        if inspect.isawaitable(result):
            limit = asyncio.timeout(time_limit)
            try:
                async with limit:
                    result = await result
            except TimeoutError:
                if limit.expired():
                    raise _Hung from None
                raise  # the code's own TimeoutError
        return result

    who = _who(history, name)
    try:
        asyncio.run(run())
    except _Stop as stop:
        return ReplayReport(
            **base,
            outcome=CLEAN,
            replayed=runner.replayed,
            next_step=stop.what,
            message=f"{who}: replays cleanly up to step {runner.replayed}; next: {stop.what}",
        )
    except _Diverged as diverged:
        return _diverged(base, who, runner, diverged)
    except SideEffect as exc:
        return _raised(base, who, runner, {"name": "SideEffect", "message": str(exc)}, exc)
    except _Hung as exc:
        info = {
            "name": "TimeoutError",
            "message": f"run() did not reach a step within {time_limit:g} s "
            "(it awaits something outside its steps)",
        }
        return _raised(base, who, runner, info, exc)
    except Exception as exc:
        info = error_info(exc)
        if history.status == InstanceStatus.ERRORED and _same_error(info, history.error):
            return ReplayReport(
                **base,
                outcome=CLEAN,
                replayed=runner.replayed,
                next_step="run() raises the error the instance ended with",
                message=f"{who}: replays cleanly up to step {runner.replayed}; then run() "
                f"raises the recorded error ({info['name']})",
            )
        if str(info.get("message", "")).startswith("PythonError"):
            info = {"name": type(exc).__name__, "message": str(exc)}  # as Python shows it
        return _raised(base, who, runner, info, exc)
    return _returned(base, who, runner, history)


def _returned(
    base: dict[str, Any], who: str, runner: _HistoryRunner, history: History
) -> ReplayReport:
    position = runner.cursor.position
    if position < len(history.steps):
        # run() returned while the history has more steps: the code no longer calls them.
        expected = history.steps[position]
        divergence = {
            "position": position + 1,
            "expected": _key_json(expected.key),
            "actual": None,
        }
        return ReplayReport(
            **base,
            outcome=DIVERGED,
            replayed=runner.replayed,
            divergence=divergence,
            message=f"{who}: diverges at step {position + 1} (expected "
            f"{_label(*expected.key)}, got run() returning)",
        )
    return ReplayReport(
        **base,
        outcome=CLEAN,
        replayed=runner.replayed,
        next_step="run() returns",
        message=f"{who}: replays cleanly up to step {runner.replayed}; then run() returns",
    )


def _diverged(
    base: dict[str, Any], who: str, runner: _HistoryRunner, diverged: _Diverged
) -> ReplayReport:
    d = diverged.divergence
    if diverged.found_at is None:
        effect = "not in the history: production would run it again"
    else:
        effect = (
            f"production answers it with step {diverged.found_at}'s cached result, out of order"
        )
    return ReplayReport(
        **base,
        outcome=DIVERGED,
        replayed=runner.replayed,
        divergence={
            "position": d.position,
            "expected": _key_json(d.expected),
            "actual": _key_json(d.actual),
            "effect": effect,
        },
        message=f"{who}: diverges at step {d.position} (expected {_label(*d.expected)}, "
        f"got {_label(*d.actual)}; {effect})",
    )


def _raised(
    base: dict[str, Any],
    who: str,
    runner: _HistoryRunner,
    info: dict[str, Any],
    exc: BaseException,
) -> ReplayReport:
    where = _user_frame(exc)
    message = str(info.get("message", "")).strip().splitlines()
    last = message[-1] if message else ""
    at = f" at {where}" if where else ""
    return ReplayReport(
        **base,
        outcome=RAISED,
        replayed=runner.replayed,
        error={**info, "at": where},
        message=f"{who}: raises {info.get('name')}: {last}{at} (after step {runner.replayed})",
    )


def _user_frame(exc: BaseException) -> str | None:
    """``file:line`` of the innermost frame outside wf itself."""
    package = str(Path(__file__).resolve().parent)
    found = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if not str(Path(frame.filename).resolve()).startswith(package):
            found = f"{Path(frame.filename).name}:{frame.lineno}"
    return found


def _same_error(info: dict[str, Any], recorded: dict[str, Any] | None) -> bool:
    if recorded is None:
        return False
    return info.get("name") == recorded.get("name") and str(info.get("message", "")).endswith(
        str(recorded.get("message", ""))
    )


def _key_json(key: tuple[str, str, int]) -> dict[str, Any]:
    kind, name, count = key
    return {"type": kind, "name": name, "count": count}


def _who(history: History, workflow: str | None) -> str:
    if history.id and workflow:
        return f"{workflow}/{history.id}"
    return history.id or history.source
