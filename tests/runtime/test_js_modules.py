"""The JS interop modules user code imports: `js`, `pyodide.ffi`, and the workers-py extras."""

from __future__ import annotations

import importlib
import json
import textwrap
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.conftest import START
from wf.project import ensure_workers_package
from wf.testing import Emulator


@pytest.fixture
def js() -> ModuleType:
    ensure_workers_package()  # puts the runtime (js, pyodide, workers) on sys.path
    return importlib.import_module("js")


@pytest.fixture
def ffi() -> ModuleType:
    ensure_workers_package()
    return importlib.import_module("pyodide.ffi")


def run(source: str) -> dict[str, Any]:
    """Execute user-style code (its own imports) and return its namespace."""
    ensure_workers_package()
    namespace: dict[str, Any] = {}
    exec(textwrap.dedent(source), namespace)
    return namespace


# -- JsProxy: Pyodide's access rules


def test_a_js_object_takes_attributes_and_to_py_but_refuses_subscripts(js: ModuleType) -> None:
    obj = js.JSON.parse('{"name": "ada", "tags": ["a", "b"], "n": 1.0, "deep": {"x": null}}')
    assert obj.name == "ada"
    assert obj.n == 1 and isinstance(obj.n, int)  # a safe-integer JS number is an int
    assert obj.deep.x is None
    assert obj.to_py() == {"name": "ada", "tags": ["a", "b"], "n": 1, "deep": {"x": None}}
    with pytest.raises(TypeError, match=r"^'pyodide\.ffi\.JsProxy' object is not subscriptable$"):
        obj["name"]
    with pytest.raises(TypeError, match=r"^'pyodide\.ffi\.JsProxy' object is not iterable$"):
        list(obj)
    with pytest.raises(TypeError, match=r"^argument of type 'pyodide\.ffi\.JsProxy' is not"):
        "name" in obj  # noqa: B015
    with pytest.raises(TypeError, match=r"^object of type 'pyodide\.ffi\.JsProxy' has no len"):
        len(obj)
    with pytest.raises(AttributeError):
        obj.missing  # noqa: B018
    assert getattr(obj, "missing", "d") == "d"
    assert bool(js.JSON.parse("{}")) is True


def test_a_js_array_is_a_sequence(js: ModuleType) -> None:
    arr = js.JSON.parse('[1, "two", {"k": 3}]')
    assert len(arr) == 3 and arr[0] == 1 and arr[-1].k == 3
    assert list(arr)[:2] == [1, "two"]
    assert "two" in arr
    assert arr.to_py() == [1, "two", {"k": 3}]
    assert not js.JSON.parse("[]")
    with pytest.raises(IndexError):
        arr[3]


def test_as_object_map_allows_subscripts(js: ModuleType) -> None:
    obj = js.JSON.parse('{"a": 1}')
    view = obj.as_object_map()
    assert view["a"] == 1 and "a" in view and list(view) == ["a"] and len(view) == 1
    view["b"] = 2
    assert obj.b == 2


def test_a_proxy_cannot_be_pickled_or_copied(js: ModuleType) -> None:
    import copy
    import pickle

    obj = js.JSON.parse('{"_id": 1}')
    assert obj._id == 1  # a leading underscore is still a property
    with pytest.raises(TypeError, match=r"cannot pickle 'pyodide\.ffi\.JsProxy' object"):
        pickle.dumps(obj)
    with pytest.raises(TypeError, match="cannot pickle"):
        copy.deepcopy(obj)


def test_proxies_compare_by_js_identity(js: ModuleType) -> None:
    obj = js.JSON.parse('{"a": 1}')
    assert obj != {"a": 1}
    assert obj == js.Object.assign(obj)


# -- to_js and friends


def test_to_js_makes_maps_unless_told_and_from_entries_makes_objects(
    js: ModuleType, ffi: ModuleType
) -> None:
    as_map = ffi.to_js({"a": 1})
    assert as_map["a"] == 1 and as_map.get("missing") is None
    assert js.JSON.stringify(as_map) == "{}"  # a JS Map has no properties to serialise
    obj = ffi.to_js({"a": 1, "b": [1, None]}, dict_converter=js.Object.fromEntries)
    assert isinstance(obj, ffi.JsProxy) and obj.a == 1
    assert js.JSON.stringify(obj) == '{"a":1,"b":[1,null]}'
    assert js.JSON.stringify(js.Object.fromEntries([("x", "y")]), None, 2) == '{\n  "x": "y"\n}'
    assert ffi.to_js("text") == "text"


def test_json_stringify_refuses_a_python_dict_with_a_hint(js: ModuleType, ffi: ModuleType) -> None:
    with pytest.raises(ffi.JsException, match="to_js"):
        js.JSON.stringify({"a": 1})


def test_create_proxy_and_destroy_proxies(ffi: ModuleType) -> None:
    proxy = ffi.create_proxy(lambda x: x * 2)
    assert proxy(21) == 42
    ffi.destroy_proxies([proxy])
    with pytest.raises(ffi.JsException, match="destroyed"):
        proxy(1)
    once = ffi.create_once_callable(lambda: "ok")
    assert once() == "ok"
    with pytest.raises(ffi.JsException):
        once()


def test_js_exception_has_name_and_message(js: ModuleType, ffi: ModuleType) -> None:
    err = js.TypeError.new("bad")
    assert isinstance(err, ffi.JsException) and isinstance(err, Exception)
    assert (err.name, err.message, str(err)) == ("TypeError", "bad", "TypeError: bad")


# -- js globals


def test_console_log_prints_js_style_to_stdout(js: ModuleType, capsys: Any) -> None:
    js.console.log("hi", js.JSON.parse('{"a": [1, "x"]}'), 2.0, True, None)
    js.console.error("oops")
    out, err = capsys.readouterr()
    assert out == "hi { a: [ 1, 'x' ] } 2 true undefined\n"
    assert err == "oops\n"


def test_crypto_random_uuid_and_math(js: ModuleType) -> None:
    first, second = js.crypto.randomUUID(), js.crypto.randomUUID()
    assert len(first) == 36 and first.count("-") == 4 and first != second
    assert js.Math.round(2.5) == 3 and js.Math.floor(1.9) == 1


def test_url_parts(js: ModuleType) -> None:
    url = js.URL.new("/a/b?x=1&y=2#top", "https://example.com:8443")
    assert (url.protocol, url.hostname, url.port, url.pathname) == (
        "https:",
        "example.com",
        "8443",
        "/a/b",
    )
    assert (url.search, url.hash, url.origin) == ("?x=1&y=2", "#top", "https://example.com:8443")
    assert url.searchParams.get("y") == "2"
    url.searchParams.set("x", "9")
    assert url.href == "https://example.com:8443/a/b?x=9&y=2#top"
    with pytest.raises(Exception, match="Invalid URL"):
        js.URL.new("not a url")


async def test_js_response_headers_and_request(js: ModuleType) -> None:
    response = js.Response.new("hi", status=201, headers={"x-a": "1"})
    assert (response.status, response.headers.get("x-a"), await response.text()) == (201, "1", "hi")
    init = js.Object.fromEntries([("status", 202)])
    data = await js.Response.json(js.JSON.parse('{"ok": true}'), init).json()
    assert data.ok is True  # JS json() answers JS objects
    headers = js.Headers.new([("a", "1"), ("a", "2")])
    assert headers.get("a") == "1, 2"
    request = js.Request.new("https://example.com/x", method="POST", body="b")
    assert request.method == "POST" and await request.text() == "b"


def test_unknown_names_say_they_are_not_emulated(js: ModuleType) -> None:
    with pytest.raises(
        AttributeError,
        match=r"module 'js' has no attribute 'setTimeout': not emulated by wf; use asyncio\.sleep",
    ):
        js.setTimeout  # noqa: B018
    assert not hasattr(js, "NoSuchGlobal")
    with pytest.raises(
        ImportError,
        match=r"cannot import name 'TextEncoder' from 'js': not emulated by wf; use str\.encode",
    ):
        run("from js import TextEncoder")
    with pytest.raises(ImportError, match=r"'run_sync' from 'pyodide\.ffi': not emulated by wf"):
        run("from pyodide.ffi import run_sync")
    with pytest.raises(ImportError, match=r"'FormData' from 'workers': not emulated by wf"):
        run("from workers import FormData")


# -- workers-py extras


def test_workers_exports_durable_object_and_rpc_helpers() -> None:
    ns = run(
        """
        import datetime
        from pyodide.ffi import JsProxy
        from workers import DurableObject, python_from_rpc, python_to_rpc

        class Counter(DurableObject):
            pass

        counter = Counter("ctx", "env")
        sent = python_to_rpc({"a": [1, {"b": 2}]})
        back = python_from_rpc(sent)
        when = python_to_rpc(datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc))
        """
    )
    assert (ns["counter"].ctx, ns["counter"].env) == ("ctx", "env")
    # a dict goes over RPC as a plain JS object (workers-py rpc.py: Object.fromEntries)
    assert ns["sent"].a[1].b == 2
    with pytest.raises(TypeError, match="not subscriptable"):
        ns["sent"]["a"]
    assert ns["back"] == {"a": [1, {"b": 2}]}
    assert ns["back"].a[1].b == 2  # python_from_rpc gives JsDicts
    assert ns["when"].getTime() == START
    with pytest.raises(TypeError, match="cannot be sent over RPC"):
        ns["python_to_rpc"]((1, 2))


# -- end to end: JSON vars, Date.now and the env, through the Emulator


WORKER = """
import js
from pyodide.ffi import JsProxy, to_js
from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        settings = self.env.SETTINGS
        try:
            self.env["GREETING"]
            subscript = "allowed"
        except TypeError as err:
            subscript = str(err)
        try:
            settings["limits"]
            nested = "allowed"
        except TypeError as err:
            nested = str(err)
        body = {
            "greeting": self.env.GREETING,
            "retries": self.env.RETRIES,
            "debug": self.env.DEBUG,
            "proxy": isinstance(settings, JsProxy),
            "limit": settings.limits.max,
            "regions": list(self.env.REGIONS),
            "as_py": settings.to_py(),
            "env_subscript": subscript,
            "proxy_subscript": nested,
            "now": js.Date.now(),
            "secret": self.env.API_KEY,
        }
        return Response.json(body)
"""


async def test_json_vars_reach_code_as_production_hands_them_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV", "CLOUDFLARE_INCLUDE_PROCESS_ENV"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "entry.py").write_text(WORKER)
    config = {
        "name": "vars",
        "main": "src/entry.py",
        "compatibility_date": "2026-08-14",
        "compatibility_flags": ["python_workers"],
        "vars": {
            "GREETING": "hi",
            "RETRIES": 3,
            "DEBUG": False,
            "SETTINGS": {"limits": {"max": 10}},
            "REGIONS": ["eu", "us"],
        },
    }
    (tmp_path / "wrangler.jsonc").write_text(json.dumps(config))
    (tmp_path / ".env").write_text("API_KEY=from-dot-env\n")
    async with Emulator(tmp_path, now="2026-01-01T00:00:00Z") as emu:
        await emu.clock.advance("1 hour")
        body = await (await emu.fetch("/")).json()
    assert body == {
        "greeting": "hi",
        "retries": 3,
        "debug": False,
        "proxy": True,
        "limit": 10,
        "regions": ["eu", "us"],
        "as_py": {"limits": {"max": 10}},
        "env_subscript": "'_EnvWrapper' object is not subscriptable",
        "proxy_subscript": "'pyodide.ffi.JsProxy' object is not subscriptable",
        "now": START + 3_600_000,  # js.Date.now() follows the virtual clock
        "secret": "from-dot-env",
    }


def test_patch_env_overrides_workers_env_inside_the_block(monkeypatch: pytest.MonkeyPatch) -> None:
    ensure_workers_package()
    env_module = importlib.import_module("workers._env")

    class Base:
        A = "base"
        B = "kept"

    monkeypatch.setattr(env_module, "_current_env", Base())
    ns = run(
        """
        import workers
        with workers.patch_env(A="patched"):
            inside = (workers.env.A, workers.env.B)
        after = workers.env.A
        """
    )
    assert ns["inside"] == ("patched", "kept")
    assert ns["after"] == "base"


async def test_js_fetch_and_pyfetch_reach_a_real_server(js: ModuleType) -> None:
    from aiohttp import web

    async def answer(request: web.Request) -> web.Response:
        return web.json_response({"method": request.method, "seen": request.headers.get("x-a")})

    app = web.Application()
    app.router.add_route("*", "/", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        url = f"http://127.0.0.1:{port}/"
        response = await js.fetch(url, method="POST", body="x", headers={"x-a": "1"})
        data = await response.json()
        assert (response.status, response.ok, data.method, data.seen) == (200, True, "POST", "1")
        # keyword arguments after an init object are an extra JS argument: fetch ignores them
        init = js.Object.fromEntries([("method", "PUT")])
        data = await (await js.fetch(url, init, headers={"x-a": "ignored"})).json()
        assert (data.method, data.seen) == ("PUT", None)
        pyfetch = importlib.import_module("pyodide.http").pyfetch
        assert (await (await pyfetch(url)).json()) == {"method": "GET", "seen": None}
    finally:
        await runner.cleanup()


async def test_workers_response_json_takes_a_js_value(js: ModuleType) -> None:
    workers = importlib.import_module("workers")
    response = workers.Response.json(js.JSON.parse('{"a": [1, 2]}'))
    assert await response.text() == '{"a":[1,2]}'
