"""The `workers` package user code imports: JsDict, Headers, Request, Response, env."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from http import HTTPMethod
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import ModuleType

import pytest

from wf.project import RUNTIME_PATH


def _import_workers() -> ModuleType:
    # Importing adds the runtime dir to sys.path; undo that so this file leaves no trace.
    saved = list(sys.path)
    try:
        import wf.runtime.workers as workers
    finally:
        sys.path[:] = saved
    return workers


workers = _import_workers()
JsDict = workers.JsDict
Headers = workers.Headers
Request = workers.Request
Response = workers.Response


# JsDict


def test_jsdict_attribute_and_item_access() -> None:
    event = JsDict({"payload": {"user": {"name": "ada"}, "tags": [{"k": 1}, 2]}, "n": None})
    assert event.payload.user.name == "ada"
    assert event["payload"]["user"]["name"] == "ada"
    assert isinstance(event.payload, JsDict)
    assert isinstance(event.payload.tags[0], JsDict)
    assert event.payload.tags[0].k == 1
    assert event.n is None
    assert event == {"payload": {"user": {"name": "ada"}, "tags": [{"k": 1}, 2]}, "n": None}


def test_jsdict_missing_attribute_raises_attribute_error() -> None:
    event = JsDict(a=1)
    with pytest.raises(AttributeError):
        _ = event.missing
    assert getattr(event, "missing", "default") == "default"
    assert not hasattr(event, "missing")


def test_jsdict_setattr_sets_a_key() -> None:
    data = JsDict()
    data.answer = 42
    assert data == {"answer": 42}
    del data.answer
    assert data == {}


def test_to_js_dict_converts_recursively() -> None:
    value = workers.to_js_dict([{"a": {"b": [{"c": 1}]}}, "x"])
    assert value[0].a.b[0].c == 1
    assert value[1] == "x"
    assert workers.to_js_dict(5) == 5


# Headers


def test_headers_are_case_insensitive_and_join_repeats() -> None:
    headers = Headers([("X-Tag", "a"), ("x-tag", "b"), ("Content-Type", "text/html")])
    assert headers["x-tag"] == "a, b"
    assert headers["X-TAG"] == "a, b"
    assert headers.get_all("x-tag") == ["a", "b"]
    assert "CONTENT-TYPE" in headers
    assert headers.get("missing", "d") == "d"
    assert headers["missing"] is None  # as the HTTPMessage workers-py hands over
    headers["x-tag"] = "c"
    assert headers["x-tag"] == "c"
    del headers["X-Tag"]
    assert "x-tag" not in headers
    assert list(headers) == ["content-type"]


def test_headers_keep_each_set_cookie() -> None:
    headers = Headers({"set-cookie": "a=1; Path=/"})
    headers.append("Set-Cookie", "b=2, x")
    assert headers.items() == [("set-cookie", "a=1; Path=/"), ("set-cookie", "b=2, x")]
    assert headers.get_set_cookie() == ["a=1; Path=/", "b=2, x"]


def test_headers_reject_bad_input() -> None:
    with pytest.raises(TypeError):
        Headers({"bad name": "x"})
    with pytest.raises(TypeError):
        Headers({"x": "a\r\nInjected: 1"})
    with pytest.raises(TypeError):
        Headers(["ab"])


# Request


async def test_request_server_form() -> None:
    req = Request(
        "POST", "http://127.0.0.1:8787/x?y=1", [("Content-Type", "application/json")], b'{"a": 1}'
    )
    assert req.method == "POST"
    assert req.method is HTTPMethod.POST
    assert req.url == "http://127.0.0.1:8787/x?y=1"
    assert req.headers["content-type"] == "application/json"
    assert req.body.constructor.name == "ReadableStream"  # a JS stream, as workers-py gives it
    assert req.cf == {}
    assert await req.json() == {"a": 1}
    assert req.body_used


async def test_request_body_reads_once() -> None:
    req = Request("POST", "http://h/", {}, b"hi")
    clone = req.clone()
    assert await req.text() == "hi"
    with pytest.raises(OSError, match="Body already used"):
        await req.text()
    assert await clone.bytes() == b"hi"
    assert await Request("POST", "http://h/", {}, b"x").array_buffer() == b"x"


async def test_request_bad_json_names_the_problem() -> None:
    req = Request("POST", "http://h/", {}, b"{not json")
    with pytest.raises(ValueError, match="request body is not valid JSON"):
        await req.json()


async def test_request_user_form() -> None:
    req = Request("https://example.com/api", method="post", body="hello")
    assert req.method == "POST"
    assert req.headers["content-type"] == "text/plain;charset=UTF-8"
    assert await req.text() == "hello"
    copy = Request(req, headers={"x": "1"})
    assert copy.url == "https://example.com/api"
    assert copy.headers["x"] == "1"
    with pytest.raises(TypeError, match="GET or HEAD"):
        Request("https://example.com/", body="x")
    with pytest.raises(TypeError, match="absolute URL"):
        Request("/relative")
    assert Request("https://e.com/", method="PURGE").method == "PURGE"


# Response


async def test_response_text_defaults() -> None:
    resp = Response("hello")
    assert resp.status == 200
    assert resp.ok
    assert resp.headers["content-type"] == "text/plain;charset=UTF-8"
    assert resp.body.constructor.name == "ReadableStream"
    assert await resp.text() == "hello"
    assert Response(b"\x00\x01").headers.get("content-type") is None
    empty = Response()
    assert empty.body is None and empty.status == 200  # a null body: workers-py gives None


async def test_response_json_static_and_instance() -> None:
    resp = Response.json({"id": "a", "n": [1, 2]}, status=201, headers={"x-a": "1"})
    assert resp.status == 201
    assert resp.headers["content-type"] == "application/json"
    assert resp.headers["x-a"] == "1"
    assert await resp.json() == {"id": "a", "n": [1, 2]}
    same = Response.from_json([1], headers={"Content-Type": "application/vnd.x+json"})
    assert same.headers["content-type"] == "application/vnd.x+json"


def test_response_rejects_dict_body_as_workers_py_does() -> None:
    with pytest.raises(TypeError, match=r"^Unsupported type in Response: dict$"):
        Response({"a": 1})


def test_response_status_rules() -> None:
    with pytest.raises(ValueError, match="outside the range"):
        Response("x", status=99)
    with pytest.raises(TypeError, match="null body status"):
        Response("x", status=204)
    assert Response(None, status=204).status == 204
    assert Response("x", status=404, status_text="Nope").status_text == "Nope"


def test_response_redirect() -> None:
    resp = Response.redirect("https://example.com/next")
    assert resp.status == 302
    assert resp.headers["location"] == "https://example.com/next"
    assert Response.redirect("https://example.com/", 301).status == 301
    with pytest.raises(ValueError):
        Response.redirect("https://example.com/", 200)


# env and the entrypoints


@pytest.fixture
def restore_env() -> Iterator[None]:
    saved = workers._env._current_env
    yield
    workers._env._current_env = saved


def test_env_module_attribute(restore_env: None) -> None:
    workers._env._current_env = workers._env._UNSET
    with pytest.raises(RuntimeError, match="not available"):
        _ = workers.env
    sentinel = object()
    workers._env._set_current_env(sentinel)
    assert workers.env is sentinel
    namespace: dict[str, object] = {}
    exec("from workers import env", namespace)
    assert namespace["env"] is sentinel


def test_entrypoints_store_ctx_and_env() -> None:
    class Flow(workers.WorkflowEntrypoint):
        async def run(self, event: object, step: object) -> None:
            return None

    flow = Flow("ctx", "env")
    assert (flow.ctx, flow.env) == ("ctx", "env")
    worker = workers.WorkerEntrypoint("c", "e")
    assert (worker.ctx, worker.env) == ("c", "e")


def test_emulator_name_and_workers_name_are_one_package() -> None:
    assert sys.modules["workers"] is workers
    from wf.runtime.workers.workflows import NonRetryableError

    assert NonRetryableError is sys.modules["workers.workflows"].NonRetryableError
    assert NonRetryableError is workers.NonRetryableError


def test_user_imports_in_a_fresh_interpreter() -> None:
    # A fresh process, so this one's sys.path and sys.modules stay untouched.
    script = textwrap.dedent(
        f"""
        import sys, traceback
        sys.path.insert(0, {str(RUNTIME_PATH)!r})
        from workers import WorkflowEntrypoint, WorkerEntrypoint, Response, Request
        from workers.workflows import NonRetryableError
        import workers, wf.runtime.workers as alias
        assert alias is workers
        assert "aiohttp" not in sys.modules, "the workers package must not need aiohttp"
        from workers._env import _set_current_env
        _set_current_env({{"MY_WORKFLOW": 1}})
        from workers import env
        assert env == {{"MY_WORKFLOW": 1}}
        try:
            raise NonRetryableError("stop")
        except Exception:
            print(traceback.format_exc().strip().splitlines()[-1])
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "workers.workflows.NonRetryableError: stop"


# fetch


@pytest.fixture
def echo_server() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def _reply(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = json.dumps(
                {
                    "method": self.command,
                    "path": self.path,
                    "body": self.rfile.read(length).decode(),
                }
            ).encode()
            self.send_response(404 if self.path == "/missing" else 200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _reply

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


async def test_fetch(echo_server: str) -> None:
    resp = await workers.fetch(f"{echo_server}/a")
    assert resp.status == 200
    assert await resp.json() == {"method": "GET", "path": "/a", "body": ""}
    posted = await workers.fetch(Request(f"{echo_server}/b", method="POST", body="hi"))
    assert (await posted.json())["body"] == "hi"
    missing = await workers.fetch(f"{echo_server}/missing", method="POST", body=b"x")
    assert missing.status == 404 and not missing.ok
    with pytest.raises(OSError, match="failed"):
        await workers.fetch("http://127.0.0.1:1/")
