"""Time you can see and undo: the pending timers, what an advance fired, and a reset.

- ``GET  /cdn-cgi/wf/time/timers?limit=N``: the pending timers in due order, each with its
  ``kind`` (``sleep``, ``retry delay``, ``event timeout``, ``step timeout``, ``cron``,
  ``asyncio.sleep``, ``retention``, ``other``), the instance it wakes (or removes) and its due
  time; then the next removals by ``retention``, each instance's (one clock timer stands for the
  earliest; when it fires the next is armed);
- ``POST /cdn-cgi/wf/time/timers/{id}/fire``: fire that one timer now;
- ``POST /cdn-cgi/wf/time/reset``: virtual time back to the wall clock, but never before a time
  already stored (an instance, a step, an event), so time never runs backwards for what exists.

Every answer uses the explorer's envelope and the clock fields of ``GET /cdn-cgi/wf/time``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from aiohttp import web

from wf.durations import to_iso
from wf.realtime import real_time
from wf.server.context import session_of
from wf.server.envelope import ApiError, ok

if TYPE_CHECKING:
    from wf.clock import Timer
    from wf.engine import Engine

BASE = "/cdn-cgi/wf/time"
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
_STEP_KINDS = {"do": "retry delay", "sleep": "sleep", "waitForEvent": "event timeout"}


def add_routes(app: web.Application) -> None:
    """Register the timer routes."""
    app.router.add_get(BASE + "/timers", list_timers)
    app.router.add_post(BASE + "/timers/{timer}/fire", fire_timer)
    app.router.add_post(BASE + "/reset", reset)


def describe(engine: Engine, timer: Timer) -> dict[str, Any]:
    """What a timer is for, read from its label and the instance it wakes."""
    entry: dict[str, Any] = {
        "id": timer.seq,
        "due": to_iso(timer.due),
        "due_ms": timer.due,
        "kind": "other",
        "workflow": None,
        "instance": None,
        "step": None,
        "label": timer.label,
    }
    label = timer.label
    if label.startswith("cron "):
        expression = label[len("cron ") :]
        entry["kind"], entry["step"] = "cron", expression
        entry["workflow"] = next(
            (w.name for w in engine.workflows.values() if expression in w.schedules), None
        )
        return entry
    if label.startswith("step timeout "):
        target, _, step = label[len("step timeout ") :].partition(" ")
        workflow, _, instance = target.rpartition("/")
        entry.update(kind="step timeout", workflow=workflow, instance=instance, step=step)
        return entry
    if label == "retention":
        # One timer for the earliest removal: name the instance it removes.
        entry["kind"] = "retention"
        for workflow, instance, _ in engine.store.expiring_instances(1):
            entry.update(workflow=workflow, instance=instance)
        return entry
    if label.startswith("asyncio.sleep"):
        entry["kind"] = "asyncio.sleep"
        return entry
    workflow, _, instance = label.rpartition("/")
    if workflow in engine.workflows and instance:
        entry.update(workflow=workflow, instance=instance, **_instance_wait(engine, timer))
    return entry


def _instance_wait(engine: Engine, timer: Timer) -> dict[str, Any]:
    """The kind and step of a waiting instance's timer: its earliest pending step due."""
    workflow, _, instance = timer.label.rpartition("/")
    pending = [
        s
        for s in engine.store.load_steps(workflow, instance)
        if s.due is not None and s.state not in ("complete", "errored")
    ]
    if not pending:
        return {"kind": "wake"}
    step = min(pending, key=lambda s: s.due or 0.0)
    return {"kind": _STEP_KINDS.get(step.kind, step.kind), "step": f"{step.name}-{step.count}"}


@contextlib.contextmanager
def recording(engine: Engine) -> Iterator[list[dict[str, Any]]]:
    """Collect a description of every timer the clock fires inside the block."""
    clock = engine.clock
    fired: list[dict[str, Any]] = []
    previous = clock.on_fire

    def record(timer: Timer) -> None:
        previous(timer)
        fired.append(describe(engine, timer))

    clock.on_fire = record
    try:
        yield fired
    finally:
        clock.on_fire = previous


def _limit(request: web.Request) -> int:
    raw = request.query.get("limit", str(DEFAULT_LIMIT))
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_LIMIT:
        raise ApiError(400, f"limit must be a whole number from 1 to {MAX_LIMIT}, got {raw!r}")
    return value


async def list_timers(request: web.Request) -> web.Response:
    """The pending timers, earliest first, and the next retention removals."""
    from wf.server.control import time_json

    engine = session_of(request).engine
    limit = _limit(request)
    pending = engine.clock.timers()
    timers = [describe(engine, t) for t in pending[:limit]]
    retention = [
        {
            "due": to_iso(expires),
            "due_ms": expires,
            "kind": "retention",
            "workflow": workflow,
            "instance": instance,
        }
        for workflow, instance, expires in engine.store.expiring_instances(limit)
    ]
    return ok(
        time_json(engine.clock) | {"timers": timers, "total": len(pending), "retention": retention}
    )


async def fire_timer(request: web.Request) -> web.Response:
    """Fire one pending timer now: an instance's ends its sleep, retry delay or event timeout."""
    from wf.server.control import time_json

    session = session_of(request)
    engine = session.engine
    raw = request.match_info["timer"]
    timer = next((t for t in engine.clock.timers() if str(t.seq) == raw), None)
    if timer is None:
        raise ApiError(404, f"no pending timer {raw!r}: it fired already, or was never set")
    reason = session.unavailable_reason()
    if reason is not None:
        raise ApiError(503, reason)
    entry = describe(engine, timer)
    async with session.time_lock:
        workflow, instance = entry["workflow"], entry["instance"]
        if entry["kind"] in ("sleep", "retry delay", "event timeout", "wake"):
            # As `wf time skip NAME ID`: the instance's stored due moves to now, so it stays
            # woken after a restart.
            fired = engine.fire_now(workflow, instance)
        elif entry["kind"] == "retention":
            fired = engine.remove_next_now()  # the instance goes now, not at its due time
        else:
            fired = engine.clock.fire_early(timer)
        if fired:
            await engine.settle()
    return ok({"fired": [entry] if fired else []} | time_json(engine.clock))


async def reset(request: web.Request) -> web.Response:
    """Virtual time back to the wall clock, held at the latest stored time if that is later."""
    from wf.server.control import time_json

    session = session_of(request)
    engine = session.engine
    async with session.time_lock:
        before = engine.clock.now()
        wall = real_time() * 1000.0
        stored = engine.store.latest_time()
        target = max(wall, stored or 0.0)
        if target >= before:
            await engine.clock.advance_to(target)  # forwards: every timer passed fires
        else:
            engine.clock.reset_to(target)
    held = stored is not None and stored > wall
    return ok(
        {
            "from": to_iso(before),
            "from_ms": before,
            "wall": to_iso(wall),
            "held_by_state": held,
            "latest_stored": to_iso(stored),
        }
        | time_json(engine.clock)
    )
