"""The local explorer REST API: workflows and instances, as Cloudflare's local explorer serves them.

Mounted under ``/cdn-cgi/explorer/api`` (where ``wrangler workflows ... --local`` 4.86 calls)
and ``/cdn-cgi/local/explorer/api`` (the current wrangler line). Field names follow Miniflare's
explorer worker and its openapi.local.json (``class_name``, ``script_name``, ``created_on``,
``result_info.status_counts``...); the routes Miniflare lacks (batch create, batch delete,
restart from a step) follow Cloudflare's production REST API.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from wf.durations import to_iso
from wf.engine import MAX_BATCH, validate_event_type, validate_instance_id
from wf.errors import WorkflowError
from wf.server import debugging, views
from wf.server.context import session_of
from wf.server.envelope import ApiError, json_object, ok, read_json
from wf.statuses import REPORTED_STATUSES as STATUSES
from wf.store import InstanceRow

BASES = ("/cdn-cgi/explorer/api", "/cdn-cgi/local/explorer/api")
ACTIONS = ("pause", "resume", "restart", "terminate")
COUNTED = ("complete", "errored", "paused", "queued", "running", "terminated", "waiting")
DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100
_STEP_KINDS = {"do": "do", "step": "do", "sleep": "sleep", "waitForEvent": "waitForEvent"}


def add_routes(app: web.Application) -> None:
    """Register the explorer routes under both base paths."""
    for base in BASES:
        wf = base + "/workflows/{workflow}"
        one = wf + "/instances/{instance}"
        app.router.add_get(base + "/workflows", list_workflows)
        app.router.add_get(wf, describe_workflow)
        app.router.add_delete(wf, delete_workflow)
        app.router.add_get(wf + "/instances", list_instances)
        app.router.add_post(wf + "/instances", create_instance)
        app.router.add_post(wf + "/instances/batch", create_batch)
        app.router.add_post(wf + "/instances/batch/delete", delete_batch)
        app.router.add_get(one, describe_instance)
        app.router.add_delete(one, delete_instance)
        app.router.add_patch(one + "/status", change_status)
        app.router.add_post(one + "/events/{event_type}", send_event)


# -- helpers --------------------------------------------------------------------------------------


def _workflow_name(request: web.Request) -> str:
    name = request.match_info["workflow"]
    session_of(request).engine.workflow(name)  # WorkflowError not_found -> 404
    return name


def _instance_id(request: web.Request) -> str:
    instance_id = request.match_info["instance"]
    if instance_id != "latest":
        validate_instance_id(instance_id)
    return instance_id


def _resolved_id(request: web.Request, workflow: str) -> str:
    """The instance id from the path, with ``latest`` resolved; 404 when there is none."""
    instance_id = _instance_id(request)
    return session_of(request).engine.get(workflow, instance_id).id


def _require_code(request: web.Request) -> None:
    """Refuse what would run instances while the user's code has never loaded."""
    reason = session_of(request).unavailable_reason()
    if reason is not None:
        raise ApiError(503, reason)


def _int_query(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, f"{name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise ApiError(400, f"{name} must be between {low} and {high}, got {value}")
    return value


def _status_counts(request: web.Request, workflow: str) -> dict[str, int]:
    counts = dict.fromkeys(COUNTED, 0) | {"waitingForPause": 0}
    counts.update(session_of(request).engine.status_counts(workflow))
    return counts


def workflow_json(request: web.Request, name: str) -> dict[str, Any]:
    engine = session_of(request).engine
    config = engine.workflow(name)
    return {
        "name": config.name,
        "class_name": config.class_name,
        "script_name": config.script_name or engine.config.name,
    }


def instance_json(row: InstanceRow) -> dict[str, Any]:
    """An instance in a listing."""
    return {
        "id": row.id,
        "status": row.status,
        "created_on": to_iso(row.created),
        "modified_on": to_iso(row.modified),
        "version_id": row.version,
    }


# -- workflows ------------------------------------------------------------------------------------


async def list_workflows(request: web.Request) -> web.Response:
    engine = session_of(request).engine
    names = list(engine.workflows)
    per_page = _int_query(request, "per_page", MAX_PER_PAGE, 1, MAX_PER_PAGE)
    page = _int_query(request, "page", 1, 1, 1_000_000)
    shown = names[(page - 1) * per_page : page * per_page]
    result = [workflow_json(request, name) for name in shown]
    return ok(
        result,
        result_info={
            "count": len(result),
            "page": page,
            "per_page": per_page,
            "total_count": len(names),
        },
    )


async def describe_workflow(request: web.Request) -> web.Response:
    name = _workflow_name(request)
    details = workflow_json(request, name)
    details["instances"] = _status_counts(request, name)
    return ok(details)


async def delete_workflow(request: web.Request) -> web.Response:
    """Delete every instance of the workflow (its definition lives in the config)."""
    name = _workflow_name(request)
    engine = session_of(request).engine
    total = engine.count_instances(name)
    for row in engine.list_instances(name, limit=max(total, 1)):
        await engine.delete(name, row.id)
    return ok({"status": "ok", "success": True, "deleted": total})


# -- instances ------------------------------------------------------------------------------------


async def list_instances(request: web.Request) -> web.Response:
    name = _workflow_name(request)
    page = _int_query(request, "page", 1, 1, 1_000_000)
    per_page = _int_query(request, "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
    status = request.query.get("status") or None
    if status is not None and status not in STATUSES:
        raise ApiError(400, f"Invalid status '{status}'. Must be one of: {', '.join(STATUSES)}.")
    engine = session_of(request).engine
    total = engine.count_instances(name, status)
    rows = engine.list_instances(name, status=status, limit=per_page, offset=(page - 1) * per_page)
    return ok(
        [instance_json(row) for row in rows],
        result_info={
            "page": page,
            "per_page": per_page,
            "count": len(rows),
            "total_count": total,
            "total_pages": max(1, -(-total // per_page)),
            "status_counts": _status_counts(request, name),
        },
    )


def _create_options(entry: Any, what: str) -> dict[str, Any]:
    body = json_object(entry, what)
    options: dict[str, Any] = {}
    instance_id = body.get("id", body.get("instance_id"))
    if instance_id is not None:
        options["id"] = instance_id
    if body.get("params") is not None:
        options["params"] = body["params"]
    return options


def _created_json(row: InstanceRow) -> dict[str, Any]:
    return {"id": row.id, "status": row.status, "version_id": row.version, "workflow": row.workflow}


async def create_instance(request: web.Request) -> web.Response:
    """``{id?, params?}`` (``instance_id`` as production spells it is accepted too)."""
    name = _workflow_name(request)
    options = _create_options(await read_json(request, default={}), "request body")
    _require_code(request)
    row = session_of(request).engine.create(name, options, trigger="api")
    return ok(_created_json(row))


async def create_batch(request: web.Request) -> web.Response:
    """A JSON array of ``{id?, params?}``; ids already in use are skipped, as production does."""
    name = _workflow_name(request)
    body = await read_json(request)
    if isinstance(body, dict) and isinstance(body.get("instances"), list):
        body = body["instances"]
    if not isinstance(body, list):
        raise ApiError(400, "request body must be a JSON array of {id?, params?} objects")
    batch: list[Mapping[str, Any]] = [
        _create_options(entry, f"instance {i}") for i, entry in enumerate(body)
    ]
    _require_code(request)
    rows = session_of(request).engine.create_batch(name, batch, trigger="api")
    return ok([_created_json(row) for row in rows])


async def delete_batch(request: web.Request) -> web.Response:
    """``{instances: [id, ...]}``: ``{deleted: [{id}], errors: [{id, code, message}]}``."""
    name = _workflow_name(request)
    body = await read_json(request)
    ids = body.get("instances") if isinstance(body, dict) else body
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise ApiError(400, 'request body must be {"instances": ["<id>", ...]}')
    if len(ids) > MAX_BATCH:
        raise ApiError(400, f"at most {MAX_BATCH} instances can be deleted at once")
    engine = session_of(request).engine
    deleted: list[dict[str, str]] = []
    errors: list[dict[str, Any]] = []
    for instance_id in ids:
        try:
            validate_instance_id(instance_id)
            await engine.delete(name, instance_id)
        except WorkflowError as exc:
            error = ApiError.from_workflow_error(exc)
            errors.append({"id": instance_id, "code": error.code, "message": error.message})
        else:
            deleted.append({"id": instance_id})
    return ok({"deleted": deleted, "errors": errors})


async def describe_instance(request: web.Request) -> web.Response:
    """The instance with its step history (``?order=asc|desc``, ``?simple=true``)."""
    name = _workflow_name(request)
    instance_id = _instance_id(request)
    order = request.query.get("order", "asc")
    if order not in ("asc", "desc"):
        raise ApiError(400, f"order must be asc or desc, got {order!r}")
    simple = request.query.get("simple", "false").lower() in ("1", "true", "yes")
    engine = session_of(request).engine
    row = engine.get(name, instance_id)
    steps = None if simple else engine.history(name, row.id)
    return ok(debugging.add_tracebacks(engine, views.instance_details(row, steps, order=order)))


async def delete_instance(request: web.Request) -> web.Response:
    name = _workflow_name(request)
    instance_id = _resolved_id(request, name)
    await session_of(request).engine.delete(name, instance_id)
    return ok({"success": True, "id": instance_id})


def _from_step(value: Any) -> dict[str, Any]:
    spec = json_object(value, "from")
    step_name = spec.get("name")
    if not isinstance(step_name, str) or not step_name:
        raise ApiError(400, "from.name must be the name of a step")
    result: dict[str, Any] = {"name": step_name}
    count = spec.get("count")
    if count is not None:
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ApiError(400, f"from.count must be a whole number >= 1, got {count!r}")
        result["count"] = count
    kind = spec.get("type")
    if kind is not None:
        if kind not in _STEP_KINDS:
            raise ApiError(400, f"from.type must be one of do, sleep, waitForEvent, got {kind!r}")
        result["type"] = _STEP_KINDS[kind]
    return result


async def change_status(request: web.Request) -> web.Response:
    """``{"action": "pause|resume|restart|terminate"}`` (or ``"status"``, production's key);
    restart takes ``from: {name, count?, type?}`` to replay from one step onwards."""
    name = _workflow_name(request)
    instance_id = _instance_id(request)
    body = json_object(await read_json(request))
    action = body.get("action", body.get("status"))
    if action not in ACTIONS:
        raise ApiError(400, f"Invalid action '{action}'. Must be one of: {', '.join(ACTIONS)}.")
    from_step = _from_step(body["from"]) if body.get("from") is not None else None
    if from_step is not None and action != "restart":
        raise ApiError(400, "from is only valid with the restart action")
    engine = session_of(request).engine
    instance_id = engine.get(name, instance_id).id
    if action in ("resume", "restart"):
        _require_code(request)
    if action == "pause":
        await engine.pause(name, instance_id)
    elif action == "resume":
        await engine.resume(name, instance_id)
    elif action == "restart":
        await engine.restart(name, instance_id, from_step)
    else:
        await engine.terminate(name, instance_id)
    row = engine.get(name, instance_id)
    return ok(
        {
            "success": True,
            "id": instance_id,
            "status": row.status,
            "timestamp": to_iso(engine.clock.now()),
        }
    )


async def send_event(request: web.Request) -> web.Response:
    """The body is the event's payload (JSON; empty means null)."""
    name = _workflow_name(request)
    instance_id = _instance_id(request)
    event_type = validate_event_type(request.match_info["event_type"])
    payload = await read_json(request, default=None, root="payload")
    engine = session_of(request).engine
    instance_id = engine.get(name, instance_id).id
    _require_code(request)
    engine.send_event(name, instance_id, event_type, payload)
    return ok({"success": True, "id": instance_id, "type": event_type})
