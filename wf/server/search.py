"""Instances across every workflow: ``GET /cdn-cgi/wf/instances`` (wf only, for the dashboard).

Query: ``q`` (part of an instance id, ASCII case ignored), ``workflow`` (repeatable; default:
all), ``status``, ``since`` / ``until`` (ISO-8601 or epoch ms, bounds on the creation time),
``page`` and ``per_page`` (at most 100). Rows are newest first, each with its workflow, and an
errored one with its error; ``result_info`` holds ``total_count`` and ``total_pages`` so the
page can jump to any page.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from wf.durations import DurationError, parse_timestamp, to_iso
from wf.server.context import session_of
from wf.server.envelope import ApiError, ok
from wf.statuses import STATUSES

PATH = "/cdn-cgi/wf/instances"
MAX_PER_PAGE = 100
MAX_QUERY = 100


def add_routes(app: web.Application) -> None:
    """Register the search route."""
    app.router.add_get(PATH, search)


def _whole(request: web.Request, name: str, default: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 1 <= value <= high:
        raise ApiError(400, f"{name} must be a whole number from 1 to {high:,}, got {raw!r}")
    return value


def _time(request: web.Request, name: str) -> float | None:
    raw = request.query.get(name, "").strip()
    if not raw:
        return None
    try:
        return float(raw) if raw.replace(".", "", 1).isdigit() else parse_timestamp(raw)
    except DurationError as exc:
        raise ApiError(400, f"{name}: {exc}") from None


def _error(text: str | None) -> dict[str, Any] | None:
    if not text:
        return None
    try:
        error = json.loads(text)
    except ValueError:
        return {"name": "Error", "message": text}
    return error if isinstance(error, dict) else {"name": "Error", "message": str(error)}


async def search(request: web.Request) -> web.Response:
    """A page of the instances of every (or the chosen) workflow that match the query."""
    engine = session_of(request).engine
    known = engine.workflows
    chosen = request.query.getall("workflow", [])
    for name in chosen:
        if name not in known:
            names = ", ".join(sorted(known)) or "none"
            raise ApiError(404, f"no workflow {name!r} in this project (workflows: {names})")
    status = request.query.get("status") or None
    if status is not None and status not in STATUSES:
        raise ApiError(400, f"Invalid status '{status}'. Must be one of: {', '.join(STATUSES)}.")
    query = request.query.get("q", "").strip()
    if len(query) > MAX_QUERY:
        raise ApiError(400, f"q is {len(query)} characters: an instance id has at most 100")
    since, until = _time(request, "since"), _time(request, "until")
    page = _whole(request, "page", 1, 1_000_000)
    per_page = _whole(request, "per_page", 25, MAX_PER_PAGE)
    engine.purge_expired()
    rows, total = engine.store.search_instances(
        workflows=chosen or list(known),
        id_contains=query,
        status=status,
        since=since,
        until=until,
        limit=per_page,
        offset=(page - 1) * per_page,
    )
    result = [
        {
            "workflow": row.workflow,
            "id": row.id,
            "status": row.status,
            "created_on": to_iso(row.created),
            "modified_on": to_iso(row.modified),
            "ended_on": to_iso(row.ended),
            "error": _error(row.error) if row.status == "errored" else None,
        }
        for row in rows
    ]
    return ok(
        result,
        result_info={
            "page": page,
            "per_page": per_page,
            "count": len(result),
            "total_count": total,
            "total_pages": max(1, -(-total // per_page)),
        },
    )
