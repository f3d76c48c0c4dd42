"""Instance histories over HTTP: export from the store, import as a live instance.

- ``GET /cdn-cgi/wf/history/{workflow}/{instance}``: one instance's history, in the format
  ``wf replay`` and the import read (Cloudflare's instance details, plus what an import needs);
- ``GET /cdn-cgi/wf/history/{workflow}?status=S``: every instance of a workflow (of status S),
  as ``{"format", "instances": [...]}``, oldest first;
- ``POST /cdn-cgi/wf/instances/import`` ``{"history": {...}, "workflow"?: W, "id"?: ID}``:
  the history as a new instance (404 for an unknown workflow, 409 for an id in use, 400 naming
  the field of a history that cannot be read); the answer waits for the commit.
"""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import web

from wf.durations import to_iso
from wf.engine import validate_instance_id
from wf.engine.importing import import_history
from wf.history import FORMAT, HistoryError, exported, parse_history
from wf.server import views
from wf.server.context import session_of
from wf.server.envelope import ApiError, json_object, ok, read_body
from wf.server.jsonbody import BadJson, parse_json
from wf.statuses import REPORTED_STATUSES

BASE = "/cdn-cgi/wf"
MAX_HISTORY_BODY = 100 * 1024 * 1024  # a history holds up to 10,000 step results


def add_routes(app: web.Application) -> None:
    """Register the history routes."""
    app.router.add_get(BASE + "/history/{workflow}", export_all)
    app.router.add_get(BASE + "/history/{workflow}/{instance}", export_one)
    app.router.add_post(BASE + "/instances/import", import_instance)


def _history_of(request: web.Request, workflow: str, instance_id: str) -> dict[str, Any]:
    engine = session_of(request).engine
    row = engine.get(workflow, instance_id)
    steps = engine.history(workflow, row.id)
    return exported(views.instance_details(row, steps), steps)


async def export_one(request: web.Request) -> web.Response:
    workflow = request.match_info["workflow"]
    instance_id = request.match_info["instance"]
    session_of(request).engine.workflow(workflow)
    if instance_id != "latest":
        validate_instance_id(instance_id)
    return ok(_history_of(request, workflow, instance_id))


async def export_all(request: web.Request) -> web.Response:
    workflow = request.match_info["workflow"]
    engine = session_of(request).engine
    engine.workflow(workflow)
    status = request.query.get("status") or None
    if status is not None and status not in REPORTED_STATUSES:
        raise ApiError(
            400, f"Invalid status '{status}'. Must be one of: {', '.join(REPORTED_STATUSES)}."
        )
    total = engine.count_instances(workflow, status)
    rows = engine.list_instances(workflow, status=status, limit=max(total, 1))
    rows.reverse()  # oldest first: the order they were created in
    histories = [_history_of(request, workflow, row.id) for row in rows]
    return ok({"format": FORMAT, "instances": histories})


async def import_instance(request: web.Request) -> web.Response:
    raw = await read_body(request, MAX_HISTORY_BODY)
    try:
        body = json_object(parse_json(raw.decode("utf-8")) if raw.strip() else None)
    except UnicodeDecodeError as exc:
        raise ApiError(400, f"request body is not UTF-8 (byte {exc.start})") from None
    except BadJson as exc:
        raise ApiError(400, exc.message) from None
    except ValueError as exc:
        raise ApiError(400, f"malformed JSON in request body: {exc}") from None
    if "history" not in body:
        raise ApiError(400, "history: missing (the instance's history to import)")
    try:
        history = parse_history(body["history"], "history")
    except HistoryError as exc:
        raise ApiError(400, str(exc)) from None
    engine = session_of(request).engine
    workflow = _field(body, "workflow") or history.workflow
    if workflow is None:
        names = list(engine.workflows)
        if len(names) != 1:
            raise ApiError(
                400,
                f"workflow: the history names no workflow and the project has {len(names)} "
                f"({', '.join(names) or 'none'}): give one",
            )
        workflow = names[0]
    # Cloudflare's instance details leave the id out: a fresh one, as a create would pick.
    instance_id = _field(body, "id") or history.id or str(uuid.uuid4())
    reason = session_of(request).unavailable_reason()
    if reason is not None:
        raise ApiError(503, reason)
    row = import_history(engine, history, workflow, instance_id)
    return ok(
        {
            "id": row.id,
            "workflow": row.workflow,
            "status": row.status,
            "steps": len(history.steps),
            "wake_at": to_iso(row.wake_at),
        }
    )


def _field(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise ApiError(400, f"{key}: must be a non-empty string")
    return value
