"""The emulator-only control API under ``/cdn-cgi/wf``: virtual time and the code being served.

Time:
- ``GET  /cdn-cgi/wf/time``: the clock: ``mode``, ``scale``, ``now`` (ISO) and ``now_ms`` (epoch
  ms), ``next_timer``/``next_timer_ms`` (the earliest timer, or null), ``pending_timers``;
- ``PUT|POST /cdn-cgi/wf/time`` ``{"mode": "real|scale|manual|auto", "scale": N}``;
- ``POST /cdn-cgi/wf/time/advance`` ``{"by": "7 days" | ms}`` or ``{"to": ISO | ms}``: answers
  once every instance the advance woke has settled, with ``fired`` (the timers it fired, as
  ``GET /cdn-cgi/wf/time/timers`` describes them, in the order they fired);
- ``POST /cdn-cgi/wf/time/skip``: jump to the next timer and fire it (``fired`` as above);
  with the body ``{"workflow": name, "instance": id}`` fire that instance's timer instead (as
  ``fire``);
- ``POST /cdn-cgi/wf/workflows/{name}/instances/{id}/fire``: end that instance's pending sleep,
  retry delay or event timeout now (``{"fired": false}`` when it has none).

Code: ``GET /cdn-cgi/wf/code`` (generation, load error) and ``POST /cdn-cgi/wf/code/reload``.
``GET /cdn-cgi/wf/status`` sums it all up. Every answer uses the explorer's envelope.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from wf.clock import MODES, Clock, Timer, check_scale, check_time
from wf.durations import DurationError, parse_duration, parse_timestamp, to_iso
from wf.engine import Engine, validate_instance_id
from wf.server import timers
from wf.server.context import session_of
from wf.server.envelope import ApiError, json_object, ok, read_json

BASE = "/cdn-cgi/wf"


def add_routes(app: web.Application) -> None:
    """Register the control routes."""
    app.router.add_get(BASE + "/status", status)
    app.router.add_get(BASE + "/time", get_time)
    app.router.add_put(BASE + "/time", set_time)
    app.router.add_post(BASE + "/time", set_time)
    app.router.add_post(BASE + "/time/advance", advance)
    app.router.add_post(BASE + "/time/skip", skip)
    app.router.add_post(BASE + "/workflows/{workflow}/instances/{instance}/fire", fire)
    app.router.add_get(BASE + "/code", get_code)
    app.router.add_post(BASE + "/code/reload", reload_code)


def time_json(clock: Clock) -> dict[str, Any]:
    """The clock as the control API reports it."""
    now = clock.now()
    due = clock.next_due()
    return {
        "now": to_iso(now),
        "now_ms": now,
        "mode": clock.mode,
        "scale": clock.scale,
        "next_timer": to_iso(due),
        "next_timer_ms": due,
        "pending_timers": clock.pending(),
    }


def code_json(request: web.Request) -> dict[str, Any]:
    session = session_of(request)
    code = session.code
    return {
        "generation": session.generation,
        "loaded": code is not None,
        "running": session.engine_started,
        "error": session.error.to_json() if session.error else None,
        "version_id": session.engine.version,
    }


async def status(request: web.Request) -> web.Response:
    session = session_of(request)
    engine = session.engine
    return ok(
        {
            "name": engine.config.name,
            "workflows": sorted(engine.workflows),
            "time": time_json(engine.clock),
            "code": code_json(request),
        }
    )


async def get_time(request: web.Request) -> web.Response:
    return ok(time_json(session_of(request).engine.clock))


async def set_time(request: web.Request) -> web.Response:
    """Switch mode and/or scale; a scale alone implies scale mode."""
    body = json_object(await read_json(request))
    clock = session_of(request).engine.clock
    mode = body.get("mode")
    scale = body.get("scale")
    if mode is None and scale is None:
        raise ApiError(400, 'give "mode" (real, scale, manual, auto) and/or "scale"')
    if scale is not None:
        try:
            scale = check_scale(scale)
        except ValueError as exc:
            raise ApiError(400, str(exc)) from None
    if mode is None:
        mode = "scale"
    if mode not in MODES:
        raise ApiError(400, f"unknown time mode {mode!r}: use one of {', '.join(MODES)}")
    async with session_of(request).time_lock:
        clock.set_mode(mode, scale)
    return ok(time_json(clock))


async def advance(request: web.Request) -> web.Response:
    """Move virtual time forward, firing every timer passed, each at its own due time."""
    body = json_object(await read_json(request))
    clock = session_of(request).engine.clock
    if ("by" in body) == ("to" in body):
        raise ApiError(400, 'give exactly one of "by" (a duration) and "to" (a timestamp)')
    async with session_of(request).time_lock:
        now = clock.now()
        try:
            if "by" in body:
                target = check_time(now + parse_duration(body["by"], lenient=True))
            else:
                target = check_time(parse_timestamp(body["to"]))
        except (DurationError, TypeError) as exc:
            # Checked before anything moves: a bad advance leaves the clock where it was.
            raise ApiError(400, f"{'by' if 'by' in body else 'to'}: {exc}") from None
        if target < now:
            raise ApiError(
                400, f"time only moves forward: {to_iso(target)} is before now ({to_iso(now)})"
            )
        with timers.recording(session_of(request).engine) as fired:
            await clock.advance_to(target)
    return ok({"fired": fired} | time_json(clock))


async def skip(request: web.Request) -> web.Response:
    """Jump to the earliest pending timer and fire it (or one instance's, given its name)."""
    body = json_object(await read_json(request, default={}))
    if body.get("workflow") is not None or body.get("instance") is not None:
        name, instance_id = body.get("workflow"), body.get("instance")
        if not isinstance(name, str) or not isinstance(instance_id, str):
            raise ApiError(400, 'give both "workflow" and "instance" as strings')
        return ok(await _fire(request, name, instance_id))
    clock = session_of(request).engine.clock
    async with session_of(request).time_lock:
        with timers.recording(session_of(request).engine) as fired:
            due = await clock.skip_to_next()
    answer = {"skipped": due is not None, "fired_at": to_iso(due), "fired": fired}
    return ok(answer | time_json(clock))


async def fire(request: web.Request) -> web.Response:
    """End one instance's pending sleep, retry delay or event timeout now."""
    return ok(await _fire(request, request.match_info["workflow"], request.match_info["instance"]))


async def _fire(request: web.Request, name: str, instance_id: str) -> dict[str, Any]:
    session = session_of(request)
    engine = session.engine
    engine.workflow(name)
    if instance_id != "latest":
        validate_instance_id(instance_id)
    row = engine.get(name, instance_id)
    reason = session.unavailable_reason()
    if reason is not None:
        raise ApiError(503, reason)
    async with session_of(request).time_lock:
        timer = engine_timer(engine, name, row.id)
        entry = timers.describe(engine, timer) if timer is not None else None
        fired = engine.fire_now(name, row.id)
        if fired:
            await engine.settle()
    after = engine.get(name, row.id)
    answer = {"fired": fired, "id": row.id, "status": after.status}
    if fired and entry is not None:
        answer["timers_fired"] = [entry]
    return answer | time_json(engine.clock)


def engine_timer(engine: Engine, workflow: str, instance_id: str) -> Timer | None:
    """The clock timer that wakes one waiting instance, if it has one."""
    label = f"{workflow}/{instance_id}"
    return next((t for t in engine.clock.timers() if t.label == label), None)


async def get_code(request: web.Request) -> web.Response:
    return ok(code_json(request))


async def reload_code(request: web.Request) -> web.Response:
    """Load the code and config again now (what the file watcher does on a change)."""
    await session_of(request).reload(config_changed=True)
    return ok(code_json(request))
