"""The testing harness over HTTP: modifiers and waiters under ``/cdn-cgi/wf``, for ``wf dev``.

CI in any language can run ``wf dev --time manual`` and, besides the time routes, mock and
wait through these (answers in Cloudflare's envelope ``{success, errors, messages, result}``):

- ``GET|POST|DELETE /cdn-cgi/wf/workflows/{name}/instances/{id}/modifiers``: read, add to, or
  clear one instance's modifiers (the instance need not exist yet);
- ``GET|POST|DELETE /cdn-cgi/wf/workflows/{name}/modifiers``: the same for every instance of
  the workflow created afterwards;
- ``POST /cdn-cgi/wf/workflows/{name}/instances/{id}/wait``: ``{"status": "complete"}`` or
  ``{"step": {"name", "index"?}}``, with ``"timeout"`` (seconds, default 30) and, for manual
  time, ``"stall_after"`` (seconds with the instance parked and the clock still before
  giving up; default off, since another client may be about to advance the clock).

A POST body is the JSON form of ``Modifier`` (see ``apply_spec``), e.g.
``{"disable_sleeps": true, "mock_step_result": [{"step": {"name": "x"}, "value": 1}]}``;
every entry is checked before any is applied, and the answer is the modifiers now in force.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from wf import serialization
from wf.engine import validate_instance_id
from wf.errors import WorkflowError
from wf.server import extensions
from wf.server.envelope import ApiError, failure, json_object, ok, read_json
from wf.testing._errors import (
    ReplayDivergence,
    StepFailed,
    WaitTimeout,
    WorkflowFailed,
)
from wf.testing._hooks import hooks_for
from wf.testing._modifier import Modifier, apply_spec, modifiers_to_spec, step_ref
from wf.testing._observer import observer_for

if TYPE_CHECKING:
    from wf.engine import Engine

BASE = "/cdn-cgi/wf/workflows/{workflow}"
DEFAULT_WAIT = 30.0
MAX_WAIT = 600.0
_ENGINE: web.AppKey[Callable[[], Engine]] = web.AppKey("wf_testing_engine")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def setup_routes(app: web.Application, engine_getter: Callable[[], Engine]) -> None:
    """Add the modifier and waiter routes; ``engine_getter`` returns the current engine."""
    app[_ENGINE] = engine_getter
    # The hooks go in now, so that a modifier reaches a pass of run() already under way.
    with contextlib.suppress(Exception):
        hooks_for(engine_getter())
    one = BASE + "/instances/{instance}"
    for path, handlers in (
        (one + "/modifiers", (get_modifiers, add_modifiers, clear_modifiers)),
        (BASE + "/modifiers", (get_modifiers, add_modifiers, clear_modifiers)),
    ):
        get, post, delete = handlers
        app.router.add_get(path, get)
        app.router.add_post(path, post)
        app.router.add_delete(path, delete)
    app.router.add_post(one + "/wait", wait)


def _api(handler: Handler) -> Handler:
    """Errors become Cloudflare's envelope here, so the routes need no app middleware."""

    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except ApiError as exc:
            return failure(exc.status, exc.message, exc.code)
        except WorkflowError as exc:
            error = ApiError.from_workflow_error(exc)
            return failure(error.status, error.message, error.code)
        except WaitTimeout as exc:
            return failure(408, str(exc))
        except (WorkflowFailed, StepFailed, ReplayDivergence) as exc:
            return failure(409, str(exc))
        except (ValueError, TypeError) as exc:
            return failure(400, str(exc))

    return wrapped


def _target(request: web.Request) -> tuple[Engine, str, str | None]:
    """Engine, workflow and instance id of the path: 404 for an unknown workflow, 400 for an
    invalid id (the rules of the explorer API), before anything waits or changes."""
    engine = request.app[_ENGINE]()
    workflow = request.match_info["workflow"]
    engine.workflow(workflow)
    instance_id = request.match_info.get("instance")
    if instance_id is not None:
        validate_instance_id(instance_id)
    return engine, workflow, instance_id


def _modifier(request: web.Request) -> Modifier:
    return Modifier(*_target(request))


def _current(modifier: Modifier) -> dict[str, Any]:
    return modifiers_to_spec(modifier.current)


@_api
async def get_modifiers(request: web.Request) -> web.StreamResponse:
    """The modifiers in force (all keys, empty when none)."""
    return ok(_current(_modifier(request)))


@_api
async def add_modifiers(request: web.Request) -> web.StreamResponse:
    """Apply a JSON modifier spec on top of those in force."""
    modifier = _modifier(request)
    spec = json_object(await read_json(request))
    apply_spec(modifier, spec)
    return ok(_current(modifier))


@_api
async def clear_modifiers(request: web.Request) -> web.StreamResponse:
    """Drop every modifier (events already delivered stay delivered)."""
    modifier = _modifier(request)
    modifier.clear()
    return ok(_current(modifier))


def _seconds(body: dict[str, Any], key: str, default: float | None) -> float | None:
    value = body.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError(f'"{key}" must be a number of seconds >= 0')
    return min(float(value), MAX_WAIT)


@_api
async def wait(request: web.Request) -> web.StreamResponse:
    """Wait for a status or a step result; 409 when ruled out, 408 on timeout."""
    engine, workflow, instance_id = _target(request)
    assert instance_id is not None  # the route has {instance}
    body = json_object(await read_json(request))
    unknown = set(body) - {"status", "step", "timeout", "stall_after"}
    if unknown:
        raise ValueError(f"unknown key {sorted(unknown)[0]!r}")
    if ("status" in body) == ("step" in body):
        raise ValueError('give either "status" or "step"')
    observer = observer_for(engine)
    key = (workflow, instance_id)
    timeout = _seconds(body, "timeout", DEFAULT_WAIT)
    stall_after = _seconds(body, "stall_after", None)
    if "status" in body:
        status = body["status"]
        if not isinstance(status, str):
            raise ValueError('"status" must be a string')
        check = observer.status_check(key, status)
        what = f'waiting for status "{status}"'
        await observer.wait(key, check, what=what, timeout=timeout, stall_after=stall_after)
        return ok(engine.status(workflow, instance_id))
    ref = step_ref(body["step"])
    label = f"{ref.name}-{ref.index or 1}"
    check = observer.step_check(key, ref)
    what = f'waiting for step "{label}"'
    value = await observer.wait(key, check, what=what, timeout=timeout, stall_after=stall_after)
    return ok({"step": label, "value": serialization.to_plain(serialization.dumps(value))})


# Every app the server builds serves these routes once the harness is imported.
extensions.add_routes(setup_routes)
