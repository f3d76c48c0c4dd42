"""The handlers of Cloudflare's v4 Workflows API under ``/client/v4/accounts/{account_id}``.

Paths, methods, bodies and answers follow the official ``cloudflare`` SDK's
``resources/workflows`` and Cloudflare's API reference. Any account id is accepted, and any
API token (or none): ``wf dev`` serves loopback only.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web

from wf import serialization
from wf.config import WorkflowConfig
from wf.durations import to_iso
from wf.engine import MAX_BATCH, Engine, validate_event_type, validate_instance_id
from wf.errors import WorkflowError
from wf.retention import RetentionError, parse_retention
from wf.server import views
from wf.server.cfapi import errors, paging, shapes
from wf.server.cfapi.errors import CfApiError
from wf.server.context import session_of
from wf.server.envelope import ApiError, ok, read_json
from wf.statuses import REPORTED_STATUSES
from wf.store import InstanceRow, StepRow
from wf.vocabulary import StepKind

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Statuses a listing may filter on: wf's, and production's rollback state (never wf's).
LISTED_STATUSES = (*REPORTED_STATUSES, "rollingBack")
ACTIONS = ("pause", "resume", "terminate", "restart")
LOCATION_HINTS: tuple[str, ...] = ("wnam", "weur", "enam", "eeur", "apac", "apac-ne")
LOCATION_HINTS += ("apac-se", "oc", "sam", "afr", "me")
_STEP_KINDS = {"do": "do", "step": "do", "sleep": "sleep", "waitForEvent": "waitForEvent"}
_KEYED = re.compile(r"^\((?P<key>[a-z_]+\.[a-z_]+)\) ?(?P<rest>.*)$", re.S)
_KIND_STATUS = {"invalid": 400, "not_found": 404, "conflict": 409, "too_large": 413}
# Versions seen by this app (id -> first seen, epoch ms): a version no instance ran yet.
SEEN_VERSIONS: web.AppKey[dict[str, float]] = web.AppKey("wf_cfapi_versions", dict)


def answers(handler: Handler) -> Handler:
    """Turn every error a handler raises into Cloudflare's error envelope for Workflows."""

    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except CfApiError as exc:
            return errors.failure(exc.kind, exc.detail)
        except WorkflowError as exc:
            return errors.failure(*_engine_error(exc))
        except ApiError as exc:  # reading the body: malformed JSON, too large, code not loaded
            kind = {413: errors.TOO_LARGE, 503: errors.UNAVAILABLE}.get(exc.status, errors.BAD_BODY)
            return errors.failure(kind, exc.message)

    return wrapped


def _engine_error(exc: WorkflowError) -> tuple[errors.Kind, str]:
    """The engine's ``(instance.cannot_terminate) ...`` messages carry production's key."""
    status = _KIND_STATUS.get(exc.kind, 400)
    match = _KEYED.match(exc.message)
    if match is None:
        unkeyed = {404: errors.INSTANCE_NOT_FOUND, 409: errors.CONFLICT, 413: errors.TOO_LARGE}
        return unkeyed.get(status, errors.BAD_BODY), exc.message
    key = match["key"]
    if key == "instance.already_exists":
        return errors.ALREADY_EXISTS, match["rest"]
    code = {400: 10002, 404: 10400, 409: 10409, 413: 10413}[status]
    return (status, code, f"workflows.api.error.{key}"), match["rest"]


# -- lookups --------------------------------------------------------------------------------------


def _engine(request: web.Request) -> Engine:
    engine = session_of(request).engine
    seen = request.app[SEEN_VERSIONS]
    seen.setdefault(engine.version, engine.clock.now())
    return engine


def _workflow(request: web.Request) -> WorkflowConfig:
    engine = _engine(request)
    name = request.match_info["workflow_name"]
    known = engine.workflows
    if name not in known:
        names = ", ".join(sorted(known)) or "none"
        raise CfApiError(
            errors.WORKFLOW_NOT_FOUND,
            f"no workflow named {name!r} in this project's config (workflows: {names})",
        )
    return engine.workflow(name)  # also removes instances past their retention


def _instance(request: web.Request, workflow: str) -> InstanceRow:
    instance_id = request.match_info["instance_id"]
    try:
        validate_instance_id(instance_id)
    except WorkflowError as exc:
        raise CfApiError(errors.BAD_BODY, f"instance_id in the path: {exc.message}") from None
    row = _engine(request).store.get_instance(workflow, instance_id)
    if row is None:
        raise CfApiError(
            errors.INSTANCE_NOT_FOUND, f"workflow {workflow!r} has no instance {instance_id!r}"
        )
    return row


def _require_code(request: web.Request) -> None:
    reason = session_of(request).unavailable_reason()
    if reason is not None:
        raise CfApiError(errors.UNAVAILABLE, reason)


async def _body_object(request: web.Request) -> dict[str, Any]:
    body = await read_json(request)
    if not isinstance(body, dict):
        raise CfApiError(errors.BAD_BODY, "the request body must be a JSON object")
    return body


# -- workflows ------------------------------------------------------------------------------------


def _workflow_json(engine: Engine, request: web.Request, config: WorkflowConfig) -> dict[str, Any]:
    seen = request.app[SEEN_VERSIONS]
    spans = engine.store.version_spans(config.name)
    current = seen[engine.version]
    firsts = [first for _, first, _ in spans]
    latest = engine.store.latest_instance(config.name)
    return shapes.workflow_json(
        config,
        engine.config.name,
        created=min([*firsts, *seen.values()]),
        modified=current,
        triggered=latest.created if latest is not None else None,
        counts=dict(engine.status_counts(config.name)),
        now=engine.clock.now(),
    )


@answers
async def list_workflows(request: web.Request) -> web.StreamResponse:
    engine = _engine(request)
    page = paging.whole(request, "page", 1, paging.MAX_PAGE)
    per_page = paging.whole(request, "per_page", paging.DEFAULT_PER_PAGE, paging.MAX_PER_PAGE)
    search = request.query.get("search", "").strip().lower()
    names = sorted(name for name in engine.workflows if search in name.lower())
    shown = names[(page - 1) * per_page : page * per_page]
    result = [_workflow_json(engine, request, engine.workflow(name)) for name in shown]
    return ok(result, result_info=_page_info(page, per_page, len(result), len(names)))


def _page_info(page: int, per_page: int, count: int, total: int) -> dict[str, Any]:
    return {
        "page": page,
        "per_page": per_page,
        "count": count,
        "total_count": total,
        "total_pages": max(1, -(-total // per_page)),
    }


@answers
async def get_workflow(request: web.Request) -> web.StreamResponse:
    config = _workflow(request)
    return ok(_workflow_json(_engine(request), request, config))


@answers
async def put_workflow(request: web.Request) -> web.StreamResponse:
    """Deploying a workflow: locally the config declares it, so PUT confirms a declaration
    that matches and refuses one that does not (naming what to write in the config)."""
    engine = _engine(request)
    name = request.match_info["workflow_name"]
    body = await _body_object(request)
    class_name, script_name = body.get("class_name"), body.get("script_name")
    for field, value in (("class_name", class_name), ("script_name", script_name)):
        if not isinstance(value, str) or not value:
            raise CfApiError(errors.BAD_BODY, f"{field}: required, a non-empty string")
    config = engine.workflows.get(name)
    if config is None:
        raise CfApiError(
            errors.BAD_BODY,
            f'wf serves the workflows its config declares; add {{"name": {name!r}, '
            f'"binding": ..., "class_name": {class_name!r}}} to "workflows" in the '
            "wrangler config to create it",
        )
    if class_name != config.class_name:
        raise CfApiError(
            errors.BAD_BODY,
            f"class_name: the config declares workflow {name!r} with class_name "
            f"{config.class_name!r}, not {class_name!r}; change the config to change it",
        )
    own_script = config.script_name or engine.config.name
    if script_name != own_script:
        raise CfApiError(
            errors.BAD_BODY,
            f"script_name: workflow {name!r} runs in script {own_script!r}, not {script_name!r}",
        )
    shown = _workflow_json(engine, request, config)
    return ok(
        {
            key: shown[key]
            for key in ("id", "name", "class_name", "script_name", "created_on", "modified_on")
        }
        | {
            "triggered_on": shown["triggered_on"],
            "version_id": engine.version,
            "is_deleted": 0,
            "terminator_running": 0,
        }
    )


@answers
async def delete_workflow(request: web.Request) -> web.StreamResponse:
    """Deletes every instance; the workflow itself stays, as the config still declares it."""
    config = _workflow(request)
    engine = _engine(request)
    total = engine.count_instances(config.name)
    for row in engine.list_instances(config.name, limit=max(total, 1)):
        await engine.delete(config.name, row.id)
    return ok({"status": "ok", "success": True})


# -- instances ------------------------------------------------------------------------------------


@answers
async def list_instances(request: web.Request) -> web.StreamResponse:
    """Newest first; page/per_page, or Cloudflare's cursor (``result_info.cursor`` of the
    previous page, with ``direction``); ``status``, ``date_start``, ``date_end`` filter."""
    config = _workflow(request)
    engine = _engine(request)
    status = request.query.get("status") or None
    if status is not None and status not in LISTED_STATUSES:
        raise CfApiError(
            errors.BAD_QUERY, f"status must be one of {', '.join(LISTED_STATUSES)}, got {status!r}"
        )
    since, until = paging.moment(request, "date_start"), paging.moment(request, "date_end")
    per_page = paging.whole(request, "per_page", paging.DEFAULT_PER_PAGE, paging.MAX_PER_PAGE)
    token = request.query.get("cursor", "").strip()
    if token and request.query.get("page"):
        raise CfApiError(errors.BAD_QUERY, "cursor and page are mutually exclusive: give one")
    direction = paging.choice(request, "direction", ("asc", "desc"), "desc")
    after = None
    if token:
        cursor = paging.Cursor.decode(token)
        # an explicit direction turns the cursor around, as production's docs say
        if not request.query.get("direction"):
            direction = cursor.direction
        after = (cursor.created, cursor.seq)
    page = paging.whole(request, "page", 1, paging.MAX_PAGE)
    rows = engine.store.instances_after(
        config.name,
        status=status,
        since=since,
        until=until,
        after=after,
        ascending=direction == "asc",
        limit=per_page + 1,
        offset=0 if token else (page - 1) * per_page,
    )
    more, rows = len(rows) > per_page, rows[:per_page]
    _, total = engine.store.search_instances(
        workflows=[config.name], status=status, since=since, until=until, limit=0
    )
    last = rows[-1] if rows else None
    following = paging.Cursor(last.created, last.seq, direction).encode() if more and last else None
    info: dict[str, Any] = {"per_page": per_page, "count": len(rows), "total_count": total}
    if not token:
        info = _page_info(page, per_page, len(rows), total)
    info["cursor"] = following
    return ok([shapes.listed_json(row) for row in rows], result_info=info)


def _create_options(entry: Any, where: str) -> dict[str, Any]:
    """The engine's create options from one API body ``{instance_id?, params?,
    instance_retention?, location_hint?}`` (``id`` is read too, as the local explorer)."""
    if not isinstance(entry, dict):
        raise CfApiError(errors.BAD_BODY, f"{where or 'the request body'} must be a JSON object")
    prefix = f"{where}." if where else ""
    options: dict[str, Any] = {}
    instance_id = entry.get("instance_id", entry.get("id"))
    if instance_id is not None:
        if not isinstance(instance_id, str):
            raise CfApiError(errors.BAD_BODY, f"{prefix}instance_id: must be a string")
        try:
            validate_instance_id(instance_id)
        except WorkflowError as exc:
            raise CfApiError(errors.BAD_BODY, f"{prefix}instance_id: {exc.message}") from None
        options["id"] = instance_id
    if entry.get("params") is not None:
        options["params"] = entry["params"]
    hint = entry.get("location_hint")
    if hint is not None and hint not in LOCATION_HINTS:
        raise CfApiError(
            errors.BAD_BODY,
            f"{prefix}location_hint: must be one of {', '.join(LOCATION_HINTS)}, got {hint!r}",
        )
    retention = entry.get("instance_retention")
    if retention is not None:
        try:
            parse_retention(retention, config=True)  # checks the API's snake_case names
        except RetentionError as exc:
            raise CfApiError(errors.BAD_BODY, f"{prefix}instance_retention: {exc}") from None
        options["retention"] = {
            {"success_retention": "successRetention"}.get(key, "errorRetention"): value
            for key, value in retention.items()
        }
    return options


@answers
async def create_instance(request: web.Request) -> web.StreamResponse:
    config = _workflow(request)
    options = _create_options(await read_json(request, default={}), "")
    _require_code(request)
    row = _engine(request).create(config.name, options, trigger="api")
    return ok(shapes.created_json(row))


@answers
async def create_batch(request: web.Request) -> web.StreamResponse:
    """A JSON array of create bodies; ids already in use are skipped, as production does."""
    config = _workflow(request)
    body = await read_json(request)
    if not isinstance(body, list):
        raise CfApiError(errors.BAD_BODY, "the request body must be a JSON array of instances")
    if not body or len(body) > MAX_BATCH:
        raise CfApiError(
            errors.BAD_BODY, f"a batch has 1 to {MAX_BATCH} instances, got {len(body)}"
        )
    batch: list[Mapping[str, Any]] = [
        _create_options(entry, f"[{i}]") for i, entry in enumerate(body)
    ]
    _require_code(request)
    rows = _engine(request).create_batch(config.name, batch, trigger="api")
    return ok([shapes.created_json(row) for row in rows])


@answers
async def get_instance(request: web.Request) -> web.StreamResponse:
    """The instance with its steps (``order=asc|desc``; ``simple=true`` leaves them out)."""
    config = _workflow(request)
    row = _instance(request, config.name)
    order = paging.choice(request, "order", ("asc", "desc"), "asc")
    simple = paging.choice(request, "simple", ("true", "false"), "false") == "true"
    steps = None if simple else _engine(request).history(config.name, row.id)
    details = views.instance_details(row, steps, order=order)
    if simple:
        details["step_count"] = len(_engine(request).history(config.name, row.id))
    return ok(details)


@answers
async def change_status(request: web.Request) -> web.StreamResponse:
    """``{"status": "pause" | "resume" | "terminate" | "restart"}``; restart takes ``from:
    {name, count?, type?}``; terminate's ``rollback`` changes nothing (Python workflows
    register no rollback handlers)."""
    config = _workflow(request)
    row = _instance(request, config.name)
    body = await _body_object(request)
    action = body.get("status")
    if action not in ACTIONS:
        raise CfApiError(
            errors.BAD_BODY, f"status: must be one of {', '.join(ACTIONS)}, got {action!r}"
        )
    rollback = body.get("rollback")
    if rollback is not None and not isinstance(rollback, bool):
        raise CfApiError(errors.BAD_BODY, f"rollback: must be true or false, got {rollback!r}")
    from_step = _from_step(body["from"]) if body.get("from") is not None else None
    if from_step is not None and action != "restart":
        raise CfApiError(errors.BAD_BODY, "from: only the restart status takes a step")
    engine = _engine(request)
    if action in ("resume", "restart"):
        _require_code(request)
    if action == "pause":
        await engine.pause(config.name, row.id)
    elif action == "resume":
        await engine.resume(config.name, row.id)
    elif action == "restart":
        await engine.restart(config.name, row.id, from_step)
    else:
        await engine.terminate(config.name, row.id)
    now = engine.get(config.name, row.id)
    return ok({"status": str(now.status), "timestamp": to_iso(engine.clock.now())})


def _from_step(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise CfApiError(errors.BAD_BODY, "from: must be an object {name, count?, type?}")
    name = value.get("name")
    if not isinstance(name, str) or not name:
        raise CfApiError(errors.BAD_BODY, "from.name: required, the name of a step")
    step: dict[str, Any] = {"name": name}
    count = value.get("count")
    if count is not None:
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise CfApiError(errors.BAD_BODY, f"from.count: a whole number >= 1, got {count!r}")
        step["count"] = count
    kind = value.get("type")
    if kind is not None:
        if kind not in _STEP_KINDS:
            raise CfApiError(
                errors.BAD_BODY, f"from.type: one of do, sleep, waitForEvent, got {kind!r}"
            )
        step["type"] = _STEP_KINDS[kind]
    return step


@answers
async def send_event(request: web.Request) -> web.StreamResponse:
    """The body is the event's payload (any JSON; empty is null)."""
    config = _workflow(request)
    row = _instance(request, config.name)
    event_type = validate_event_type(request.match_info["event_type"])
    payload = await read_json(request, default=None, root="payload")
    _require_code(request)
    engine = _engine(request)
    engine.send_event(config.name, row.id, event_type, payload)
    return ok({"instanceId": row.id, "timestamp": to_iso(engine.clock.now())})


@answers
async def get_step(request: web.Request) -> web.StreamResponse:
    """One step's full output or error: ``name`` with its ``-count`` suffix as the details
    list it, ``type`` step or waitForEvent, ``attempt`` (from 1) for one attempt of a step."""
    config = _workflow(request)
    row = _instance(request, config.name)
    name = request.query.get("name", "")
    if not name:
        raise CfApiError(errors.BAD_QUERY, "name: required, as the details list it (name-1)")
    kind = request.query.get("type", "")
    if kind not in ("step", "waitForEvent"):
        raise CfApiError(errors.BAD_QUERY, f"type: must be step or waitForEvent, got {kind!r}")
    attempt = paging.whole(request, "attempt", 0, 1_000_000)
    wanted = StepKind.DO if kind == "step" else StepKind.WAIT_FOR_EVENT
    for step in _engine(request).history(config.name, row.id):
        if step.kind == wanted and f"{step.name}-{step.count}" == name:
            return ok(_step_result(step, attempt))
    raise CfApiError(errors.STEP_NOT_FOUND, f"instance {row.id!r} has no {kind} named {name!r}")


def _step_result(step: StepRow, attempt: int) -> dict[str, Any]:
    sensitive = json.loads(step.config or "{}").get("sensitive") == "output"
    output = serialization.to_plain(step.output)
    if sensitive and step.output:
        output = "[REDACTED]"
    error = json.loads(step.error) if step.error else None
    status = str(step.state)
    if attempt:
        if attempt > len(step.attempts):
            raise CfApiError(
                errors.STEP_NOT_FOUND, f"step has {len(step.attempts)} attempts, not {attempt}"
            )
        tried = step.attempts[attempt - 1]
        success = tried.get("success")
        status = "running" if success is None else "complete" if success else "errored"
        error = tried.get("error")
        if status != "complete":
            output = None
    result: dict[str, Any] = {"status": status, "error": error, "output": output}
    if step.kind == StepKind.WAIT_FOR_EVENT:
        result["event_type"] = json.loads(step.config or "{}").get("type")
    return result


# -- versions -------------------------------------------------------------------------------------


def _versions(request: web.Request, config: WorkflowConfig) -> list[dict[str, Any]]:
    """Every code version, newest first: those instances ran, and the one loaded now.

    Under a still clock (``--time manual``) versions share their times, so ties go by load
    order: versions of earlier runs (stored only) first, in the order their instances were
    created, then this run's in the order it saw them.
    """
    engine = _engine(request)
    seen = request.app[SEEN_VERSIONS]
    spans: dict[str, tuple[float, float]] = {}
    rank: dict[str, tuple[int, int]] = {}
    for index, (version, first, last) in enumerate(engine.store.version_spans(config.name)):
        spans[version] = (first, last)
        rank[version] = (0, index)
    for index, (version, when) in enumerate(seen.items()):
        first, last = spans.get(version, (when, when))
        spans[version] = (min(first, when), max(last, when))
        rank[version] = (1, index)
    ordered = sorted(spans, key=lambda v: (spans[v][0], rank[v]), reverse=True)
    return [
        shapes.version_json(config, v, created=spans[v][0], modified=spans[v][1]) for v in ordered
    ]


@answers
async def list_versions(request: web.Request) -> web.StreamResponse:
    config = _workflow(request)
    page = paging.whole(request, "page", 1, paging.MAX_PAGE)
    per_page = paging.whole(request, "per_page", paging.DEFAULT_PER_PAGE, paging.MAX_PER_PAGE)
    versions = _versions(request, config)
    shown = versions[(page - 1) * per_page : page * per_page]
    return ok(shown, result_info=_page_info(page, per_page, len(shown), len(versions)))


def _version(request: web.Request) -> dict[str, Any]:
    config = _workflow(request)
    wanted = request.match_info["version_id"]
    for version in _versions(request, config):
        if version["id"] == wanted:
            return version
    raise CfApiError(
        errors.VERSION_NOT_FOUND, f"workflow {config.name!r} has no version {wanted!r}"
    )


@answers
async def get_version(request: web.Request) -> web.StreamResponse:
    return ok(_version(request))


@answers
async def get_version_graph(request: web.Request) -> web.StreamResponse:
    """The version without a graph: wf builds no DAG of a Python workflow (``has_dag`` false)."""
    version = _version(request)
    keys = ("id", "workflow_id", "class_name", "created_on", "modified_on")
    return ok({key: version[key] for key in keys} | {"graph": None})


@answers
async def no_route(request: web.Request) -> web.StreamResponse:
    """Any other path under /client/v4/: Cloudflare's gateway answer (7003, then 7000)."""
    status, code, message = errors.NO_ROUTE
    return errors.failure(
        (status, code, message.format(path=request.path)),
        f"wf serves the Workflows part of the API only: {request.method} {request.path} "
        "is not one of its routes",
        also=((status, 7000, "No route for that URI"),),
    )
