"""Durable Objects: namespaces, ids and stubs, RPC conversions, ctx.storage (key-value and SQL),
alarms on the virtual clock, the input gate, blockConcurrencyWhile, eviction, durability, and
Durable Objects with Workflows, in the test Emulator and in `wf dev`.

Semantics from: workers-py ``packages/runtime-sdk/src/workers/_workers.py`` and
``entrypoints.py`` (``_DurableObjectNamespaceWrapper``, ``_FetcherWrapper``,
``DurableObjectContext``); workerd ``src/pyodide/internal/introspection.py`` (``wrapper_func``:
arguments through ``python_from_rpc``, results through ``python_to_rpc``); cloudflare-docs
``durable-objects/api/sqlite-storage-api`` (storage API, deleteAll and the alarm from
2026-02-24), ``durable-objects/api/alarms`` (retries from 2 s, up to 6),
``durable-objects/platform/limits`` (2 KiB keys and 128 KiB values for KV-backed classes, 2 MB
key and value for SQLite-backed ones, 100 KB statements, 100 bindings) and
``durable-objects/concepts/durable-object-lifecycle`` (idle objects leave memory).
"""

from __future__ import annotations

import asyncio
import datetime
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
from tests.devserver import DevServer as _DevServer
from tests.devserver import run_wf, wait_for
from tests.server.test_dashboard import _dump_dom, needs_chromium
from wf.config import ConfigError, load_config
from wf.platform.durable_objects import ALARM_RETRIES, IDLE_EVICT_MS
from wf.project import LoadError
from wf.runtime.pyodide.ffi import JsException
from wf.runtime.workers import JsDict, Response
from wf.testing import Emulator


class DevServer(_DevServer):
    start_timeout = 60.0  # a loaded machine starts wf dev slowly


# Tests that move time far ahead see objects evicted: the warning is asserted where it matters.
pytestmark = [
    pytest.mark.filterwarnings("ignore:Durable Object .* was evicted:RuntimeWarning"),
    pytest.mark.filterwarnings("ignore:cursor.rowsRead in wf:RuntimeWarning"),
]

SOURCE = """
import asyncio
import time

from workers import DurableObject, Response, WorkerEntrypoint, WorkflowEntrypoint


class Counter(DurableObject):
    def __init__(self, ctx, env):
        super().__init__(ctx, env)
        self.calls = 0  # in-memory state: lost on eviction

    async def increment(self, by=1):
        value = (await self.ctx.storage.get("count") or 0) + by
        await self.ctx.storage.put("count", value)
        self.calls += 1
        return value

    async def slow_increment(self, log):
        value = await self.ctx.storage.get("count") or 0
        await asyncio.to_thread(time.sleep, 0.01)  # other I/O, not storage: events may run
        await self.ctx.storage.put("count", value + 1)
        return value + 1

    async def record(self, label):
        order = await self.ctx.storage.get("order") or []
        await self.ctx.storage.put("order", [*order, label])
        return label

    async def memory(self):
        return self.calls

    async def echo(self, *args):
        return list(args)

    async def whoami(self):
        return {"id": self.ctx.id.toString(), "name": self.ctx.id.name}

    async def fail(self):
        raise ValueError("boom")

    async def start_workflow(self, instance_id):
        instance = await self.env.FLOW.create(id=instance_id, params={"from": "durable object"})
        return instance.id

    def _private(self):
        return "hidden"

    async def fetch(self, request):
        count = await self.ctx.storage.get("count")
        return Response(f"{request.method} {request.url} count={count}")


class Ledger(DurableObject):
    async def add(self, item, amount):
        sql = self.ctx.storage.sql
        sql.exec("CREATE TABLE IF NOT EXISTS entries (item TEXT, amount INTEGER)")
        cursor = sql.exec("INSERT INTO entries VALUES (?, ?)", item, amount)
        return cursor.rowsWritten

    async def total(self):
        return self.ctx.storage.sql.exec("SELECT sum(amount) AS total FROM entries").one()["total"]


class Legacy(DurableObject):
    async def put(self, key, value):
        await self.ctx.storage.put(key, value)

    async def sql(self):
        return self.ctx.storage.sql.exec("SELECT 1").toArray()


class Alarmed(DurableObject):
    async def schedule(self, at_ms):
        await self.ctx.storage.setAlarm(at_ms)
        return await self.ctx.storage.getAlarm()

    async def cancel(self):
        await self.ctx.storage.deleteAlarm()

    async def fail_times(self, n):
        await self.ctx.storage.put("fail", n)

    async def runs(self):
        return await self.ctx.storage.get("runs") or []

    async def alarm(self, info):
        runs = await self.ctx.storage.get("runs") or []
        await self.ctx.storage.put("runs", [*runs, {"retryCount": info.retryCount, "isRetry": info.isRetry}])
        left = await self.ctx.storage.get("fail") or 0
        if left:
            await self.ctx.storage.put("fail", left - 1)
            raise RuntimeError("alarm failed")


class Gated(DurableObject):
    def __init__(self, ctx, env):
        super().__init__(ctx, env)
        self.ready = False
        ctx.blockConcurrencyWhile(self.load)

    async def load(self):
        await asyncio.to_thread(time.sleep, 0.02)  # I/O that takes real time
        self.ready = True

    async def is_ready(self):
        return self.ready


class Flow(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do()
        async def bump():
            return await self.env.COUNTER.getByName("from-workflow").increment(5)

        return {"count": await bump(), "payload": event["payload"]}


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = request.url.split("://", 1)[-1].split("/", 1)[-1]
        if path == "alarm":
            due = time.time() * 1000 + 60_000
            return Response(str(await self.env.ALARMED.getByName("dev").schedule(due)))
        if path == "alarm-runs":
            return Response(str(len(await self.env.ALARMED.getByName("dev").runs())))
        if path == "start":
            instance = await self.env.FLOW.create(params={"via": "worker"})
            return Response(instance.id)
        stub = self.env.COUNTER.getByName(path or "root")
        if request.method == "POST":
            return Response(str(await stub.increment()))
        return await stub.fetch("https://counter.internal/" + path)
"""

CONFIG = """{
  "name": "do-project",
  "main": "src/entry.py",
  "compatibility_date": "2026-08-14",
  "compatibility_flags": ["python_workers"],
  "workflows": [{"name": "flow", "binding": "FLOW", "class_name": "Flow"}],
  "durable_objects": {"bindings": [
    {"name": "COUNTER", "class_name": "Counter"},
    {"name": "LEDGER", "class_name": "Ledger"},
    {"name": "LEGACY", "class_name": "Legacy"},
    {"name": "ALARMED", "class_name": "Alarmed"},
    {"name": "GATED", "class_name": "Gated"}
  ]},
  "migrations": [
    {"tag": "v1", "new_classes": ["Legacy"]},
    {"tag": "v2", "new_sqlite_classes": ["Counter", "Ledger", "Alarmed", "Gated"]}
  ]
}
"""


def write_project(root: Path, source: str = SOURCE, config: str = CONFIG) -> Path:
    (root / "src").mkdir(parents=True, exist_ok=True)
    (root / "src" / "entry.py").write_text(textwrap.dedent(source))
    (root / "wrangler.jsonc").write_text(config)
    return root


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_project(tmp_path / "project")


@pytest.fixture
async def emu(project: Path) -> Any:
    async with Emulator(project, now=START) as emulator:
        yield emulator


async def raises(awaitable: Any, name: str, text: str) -> JsException:
    with pytest.raises(JsException) as caught:
        await awaitable
    assert caught.value.name == name, caught.value
    assert text in caught.value.message, caught.value.message
    return caught.value


# -- ids and stubs ------------------------------------------------------------------------------


async def test_ids_from_names_are_stable_and_tied_to_their_namespace(emu):
    counter, ledger = emu.env.COUNTER, emu.env.LEDGER
    a = counter.idFromName("a")
    assert a.equals(counter.idFromName("a")) and not a.equals(counter.idFromName("b"))
    assert len(a.toString()) == 64 and a.name == "a"
    assert counter.idFromString(a.toString()).equals(a)
    assert counter.idFromString(a.toString()).name is None  # as production: no name
    unique = counter.newUniqueId()
    assert unique.name is None and not unique.equals(counter.newUniqueId())
    with pytest.raises(JsException, match="64 hex digits"):
        counter.idFromString("nope")
    with pytest.raises(JsException, match="not valid for this namespace"):
        ledger.idFromString(a.toString())
    with pytest.raises(JsException, match="not valid for this namespace"):
        ledger.get(a)


async def test_one_instance_per_id_keeps_in_memory_state(emu):
    a, again, b = (emu.env.COUNTER.getByName(n) for n in ("a", "a", "b"))
    assert await a.increment() == 1
    assert await again.increment(2) == 3
    assert await b.increment() == 1
    assert await a.memory() == 2 and await b.memory() == 1
    assert await a.whoami() == {"id": emu.env.COUNTER.idFromName("a").toString(), "name": "a"}
    same = emu.env.COUNTER.get(emu.env.COUNTER.idFromName("a"))
    assert await same.increment() == 4
    assert emu.durable_object("COUNTER").constructions("a") == 1


async def test_rpc_converts_arguments_and_results_as_the_sdk(emu):
    stub = emu.env.COUNTER.getByName("conv")
    when = datetime.datetime(2026, 5, 1, 12, 0)
    got = await stub.echo({"a": [1, {"b": None}]}, b"\x00\x01", 2.0, when, {1, 2})
    assert isinstance(got[0], JsDict) and got[0].a[1].b is None
    assert isinstance(got[1], memoryview) and bytes(got[1]) == b"\x00\x01"
    assert got[2] == 2 and got[4] == {1, 2}
    assert got[3].getTime() == when.replace(tzinfo=datetime.UTC).timestamp() * 1000
    # Keyword arguments reach the object as one trailing dict, as Pyodide passes them to JS.
    with pytest.warns(RuntimeWarning, match="keyword arguments reach the Durable Object"):
        assert await stub.echo(1, by=2) == [1, {"by": 2}]
    with pytest.raises(TypeError, match="cannot be sent over RPC"):
        stub.echo((1, 2))  # refused at the call, by the SDK


async def test_rpc_errors_reach_the_caller(emu):
    stub = emu.env.COUNTER.getByName("err")
    err = await raises(stub.fail(), "Error", "PythonError")
    assert "ValueError: boom" in err.message
    await raises(stub.nope(), "TypeError", 'does not implement the method "nope"')
    with pytest.raises(AttributeError):
        stub._private  # noqa: B018  (private names are not RPC methods)
    await raises(stub.alarm(), "TypeError", 'does not implement the method "alarm"')


async def test_stub_fetch_calls_the_objects_fetch(emu):
    stub = emu.env.COUNTER.getByName("web")
    await stub.increment(7)
    response = await stub.fetch("https://counter.internal/x", method="PUT")
    assert isinstance(response, Response)
    assert await response.text() == "PUT https://counter.internal/x count=7"
    with pytest.raises(TypeError, match="absolute URL"):
        await stub.fetch("/relative")
    answer = await emu.fetch("/web")  # the Worker forwards to the same object
    assert await answer.text() == "GET https://counter.internal/web count=7"
    assert await (await emu.fetch("/web", method="POST")).text() == "8"


# -- storage: key-value API ---------------------------------------------------------------------

STORAGE = """
from workers import DurableObject


class Store(DurableObject):
    async def call(self, method, *args):
        return await getattr(self.ctx.storage, method)(*args)

    async def call_kw(self, method, options):
        return await getattr(self.ctx.storage, method)(**options)

    async def unawaited_put(self, key, value):
        self.ctx.storage.put(key, value)  # not awaited: the write happens anyway
        return await self.ctx.storage.get(key)

    async def txn(self, rollback):
        async def work(txn):
            await txn.put("t", 1)
            if rollback:
                txn.rollback()
            return "done"

        return await self.ctx.storage.transaction(work)

    async def sync_kv(self):
        kv = self.ctx.storage.kv
        kv.put("s", {"x": 1})
        return [kv.get("s"), kv.delete("s"), kv.get("s"), list(kv.list())]

    async def sql(self, query, *bindings):
        cursor = self.ctx.storage.sql.exec(query, *bindings)
        return {"rows": cursor.toArray(), "columns": cursor.columnNames,
                "read": cursor.rowsRead, "written": cursor.rowsWritten}

    async def sql_cursor(self):
        sql = self.ctx.storage.sql
        sql.exec("CREATE TABLE t (a INTEGER, b TEXT, c BLOB, d REAL)")
        for i in range(3):
            sql.exec("INSERT INTO t VALUES (?, ?, ?, ?)", i, f"r{i}", b"\\x01", i + 0.5)
        cursor = sql.exec("SELECT * FROM t ORDER BY a")
        first = cursor.next()
        raw = cursor.raw().next()
        rest = cursor.toArray()
        return {"first": first, "raw": raw, "rest": rest, "read": cursor.rowsRead,
                "iterated": [row["b"] for row in sql.exec("SELECT b FROM t")],
                "size": sql.databaseSize > 0}

    async def sql_one(self, query):
        return self.ctx.storage.sql.exec(query).one()

    async def sql_txn(self, fail):
        sql = self.ctx.storage.sql
        sql.exec("CREATE TABLE IF NOT EXISTS n (v INTEGER)")

        def work():
            sql.exec("INSERT INTO n VALUES (1)")
            if fail:
                raise ValueError("undo")
            return "kept"

        try:
            return self.ctx.storage.transactionSync(work)
        except ValueError:
            return sql.exec("SELECT count(*) AS n FROM n").one()["n"]


class Kv(Store):
    pass
"""

STORAGE_CONFIG = """{
  "name": "storage", "main": "src/entry.py", "compatibility_date": "%s",
  "compatibility_flags": %s,
  "durable_objects": {"bindings": [{"name": "S", "class_name": "Store"},
                                   {"name": "KV", "class_name": "Kv"}]},
  "migrations": [{"tag": "v1", "new_sqlite_classes": ["Store"], "new_classes": ["Kv"]}]
}"""


@pytest.fixture
async def store(tmp_path: Path) -> Any:
    root = write_project(
        tmp_path / "storage", STORAGE, STORAGE_CONFIG % ("2026-08-14", '["python_workers"]')
    )
    async with Emulator(root, now=START) as emulator:
        yield emulator


async def test_put_get_delete_one_and_many_keys(store):
    s = store.env.S.getByName("x")
    assert await s.call("get", "missing") is None
    await s.call("put", "a", {"n": 1})
    await s.call("put", {"c": 3, "b": [2]})
    assert await s.call("get", "a") == {"n": 1}
    assert await s.call("get", ["c", "a", "zz"]) == {"a": {"n": 1}, "c": 3}
    assert list(await s.call("get", ["c", "a", "b"])) == ["a", "b", "c"]  # key order
    assert await s.call("delete", "a") is True and await s.call("delete", "a") is False
    assert await s.call("delete", ["b", "c", "nope"]) == 2
    assert await s.unawaited_put("u", 1) == 1


async def test_list_options(store):
    s = store.env.S.getByName("list")
    await s.call("put", {k: i for i, k in enumerate(["a", "b:1", "b:2", "b:3", "c", "é"])})
    listed = await s.call_kw("list", {})
    assert list(listed) == ["a", "b:1", "b:2", "b:3", "c", "é"]  # UTF-8 byte order
    assert list(await s.call_kw("list", {"prefix": "b:"})) == ["b:1", "b:2", "b:3"]
    assert list(await s.call_kw("list", {"start": "b:2", "end": "c"})) == ["b:2", "b:3"]
    assert list(await s.call_kw("list", {"startAfter": "b:2"})) == ["b:3", "c", "é"]
    assert list(await s.call_kw("list", {"reverse": True, "limit": 2})) == ["é", "c"]
    assert list(await s.call_kw("list", {"prefix": "b:", "reverse": True})) == ["b:3", "b:2", "b:1"]
    await raises(s.call_kw("list", {"start": "a", "startAfter": "a"}), "TypeError", "both start")
    await raises(s.call_kw("list", {"limit": 0}), "RangeError", "List limit must be positive")
    await s.call("deleteAll")
    assert await s.call_kw("list", {}) == {}


async def test_values_round_trip_as_structured_clones(store):
    s = store.env.S.getByName("values")
    when = datetime.datetime(2026, 1, 2, 3, 4, 5)
    for key, value in [
        ("bytes", b"\xff"),
        ("set", {1}),
        ("date", when),
        ("nested", {"a": [1, None]}),
    ]:
        await s.call("put", key, value)
    got = await s.call("get", ["bytes", "set", "date", "nested"])
    assert bytes(got["bytes"]) == b"\xff" and got["set"] == {1}
    assert got["date"].getTime() == when.replace(tzinfo=datetime.UTC).timestamp() * 1000
    assert got["nested"].a == [1, None]


async def test_key_and_value_limits_follow_the_storage_backend(store):
    kv, sqlite = store.env.KV.getByName("limits"), store.env.S.getByName("limits")
    await raises(kv.call("put", "k" * 2049, 1), "RangeError", "Keys cannot be larger than 2048")
    await raises(
        kv.call("put", "k", "v" * 140_000), "RangeError", "Values cannot be larger than 131072"
    )
    await kv.call("put", "k" * 2048, "v" * 130_000)
    await sqlite.call("put", "k" * 4096, "v" * 140_000)  # SQLite-backed: 2 MB together
    await raises(sqlite.call("put", "k", "v" * 2_100_000), "RangeError", "cannot exceed")
    await raises(sqlite.call("get", [str(i) for i in range(129)]), "RangeError", "128")


async def test_transactions_commit_or_roll_back(store):
    s = store.env.S.getByName("txn")
    assert await s.txn(False) == "done" and await s.call("get", "t") == 1
    await s.call("delete", "t")
    assert await s.txn(True) == "done"  # rollback() undoes the writes, not the result
    assert await s.call("get", "t") is None
    assert await s.sql_txn(False) == "kept"
    assert await s.sql_txn(True) == 1  # the failed transaction's insert is gone


async def test_synchronous_kv_api(store):
    s = store.env.S.getByName("sync")
    assert await s.sync_kv() == [{"x": 1}, True, None, []]


# -- storage: SQL API ---------------------------------------------------------------------------


async def test_sql_exec_and_its_cursor(store):
    s = store.env.S.getByName("sql")
    got = await s.sql_cursor()
    assert got["first"] == {"done": False, "value": {"a": 0, "b": "r0", "c": b"\x01", "d": 0.5}}
    assert got["raw"]["value"][:2] == [1, "r1"]
    assert [r["a"] for r in got["rest"]] == [2] and got["read"] == 3
    assert got["iterated"] == ["r0", "r1", "r2"] and got["size"]
    many = await s.sql("CREATE TABLE m (x); INSERT INTO m VALUES (1), (2); SELECT x FROM m")
    assert many["rows"] == [{"x": 1}, {"x": 2}] and many["columns"] == ["x"]
    assert (await s.sql("UPDATE m SET x = x + 1"))["written"] == 2
    await raises(s.sql_one("SELECT x FROM m"), "Error", "but got multiple results")
    await raises(s.sql_one("SELECT x FROM m WHERE x > 5"), "Error", "but got no results")
    assert await s.sql_one("SELECT 1 AS one") == {"one": 1}
    await raises(s.sql("SELECT nope FROM m"), "Error", "no such column: nope")


async def test_rows_read_says_what_it_counts(store, monkeypatch):
    from wf.platform.durable_objects import _api

    monkeypatch.setattr(_api, "_warned_rows_read", False)
    with pytest.warns(RuntimeWarning, match="rowsRead in wf counts the rows the cursor returned"):
        assert (await store.env.S.getByName("r").sql("SELECT 1 AS x"))["read"] == 1


async def test_before_the_sdk_date_namespaces_keep_the_sdk_shape(tmp_path):
    root = write_project(
        tmp_path / "old", STORAGE, STORAGE_CONFIG % ("2026-04-20", '["python_workers"]')
    )
    with pytest.warns(RuntimeWarning, match="before the runtime SDK's"):
        emu = Emulator(root, now=START)
    async with emu:
        await emu.env.S.getByName("x").call("put", "k", 1)
        assert await emu.env.S.getByName("x").call("get", "k") == 1


async def test_sql_cannot_reach_the_hidden_key_value_table(store):
    s = store.env.S.getByName("hidden")
    await s.call("put", "secret", 1)
    await raises(s.sql("SELECT * FROM __cf_kv"), "Error", "prohibited: SQLITE_AUTH")
    tables = await s.sql("SELECT name FROM sqlite_master WHERE type = 'table'")
    assert {"name": "__cf_kv"} in tables["rows"]  # listed, as production lists it


async def test_sql_needs_a_sqlite_backed_class(emu):
    await raises(emu.env.LEGACY.getByName("x").sql(), "Error", "new_sqlite_classes")
    ledger = emu.env.LEDGER.getByName("books")
    assert await ledger.add("tea", 3) == 1
    await ledger.add("cake", 4)
    assert await ledger.total() == 7
    assert emu.durable_object("LEDGER").sql("SELECT count(*) AS n FROM entries", name="books") == [
        {"n": 2}
    ]


async def test_delete_all_removes_the_alarm_unless_a_flag_keeps_it(tmp_path):
    """From 2026-02-24 deleteAll() deletes the alarm too; delete_all_preserves_alarm keeps it."""
    for flags, kept in [
        ('["python_workers", "delete_all_preserves_alarm"]', True),
        ('["python_workers"]', False),
    ]:
        date = "2026-08-14"
        root = write_project(tmp_path / str(kept), STORAGE, STORAGE_CONFIG % (date, flags))
        async with Emulator(root, now=START) as emu:
            s = emu.env.S.getByName("x")
            await s.call("put", "k", 1)
            await s.call("setAlarm", START + 60_000)
            await s.sql("CREATE TABLE gone (x)")
            await s.call("deleteAll")
            assert await s.call("get", "k") is None
            assert (await s.sql("SELECT name FROM sqlite_master WHERE name = 'gone'"))["rows"] == []
            assert (await s.call("getAlarm") is not None) == kept, flags


# -- alarms -------------------------------------------------------------------------------------


async def test_alarm_fires_when_the_clock_reaches_it(emu):
    stub = emu.env.ALARMED.getByName("a")
    assert await stub.schedule(START + 60_000) == START + 60_000
    await emu.clock.advance("59 s")
    assert await stub.runs() == []
    await emu.clock.advance("1 s")
    assert await stub.runs() == [{"retryCount": 0, "isRetry": False}]
    assert emu.durable_object("ALARMED").alarm("a") is None


async def test_a_deleted_alarm_does_not_fire_and_a_past_one_fires_at_once(emu):
    stub = emu.env.ALARMED.getByName("b")
    await stub.schedule(START + 1000)
    await stub.cancel()
    await emu.clock.advance("1 hour")
    assert await stub.runs() == []
    await stub.schedule(0)  # in the past: due now
    await emu.clock.advance(0)
    assert len(await stub.runs()) == 1


async def test_a_failing_alarm_is_retried_with_backoff_then_given_up(emu, capsys):
    stub = emu.env.ALARMED.getByName("flaky")
    await stub.fail_times(100)
    await stub.schedule(START + 1000)
    await emu.clock.advance("1 s")
    assert len(await stub.runs()) == 1
    await emu.clock.advance(1999)
    assert len(await stub.runs()) == 1  # the first retry is 2 s after the failure
    await emu.clock.advance(1)
    assert len(await stub.runs()) == 2
    await emu.clock.advance("1 hour")
    runs = await stub.runs()
    assert [r["retryCount"] for r in runs] == list(range(ALARM_RETRIES + 1))
    assert runs[1]["isRetry"] is True
    assert emu.durable_object("ALARMED").alarm("flaky") is None
    assert "giving up after 6 retries" in capsys.readouterr().err


async def test_a_retried_alarm_that_succeeds_stops_retrying(emu):
    stub = emu.env.ALARMED.getByName("once")
    await stub.fail_times(1)
    await stub.schedule(START + 1000)
    await emu.clock.advance("1 hour")
    assert [r["retryCount"] for r in await stub.runs()] == [0, 1]


async def test_an_alarm_interrupted_by_a_crash_runs_again_at_start(project, tmp_path):
    """At-least-once: an alarm whose handler was running when the process died runs again."""
    state = tmp_path / "state"
    async with Emulator(project, now=START, persist_to=state) as emu:
        await emu.env.ALARMED.getByName("c").schedule(START + 1000)
        host = emu.durable_object("ALARMED")._host("c", None)
        host.file.set_alarm(START + 1000, running=True)  # as if killed inside alarm()
        host.cancel_alarm_timer()
    async with Emulator(project, now=START, persist_to=state) as emu:
        await emu.clock.advance(0)
        assert len(await emu.env.ALARMED.getByName("c").runs()) == 1


async def test_alarms_survive_a_restart(project, tmp_path):
    state = tmp_path / "state"
    async with Emulator(project, now=START, persist_to=state) as emu:
        await emu.env.ALARMED.getByName("p").schedule(START + 3_600_000)
    async with Emulator(project, now=START, persist_to=state) as emu:
        assert emu.durable_object("ALARMED").alarm("p") == START + 3_600_000
        await emu.clock.advance("1 hour")
        assert len(await emu.env.ALARMED.getByName("p").runs()) == 1


# -- the input gate, blockConcurrencyWhile, eviction --------------------------------------------


async def test_concurrent_calls_run_in_arrival_order_without_lost_updates(emu):
    stub = emu.env.COUNTER.getByName("gate")
    results = await asyncio.gather(*(stub.increment() for _ in range(20)))
    assert results == list(range(1, 21))  # each read-modify-write saw the one before
    labels = await asyncio.gather(*(stub.record(f"c{i}") for i in range(5)))
    assert await emu.env.COUNTER.getByName("gate").echo() == []
    assert emu.durable_object("COUNTER").storage("gate")["order"] == labels


async def test_awaiting_something_else_than_storage_lets_the_next_call_in(emu):
    """Production's input gate only holds events during storage calls: an object that awaits
    other I/O between a read and a write loses updates there too."""
    stub = emu.env.COUNTER.getByName("racy")
    assert await asyncio.gather(stub.slow_increment(1), stub.slow_increment(2)) == [1, 1]


async def test_block_concurrency_while_holds_calls_until_it_is_done(emu):
    assert await emu.env.GATED.getByName("g").is_ready() is True


async def test_idle_objects_are_evicted_and_lose_in_memory_state(emu):
    stub = emu.env.COUNTER.getByName("idle")
    await stub.increment()
    await emu.clock.advance(IDLE_EVICT_MS - 1)
    assert await stub.memory() == 1  # still in memory
    await emu.clock.advance(IDLE_EVICT_MS)
    admin = emu.durable_object("COUNTER")
    assert not admin.in_memory("idle")
    with pytest.warns(RuntimeWarning, match="evicted after 10 s without events"):
        assert await stub.memory() == 0  # constructed again: in-memory state is gone
    assert await stub.increment() == 2  # storage stays
    assert admin.constructions("idle") == 2


async def test_evict_durable_objects_forces_eviction(emu):
    stub = emu.env.COUNTER.getByName("forced")
    await stub.increment()
    assert emu.evict_durable_objects() >= 1
    assert await stub.memory() == 0 and emu.durable_object("COUNTER").storage("forced") == {
        "count": 1
    }


# -- durability ---------------------------------------------------------------------------------


async def test_storage_persists_one_file_per_object_where_wrangler_keeps_them(project, tmp_path):
    state = tmp_path / "state"
    async with Emulator(project, now=START, persist_to=state) as emu:
        await emu.env.COUNTER.getByName("p").increment(4)
        await emu.env.LEDGER.getByName("p").add("x", 1)
        key = emu.durable_object("COUNTER").id("p")
    files = sorted(p.relative_to(state).as_posix() for p in state.glob("v3/do/*/wf-*.sqlite"))
    assert f"v3/do/do-project-Counter/wf-{key}.sqlite" in files and len(files) == 2
    async with Emulator(project, now=START, persist_to=state) as emu:
        assert await emu.env.COUNTER.getByName("p").increment() == 5
        assert await emu.env.LEDGER.getByName("p").total() == 1
        assert emu.durable_object("COUNTER").ids() == [key]


def test_an_acknowledged_write_survives_kill_9(project, tmp_path):
    state = tmp_path / "state"
    script = textwrap.dedent(
        f"""
        import asyncio, os, signal
        from wf.testing import Emulator

        async def main():
            async with Emulator({str(project)!r}, persist_to={str(state)!r}) as emu:
                stub = emu.env.COUNTER.getByName("k")
                for _ in range(50):
                    await stub.increment()
                await emu.env.LEDGER.getByName("k").add("x", 2)
                print("acked", flush=True)
                os.kill(os.getpid(), signal.SIGKILL)

        asyncio.run(main())
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == -signal.SIGKILL and "acked" in done.stdout, done.stderr

    async def check() -> None:
        async with Emulator(project, persist_to=state) as emu:
            assert emu.durable_object("COUNTER").storage("k") == {"count": 50}
            assert await emu.env.LEDGER.getByName("k").total() == 2

    asyncio.run(check())


# -- with Workflows -----------------------------------------------------------------------------


async def test_a_durable_object_starts_a_workflow_and_a_step_calls_a_durable_object(emu):
    instance_id = await emu.env.COUNTER.getByName("starter").start_workflow("run-1")
    assert instance_id == "run-1"
    instance = emu.introspect_instance("FLOW", "run-1")
    await instance.wait_for_status("complete")
    output = await instance.get_output()
    assert output == {"count": 5, "payload": {"from": "durable object"}}
    assert emu.durable_object("COUNTER").storage("from-workflow") == {"count": 5}


# -- config and code ----------------------------------------------------------------------------


def test_config_errors_name_the_field(tmp_path):
    def load(config: str) -> Any:
        root = write_project(tmp_path / str(abs(hash(config))), SOURCE, config)
        return load_config(root / "wrangler.jsonc")

    base = '{"name": "x", "main": "src/entry.py", %s}'
    cases = {
        '"durable_objects": {"bindings": [{"name": "A"}]}': (
            "durable_objects.bindings[0].class_name: required"
        ),
        '"durable_objects": {"bindings": [{"name": "A", "class_name": "C"}, '
        '{"name": "A", "class_name": "D"}]}': 'bindings[1].name: duplicate binding "A"',
        '"migrations": [{"tag": "v1", "new_classes": ["C"]}, '
        '{"tag": "v2", "new_sqlite_classes": ["C"]}]': "migrations[1].new_sqlite_classes[0]: "
        'class "C" is already created at migrations[0].new_classes[0]',
        '"migrations": [{"new_classes": ["C"]}]': "migrations[0].tag: required",
        '"durable_objects": {"bindings": [{"name": "KV", "class_name": "C"}]}, '
        '"kv_namespaces": [{"binding": "KV"}]': 'durable_objects.bindings[0].name: "KV" is already',
    }
    for fragment, message in cases.items():
        with pytest.raises(ConfigError) as caught:
            load(base % fragment)
        assert message in str(caught.value), str(caught.value)


def test_a_class_without_a_migration_is_warned_about(tmp_path):
    root = write_project(
        tmp_path / "p",
        SOURCE,
        '{"name": "x", "main": "src/entry.py", '
        '"durable_objects": {"bindings": [{"name": "COUNTER", "class_name": "Counter"}]}}',
    )
    config = load_config(root / "wrangler.jsonc")
    assert config.durable_objects[0].sqlite is True
    assert 'class "Counter" has no migration' in config.warnings[0]


def test_a_class_of_another_worker_is_named_as_not_emulated(tmp_path):
    root = write_project(
        tmp_path / "p",
        SOURCE,
        '{"name": "x", "main": "src/entry.py", "durable_objects": {"bindings": '
        '[{"name": "REMOTE", "class_name": "Room", "script_name": "chat"}]}}',
    )
    config = load_config(root / "wrangler.jsonc")
    assert (
        'durable_objects.bindings[0].script_name: class "Room" of Worker "chat"'
        in (config.warnings[0])
    )
    assert "env.REMOTE fails when used" in config.warnings[0]


def test_a_missing_class_fails_the_load(tmp_path):
    root = write_project(
        tmp_path / "p",
        SOURCE,
        '{"name": "x", "main": "src/entry.py", "compatibility_flags": ["python_workers"], '
        '"durable_objects": {"bindings": [{"name": "N", "class_name": "Nope"}]}, '
        '"migrations": [{"tag": "v1", "new_sqlite_classes": ["Nope"]}]}',
    )
    with pytest.raises(
        LoadError,
        match=r'class "Nope" \(durable_objects.bindings\[0\].class_name\) '
        r"not found in src/entry.py \(DurableObject classes there: Alarmed",
    ):
        Emulator(root)


async def test_a_reload_resets_objects_but_keeps_their_storage(project):
    async with Emulator(project, now=START) as emu:
        stub = emu.env.COUNTER.getByName("r")
        await stub.increment()
        emu.code = emu._load_code()
        assert await stub.memory() == 0 and await stub.increment() == 2


# -- wf dev -------------------------------------------------------------------------------------


def _http(port: int, path: str, method: str = "GET") -> str:
    data = b"" if method == "POST" else None
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method, data=data)
    with urllib.request.urlopen(request, timeout=10) as response:
        text: str = response.read().decode()
        return text


def test_wf_dev_serves_durable_objects_and_keeps_them_across_kill_9(project):
    with DevServer(project, "--time", "manual") as server:
        server.wait_ready()
        assert _http(server.port, "/room", "POST") == "1"
        assert _http(server.port, "/room", "POST") == "2"
        assert _http(server.port, "/room") == "GET https://counter.internal/room count=2"
        server.wait_log("durable object Counter -> env.COUNTER (SQLite storage)")
        listed = json.loads(_http(server.port, "/cdn-cgi/wf/durable_objects/COUNTER"))["result"]
        assert listed["class_name"] == "Counter" and listed["storage"] == "sqlite"
        (room,) = listed["objects"]
        assert room["name"] == "room" and room["keys"] == 1 and room["in_memory"] is True
        one = json.loads(
            _http(server.port, f"/cdn-cgi/wf/durable_objects/COUNTER/objects/{room['id']}")
        )
        assert one["result"]["storage"] == {"count": 2}
        evicted = json.loads(
            _http(server.port, "/cdn-cgi/wf/durable_objects/COUNTER/evict", "POST")
        )
        assert evicted["result"] == {"evicted": 1}
        bindings = json.loads(_http(server.port, "/cdn-cgi/wf/bindings"))["result"]["bindings"]
        assert {"binding": "LEDGER", "type": "durable_object", "class_name": "Ledger"} in bindings
        server.kill()
    with DevServer(project, "--time", "manual") as server:
        server.wait_ready()
        assert _http(server.port, "/room", "POST") == "3"
        assert _http(server.port, "/start", "POST")  # a workflow whose step calls the object
        wait_for(
            lambda: _http(server.port, "/from-workflow").endswith("count=5"),
            what="the workflow's step to reach the Durable Object",
        )


def test_wf_dev_fires_alarms_when_time_advances(project):
    with DevServer(project, "--time", "manual") as server:
        server.wait_ready()
        assert _http(server.port, "/alarm", "POST")
        assert _http(server.port, "/alarm-runs") == "0"
        advanced = run_wf("time", "advance", "2 minutes", "--port", str(server.port))
        assert advanced.returncode == 0, advanced.stderr
        assert _http(server.port, "/alarm-runs") == "1"


README_EXAMPLE = """
import time

from workers import DurableObject, Response, WorkerEntrypoint, WorkflowEntrypoint


class Counter(DurableObject):
    def __init__(self, ctx, env):
        super().__init__(ctx, env)
        ctx.blockConcurrencyWhile(self.load)  # no event is delivered until it is done

    async def load(self):
        self.value = await self.ctx.storage.get("value") or 0

    async def increment(self, by):  # a public method is an RPC method of the stub
        self.value += by
        await self.ctx.storage.put("value", self.value)
        await self.ctx.storage.setAlarm(time.time() * 1000 + 60_000)
        return {"value": self.value}

    async def alarm(self, info):  # info.retryCount, info.isRetry
        await self.env.MY_WORKFLOW.create(id="from-alarm", params={"value": self.value})

    async def fetch(self, request):
        return Response(str(self.value))


class Report(WorkflowEntrypoint):
    async def run(self, event, step):
        return event["payload"]


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        stub = self.env.COUNTER.getByName("global")
        result = await stub.increment(1)
        assert result.value >= 1
        return await stub.fetch("https://counter/")
"""


@pytest.mark.parametrize("time_mode", ["manual", "auto"])
async def test_the_readme_example(tmp_path, time_mode):
    root = write_project(
        tmp_path / "readme",
        README_EXAMPLE,
        '{"name": "readme", "main": "src/entry.py", "compatibility_date": "2026-08-14", '
        '"compatibility_flags": ["python_workers"], '
        '"workflows": [{"name": "report", "binding": "MY_WORKFLOW", "class_name": "Report"}], '
        '"durable_objects": {"bindings": [{"name": "COUNTER", "class_name": "Counter"}]}, '
        '"migrations": [{"tag": "v1", "new_sqlite_classes": ["Counter"]}]}',
    )
    async with Emulator(root, now=START, time=time_mode) as emu:
        assert await (await emu.fetch("/")).text() == "1"
        assert await (await emu.fetch("/")).text() == "2"
        report = emu.introspect_instance("MY_WORKFLOW", "from-alarm")
        if time_mode == "manual":
            await emu.clock.advance("1 minute")
        await report.wait_for_status("complete")
        assert await report.get_output() == {"value": 2}


@needs_chromium
def test_dashboard_shows_durable_objects(project, tmp_path):
    with DevServer(project, "--time", "manual", "--no-reload") as server:
        server.wait_ready()
        assert _http(server.port, "/lobby", "POST") == "1"
        object_id = json.loads(_http(server.port, "/cdn-cgi/wf/durable_objects/COUNTER"))["result"][
            "objects"
        ][0]["id"]
        base = f"http://127.0.0.1:{server.port}/cdn-cgi/wf/?poll#/data"  # ?poll: no live stream for --dump-dom
        listing = _dump_dom(base + "/durable_object/COUNTER", tmp_path / "profile-list")
        one = _dump_dom(base + f"/durable_object/COUNTER/objects/{object_id}", tmp_path / "p-one")
        home = _dump_dom(base, tmp_path / "profile-home")
    assert 'href="#/data/durable_object/COUNTER"' in home and "Durable Object" in home
    assert "class Counter, SQLite storage; 1 object" in listing
    assert f'href="#/data/durable_object/COUNTER/objects/{object_id}"' in listing
    main = listing.split("<main")[1].split("</main>")[0]
    assert "lobby" in main and "banner-error" not in main
    assert '"count": 1' in one and "Key-value storage" in one


async def test_a_constructor_that_raises_fails_the_call(tmp_path):
    source = """
    from workers import DurableObject


    class Broken(DurableObject):
        def __init__(self, ctx, env):
            super().__init__(ctx, env)
            raise KeyError("no config")

        async def ping(self):
            return 1
    """
    root = write_project(
        tmp_path / "broken",
        source,
        '{"name": "b", "main": "src/entry.py", "compatibility_date": "2026-08-14", '
        '"compatibility_flags": ["python_workers"], '
        '"durable_objects": {"bindings": [{"name": "B", "class_name": "Broken"}]}, '
        '"migrations": [{"tag": "v1", "new_sqlite_classes": ["Broken"]}]}',
    )
    async with Emulator(root, now=START) as emu:
        err = await raises(emu.env.B.getByName("x").ping(), "Error", "PythonError")
        assert "KeyError: 'no config'" in err.message
        assert not emu.durable_object("B").in_memory("x")
