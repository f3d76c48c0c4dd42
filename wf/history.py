"""Instance histories as JSON files: reading the shapes Cloudflare and wf print, writing wf's.

A history is one instance's status, params and step log, as Cloudflare's REST API returns
it (``GET .../instances/{id}``, in its envelope or not), as ``wrangler workflows instances
describe`` reads it, and as ``wf instances describe --json`` and ``wf instances export`` print
it. ``load_histories`` turns any of these into ``History`` values whose steps are the store's
own ``StepRow`` (the cache the replay core reads); a shape it cannot read is a
``HistoryError`` naming the field (``steps[2].type``).

Cloudflare names a step ``<name>-<count>`` (its cache key: the name and its occurrence among
calls of that name); the name is split off again at the last ``-``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from wf import serialization, usertime
from wf.durations import DurationError, parse_duration, parse_timestamp, to_iso
from wf.store import StepRow
from wf.vocabulary import InstanceStatus, StepKind, StepState

__all__ = [
    "DEFAULT_EVENT_TIMEOUT_MS",
    "FORMAT",
    "History",
    "HistoryError",
    "exported",
    "history_documents",
    "load_histories",
    "parse_history",
]

FORMAT = "wf-history/1"  # marks what `wf instances export` writes
DEFAULT_EVENT_TIMEOUT_MS = 24 * 3600 * 1000.0  # wait_for_event's documented default
_STEP_TYPES = {
    "step": StepKind.DO,
    "sleep": StepKind.SLEEP,
    "waitForEvent": StepKind.WAIT_FOR_EVENT,
}
_STATUSES = tuple(s.value for s in InstanceStatus if s != InstanceStatus.UNKNOWN)


class HistoryError(ValueError):
    """A history that cannot be read: the message starts with where (``steps[2].name``)."""


@dataclass
class History:
    """One instance's recorded state, ready to replay or import."""

    source: str  # where it came from, for reports: "prod.json" or "prod.json[2]"
    workflow: str | None
    id: str | None
    status: InstanceStatus
    params: Any
    trigger: str = "api"
    queued: float | None = None
    start: float | None = None
    end: float | None = None
    output: Any = None
    error: dict[str, Any] | None = None
    steps: list[StepRow] = field(default_factory=list)
    terminated_by: str | None = None  # a "termination" entry's trigger source

    def pending(self) -> StepRow | None:
        """The step the instance waits in (a sleep, an event, a retry), if any."""
        for step in self.steps:
            if step.state in (StepState.WAITING, StepState.RUNNING):
                return step
        return None


def load_histories(text: str, source: str) -> list[History]:
    """Every history in a file's text: one, a JSON array, an envelope, or an export."""
    return [parse_history(item, where) for where, item in history_documents(text, source)]


def history_documents(text: str, source: str) -> list[tuple[str, Any]]:
    """The history objects in a file's text, unparsed, each with where it is (``f[2]``)."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise HistoryError(f"{source}: not JSON: {exc}") from None
    data = _unwrap(data, source)
    if isinstance(data, list):
        if not data:
            raise HistoryError(f"{source}: the array holds no history")
        return [(f"{source}[{i}]", item) for i, item in enumerate(data)]
    return [(source, data)]


def _unwrap(data: Any, source: str) -> Any:
    if isinstance(data, dict) and "success" in data and "result" in data:
        if not data.get("success"):
            raise HistoryError(f"{source}: the API answered with an error: {data.get('errors')}")
        data = data["result"]  # Cloudflare's envelope
    if isinstance(data, dict) and isinstance(data.get("instances"), list):
        data = data["instances"]  # wf's export of several instances
    return data


def parse_history(data: Any, source: str = "history") -> History:
    """One history object; HistoryError names the field that is wrong."""
    if not isinstance(data, dict):
        raise HistoryError(f"{source}: a history must be a JSON object, got {_type(data)}")
    status = data.get("status")
    if status not in _STATUSES:
        raise HistoryError(
            f"{source}: status: must be one of {', '.join(_STATUSES)}, got {status!r}"
        )
    steps_data = data.get("steps")
    if not isinstance(steps_data, list):
        raise HistoryError(f"{source}: steps: must be an array, got {_type(steps_data)}")
    history = History(
        source=source,
        workflow=_optional_str(data, "workflow", source),
        id=_optional_str(data, "id", source) or _optional_str(data, "instanceId", source),
        status=InstanceStatus(status),
        params=data.get("params", {}),
        trigger=_trigger(data, source),
        queued=_time(data.get("queued"), f"{source}: queued"),
        start=_time(data.get("start"), f"{source}: start"),
        end=_time(data.get("end"), f"{source}: end"),
        output=data.get("output"),
        error=_error(data.get("error"), f"{source}: error"),
    )
    counts: dict[tuple[str, str], int] = {}
    keys: set[tuple[str, str, int]] = set()
    for index, entry in enumerate(steps_data):
        where = f"{source}: steps[{index}]"
        if isinstance(entry, dict) and entry.get("type") == "termination":
            trigger = entry.get("trigger")
            history.terminated_by = str(
                trigger.get("source", "api") if isinstance(trigger, dict) else "api"
            )
            continue
        step = _step(entry, where, len(history.steps), counts)
        if step.key in keys:
            raise HistoryError(
                f"{where}.name: {step.kind} '{step.name}-{step.count}' is in the history twice"
            )
        keys.add(step.key)
        history.steps.append(step)
    pending = history.pending()
    if pending is not None and pending.kind == StepKind.SLEEP and pending.due is None:
        pending.due = _time(data.get("wake_at"), f"{source}: wake_at")
    return history


def _step(entry: Any, where: str, pos: int, counts: dict[tuple[str, str], int]) -> StepRow:
    if not isinstance(entry, dict):
        raise HistoryError(f"{where}: a step must be a JSON object, got {_type(entry)}")
    kind = _STEP_TYPES.get(entry.get("type"))  # type: ignore[arg-type]
    if kind is None:
        raise HistoryError(
            f"{where}.type: must be one of step, sleep, waitForEvent, termination, "
            f"got {entry.get('type')!r}"
        )
    label = entry.get("name")
    if not isinstance(label, str) or not label:
        raise HistoryError(f'{where}.name: must be the step\'s name ("<name>-<count>")')
    name, count = _split_name(label)
    seen = counts.get((kind, name), 0) + 1
    counts[(kind, name)] = seen
    if count is None:
        count = seen  # a hand-written history may leave the count out
    start = _time(entry.get("start"), f"{where}.start")
    if start is None:
        raise HistoryError(f"{where}.start: a step needs the time it started")
    row = StepRow(
        workflow="",
        instance="",
        kind=kind,
        name=name,
        count=count,
        pos=pos,
        state=StepState.RUNNING,
        started=start,
    )
    if kind == StepKind.SLEEP:
        _sleep(row, entry, where)
    elif kind == StepKind.WAIT_FOR_EVENT:
        _wait(row, entry, where)
    else:
        _do(row, entry, where)
    return row


def _split_name(label: str) -> tuple[str, int | None]:
    name, dash, suffix = label.rpartition("-")
    if dash and name and suffix.isascii() and suffix.isdigit() and int(suffix) >= 1:
        return name, int(suffix)
    return label, None


def _do(row: StepRow, entry: dict[str, Any], where: str) -> None:
    success = entry.get("success")
    if success not in (True, False, None):
        raise HistoryError(f"{where}.success: must be true, false or null, got {success!r}")
    config = entry.get("config")
    if config is not None and not isinstance(config, dict):
        raise HistoryError(f"{where}.config: must be an object, got {_type(config)}")
    row.config = json.dumps(config) if config else None
    row.attempts = _attempts(entry.get("attempts"), f"{where}.attempts")
    row.ended = _time(entry.get("end"), f"{where}.end")
    if success is True:
        row.state = StepState.COMPLETE
        row.output = _encode(entry.get("output"), f"{where}.output")
    elif success is False:
        row.state = StepState.ERRORED
        error = _error(entry.get("error"), f"{where}.error")
        if error is None:  # Cloudflare keeps the error on the attempts
            failed = [a["error"] for a in row.attempts if a.get("error")]
            error = failed[-1] if failed else {"name": "Error", "message": "step failed"}
        row.error = json.dumps(error)
    else:
        row.due = _time(entry.get("retry_at"), f"{where}.retry_at")


def _sleep(row: StepRow, entry: dict[str, Any], where: str) -> None:
    finished = entry.get("finished")
    if finished not in (True, False, None):
        raise HistoryError(f"{where}.finished: must be true or false, got {finished!r}")
    end = _time(entry.get("end"), f"{where}.end")
    if finished is True:
        if end is None:
            raise HistoryError(f"{where}.end: a finished sleep needs its end")
        row.state, row.ended, row.due = StepState.COMPLETE, end, end
    else:
        # wf's describe leaves a pending sleep's end out; its instance's wake_at has it
        row.state, row.due = StepState.WAITING, end


def _wait(row: StepRow, entry: dict[str, Any], where: str) -> None:
    finished = entry.get("finished")
    if finished not in (True, False, None):
        raise HistoryError(f"{where}.finished: must be true or false, got {finished!r}")
    output = entry.get("output")
    event_type = entry.get("event_type")
    if event_type is None and isinstance(output, dict):
        event_type = output.get("type")
    if event_type is not None and not isinstance(event_type, str):
        raise HistoryError(f"{where}.event_type: must be a string, got {_type(event_type)}")
    timeout = entry.get("timeout", DEFAULT_EVENT_TIMEOUT_MS)
    try:
        timeout_ms = parse_duration(timeout)
    except DurationError as exc:
        raise HistoryError(f"{where}.timeout: {exc}") from None
    config: dict[str, Any] = {"timeout": timeout_ms}
    if event_type is not None:
        config["type"] = event_type
    row.config = json.dumps(config)
    row.ended = _time(entry.get("end"), f"{where}.end")
    error = _error(entry.get("error"), f"{where}.error")
    if error is not None:
        row.state, row.error = StepState.ERRORED, json.dumps(error)
    elif finished:
        row.state = StepState.COMPLETE
        row.output = _event_output(output, f"{where}.output")
    else:
        row.state, row.due = StepState.WAITING, row.started + timeout_ms


def _event_output(output: Any, where: str) -> str:
    """The received event as the runner stores it (its timestamp a datetime again)."""
    if not isinstance(output, dict):
        raise HistoryError(f"{where}: a received event must be {{type, payload, timestamp}}")
    value = dict(output)
    stamp = value.get("timestamp")
    if stamp is not None:
        ms = _time(stamp, f"{where}.timestamp")
        value["timestamp"] = usertime.from_js_date(ms) if ms is not None else None
    return _encode(value, where)


def _attempts(value: Any, where: str) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise HistoryError(f"{where}: must be an array, got {_type(value)}")
    attempts = []
    for i, attempt in enumerate(value):
        here = f"{where}[{i}]"
        if not isinstance(attempt, dict):
            raise HistoryError(f"{here}: must be an object, got {_type(attempt)}")
        entry: dict[str, Any] = {
            "start": _time(attempt.get("start"), f"{here}.start"),
            "end": _time(attempt.get("end"), f"{here}.end"),
            "success": attempt.get("success"),
        }
        error = _error(attempt.get("error"), f"{here}.error")
        if error is not None:
            entry["error"] = error
        if isinstance(attempt.get("retry_delay"), int | float):
            entry["retry_delay"] = attempt["retry_delay"]
        attempts.append(entry)
    return attempts


def _encode(value: Any, where: str) -> str:
    try:
        return serialization.dumps(value, where)
    except serialization.NotSerializable as exc:
        raise HistoryError(f"{where}: {exc}") from None


def _time(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise HistoryError(f"{where}: must be an ISO-8601 time, got {_type(value)}")
    try:
        return parse_timestamp(value)
    except (DurationError, ValueError) as exc:
        raise HistoryError(f"{where}: {exc}") from None


def _error(value: Any, where: str) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("message", ""), str):
        raise HistoryError(f"{where}: must be {{name, message}}, got {_type(value)}")
    return {"name": str(value.get("name", "Error")), "message": str(value.get("message", ""))}


def _optional_str(data: dict[str, Any], key: str, source: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise HistoryError(f"{source}: {key}: must be a non-empty string, got {_type(value)}")
    return value


def _trigger(data: dict[str, Any], source: str) -> str:
    trigger = data.get("trigger")
    if trigger is None:
        return "api"
    if not isinstance(trigger, dict) or not isinstance(trigger.get("source", "api"), str):
        raise HistoryError(f"{source}: trigger: must be {{source}}, got {_type(trigger)}")
    return str(trigger.get("source", "api"))


def _type(value: Any) -> str:
    return serialization.json_type(value)


def exported(details: dict[str, Any], steps: list[StepRow]) -> dict[str, Any]:
    """An instance's details (``views.instance_details``) completed into an export.

    What the details leave out and an import needs: a waiting sleep's end (when it is due;
    Cloudflare's log always has it) and a wait's timeout.
    """
    out = {"format": FORMAT, **details}
    shaped = [s for s in out.get("steps", []) if s.get("type") != "termination"]
    for entry, step in zip(shaped, steps, strict=False):
        if step.kind == StepKind.SLEEP and entry.get("end") is None and step.due is not None:
            entry["end"] = to_iso(step.due)
        elif step.kind == StepKind.WAIT_FOR_EVENT:
            timeout = json.loads(step.config or "{}").get("timeout")
            if timeout is not None:
                entry["timeout"] = timeout
    out.pop("wake_at", None)
    out.pop("warnings", None)
    return out
