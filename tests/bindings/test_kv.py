"""KV bindings: every call of env.KV, its limits and errors, expiry on the emulator's clock,
durability, seeding, and the `wf kv key` commands."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import START
from tests.devserver import DevServer, run_wf, wf_command
from wf.platform.kv import JsException, ReadableStream, js_string, namespace_path
from wf.runtime.workers import JsDict
from wf.testing import Emulator

START_S = int(START // 1000)

SOURCE = """
from workers import Response, WorkerEntrypoint, WorkflowEntrypoint


class Cache(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do()
        async def remember():
            await self.env.KV.put("greeting", event["payload"]["text"], expirationTtl=3600)
            return await self.env.KV.get("greeting")

        return await remember()


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        url = request.url.split("?")[0]
        key = url.rsplit("/", 1)[-1]
        if request.method == "PUT":
            await self.env.KV.put(key, await request.text(), expirationTtl=3600)
            return Response("stored")
        value = await self.env.KV.get(key)
        return Response("missing" if value is None else value)
"""


def write_kv_project(root: Path, source: str = SOURCE, namespaces: str | None = None) -> Path:
    (root / "src").mkdir(parents=True, exist_ok=True)
    (root / "src" / "entry.py").write_text(textwrap.dedent(source))
    namespaces = namespaces or '[{"binding": "KV", "id": "0f2ac74b498b48028cb68387c421e279"}]'
    (root / "wrangler.jsonc").write_text(
        f"""{{
  "name": "kv-project",
  "main": "src/entry.py",
  "compatibility_date": "2026-08-14",
  "compatibility_flags": ["python_workers"],
  "workflows": [{{"name": "cache", "binding": "CACHE", "class_name": "Cache"}}],
  "kv_namespaces": {namespaces},
}}
"""
    )
    return root


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_kv_project(tmp_path / "project")


@pytest.fixture
async def emu(project: Path) -> Any:
    async with Emulator(project, now=START) as emulator:
        yield emulator


async def raises(awaitable: Any, name: str, message: str) -> JsException:
    with pytest.raises(JsException) as info:
        await awaitable
    assert (info.value.name, info.value.message) == (name, message)
    return info.value


# -- get / put / delete ---------------------------------------------------------------------------


async def test_put_then_get_text_and_missing_is_none(emu):
    kv = emu.env.KV
    assert await kv.put("a", "héllo") is None
    assert await kv.get("a") == "héllo"
    assert await kv.get("a", "text") == "héllo"
    assert await kv.get("a", type="text") == "héllo"
    assert await kv.get("a", {"type": "text"}) == "héllo"
    assert await kv.get("nope") is None


async def test_get_json_gives_jsdicts_and_js_numbers(emu):
    await emu.env.KV.put("j", '{"b": 1.0, "a": [{"x": 2}], "10": null, "2": 3.5, "big": 1e300}')
    value = await emu.env.KV.get("j", type="json")
    assert isinstance(value, JsDict)
    assert value.a[0].x == 2
    assert type(value.b) is int  # JS has one number type; Pyodide makes safe integers int
    assert list(value) == ["2", "10", "b", "a", "big"]  # JS key order: indices first
    assert value["10"] is None


async def test_get_json_of_invalid_json_is_a_syntax_error(emu):
    await emu.env.KV.put("t", "hello")
    await raises(
        emu.env.KV.get("t", "json"),
        "SyntaxError",
        "Unexpected token 'h', \"hello\" is not valid JSON",
    )
    await emu.env.KV.put("nan", "[1,NaN]")  # Python's json takes NaN; JSON.parse does not
    await raises(
        emu.env.KV.get("nan", "json"),
        "SyntaxError",
        "Unexpected token 'N', \"[1,NaN]\" is not valid JSON",
    )
    await emu.env.KV.put("comma", '{"a": 1,}')
    await raises(
        emu.env.KV.get("comma", "json"),
        "SyntaxError",
        "Expected double-quoted property name in JSON at position 8 (line 1 column 9)",
    )
    await emu.env.KV.put("empty", "")
    await raises(emu.env.KV.get("empty", "json"), "SyntaxError", "Unexpected end of JSON input")


async def test_array_buffer_is_a_memoryview_and_bytes_round_trip(emu):
    data = bytes(range(256))
    await emu.env.KV.put("bin", data)
    view = await emu.env.KV.get("bin", type="arrayBuffer")
    assert isinstance(view, memoryview)
    assert view.tobytes() == data
    await emu.env.KV.put("view", memoryview(b"abc"))
    assert await emu.env.KV.get("view") == "abc"


async def test_stream_reads_in_chunks_and_can_be_put_back(emu):
    """The SDK wraps a stream result in its ``_BindingWrapper`` (workers-py ``_workers.py``,
    ``_convert_result``): ``read()`` results are JsDicts whose ``value`` is a memoryview."""
    big = b"x" * 200_000
    await emu.env.KV.put("big", big)
    stream = await emu.env.KV.get("big", type="stream")
    assert type(stream).__name__ == "_BindingWrapper"
    reader = stream.getReader()
    chunks = []
    while True:
        result = await reader.read()
        if result.done:
            assert result.value is None
            break
        assert isinstance(result.value, memoryview) and result["done"] is False
        chunks.append(result.value.tobytes())
    assert b"".join(chunks) == big and len(chunks) > 1
    again = await emu.env.KV.get("big", "stream")
    await emu.env.KV.put("copy", again)  # python_to_rpc sends the wrapped stream itself
    assert await emu.env.KV.get("copy") == big.decode()
    with pytest.raises(TypeError, match="'async for' requires an object with __aiter__"):
        async for _ in await emu.env.KV.get("copy", "stream"):
            pass
    # inside a result object the stream is not wrapped: a raw JsProxy, async-iterable
    inner = (await emu.env.KV.getWithMetadata("copy", "stream")).value
    assert isinstance(inner, ReadableStream)
    assert b"".join([c.to_bytes() async for c in inner]) == big


async def test_unknown_type_errors_only_for_a_present_key(emu):
    assert await emu.env.KV.get("absent", "bogus") is None
    await emu.env.KV.put("present", "v")
    await raises(
        emu.env.KV.get("present", "bogus"),
        "TypeError",
        'Unknown response type. Possible types are "text", "arrayBuffer", "json", and "stream".',
    )


async def test_put_coerces_scalars_as_js_and_refuses_objects(emu):
    kv = emu.env.KV
    for value, stored in [(42, "42"), (1.0, "1"), (1e21, "1e+21"), (True, "true"), (None, "null")]:
        await kv.put("k", value)
        assert await kv.get("k") == stored
    for value in ({"a": 1}, [1, 2]):
        await raises(
            kv.put("k", value),
            "TypeError",
            "KV put() accepts only strings, ArrayBuffers, ArrayBufferViews, and ReadableStreams "
            "as values.",
        )


def test_the_sdk_refuses_bytearray_tuple_and_coroutines_at_the_call(emu):
    with pytest.raises(TypeError, match=r"<class 'bytearray'> cannot be sent over RPC\."):
        emu.env.KV.put("k", bytearray(b"x"))
    with pytest.raises(TypeError, match=r"<class 'tuple'> cannot be sent over RPC\."):
        emu.env.KV.get(("a", "b"))

    async def value() -> str:
        return "v"

    pending = value()
    with pytest.raises(TypeError, match=r"Awaitable <class 'coroutine'> cannot be sent"):
        emu.env.KV.put("k", pending)
    pending.close()


async def test_keys_are_coerced_to_strings(emu):
    await emu.env.KV.put(7, "seven")
    assert await emu.env.KV.get("7") == "seven"
    assert js_string({"a": 1}) == "[object Object]"


async def test_lone_surrogates_become_replacement_characters_as_in_js(emu):
    await emu.env.KV.put("a\ud800", "v\udfff")
    assert (await emu.env.KV.list())["keys"] == [{"name": "a\ufffd"}]
    assert await emu.env.KV.get("a\ufffd") == "v\ufffd"
    await emu.env.KV.put("\U0001f600" * 128, "v")  # 4 bytes each: exactly 512
    assert await emu.env.KV.get("\U0001f600" * 128) == "v"


async def test_an_empty_value_is_a_value_not_a_missing_key(emu):
    await emu.env.KV.put("empty", "", metadata=None)
    assert await emu.env.KV.get("empty") == ""
    assert await emu.env.KV.get(["empty"]) == {"empty": ""}
    assert (await emu.env.KV.getWithMetadata("empty")).metadata is None


async def test_delete_removes_and_missing_delete_is_fine(emu):
    await emu.env.KV.put("k", "v")
    assert await emu.env.KV.delete("k") is None
    assert await emu.env.KV.get("k") is None
    await emu.env.KV.delete("never-there")


# -- metadata -----------------------------------------------------------------------------------


async def test_get_with_metadata(emu):
    kv = emu.env.KV
    await kv.put("m", "v", metadata={"owner": "ada", "n": 2.0})
    result = await kv.getWithMetadata("m")
    assert result == {"value": "v", "metadata": {"owner": "ada", "n": 2}, "cacheStatus": None}
    assert isinstance(result, JsDict) and result.metadata.owner == "ada"
    await kv.put("plain", '{"x": 1}')
    plain = await kv.getWithMetadata("plain", type="json")
    assert plain.value.x == 1 and plain.metadata is None
    assert await kv.getWithMetadata("none") == {
        "value": None,
        "metadata": None,
        "cacheStatus": None,
    }


async def test_put_replaces_metadata_and_expiration(emu):
    await emu.env.KV.put("k", "v1", metadata={"v": 1}, expirationTtl=600)
    await emu.env.KV.put("k", "v2")
    assert await emu.env.KV.getWithMetadata("k") == {
        "value": "v2",
        "metadata": None,
        "cacheStatus": None,
    }
    assert (await emu.env.KV.list())["keys"] == [{"name": "k"}]


# -- bulk get -----------------------------------------------------------------------------------


async def test_bulk_get_returns_a_dict_with_none_for_missing(emu):
    kv = emu.env.KV
    await kv.put("a", "1")
    await kv.put("b", '{"x": true}', metadata={"m": 1})
    assert await kv.get(["a", "zz", "b"]) == {"a": "1", "zz": None, "b": '{"x": true}'}
    as_json = await kv.get(["a", "b"], type="json")
    assert as_json == {"a": 1, "b": {"x": True}} and as_json.b.x is True
    with_meta = await kv.getWithMetadata(["b", "zz"], "json")
    assert with_meta == {"b": {"value": {"x": True}, "metadata": {"m": 1}}, "zz": None}


async def test_bulk_get_limits_and_errors(emu):
    kv = emu.env.KV
    await raises(
        kv.get([str(i) for i in range(101)]),
        "Error",
        "KV GET_BULK failed: 400 You can request a maximum of 100 keys",
    )
    await raises(kv.get([]), "Error", "KV GET_BULK failed: 400 You must request a minimum of 1 key")
    await raises(
        kv.get(["a"], "arrayBuffer"),
        "Error",
        'KV GET_BULK failed: 400 "arrayBuffer" is not a valid type. Use "json" or "text"',
    )
    await kv.put("t", "not json")
    await raises(
        kv.get(["t"], "json"),
        "Error",
        "KV GET_BULK failed: 400 At least one of the requested keys corresponds to a non-json value",
    )
    assert len(await kv.get([str(i) for i in range(100)])) == 100


# -- list ---------------------------------------------------------------------------------------


async def test_list_orders_by_utf8_bytes_and_shows_expiration_and_metadata(emu):
    kv = emu.env.KV
    for key in ["b", "a", "é", "Z", "a/1"]:
        await kv.put(key, "v")
    await kv.put("exp", "v", expiration=START_S + 3600, metadata={"k": "v"})
    result = await kv.list()
    assert [k.name for k in result["keys"]] == ["Z", "a", "a/1", "b", "exp", "é"]
    assert result["keys"][4] == {
        "name": "exp",
        "expiration": START_S + 3600,
        "metadata": {"k": "v"},
    }
    assert "expiration" not in result["keys"][0] and "metadata" not in result["keys"][0]
    assert result.list_complete is True and "cursor" not in result
    assert result.cacheStatus is None
    assert [k.name for k in (await kv.list(prefix="a"))["keys"]] == ["a", "a/1"]
    assert [k.name for k in (await kv.list({"prefix": "a/"}))["keys"]] == ["a/1"]


async def test_list_pages_with_cursor(emu):
    kv = emu.env.KV
    for i in range(25):
        await kv.put(f"k{i:02}", "v")
    names: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = await kv.list(limit=10, cursor=cursor)
        pages += 1
        names += [k.name for k in page["keys"]]
        if page.list_complete:
            break
        cursor = page.cursor
        assert isinstance(cursor, str) and cursor
    assert pages == 3 and names == [f"k{i:02}" for i in range(25)]
    assert len((await kv.list(limit=0))["keys"]) == 25  # limit <= 0 is not sent: the default


async def test_list_limits(emu):
    await raises(
        emu.env.KV.list(limit=1001),
        "Error",
        "KV GET failed: 400 Invalid key_count_limit of 1001. Please specify an integer less than 1000.",
    )
    await raises(
        emu.env.KV.list(prefix="p" * 513),
        "Error",
        "KV GET failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512.",
    )
    seed = emu.kv("KV")
    for i in range(1001):
        seed.put(f"key-{i:04}", "v")
    first = await emu.env.KV.list()
    assert len(first["keys"]) == 1000 and first.list_complete is False
    rest = await emu.env.KV.list(cursor=first.cursor)
    assert [k.name for k in rest["keys"]] == ["key-1000"] and rest.list_complete


# -- limits and errors --------------------------------------------------------------------------


async def test_key_names_and_length(emu):
    kv = emu.env.KV
    await raises(kv.get(""), "TypeError", "Key name cannot be empty.")
    await raises(kv.put(".", "v"), "TypeError", '"." is not allowed as a key name.')
    await raises(kv.delete(".."), "TypeError", '".." is not allowed as a key name.')
    await kv.put("é" * 256, "v")  # 512 bytes: the limit
    await raises(
        kv.put("é" * 256 + "x", "v"),
        "Error",
        "KV PUT failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512.",
    )
    await raises(
        kv.get("k" * 600),
        "Error",
        "KV GET failed: 414 UTF-8 encoded length of 600 exceeds key length limit of 512.",
    )
    await raises(
        kv.delete("k" * 513),
        "Error",
        "KV DELETE failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512.",
    )


async def test_value_and_metadata_size(emu):
    kv = emu.env.KV
    await kv.put("max", b"\0" * (25 * 1024 * 1024))
    await raises(
        kv.put("over", b"\0" * (25 * 1024 * 1024 + 1)),
        "Error",
        "KV PUT failed: 413 Value length of 26214401 exceeds limit of 26214400.",
    )
    await kv.put("m", "v", metadata="x" * 1022)  # '"' + 1022 + '"' = 1024 bytes of JSON
    await raises(
        kv.put("m", "v", metadata="x" * 1023),
        "Error",
        "KV PUT failed: 413 Metadata length of 1025 exceeds limit of 1024.",
    )
    assert await kv.get("over") is None


async def test_expiration_options_are_checked(emu):
    kv = emu.env.KV
    await raises(
        kv.put("k", "v", expirationTtl=59),
        "Error",
        "KV PUT failed: 400 Invalid expiration_ttl of 59. Expiration TTL must be at least 60.",
    )
    await raises(
        kv.put("k", "v", expirationTtl=0),
        "Error",
        "KV PUT failed: 400 Invalid expiration_ttl of 0. Please specify integer greater than 0.",
    )
    await raises(
        kv.put("k", "v", expiration=START_S),
        "Error",
        f"KV PUT failed: 400 Invalid expiration of {START_S}. Please specify integer greater "
        "than the current number of seconds since the UNIX epoch.",
    )
    await raises(
        kv.put("k", "v", expiration=START_S + 59),
        "Error",
        f"KV PUT failed: 400 Invalid expiration of {START_S + 59}. Expiration times must be at "
        "least 60 seconds in the future.",
    )
    await kv.put("k", "v", expirationTtl=60)
    await kv.put("k2", "v", expiration=START_S + 60)
    assert await kv.get("k") == "v" and await kv.get("k2") == "v"


async def test_cache_ttl_is_accepted_from_30_seconds(emu):
    await emu.env.KV.put("k", "v")
    assert await emu.env.KV.get("k", cacheTtl=30) == "v"
    assert await emu.env.KV.get("k", {"type": "text", "cacheTtl": 3600}) == "v"
    await raises(
        emu.env.KV.get("k", cacheTtl=29),
        "Error",
        "KV GET failed: 400 Invalid cache_ttl of 29. Cache TTL must be at least 30.",
    )


async def test_snake_case_options_are_ignored_as_in_production_with_a_warning(emu):
    with pytest.warns(RuntimeWarning, match="expirationTtl"):
        await emu.env.KV.put("k", "v", expiration_ttl=60)
    assert (await emu.env.KV.list())["keys"] == [{"name": "k"}]  # no expiration set


# -- expiry on the emulator's clock -------------------------------------------------------------


async def test_a_one_hour_key_expires_when_the_clock_passes_it(emu):
    kv = emu.env.KV
    await kv.put("session", "s", expirationTtl=3600)
    await kv.put("forever", "f")
    await emu.clock.advance("59 minutes")
    assert await kv.get("session") == "s"
    await emu.clock.advance("1 minute")  # now == expiration: gone
    assert await kv.get("session") is None
    assert await kv.getWithMetadata("session") == {
        "value": None,
        "metadata": None,
        "cacheStatus": None,
    }
    assert [k.name for k in (await kv.list())["keys"]] == ["forever"]
    assert await kv.get(["session", "forever"]) == {"session": None, "forever": "f"}


async def test_two_hours_later_a_one_hour_key_is_gone(emu):
    await emu.env.KV.put("k", "v", expirationTtl=3600)
    await emu.clock.advance("2 hours")
    assert await emu.env.KV.get("k") is None
    seed = emu.kv("KV")
    assert seed.get("k") is None and seed.keys() == [] and seed.list()["keys"] == []
    assert seed.namespace.count() == 1  # still on disk: reads skip it
    await emu.env.KV.list()  # the binding's list prunes
    assert seed.namespace.count() == 0


# -- user code, seeding, isolation, persistence -------------------------------------------------


async def test_a_workflow_step_and_the_worker_use_the_binding(emu):
    inst = emu.introspect_instance("CACHE", "c1")
    await emu.env.CACHE.create(id="c1", params={"text": "hi"})
    await inst.wait_for_status("complete")
    assert await inst.get_output() == "hi"
    assert emu.kv("KV").get("greeting") == "hi"
    response = await emu.fetch("/greeting")
    assert await response.text() == "hi"
    await emu.clock.advance("2 hours")
    assert await (await emu.fetch("/greeting")).text() == "missing"


async def test_seeding_through_the_admin_handle(emu):
    seed = emu.kv("KV")
    seed.put("config", {"feature": True})
    seed.put("bin", b"\x00\x01")
    seed.put("tmp", "t", expiration_ttl=60, metadata={"by": "test"})
    assert await emu.env.KV.get("config", "json") == {"feature": True}
    assert (await emu.env.KV.get("bin", "arrayBuffer")).tobytes() == b"\x00\x01"
    assert seed.keys() == ["bin", "config", "tmp"]
    assert seed.get_with_metadata("tmp").metadata == {"by": "test"}
    with pytest.raises(JsException, match="at least 60"):
        seed.put("bad", "v", expiration_ttl=10)
    seed.delete("tmp")
    seed.clear()
    assert seed.keys() == []
    with pytest.raises(KeyError, match="no KV binding 'NOPE'"):
        emu.kv("NOPE")


async def test_each_emulator_has_its_own_empty_namespace(project):
    async with Emulator(project, now=START) as first:
        await first.env.KV.put("k", "first")
        async with Emulator(project, now=START) as second:
            assert await second.env.KV.get("k") is None
        assert await first.env.KV.get("k") == "first"


async def test_persist_to_keeps_data_in_a_wf_file_under_v3_kv(project, tmp_path):
    state = tmp_path / "state"
    async with Emulator(project, now=START, persist_to=state) as emu:
        await emu.env.KV.put("k", "kept", expirationTtl=7200)
    path = namespace_path(state, "0f2ac74b498b48028cb68387c421e279")
    assert path == state / "v3" / "kv" / "wf-0f2ac74b498b48028cb68387c421e279.sqlite"
    assert path.exists()
    async with Emulator(project, now=START, persist_to=state) as again:
        assert await again.env.KV.get("k") == "kept"
        await again.clock.advance("3 hours")
        assert await again.env.KV.get("k") is None


def test_namespaces_without_ids_share_nothing(tmp_path):
    project = write_kv_project(
        tmp_path / "p", namespaces='[{"binding": "KV"}, {"binding": "OTHER", "id": "x/../y"}]'
    )
    root = tmp_path / "root"
    assert namespace_path(root, "KV").name == "wf-KV.sqlite"
    odd = namespace_path(root, "x/../y")
    assert odd.parent == root / "v3" / "kv" and "/" not in odd.name[3:]
    assert project.exists()


def test_an_acknowledged_put_survives_kill_9(project, tmp_path):
    """A child process puts, reports, and is SIGKILLed at once; the value is on disk."""
    state = tmp_path / "state"
    script = textwrap.dedent(
        f"""
        import asyncio, os, signal, sys
        from wf.testing import Emulator

        async def main():
            async with Emulator({str(project)!r}, persist_to={str(state)!r}) as emu:
                for i in range(200):
                    await emu.env.KV.put(f"k{{i}}", "v" * 1000)
                print("acked", flush=True)
                os.kill(os.getpid(), signal.SIGKILL)

        asyncio.run(main())
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == -signal.SIGKILL and "acked" in done.stdout, done.stderr
    from wf.platform.kv import KVAdmin, Namespace

    namespace = Namespace(namespace_path(state, "0f2ac74b498b48028cb68387c421e279"))
    try:
        assert len(KVAdmin(namespace, lambda: START).keys()) == 200
    finally:
        namespace.close()


# -- the CLI ------------------------------------------------------------------------------------


def wf_kv(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_wf("kv", "key", *args, "--cwd", str(project))


def test_cli_put_get_list_delete(project):
    put = wf_kv(project, "put", "greeting", "hello", "--binding", "KV", "--metadata", '{"a":1}')
    assert put.returncode == 0, put.stderr
    assert 'Writing the value "hello" to key "greeting"' in put.stdout
    got = wf_kv(project, "get", "greeting", "--binding", "KV", "--text")
    assert got.stdout == "hello\n"
    assert wf_kv(project, "put", "b", "2", "--ttl", "600").returncode == 0  # one namespace
    listed = json.loads(wf_kv(project, "list", "--binding", "KV").stdout)
    assert listed[0]["name"] == "b" and listed[0]["expiration"] > 0
    assert listed[1] == {"name": "greeting", "metadata": {"a": 1}}
    assert [k["name"] for k in json.loads(wf_kv(project, "list", "--prefix", "g").stdout)] == [
        "greeting"
    ]
    assert "Deleting the key" in wf_kv(project, "delete", "greeting").stdout
    assert wf_kv(project, "get", "greeting").stdout == "Value not found\n"


def test_cli_put_from_a_file_with_an_absolute_expiration(project, tmp_path):
    source = tmp_path / "blob.bin"
    source.write_bytes(b"\x00\xffdata")
    when = int(__import__("time").time()) + 3600
    put = wf_kv(project, "put", "blob", "--path", str(source), "--expiration", str(when))
    assert put.returncode == 0, put.stderr
    command = [*wf_command(), "kv", "key", "get", "blob", "--cwd", str(project)]
    assert subprocess.run(command, capture_output=True, timeout=60).stdout == b"\x00\xffdata\n"
    assert json.loads(wf_kv(project, "list").stdout) == [{"name": "blob", "expiration": when}]


def test_cli_errors_are_one_line(project):
    short = wf_kv(project, "put", "k", "v", "--ttl", "10")
    assert short.returncode == 1
    assert short.stderr.strip() == (
        "Error: KV PUT failed: 400 Invalid expiration_ttl of 10. Expiration TTL must be at "
        "least 60."
    )
    unknown = wf_kv(project, "get", "k", "--binding", "NOPE")
    assert unknown.returncode == 1 and "no KV namespace with binding 'NOPE'" in unknown.stderr
    bad = wf_kv(project, "put", "k", "v", "--metadata", "{nope")
    assert bad.returncode == 1 and "Error while parsing metadata" in bad.stderr


async def test_cli_and_emulator_share_the_persisted_files(project, tmp_path):
    state = tmp_path / "state"
    done = run_wf(
        "kv", "key", "put", "k", "from-cli", "--cwd", str(project), "--persist-to", str(state)
    )
    assert done.returncode == 0, done.stderr
    async with Emulator(project, persist_to=state) as emu:
        assert await emu.env.KV.get("k") == "from-cli"


def _http(port: int, path: str, method: str = "GET", body: bytes | None = None) -> str:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, method=method)
    with urllib.request.urlopen(request, timeout=10) as response:
        text: str = response.read().decode()
        return text


def test_wf_dev_manual_time_advance_expires_keys_for_the_worker_and_the_cli(project):
    with DevServer(project, "--time", "manual") as server:
        server.wait_ready()
        assert _http(server.port, "/session", "PUT", b"s") == "stored"  # expirationTtl=3600
        assert _http(server.port, "/session") == "s"
        assert wf_kv(project, "get", "session", "--text").stdout == "s\n"
        advanced = run_wf("time", "advance", "2 hours", "--port", str(server.port))
        assert advanced.returncode == 0, advanced.stderr
        assert _http(server.port, "/session") == "missing"
        assert wf_kv(project, "get", "session").stdout == "Value not found\n"
        assert json.loads(wf_kv(project, "list").stdout) == []


def test_wf_dev_put_acknowledged_then_kill_9_is_kept(project):
    with DevServer(project, "--time", "manual") as server:
        server.wait_ready()
        assert _http(server.port, "/k", "PUT", b"durable") == "stored"
        server.kill()
    assert wf_kv(project, "get", "k", "--text").stdout == "durable\n"
    root = project / ".wrangler" / "state" / "v3" / "kv"
    assert [p.name for p in root.glob("wf-*.sqlite")] == [
        "wf-0f2ac74b498b48028cb68387c421e279.sqlite"
    ]


USER_TESTS = """
import pytest


@pytest.mark.parametrize("run", [1, 2])
async def test_each_test_starts_empty(wf, run):
    assert (await wf.env.KV.list())["keys"] == []
    wf.kv("KV").put("seeded", "yes", expiration_ttl=3600)
    await wf.env.KV.put(f"run-{run}", "v")
    assert await wf.env.KV.get("seeded") == "yes"
    await wf.clock.advance("2 hours")
    assert await wf.env.KV.get("seeded") is None
"""


def test_the_pytest_fixture_gives_each_test_its_own_empty_namespace(project):
    from tests.testing.test_plugin import run_pytest

    (project / "tests").mkdir()
    (project / "tests" / "test_user.py").write_text(USER_TESTS)
    (project / "pytest.ini").write_text("[pytest]\n")
    outcomes = run_pytest(project)
    assert outcomes == {
        "test_each_test_starts_empty[1]": "passed",
        "test_each_test_starts_empty[2]": "passed",
    }
