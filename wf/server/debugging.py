"""What wf adds to an instance's details for debugging: tracebacks and its log.

- Instance details (explorer REST, ``wf instances describe``, the dashboard) gain a
  ``traceback`` beside each error Cloudflare's shape has: the instance's (``run()`` raised),
  each failed attempt's, and a step's (its latest failed attempt's). Cloudflare's own fields
  are left as they are.
- ``GET /cdn-cgi/wf/logs/{workflow}/{id}?step=&after=&limit=``: the instance's log, oldest
  first: ``{"workflow", "instance", "status", "lines": [{seq, at, step, attempt, level,
  message}], "next"}``; ``after=next`` asks for what came since (``wf logs --follow``).
  ``step`` is a label (``charge-1``) or a step's name (every ``charge-N``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from aiohttp import web

from wf.durations import to_iso
from wf.errors import WorkflowError
from wf.instance_logs import MAX_LINES, LogLine
from wf.server.context import session_of
from wf.server.envelope import ApiError, ok
from wf.tracebacks import RUN

if TYPE_CHECKING:
    from wf.engine import Engine

__all__ = ["add_routes", "add_tracebacks", "instance_logs", "step_matches"]

BASE = "/cdn-cgi/wf/logs"


def add_routes(app: web.Application) -> None:
    app.router.add_get(BASE + "/{workflow}/{instance}", read_logs)


def add_tracebacks(engine: Engine, details: dict[str, Any]) -> dict[str, Any]:
    """``details`` (Cloudflare's instance details) with the stored tracebacks added."""
    traces = engine.tracebacks.of_instance(str(details["workflow"]), str(details["id"]))
    if not traces:
        return details
    found = {(t.step, t.attempt, to_iso(t.started)): t.text for t in traces}
    if details.get("error") and details.get("end"):
        text = found.get((RUN, 0, details["end"]))
        if text is not None:
            details["traceback"] = text
    for step in details.get("steps") or []:
        if step.get("type") != "step":
            continue
        latest = None
        for number, attempt in enumerate(step.get("attempts") or [], start=1):
            text = found.get((step.get("name"), number, attempt.get("start")))
            if text is not None and attempt.get("success") is False:
                attempt["traceback"] = latest = text
            elif attempt.get("success"):
                latest = None
        if latest is not None and step.get("success") is not True:
            step["traceback"] = latest
    return details


def step_matches(label: str | None, wanted: str) -> bool:
    """``charge-1`` matches ``charge-1`` and ``charge``; None (run() itself) matches nothing."""
    if label is None:
        return False
    return label == wanted or re.fullmatch(re.escape(wanted) + r"-\d+", label) is not None


def instance_logs(
    engine: Engine,
    workflow: str,
    instance_id: str,
    *,
    step: str | None = None,
    after: int = 0,
    limit: int = MAX_LINES,
) -> tuple[list[LogLine], int]:
    """The kept log of an instance (of one step, if given), and the seq to read on from.

    WorkflowError when there is no such instance.
    """
    row = engine.get(workflow, instance_id)
    lines = engine.logs.read(workflow, row.id, after=after, since=row.created)
    last = lines[-1].seq if lines else after
    if step is not None:
        lines = [line for line in lines if step_matches(line.step, step)]
    return (lines[-limit:] if limit else []), last


def _int_query(request: web.Request, name: str, default: int) -> int:
    raw = request.query.get(name, "")
    if not raw:
        return default
    if not raw.isdigit():
        raise ApiError(400, f"{name} must be a whole number, got {raw!r}")
    return int(raw)


async def read_logs(request: web.Request) -> web.Response:
    engine = session_of(request).engine
    workflow, instance_id = request.match_info["workflow"], request.match_info["instance"]
    step = request.query.get("step") or None
    after = _int_query(request, "after", 0)
    limit = min(_int_query(request, "limit", MAX_LINES), MAX_LINES)
    try:
        row = engine.get(workflow, instance_id)
        lines, last = instance_logs(engine, workflow, row.id, step=step, after=after, limit=limit)
    except WorkflowError as exc:
        raise ApiError.from_workflow_error(exc) from None
    return ok(
        {
            "workflow": workflow,
            "instance": row.id,
            "status": str(row.status),
            "lines": [line.to_json() for line in lines],
            "next": last,
        }
    )
