"""Binding data over HTTP: what a workflow writes to D1, KV and R2 is browsable and seedable
under /cdn-cgi/wf, and what is seeded there is what the workflow reads."""

from __future__ import annotations

import base64
import textwrap
from pathlib import Path

import pytest

from tests.server.conftest import DevServer

CONFIG = """{
  "name": "data",
  "main": "src/entry.py",
  "compatibility_date": "2026-08-14",
  "compatibility_flags": ["python_workers"],
  "workflows": [{"name": "copy", "binding": "COPY", "class_name": "Copy"}],
  "d1_databases": [{"binding": "DB", "database_name": "db", "database_id": "db-1"}],
  "kv_namespaces": [{"binding": "KV", "id": "kv-1"}],
  "r2_buckets": [{"binding": "BUCKET", "bucket_name": "files"}],
  "queues": {"producers": [{"binding": "JOBS", "queue": "jobs"}]},
  "vectorize": [{"binding": "VEC", "index_name": "docs"}],
}
"""

SOURCE = """
from workers import WorkflowEntrypoint


class Copy(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("copy")
        async def copy():
            greeting = await self.env.KV.get("greeting")
            row = await self.env.DB.prepare("SELECT name FROM users WHERE id = ?").bind(1).first()
            await self.env.DB.prepare("INSERT INTO seen (name) VALUES (?)").bind(row["name"]).run()
            await self.env.BUCKET.put("out/hello.txt", f"{greeting}, {row['name']}")
            await self.env.KV.put("done", "yes", expirationTtl=3600)
            return f"{greeting}, {row['name']}"

        return await copy()
"""

MIGRATION = """
CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE seen (name TEXT NOT NULL);
"""


@pytest.fixture
def server(tmp_path: Path):
    (tmp_path / "src").mkdir()
    (tmp_path / "migrations").mkdir()
    (tmp_path / "wrangler.jsonc").write_text(CONFIG)
    (tmp_path / "src" / "entry.py").write_text(textwrap.dedent(SOURCE))
    (tmp_path / "migrations" / "0001_init.sql").write_text(MIGRATION)
    server = DevServer(tmp_path, "--time", "manual", "--no-reload").wait_ready()
    yield server
    server.stop()


def test_seed_run_and_browse_every_binding(server: DevServer) -> None:
    bindings = server.get("/cdn-cgi/wf/bindings").result
    assert [(b["binding"], b["type"]) for b in bindings["bindings"]] == [
        ("DB", "d1"),
        ("KV", "kv"),
        ("BUCKET", "r2"),
        ("JOBS", "queue"),
    ]
    assert bindings["not_emulated"] == [
        {"binding": "VEC", "kind": "Vectorize index", "field": "vectorize[0]"}
    ]
    server.wait_log("vectorize[0] (VEC): Vectorize index, not emulated yet")

    migrate = "CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);"
    seeded = server.post(
        "/cdn-cgi/wf/d1/DB/query",
        {
            "sql": migrate + " CREATE TABLE IF NOT EXISTS seen (name TEXT);"
            " INSERT INTO users (id, name) VALUES (?, ?)",
            "params": [1, "Ada"],
        },
    )
    assert seeded.status == 200, seeded
    put = server.request("PUT", "/cdn-cgi/wf/kv/KV/keys/greeting", {"value": "Hello"})
    assert put.status == 200, put

    server.explorer("POST", "/workflows/copy/instances", {"id": "c1"})
    assert server.wait_status("copy", "c1", "complete", "errored")["output"] == "Hello, Ada"

    tables = server.get("/cdn-cgi/wf/d1/DB/tables").result
    assert {"name": "seen", "rows": 1} in tables and {"name": "users", "rows": 1} in tables
    rows = server.get("/cdn-cgi/wf/d1/DB/tables/seen")
    assert rows.result["rows"] == [{"name": "Ada"}] and rows.json["result_info"]["total_count"] == 1

    keys = server.get("/cdn-cgi/wf/kv/KV/keys").result
    assert [k["name"] for k in keys] == ["done", "greeting"]
    assert server.get("/cdn-cgi/wf/kv/KV/keys/done").result["value"] == "yes"

    listed = server.get("/cdn-cgi/wf/r2/BUCKET/objects?prefix=out/").result
    assert [(o["key"], o["size"]) for o in listed] == [("out/hello.txt", 10)]
    body = server.get("/cdn-cgi/wf/r2/BUCKET/objects/out/hello.txt")
    assert body.status == 200 and body.body == b"Hello, Ada"

    # KV expiry follows the emulator's clock: the 1-hour key is gone after 2 hours.
    server.advance("2 hours")
    assert server.get("/cdn-cgi/wf/kv/KV/keys/done").status == 404


def test_bad_data_requests_are_4xx_naming_the_problem(server: DevServer) -> None:
    sql = server.post("/cdn-cgi/wf/d1/DB/query", {"sql": "SELECT * FROM nope"})
    assert sql.status == 400 and "no such table: nope" in sql.error
    unknown = server.get("/cdn-cgi/wf/d1/NOPE/tables")
    assert unknown.status == 404 and "NOPE" in unknown.error
    table = server.get("/cdn-cgi/wf/d1/DB/tables/missing")
    assert table.status == 404 and "no table 'missing'" in table.error
    assert server.get("/cdn-cgi/wf/kv/KV/keys/absent").status == 404
    long_key = server.request("PUT", "/cdn-cgi/wf/kv/KV/keys/" + "k" * 600, {"value": "v"})
    assert long_key.status == 400 and "512" in long_key.error
    not_text = server.request("PUT", "/cdn-cgi/wf/kv/KV/keys/x", {"value": 5})
    assert not_text.status == 400 and "value must be a string" in not_text.error
    raw = base64.b64encode(b"\xff\x00").decode()
    binary = server.request(
        "PUT", "/cdn-cgi/wf/kv/KV/keys/bin", {"value": raw, "encoding": "base64"}
    )
    assert binary.status == 200
    assert server.get("/cdn-cgi/wf/kv/KV/keys/bin").result["encoding"] == "base64"
    assert server.get("/cdn-cgi/wf/r2/BUCKET/objects/none").status == 404
