"""D1, KV and R2 on both sides of the runtime SDK's compatibility date (2026-04-21).

From that date production wraps each binding (workers-py
``packages/runtime-sdk/src/workers/_workers.py``: ``_EnvWrapper`` wraps ``KvNamespace``,
``R2Bucket`` and ``D1Database`` in ``_BindingWrapper``, whose results go through
``python_from_rpc`` in ``rpc.py``: objects become ``JsDict``). Before it, user code gets the raw
JS binding: results stay ``JsProxy`` objects with Pyodide's access rules (attributes and
``to_py()``, no subscripting), and keyword arguments still become a trailing JS options object
(Pyodide's JsProxy call rule, the one ``_BindingWrapper.wrapper`` relies on).
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import START
from wf.runtime.js import Object
from wf.runtime.pyodide.ffi import JsArray, JsProxy, to_js
from wf.runtime.workers import JsDict
from wf.runtime.workers._rpc import python_to_rpc

OLD = "2026-04-20"  # the day before the runtime SDK
NEW = "2026-04-21"


def write_project(root: Path, date: str) -> Path:
    (root / "src").mkdir(parents=True, exist_ok=True)
    (root / "src" / "entry.py").write_text(
        textwrap.dedent(
            """
            from workers import WorkflowEntrypoint

            class Reader(WorkflowEntrypoint):
                async def run(self, event, step):
                    @step.do(config={"retries": {"limit": 0, "delay": 1000}})
                    async def read():
                        row = await self.env.DB.prepare("SELECT 1 AS one").first()
                        return row["one"]

                    return await read()
            """
        )
    )
    (root / "wrangler.jsonc").write_text(
        f"""{{
  "name": "dates",
  "main": "src/entry.py",
  "compatibility_date": "{date}",
  "compatibility_flags": ["python_workers"],
  "workflows": [{{"name": "reader", "binding": "READER", "class_name": "Reader"}}],
  "d1_databases": [{{"binding": "DB", "database_name": "db", "database_id": "d1-dates"}}],
  "kv_namespaces": [{{"binding": "KV", "id": "kv-dates"}}],
  "r2_buckets": [{{"binding": "BUCKET", "bucket_name": "dates"}}],
}}
"""
    )
    return root


async def seed(db: Any) -> None:
    await db.exec("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
    await db.prepare("INSERT INTO users (id, name) VALUES (?, ?)").bind(1, "Ada").run()


# -- D1


async def test_d1_on_the_sdk_date_gives_jsdicts(new):
    await seed(new.env.DB)
    row = await new.env.DB.prepare("SELECT * FROM users WHERE id = ?").bind(1).first()
    assert isinstance(row, JsDict)
    assert row["name"] == row.name == "Ada"
    result = await new.env.DB.prepare("SELECT * FROM users").all()
    assert result["results"][0]["name"] == "Ada"


async def test_d1_before_the_sdk_date_gives_raw_jsproxies(old):
    await seed(old.env.DB)
    row = await old.env.DB.prepare("SELECT * FROM users WHERE id = ?").bind(1).first()
    assert isinstance(row, JsProxy) and not isinstance(row, dict)
    assert row.name == "Ada"  # JS properties are attributes
    with pytest.raises(TypeError, match=r"'pyodide\.ffi\.JsProxy' object is not subscriptable"):
        row["name"]
    assert row.to_py() == {"id": 1, "name": "Ada"}
    result = await old.env.DB.prepare("SELECT * FROM users").all()
    assert isinstance(result.results, JsArray)
    assert len(result.results) == 1 and result.results[0].name == "Ada"
    assert result.success is True and result.meta.rows_read == 1
    assert await old.env.DB.prepare("SELECT * FROM users WHERE id = 9").first() is None


async def test_d1_before_the_sdk_date_refuses_nothing_the_sdk_refuses(old, new):
    await seed(new.env.DB)
    with pytest.raises(TypeError, match="cannot be sent over RPC"):
        new.env.DB.prepare("SELECT ?").bind((1, 2))
    # Without the SDK a tuple reaches JS as a PyProxy, and D1 refuses that as an object.
    await seed(old.env.DB)
    with pytest.raises(Exception, match="D1_TYPE_ERROR: Type 'object' not supported"):
        await old.env.DB.prepare("SELECT ?").bind((1, 2)).first()


async def test_code_written_for_the_sdk_breaks_on_an_older_date_inside_a_step(old, new):
    for emu in (new, old):
        await emu.env.READER.create(id="r")
        await emu.settle()
    assert (await (await new.env.READER.get("r")).status())["output"] == 1
    status = await (await old.env.READER.get("r")).status()
    assert status["status"] == "errored"
    assert "not subscriptable" in str(status["error"])


# -- KV


async def test_kv_before_the_sdk_date_keeps_keyword_options_and_raw_results(old):
    kv = old.env.KV
    metadata = to_js({"m": 1}, dict_converter=Object.fromEntries)
    await kv.put("k", '{"a": [1, {"b": 2}]}', expirationTtl=3600, metadata=metadata)
    value = await kv.get("k", type="json")
    assert isinstance(value, JsProxy) and value.a[1].b == 2
    with pytest.raises(TypeError, match="not subscriptable"):
        value["a"]
    both = await kv.getWithMetadata("k")
    assert both.value == '{"a": [1, {"b": 2}]}' and both.metadata.m == 1
    listing = await kv.list()
    assert listing.list_complete is True
    assert [key.name for key in listing.keys] == ["k"]
    assert listing.keys[0].expiration == START // 1000 + 3600
    assert await kv.get("missing") is None


async def test_kv_on_the_sdk_date_gives_jsdicts(new):
    await new.env.KV.put("k", '{"a": 1}', metadata={"m": 1})
    assert (await new.env.KV.get("k", type="json"))["a"] == 1
    assert (await new.env.KV.getWithMetadata("k"))["metadata"]["m"] == 1


async def test_kv_before_the_sdk_date_a_python_dict_is_not_options(old):
    # Positional options: the SDK turns the dict into a JS object; without it JS gets a
    # PyProxy and reads no "type" from it, so the value comes back as text (UNCONFIRMED).
    await old.env.KV.put("k", '{"a": 1}')
    with pytest.warns(RuntimeWarning, match="keys JS does not read"):
        value = await old.env.KV.get("k", {"type": "json"})
    assert value == '{"a": 1}'


async def test_kv_before_the_sdk_date_bytes_are_not_a_buffer(old, new):
    await new.env.KV.put("bin", b"\x00\x01")
    assert bytes(await new.env.KV.get("bin", type="arrayBuffer")) == b"\x00\x01"
    # Pyodide converts only str, numbers, bool and None implicitly: bytes become a PyProxy,
    # which KV refuses as a value.
    with pytest.raises(Exception, match="KV put\\(\\) accepts only strings"):
        await old.env.KV.put("bin", b"\x00\x01")


# -- R2


async def test_r2_before_the_sdk_date_objects_are_raw(old):
    bucket = old.env.BUCKET
    http = python_to_rpc({"contentType": "text/plain"})
    put = await bucket.put("a.txt", "hello", httpMetadata=http)
    assert put.key == "a.txt" and put.size == 5
    obj = await bucket.get("a.txt")
    assert await obj.text() == "hello"
    assert obj.httpMetadata.contentType == "text/plain"
    with pytest.raises(TypeError, match="not subscriptable"):
        obj.httpMetadata["contentType"]
    assert obj.uploaded.getTime() == START  # a JS Date, not a datetime
    listing = await bucket.list()
    assert listing.truncated is False and listing.objects[0].key == "a.txt"
    assert await bucket.get("missing") is None


async def test_r2_on_the_sdk_date_converts(new):
    await new.env.BUCKET.put("a.txt", "hello", httpMetadata={"contentType": "text/plain"})
    obj = await new.env.BUCKET.get("a.txt")
    assert obj.httpMetadata["contentType"] == "text/plain"
    assert obj.uploaded.year >= 2026  # python_from_rpc makes the Date a datetime
