"""Binding data over HTTP under ``/cdn-cgi/wf``: browse and seed D1, KV and R2 from any language.

- ``GET /cdn-cgi/wf/bindings``: every binding of the config, with its type (and the ones not
  emulated yet, with where they are in the config);
- D1: ``GET .../d1/{binding}/tables`` (names and row counts), ``GET .../d1/{binding}/tables/
  {table}?limit=&offset=`` (columns and rows), ``POST .../d1/{binding}/query`` with
  ``{"sql", "params"}``;
- KV: ``GET .../kv/{binding}/keys?prefix=``, ``GET|PUT|DELETE .../kv/{binding}/keys/{key}``
  (PUT: ``{"value", "expiration_ttl"?, "expiration"?, "metadata"?}``);
- R2: ``GET .../r2/{binding}/objects?prefix=``, ``GET|PUT|DELETE .../r2/{binding}/objects/{key}``
  (GET answers the object's bytes with its content type; PUT stores the request body);
- Queues: ``GET .../queues`` (every queue: producers, consumer settings, and how many messages
  are pending, delayed, in flight, dead-lettered), ``GET .../queues/{queue}/messages?state=``
  (``pending``, ``in_flight``, ``dead_lettered``), ``POST .../queues/{queue}/messages`` with
  ``{"body", "content_type"?, "delay_seconds"?}`` (delivered to the consumer on the clock).
- Durable Objects: ``GET .../durable_objects/{binding}`` (its objects: id, name, key count,
  alarm, whether in memory), ``GET .../durable_objects/{binding}/objects/{id}`` (an object's
  key-value pairs and alarm), ``POST .../durable_objects/{binding}/evict`` (evict them all).

The data is the same the Worker's bindings read and write; every write is committed before the
answer. Bytes that are not UTF-8 text travel as base64 (``"encoding": "base64"``).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from wf.server.context import session_of
from wf.server.envelope import MAX_BODY, ApiError, json_object, ok, read_body, read_json

BASE = "/cdn-cgi/wf"
MAX_ROWS = 1000
MAX_OBJECT = 100 * 1024 * 1024  # the Worker's own request body limit

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def add_routes(app: web.Application) -> None:
    """Register the data routes."""
    app.router.add_get(BASE + "/bindings", list_bindings)
    d1, kv, r2 = BASE + "/d1/{binding}", BASE + "/kv/{binding}", BASE + "/r2/{binding}"
    app.router.add_get(d1 + "/tables", _guarded(d1_tables))
    app.router.add_get(d1 + "/tables/{table}", _guarded(d1_rows))
    app.router.add_post(d1 + "/query", _guarded(d1_query))
    app.router.add_get(kv + "/keys", _guarded(kv_keys))
    app.router.add_get(kv + "/keys/{key:.+}", _guarded(kv_get))
    app.router.add_put(kv + "/keys/{key:.+}", _guarded(kv_put))
    app.router.add_delete(kv + "/keys/{key:.+}", _guarded(kv_delete))
    app.router.add_get(r2 + "/objects", _guarded(r2_list))
    app.router.add_get(r2 + "/objects/{key:.+}", _guarded(r2_get))
    app.router.add_put(r2 + "/objects/{key:.+}", _guarded(r2_put))
    app.router.add_delete(r2 + "/objects/{key:.+}", _guarded(r2_delete))
    app.router.add_get(BASE + "/queues", _guarded(queues_list))
    app.router.add_get(BASE + "/queues/{queue}/messages", _guarded(queue_messages))
    app.router.add_post(BASE + "/queues/{queue}/messages", _guarded(queue_send))
    durable = BASE + "/durable_objects/{binding}"
    app.router.add_get(durable, _guarded(do_objects))
    app.router.add_get(durable + "/objects/{id}", _guarded(do_object))
    app.router.add_post(durable + "/evict", _guarded(do_evict))


def _guarded(handler: Handler) -> Handler:
    """A binding's own errors (a bad key, bad SQL) are the client's: 400 with their text."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except (ApiError, web.HTTPException):
            raise
        except KeyError as exc:
            raise ApiError(404, str(exc.args[0]) if exc.args else "not found") from None
        except Exception as exc:
            raise ApiError(400, str(exc) or type(exc).__name__) from None

    return wrapped


def _admin(request: web.Request, kind: str) -> Any:
    platform = session_of(request).platform
    if platform is None or platform.config is None:
        raise ApiError(404, "this server has no D1, KV or R2 bindings")
    return platform.admin(kind, request.match_info["binding"])


def _int_query(request: web.Request, name: str, default: int, high: int) -> int:
    raw = request.query.get(name, "")
    if not raw:
        return default
    if not raw.isdigit() or int(raw) > high:
        raise ApiError(400, f"{name} must be a whole number from 0 to {high}, got {raw!r}")
    return int(raw)


def _text_or_base64(data: bytes) -> dict[str, str]:
    try:
        return {"value": data.decode("utf-8"), "encoding": "utf-8"}
    except UnicodeDecodeError:
        return {"value": base64.b64encode(data).decode("ascii"), "encoding": "base64"}


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return {"base64": base64.b64encode(bytes(value)).decode("ascii")}
    return value


# -- all bindings ---------------------------------------------------------------------------------


async def list_bindings(request: web.Request) -> web.Response:
    config = session_of(request).engine.config
    found: list[dict[str, Any]] = [
        *({"binding": d.binding, "type": "d1", "id": d.local_id} for d in config.d1_databases),
        *({"binding": k.binding, "type": "kv", "id": k.local_id} for k in config.kv_namespaces),
        *({"binding": r.binding, "type": "r2", "id": r.local_id} for r in config.r2_buckets),
        *([{"binding": config.ai.binding, "type": "ai"}] if config.ai else []),
        *(
            [{"binding": config.assets.binding, "type": "assets"}]
            if config.assets and config.assets.binding
            else []
        ),
        *({"binding": q.binding, "type": "queue", "id": q.queue} for q in config.queue_producers),
        *(
            {"binding": d.binding, "type": "durable_object", "class_name": d.class_name}
            for d in config.durable_objects
        ),
    ]
    missing = [
        {"binding": m.binding, "kind": m.kind, "field": m.field} for m in config.not_emulated
    ]
    return ok({"bindings": found, "not_emulated": missing})


# -- D1 -------------------------------------------------------------------------------------------


def _quote_name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def d1_tables(request: web.Request) -> web.Response:
    admin = _admin(request, "d1")
    tables = []
    for name in admin.tables():
        count = admin.execute(f"SELECT COUNT(*) AS n FROM {_quote_name(name)}")[0]["n"]
        tables.append({"name": name, "rows": count})
    return ok(tables)


async def d1_rows(request: web.Request) -> web.Response:
    admin = _admin(request, "d1")
    table = request.match_info["table"]
    if table not in admin.tables():
        raise ApiError(404, f"no table {table!r} (tables: {', '.join(admin.tables()) or 'none'})")
    limit = _int_query(request, "limit", 100, MAX_ROWS)
    offset = _int_query(request, "offset", 0, 2**62)
    quoted = _quote_name(table)
    columns = [row["name"] for row in admin.execute(f"PRAGMA table_info({quoted})")]
    rows = admin.execute(f"SELECT * FROM {quoted} LIMIT ? OFFSET ?", limit, offset)
    total = admin.execute(f"SELECT COUNT(*) AS n FROM {quoted}")[0]["n"]
    return ok(
        {
            "table": table,
            "columns": columns,
            "rows": [{k: _jsonable(v) for k, v in row.items()} for row in rows],
        },
        result_info={"count": len(rows), "offset": offset, "total_count": total},
    )


async def d1_query(request: web.Request) -> web.Response:
    body = json_object(await read_json(request))
    sql, params = body.get("sql"), body.get("params", [])
    if not isinstance(sql, str) or not sql.strip():
        raise ApiError(400, "sql must be a non-empty string of SQL")
    if not isinstance(params, list):
        raise ApiError(400, "params must be an array of values for the last statement")
    rows = _admin(request, "d1").execute(sql, *params)
    return ok([{k: _jsonable(v) for k, v in row.items()} for row in rows])


# -- KV -------------------------------------------------------------------------------------------


async def kv_keys(request: web.Request) -> web.Response:
    admin = _admin(request, "kv")
    limit = _int_query(request, "limit", MAX_ROWS, MAX_ROWS)
    keys: list[dict[str, Any]] = []
    for entry in admin.entries(request.query.get("prefix", "")):
        if len(keys) == limit:
            break
        keys.append({"name": entry.key, "expiration": entry.expiration, "metadata": entry.metadata})
    return ok(keys)


async def kv_get(request: web.Request) -> web.Response:
    key = request.match_info["key"]
    entry = _admin(request, "kv").entry(key)
    if entry is None or entry.value is None:
        raise ApiError(404, f"no key {key!r}")
    return ok(
        {"key": key, **_text_or_base64(entry.value), "expiration": entry.expiration}
        | {"metadata": entry.metadata}
    )


async def kv_put(request: web.Request) -> web.Response:
    key = request.match_info["key"]
    body = json_object(await read_json(request))
    value = body.get("value")
    if body.get("encoding") == "base64" and isinstance(value, str):
        try:
            value = base64.b64decode(value, validate=True)
        except binascii.Error:
            raise ApiError(400, "value is not valid base64") from None
    if not isinstance(value, str | bytes):
        raise ApiError(400, "value must be a string (with encoding base64 for bytes)")
    options = {k: body[k] for k in ("expiration", "expiration_ttl", "metadata") if k in body}
    _admin(request, "kv").put(key, value, **options)
    return ok({"key": key})


async def kv_delete(request: web.Request) -> web.Response:
    key = request.match_info["key"]
    _admin(request, "kv").delete(key)
    return ok({"key": key})


# -- R2 -------------------------------------------------------------------------------------------


async def r2_list(request: web.Request) -> web.Response:
    limit = _int_query(request, "limit", MAX_ROWS, MAX_ROWS)
    objects = _admin(request, "r2").list(request.query.get("prefix", ""))
    return ok(objects[:limit], result_info={"count": min(limit, len(objects))})


async def r2_get(request: web.Request) -> web.StreamResponse:
    key = request.match_info["key"]
    admin = _admin(request, "r2")
    head = admin.head(key)
    if head is None:
        raise ApiError(404, f"no object {key!r}")
    data = admin.get(key) or b""
    content_type = head.get("http_metadata", {}).get("contentType", "application/octet-stream")
    return web.Response(body=data, headers={"Content-Type": content_type, "ETag": head["etag"]})


async def r2_put(request: web.Request) -> web.Response:
    key = request.match_info["key"]
    data = await read_body(request, limit=max(MAX_OBJECT, MAX_BODY))
    http: dict[str, str] = {}
    if request.content_type and request.content_type != "application/octet-stream":
        http["content_type"] = request.headers.get("Content-Type", request.content_type)
    return ok(_admin(request, "r2").put(key, data, **http))


async def r2_delete(request: web.Request) -> web.Response:
    key = request.match_info["key"]
    _admin(request, "r2").delete(key)
    return ok({"key": key})


# -- Queues ---------------------------------------------------------------------------------------


def _queue_admin(request: web.Request, name: str) -> Any:
    platform = session_of(request).platform
    if platform is None or platform.config is None:
        raise ApiError(404, "this server has no queues")
    return platform.admin("queues", name)


async def queues_list(request: web.Request) -> web.Response:
    from wf.platform import queues

    session = session_of(request)
    config = session.engine.config
    platform = session.platform
    found = queues.current(platform) if platform is not None else None
    # The session's other Workers consume some queues too (the broker knows every consumer).
    consumers = {**(found.consumers if found is not None else {})}
    consumers.update((c.queue, c) for c in config.queue_consumers)
    result = []
    for name in queues.queue_names(config, found):
        consumer = consumers.get(name)
        settings = None
        if consumer is not None:
            settings = {k: v for k, v in consumer.__dict__.items() if k != "queue"}
        result.append(
            {
                "queue": name,
                "producers": [p.binding for p in config.queue_producers if p.queue == name],
                "consumer": settings,
                "counts": _queue_admin(request, name).counts(),
            }
        )
    return ok({"queues": result})


async def queue_messages(request: web.Request) -> web.Response:
    admin = _queue_admin(request, request.match_info["queue"])
    state = request.query.get("state") or None
    limit = _int_query(request, "limit", MAX_ROWS, MAX_ROWS)
    messages = admin.messages(state, limit=limit)
    return ok({"queue": admin.name, "messages": [m.to_json() for m in messages]})


async def queue_send(request: web.Request) -> web.Response:
    admin = _queue_admin(request, request.match_info["queue"])
    body = json_object(await read_json(request))
    if "body" not in body:
        raise ApiError(400, 'request body needs "body": the message to send')
    content_type = body.get("content_type", "json")
    delay = body.get("delay_seconds", 0)
    if not isinstance(content_type, str):
        raise ApiError(400, "content_type must be a string: text, bytes, json or v8")
    if content_type == "bytes":
        value = body["body"]
        if not isinstance(value, str):
            raise ApiError(400, 'a "bytes" body must be a base64 string')
        try:
            message: Any = base64.b64decode(value, validate=True)
        except binascii.Error:
            raise ApiError(400, 'a "bytes" body must be a base64 string') from None
    else:
        message = body["body"]
    if content_type == "text" and not isinstance(message, str):
        raise ApiError(400, 'a "text" body must be a string')
    message_id = admin.send(message, content_type=content_type, delay_seconds=delay)
    return ok({"queue": admin.name, "id": message_id})


# -- Durable Objects ------------------------------------------------------------------------------


def _stored_json(value: Any) -> Any:
    """A stored value as JSON: bytes as base64, dates as ISO text, sets as lists."""
    if isinstance(value, bytes | bytearray | memoryview):
        return {"base64": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, dict):
        return {str(k): _stored_json(v) for k, v in value.items()}
    if isinstance(value, list | set | frozenset):
        return [_stored_json(v) for v in value]
    if hasattr(value, "toISOString"):
        return {"date": value.toISOString()}
    return value


async def do_objects(request: web.Request) -> web.Response:
    return ok(_admin(request, "durable_objects").to_json())


async def do_object(request: web.Request) -> web.Response:
    admin = _admin(request, "durable_objects")
    object_id = request.match_info["id"]
    if object_id not in admin.ids():
        raise ApiError(404, f"no object {object_id!r} with storage")
    storage = admin.storage(id=object_id)
    return ok(
        {
            "id": object_id,
            "storage": {k: _stored_json(v) for k, v in storage.items()},
            "alarm": admin.alarm(id=object_id),
        }
    )


async def do_evict(request: web.Request) -> web.Response:
    return ok({"evicted": _admin(request, "durable_objects").evict()})
