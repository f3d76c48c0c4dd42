"""Cloudflare's API envelope, API errors, and reading request bodies within the limits.

Every answer under ``/cdn-cgi/`` is ``{success, errors: [{code, message}], messages, result,
result_info?}``, the shape of Cloudflare's v4 API and of Miniflare's local explorer, so that the
real ``wrangler workflows ... --local`` and the ``wf`` CLI unwrap it the same way.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from wf.errors import WorkflowError
from wf.serialization import json_type
from wf.server.jsonbody import BadJson, parse_json

MAX_BODY = 1024 * 1024  # 1 MiB, the limit on params and event payloads in production
CODE_NOT_FOUND = 10501  # Miniflare's WORKFLOW_ERROR_NOT_FOUND
CODE_INVALID = 10001  # Miniflare's code for bad input and internal errors alike
CODE_CONFLICT = 10409
CODE_TOO_LARGE = 10413
CODE_FORBIDDEN = 10403
CODE_UNAVAILABLE = 10503

_CODES = {
    400: CODE_INVALID,
    403: CODE_FORBIDDEN,
    404: CODE_NOT_FOUND,
    409: CODE_CONFLICT,
    413: CODE_TOO_LARGE,
    503: CODE_UNAVAILABLE,
}
_KIND_STATUS = {"invalid": 400, "not_found": 404, "conflict": 409, "too_large": 413}


class ApiError(Exception):
    """An answer other than success: HTTP ``status`` with one ``{code, message}`` error."""

    def __init__(self, status: int, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code if code is not None else _CODES.get(status, CODE_INVALID)

    @classmethod
    def from_workflow_error(cls, exc: WorkflowError) -> ApiError:
        """The HTTP answer an engine error deserves (its ``kind`` says which)."""
        return cls(_KIND_STATUS.get(exc.kind, 400), exc.message)


def ok(
    result: Any,
    *,
    result_info: dict[str, Any] | None = None,
    status: int = 200,
) -> web.Response:
    """A success envelope around ``result``."""
    body: dict[str, Any] = {"success": True, "errors": [], "messages": [], "result": result}
    if result_info is not None:
        body["result_info"] = result_info
    return _json_response(body, status)


def failure(status: int, message: str, code: int | None = None) -> web.Response:
    """An error envelope (``result`` null)."""
    error = ApiError(status, message, code)
    body = {
        "success": False,
        "errors": [{"code": error.code, "message": message}],
        "messages": [],
        "result": None,
    }
    return _json_response(body, status)


def encode_json(value: Any) -> bytes:
    """``value`` as UTF-8 JSON; text that UTF-8 cannot hold (a lone surrogate echoed back in a
    message) is escaped rather than failing the answer."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value, default=str).encode("ascii")


def _json_response(body: Any, status: int) -> web.Response:
    return web.Response(
        body=encode_json(body), status=status, content_type="application/json", charset="utf-8"
    )


async def read_body(request: web.BaseRequest, limit: int = MAX_BODY) -> bytes:
    """The raw body, or ApiError 413 as soon as it grows past ``limit`` bytes."""
    declared = request.content_length
    if declared is not None and declared > limit:
        raise _too_large(limit, declared)
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await request.content.readany()
        if not chunk:
            break
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if not chunks and encoding not in ("", "identity"):
        # aiohttp decodes a truncated gzip body to nothing without an error: an empty body
        # would then pass for "no body" and create an instance with defaults.
        raise ApiError(
            400, f"malformed request body: Can not decode content-encoding: {encoding} (empty)"
        )
    return b"".join(chunks)


def _too_large(limit: int, size: int | None = None) -> ApiError:
    got = f" (got {size} bytes)" if size is not None else ""
    return ApiError(413, f"request body is larger than {limit // 1024} KiB{got}")


_EMPTY = object()


async def read_json(request: web.BaseRequest, *, default: Any = _EMPTY, root: str = "") -> Any:
    """The body parsed as JSON; an empty body gives ``default`` (or a 400 when there is none).

    Every JSON route reads its body here. Malformed JSON is a 400 whose message says where the
    parser stopped; NaN, Infinity, numbers beyond a double, lone surrogates and deep nesting are
    400s naming the field (under ``root``, e.g. ``payload``), as in ``params.a[3]: ...``.
    """
    raw = await read_body(request)
    if not raw.strip():
        if default is _EMPTY:
            raise ApiError(400, "request body is empty: expected JSON")
        return default
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(400, f"request body is not UTF-8 (byte {exc.start})") from None
    try:
        return parse_json(text, root)
    except BadJson as exc:
        raise ApiError(400, exc.message) from None
    except json.JSONDecodeError as exc:
        raise ApiError(
            400,
            f"malformed JSON in request body: {exc.msg} at line {exc.lineno}, column {exc.colno}",
        ) from None


def json_object(value: Any, what: str = "request body") -> dict[str, Any]:
    """``value`` when it is a JSON object, else a 400 naming what was expected."""
    if not isinstance(value, dict):
        raise ApiError(400, f"{what} must be a JSON object, got {json_type(value)}")
    return value
