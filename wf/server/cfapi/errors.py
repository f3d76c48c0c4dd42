"""Cloudflare's v4 API errors for Workflows: HTTP status, numeric code and message key.

Production answers with machine keys (``workflows.api.error.workflow.not_found [code:
10200]`` as wrangler prints it), which scripts match on, so the key is the error's
``message`` here too; what wf knows beyond it (which name, which field) goes in the
envelope's ``messages``.
"""

from __future__ import annotations

from aiohttp import web

from wf.server.envelope import encode_json

# (HTTP status, code, message key), as production answers.
WORKFLOW_NOT_FOUND = (404, 10200, "workflows.api.error.workflow.not_found")
INSTANCE_NOT_FOUND = (404, 10400, "workflows.api.error.instance.not_found")
ALREADY_EXISTS = (409, 10405, "workflows.api.error.instance.already_exists")
VERSION_NOT_FOUND = (404, 10300, "workflows.api.error.version.not_found")
STEP_NOT_FOUND = (404, 10404, "workflows.api.error.step.not_found")
CONFLICT = (409, 10409, "workflows.api.error.instance.conflict")
BAD_BODY = (400, 10002, "workflows.api.error.body")
BAD_QUERY = (400, 10003, "workflows.api.error.query")
TOO_LARGE = (413, 10413, "workflows.api.error.body.too_large")
UNAVAILABLE = (503, 10503, "workflows.api.error.unavailable")
INTERNAL = (500, 10001, "workflows.api.error.internal_server")
# Cloudflare's gateway for a path no service serves: code 7003 then 7000.
NO_ROUTE = (404, 7003, "Could not route to {path}, perhaps your object identifier is invalid?")

Kind = tuple[int, int, str]


class CfApiError(Exception):
    """One error answer: a ``kind`` above and the detail wf can add (may be empty)."""

    def __init__(self, kind: Kind, detail: str = "") -> None:
        super().__init__(detail or kind[2])
        self.kind = kind
        self.detail = detail


def failure(kind: Kind, detail: str = "", *, also: tuple[Kind, ...] = ()) -> web.Response:
    """The error envelope of ``kind`` (then ``also``).

    A not-found or conflict message is production's bare key, which scripts compare whole;
    bad input keeps the key and adds what was wrong where (``key: params.a: ...``). The
    detail always goes to ``messages`` too, so every answer says which name was unknown.
    """
    status, code, message = kind
    if detail and status in (400, 413):
        message = f"{message}: {detail}"
    errors = [{"code": code, "message": message}]
    errors += [{"code": c, "message": m} for _, c, m in also]
    messages = [{"code": code, "message": detail}] if detail else []
    body = {"success": False, "errors": errors, "messages": messages, "result": None}
    return web.Response(
        body=encode_json(body), status=status, content_type="application/json", charset="utf-8"
    )
