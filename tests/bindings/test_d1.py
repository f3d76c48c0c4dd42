"""D1 bindings: every call of env.DB with production's results, conversions, errors and limits;
batch atomicity; files where wrangler keeps them; migrations; seeding; the `wf d1` commands;
and a kill -9 in the middle of a D1 batch inside a step."""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import START
from tests.devserver import DevServer, run_wf, wait_for
from wf.clock import Clock
from wf.config import ConfigError, load_config
from wf.platform import Platform
from wf.platform.d1 import (
    D1Database,
    D1Error,
    Database,
    database_path,
    durable_object_id,
)
from wf.runtime.workers import JsDict
from wf.testing import Emulator

ROOT = Path(__file__).resolve().parents[2]
REMINDERS = ROOT / "fixtures" / "reminders"


@pytest.fixture
def db() -> D1Database:
    database = D1Database(Database(None, "test"))
    return database


async def users(db: D1Database) -> D1Database:
    await db.exec("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, email TEXT UNIQUE)")
    await db.prepare("INSERT INTO users (name, email) VALUES (?, ?)").bind("Ada", "ada@x").run()
    await db.prepare("INSERT INTO users (name, email) VALUES (?, ?)").bind("Bob", "bob@x").run()
    return db


async def error_of(awaitable: Any) -> str:
    with pytest.raises(D1Error) as caught:
        await awaitable
    return caught.value.message


# -- queries and their results ---------------------------------------------------------------


async def test_first_returns_the_first_row_as_a_jsdict_or_none(db: D1Database) -> None:
    await users(db)
    row = await db.prepare("SELECT * FROM users WHERE id = ?").bind(1).first()
    assert row == {"id": 1, "name": "Ada", "email": "ada@x"}
    assert isinstance(row, JsDict) and row.name == "Ada"
    assert await db.prepare("SELECT * FROM users WHERE id = ?").bind(9).first() is None
    assert await db.prepare("SELECT name FROM users ORDER BY id DESC").first("name") == "Bob"


async def test_first_with_a_missing_column_is_d1_column_notfound(db: D1Database) -> None:
    await users(db)
    stmt = db.prepare("SELECT name FROM users")
    assert await error_of(stmt.first("nope")) == "D1_COLUMN_NOTFOUND: Column not found (nope)"
    # A keyword becomes an options object in JavaScript, and None is null: neither is a column.
    assert "([object Object])" in await error_of(stmt.first(column="name"))
    assert "(null)" in await error_of(stmt.first(None))
    # With no row there is nothing to look a column up in.
    assert await db.prepare("SELECT name FROM users WHERE 0").first("nope") is None


async def test_all_and_run_give_results_success_and_meta(db: D1Database) -> None:
    await users(db)
    result = await db.prepare("SELECT id, name FROM users ORDER BY id").all()
    assert result["success"] is True and result.success is True
    assert result["results"] == [{"id": 1, "name": "Ada"}, {"id": 2, "name": "Bob"}]
    meta = result["meta"]
    assert {
        "duration",
        "changes",
        "last_row_id",
        "changed_db",
        "size_after",
        "rows_read",
        "rows_written",
        "served_by",
    } <= set(meta)
    assert meta["changes"] == 0 and meta["changed_db"] is False and meta["rows_read"] == 2
    written = await db.prepare("INSERT INTO users (name) VALUES ('Cy')").run()
    assert written["results"] == []
    assert written["meta"]["changes"] == 1 and written["meta"]["last_row_id"] == 3
    assert written["meta"]["rows_written"] == 1 and written["meta"]["changed_db"] is True
    assert written["meta"]["size_after"] > 0
    updated = await db.prepare("UPDATE users SET name = upper(name)").run()
    assert updated["meta"]["changes"] == 3
    assert (await db.prepare("SELECT 1 AS one").run())["results"] == [{"one": 1}]


async def test_raw_gives_lists_and_column_names_first(db: D1Database) -> None:
    await users(db)
    stmt = db.prepare("SELECT id, name FROM users ORDER BY id")
    assert await stmt.raw() == [[1, "Ada"], [2, "Bob"]]
    assert await stmt.raw(columnNames=True) == [["id", "name"], [1, "Ada"], [2, "Bob"]]
    assert await stmt.raw({"columnNames": True}) == [["id", "name"], [1, "Ada"], [2, "Bob"]]
    empty = db.prepare("SELECT id, name FROM users WHERE 0")
    assert await empty.raw(columnNames=True) == [["id", "name"]]
    # Duplicate names: the row object keeps the last value, raw() keeps both.
    both = db.prepare("SELECT 1 AS a, 2 AS a")
    assert await both.first() == {"a": 2}
    assert await both.raw(columnNames=True) == [["a", "a"], [1, 2]]


async def test_bind_makes_a_new_statement_and_supports_ordered_parameters(
    db: D1Database,
) -> None:
    await users(db)
    base = db.prepare("SELECT ?2 || '-' || ?1 AS v")
    assert await base.bind("a", "b").first("v") == "b-a"
    assert await base.bind("x", "y").first("v") == "y-x"
    reused = db.prepare("SELECT name FROM users WHERE id = ?")
    one, two = reused.bind(1), reused.bind(2)
    assert [await one.first("name"), await two.first("name")] == ["Ada", "Bob"]


async def test_a_query_runs_when_called_even_if_never_awaited(db: D1Database) -> None:
    await users(db)
    pending = db.prepare("INSERT INTO users (name) VALUES ('Quiet')").run()
    assert await db.prepare("SELECT count(*) AS n FROM users").first("n") == 3
    await pending
    # What comes back is a coroutine, as workers-py returns: tasks and gather take it.
    task = asyncio.create_task(db.prepare("SELECT count(*) AS n FROM users").first("n"))
    assert await task == 3


async def test_several_statements_in_one_prepare_return_the_last(db: D1Database) -> None:
    result = await db.prepare("CREATE TABLE t (x); INSERT INTO t VALUES (1); SELECT x FROM t").all()
    assert result["results"] == [{"x": 1}]


# -- values ----------------------------------------------------------------------------------


async def test_values_are_converted_as_production_converts_them(db: D1Database) -> None:
    await db.exec("CREATE TABLE v (x)")
    insert = db.prepare("INSERT INTO v VALUES (?)")
    for value in [None, True, False, 7, 2.0, 2.5, "text", b"\x00\xff", [1, 2, 255], float("nan")]:
        await insert.bind(value).run()
    rows = await db.prepare("SELECT x, typeof(x) AS t FROM v ORDER BY rowid").raw()
    assert rows == [
        [None, "null"],
        [1, "integer"],  # booleans are 1 and 0
        [0, "integer"],
        [7, "integer"],
        [2, "integer"],  # a whole float travels as JSON `2`
        [2.5, "real"],
        ["text", "text"],
        [[0, 255], "blob"],  # BLOBs come back as lists of byte values
        [[1, 2, 255], "blob"],  # a list of bytes is a BLOB
        [None, "null"],  # NaN is null in JSON
    ]


async def test_large_integers_lose_precision_on_the_way_out(db: D1Database) -> None:
    row = await db.prepare(
        "SELECT 9007199254740993 AS big, 9007199254740991 AS safe, 3.0 AS r"
    ).first()
    assert row == {"big": 9007199254740992.0, "safe": 9007199254740991, "r": 3}
    assert isinstance(row["big"], float) and isinstance(row["r"], int)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (2**53, "D1_TYPE_ERROR: Type 'bigint' not supported for value '9007199254740992'"),
        ({"a": 1}, "D1_TYPE_ERROR: Type 'object' not supported for value '[object Object]'"),
        ([1, 300], "D1_TYPE_ERROR: Type 'object' not supported for value '1,300'"),
        ([True], "D1_TYPE_ERROR: Type 'object' not supported for value 'true'"),
    ],
)
def test_unsupported_bind_values_are_d1_type_errors(
    db: D1Database, value: Any, message: str
) -> None:
    with pytest.raises(D1Error) as caught:
        db.prepare("SELECT ?").bind(value)
    assert caught.value.message == message
    assert str(caught.value) == f"Error: {message}"


@pytest.mark.parametrize("value", [(1, 2), bytearray(b"x")])
def test_values_python_cannot_send_to_javascript_are_type_errors(
    db: D1Database, value: Any
) -> None:
    with pytest.raises(TypeError, match="cannot be sent over RPC"):
        db.prepare("SELECT ?").bind(value)


# -- errors and limits -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "params", "message"),
    [
        ("SELECT * FROM users", [], "D1_ERROR: no such table: users: SQLITE_ERROR"),
        ("SELECT * FROM", [], "D1_ERROR: incomplete input: SQLITE_ERROR"),
        ("SELECT ?", [1, 2], "D1_ERROR: Wrong number of parameter bindings for SQL query."),
        ("SELECT ?, ?", [1], "D1_ERROR: Wrong number of parameter bindings for SQL query."),
        ("  -- nothing\n", [], "D1_ERROR: No SQL statements detected."),
    ],
)
async def test_sql_errors_have_production_text(
    db: D1Database, sql: str, params: list[Any], message: str
) -> None:
    assert await error_of(db.prepare(sql).bind(*params).all()) == message


async def test_constraint_errors_name_the_extended_code(db: D1Database) -> None:
    await users(db)
    dup = db.prepare("INSERT INTO users (id, name) VALUES (1, 'again')").run()
    assert await error_of(dup) == (
        "D1_ERROR: UNIQUE constraint failed: users.id: SQLITE_CONSTRAINT "
        "(extended: SQLITE_CONSTRAINT_PRIMARYKEY)"
    )


async def test_sql_transactions_and_reserved_tables_are_refused(
    db: D1Database, tmp_path: Path
) -> None:
    assert "please use the state.storage.transaction()" in await error_of(
        db.prepare("BEGIN TRANSACTION").run()
    )
    assert "SAVEPOINT statements" in await error_of(db.prepare("SAVEPOINT a").run())
    assert await error_of(db.prepare("CREATE TABLE _cf_x (a)").run()) == (
        "D1_ERROR: not authorized: SQLITE_AUTH"
    )
    # workerd's own table in a file wrangler made: visible, but off limits.
    path = tmp_path / "made-by-workerd.sqlite"
    with sqlite3.connect(path) as workerd:
        workerd.execute("CREATE TABLE _cf_METADATA (key INTEGER PRIMARY KEY, value BLOB)")
    made = D1Database(Database(path, "made"))
    assert await error_of(made.prepare("SELECT * FROM _cf_METADATA").all()) == (
        "D1_ERROR: access to _cf_METADATA.key is prohibited: SQLITE_AUTH"
    )


async def test_production_limits_hold(db: D1Database) -> None:
    hundred = db.prepare("SELECT " + ", ".join("?" for _ in range(100)))
    assert len(await hundred.bind(*range(100)).raw()) == 1
    too_many = db.prepare("SELECT " + ", ".join("?" for _ in range(101)))
    assert "too many SQL variables" in await error_of(too_many.bind(*range(101)).all())
    assert "SQLITE_TOOBIG" in await error_of(db.prepare("SELECT ?").bind("x" * 2_000_001).all())
    long_sql = "SELECT 1" + " " * 100_000
    assert "SQLITE_TOOBIG" in await error_of(db.prepare(long_sql).all())


# -- batch and exec --------------------------------------------------------------------------


async def test_batch_returns_one_result_per_statement(db: D1Database) -> None:
    await users(db)
    results = await db.batch(
        [
            db.prepare("INSERT INTO users (name) VALUES (?)").bind("Cy"),
            db.prepare("SELECT name FROM users ORDER BY id"),
        ]
    )
    assert [r["success"] for r in results] == [True, True]
    assert results[0]["meta"]["changes"] == 1 and results[0]["results"] == []
    assert [u["name"] for u in results[1]["results"]] == ["Ada", "Bob", "Cy"]


async def test_batch_is_all_or_nothing(db: D1Database) -> None:
    await users(db)
    batch = db.batch(
        [
            db.prepare("INSERT INTO users (name) VALUES ('one')"),
            db.prepare("UPDATE users SET name = 'changed'"),
            db.prepare("INSERT INTO users (id, name) VALUES (1, 'duplicate')"),
        ]
    )
    assert "UNIQUE constraint failed: users.id" in await error_of(batch)
    rows = await db.prepare("SELECT name FROM users ORDER BY id").raw()
    assert rows == [["Ada"], ["Bob"]]


async def test_batch_refuses_what_is_not_a_list_of_statements(db: D1Database) -> None:
    with pytest.raises(TypeError, match="cannot be sent over RPC"):
        db.batch((db.prepare("SELECT 1"),))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        db.batch(["SELECT 1"])  # type: ignore[list-item]
    assert await error_of(db.batch([])) == "D1_ERROR: No SQL statements detected."


async def test_exec_runs_one_query_per_line(db: D1Database) -> None:
    result = await db.exec(
        "CREATE TABLE t (x);\nINSERT INTO t VALUES (1); INSERT INTO t VALUES (2);\n\n"
    )
    assert result["count"] == 2 and result["duration"] >= 0
    assert await db.prepare("SELECT count(*) AS n FROM t").first("n") == 2
    failing = db.exec("INSERT INTO t VALUES (3)\nINSERT INTO nope VALUES (1)")
    assert await error_of(failing) == (
        "D1_EXEC_ERROR: Error in line 2: INSERT INTO nope VALUES (1): "
        "no such table: nope: SQLITE_ERROR"
    )
    assert await db.prepare("SELECT count(*) AS n FROM t").first("n") == 2  # line 1 undone
    # A statement split over lines is two broken queries, as in production.
    assert "incomplete input" in await error_of(db.exec("SELECT\n1"))


# -- sessions --------------------------------------------------------------------------------


async def test_sessions_carry_a_bookmark_that_only_moves_forward(db: D1Database) -> None:
    await users(db)
    session = db.withSession("first-primary")
    assert session.getBookmark() is None
    await session.prepare("SELECT 1").all()
    first = session.getBookmark()
    assert isinstance(first, str) and first
    await session.batch([session.prepare("INSERT INTO users (name) VALUES ('Dee')")])
    second = session.getBookmark()
    assert second is not None and second > first
    resumed = db.withSession(second)
    assert resumed.getBookmark() == second
    assert await resumed.prepare("SELECT count(*) AS n FROM users").first("n") == 3
    assert db.withSession().getBookmark() is None  # first-unconstrained
    assert db.withSession("   ").getBookmark() is None


# -- where the data lives --------------------------------------------------------------------


def test_the_file_name_is_miniflares_durable_object_id() -> None:
    # Checked against the files `wrangler d1 execute --local` (4.86.0) creates.
    assert durable_object_id(
        "miniflare-D1DatabaseObject", "11111111-2222-3333-4444-555555555555"
    ) == ("f023adf8de81e80d62670e09f086149af129cccda34c51f26517069258c53e8c")
    assert database_path(Path("state"), "bbbb") == Path(
        "state/v3/d1/miniflare-D1DatabaseObject/"
        "2b2acf9bd0472fa6d0c3e5c096bdf7f805e44454b5889f18d488949f45880a2d.sqlite"
    )


def write_d1_project(root: Path, databases: str, source: str = "") -> Path:
    (root / "src").mkdir(parents=True, exist_ok=True)
    (root / "src" / "entry.py").write_text(textwrap.dedent(source))
    (root / "wrangler.jsonc").write_text(
        '{"name": "d1-test", "main": "src/entry.py", "compatibility_date": "2026-08-14",\n'
        ' "compatibility_flags": ["python_workers"],\n'
        f' "d1_databases": {databases}}}\n'
    )
    return root


def test_local_id_is_preview_id_then_id_then_binding(tmp_path: Path) -> None:
    write_d1_project(
        tmp_path,
        '[{"binding": "A", "database_id": "a", "preview_database_id": "p"},'
        ' {"binding": "B", "database_id": "b"}, {"binding": "C"}]',
    )
    config = load_config(tmp_path)
    assert [d.local_id for d in config.d1_databases] == ["p", "b", "C"]


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ('{"binding": "DB", "migrations_table": "x; DROP TABLE y"}', "migrations_table"),
        ('{"binding": "DB", "database_id": ""}', "database_id"),
    ],
)
def test_bad_d1_fields_are_config_errors(tmp_path: Path, entry: str, field: str) -> None:
    write_d1_project(tmp_path, f"[{entry}]")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    assert f"d1_databases[0].{field}" in str(caught.value)


async def test_a_write_is_committed_in_the_file_before_the_call_returns(tmp_path: Path) -> None:
    write_d1_project(tmp_path, '[{"binding": "DB", "database_id": "db-1"}]')
    config = load_config(tmp_path)
    platform = Platform(tmp_path / "state", Clock("manual", now=START))
    try:
        env = platform.bindings(config)
        path = database_path(tmp_path / "state", "db-1")
        await env["DB"].exec("CREATE TABLE t (x)")
        pending = env["DB"].prepare("INSERT INTO t VALUES (?)").bind(42).run()
        # Before it is even awaited, a second connection (another process) sees the row.
        with sqlite3.connect(path) as other:
            assert other.execute("SELECT x FROM t").fetchall() == [(42,)]
            assert other.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        await pending
    finally:
        platform.close()


# -- tests: migrations and seeding -----------------------------------------------------------


async def test_each_emulator_gets_its_own_migrated_database() -> None:
    async with Emulator(REMINDERS, now=START) as first:
        first.d1("DB").execute("INSERT INTO users (name, email) VALUES ('Ada', 'a@x')")
        assert first.d1("DB").tables() == ["reminders", "users"]
        assert first.d1("DB").migrations() == [
            "0001_create_users.sql",
            "0002_create_reminders.sql",
        ]
        async with Emulator(REMINDERS, now=START) as second:
            assert second.d1("DB").execute("SELECT * FROM users") == []
        [row] = first.d1("DB").execute("SELECT applied_at FROM d1_migrations LIMIT 1")
        assert row["applied_at"] == "2026-01-01 00:00:00"  # the virtual clock


async def test_seeded_rows_are_read_by_the_workflow_and_its_writes_inspected() -> None:
    async with Emulator(REMINDERS, now=START) as emu:
        emu.d1("DB").execute(
            "INSERT INTO users (id, name, email) VALUES (?, ?, ?)", 7, "Ada", "a@x"
        )
        reminder = emu.introspect_instance(emu.env.REMINDERS, "r")
        await emu.env.REMINDERS.create(id="r", params={"user_id": 7})
        await reminder.wait_for_status("waiting")
        await emu.clock.advance("7 days")
        output = await reminder.get_output()
        assert output["sent"] == {"sent_to": "a@x"}
        [row] = emu.d1("DB").execute("SELECT user_id, created_at, sent_at FROM reminders")
        week = 7 * 24 * 3600 * 1000
        assert row["user_id"] == 7 and row["created_at"] >= START + week
        with pytest.raises(D1Error, match="no such table: nope"):
            emu.d1("DB").execute("SELECT * FROM nope")
        with pytest.raises(KeyError, match="no D1 binding"):
            emu.d1("NOPE")


# -- the CLI ---------------------------------------------------------------------------------


def copy_reminders(tmp_path: Path) -> Path:
    project = tmp_path / "reminders"
    shutil.copytree(REMINDERS, project, ignore=shutil.ignore_patterns(".wrangler", ".wf", "tests"))
    return project


def wf_ok(*args: str) -> str:
    result = run_wf(*args)
    assert result.returncode == 0, f"wf {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_cli_migrations_and_execute_share_the_file_with_the_binding(tmp_path: Path) -> None:
    project = copy_reminders(tmp_path)
    at = ("--cwd", str(project))
    listed = wf_ok("d1", "migrations", "list", "DB", *at, "--json")
    assert json.loads(listed) == ["0001_create_users.sql", "0002_create_reminders.sql"]
    applied = wf_ok("d1", "migrations", "apply", "DB", "--local", *at)
    assert "0002_create_reminders.sql" in applied
    assert "No migrations to apply" in wf_ok("d1", "migrations", "apply", "DB", *at)
    wf_ok(
        "d1",
        "execute",
        "reminders-db",
        *at,
        "--command",
        "INSERT INTO users (name, email) VALUES ('Ada', 'a@x')",
    )
    out = json.loads(
        wf_ok("d1", "execute", "DB", *at, "--json", "--command", "SELECT name FROM users")
    )
    assert out[0]["results"] == [{"name": "Ada"}] and out[0]["success"] is True
    path = database_path(project / ".wrangler" / "state", "00000000-0000-4000-8000-000000000001")
    with sqlite3.connect(path) as other:
        assert other.execute("SELECT name FROM d1_migrations ORDER BY id").fetchall() == [
            ("0001_create_users.sql",),
            ("0002_create_reminders.sql",),
        ]
    # --persist-to moves the data, as wrangler's does.
    moved = tmp_path / "elsewhere"
    wf_ok("d1", "migrations", "apply", "DB", *at, "--persist-to", str(moved))
    assert database_path(moved, "00000000-0000-4000-8000-000000000001").exists()


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    project = copy_reminders(tmp_path)
    at = ("--cwd", str(project))
    bad = run_wf("d1", "execute", "DB", *at, "--command", "SELECT * FROM nope")
    assert bad.returncode == 1 and "no such table: nope: SQLITE_ERROR" in bad.stderr
    missing = run_wf("d1", "execute", "NOPE", *at, "--command", "SELECT 1")
    assert "Couldn't find a D1 DB with the name or binding 'NOPE'" in missing.stderr
    neither = run_wf("d1", "execute", "DB", *at)
    assert neither.returncode != 0 and "--command or --file" in neither.stderr
    created = wf_ok("d1", "migrations", "create", "DB", "add index", *at)
    assert "0003_add_index.sql" in created
    text = (project / "migrations" / "0003_add_index.sql").read_text()
    assert text.startswith("-- Migration number: 0003 \t ")


# -- kill -9 inside a step -------------------------------------------------------------------

BATCH_ROWS = 20_000
CRASH_SOURCE = f"""
from workers import Response, WorkerEntrypoint, WorkflowEntrypoint


class Load(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do()
        async def load():
            db = self.env.DB
            await db.prepare("INSERT INTO attempts DEFAULT VALUES").run()
            insert = db.prepare("INSERT OR REPLACE INTO items (id, payload) VALUES (?, ?)")
            rows = [insert.bind(i, "x" * 200) for i in range({BATCH_ROWS})]
            for _ in range(4):  # a long write: four batches of the same rows
                await db.batch(rows)
            return "loaded"

        return await load()


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        instance = await self.env.LOAD.create(id="crash")
        return Response(instance.id)
"""


def test_kill_during_a_batch_in_a_step_keeps_all_or_nothing_and_reruns_the_step(
    tmp_path: Path,
) -> None:
    project = write_d1_project(
        tmp_path / "crash", '[{"binding": "DB", "database_id": "crash"}]', CRASH_SOURCE
    )
    config_path = project / "wrangler.jsonc"
    config_path.write_text(
        config_path.read_text().replace(
            '"d1_databases"',
            '"workflows": [{"name": "load", "binding": "LOAD", "class_name": "Load"}],\n'
            ' "d1_databases"',
        )
    )
    (project / "migrations").mkdir()
    (project / "migrations" / "0001_init.sql").write_text(
        "CREATE TABLE attempts (n INTEGER PRIMARY KEY);\n"
        "CREATE TABLE items (id INTEGER PRIMARY KEY, payload TEXT);\n"
    )
    wf_ok("d1", "migrations", "apply", "DB", "--cwd", str(project))
    path = database_path(project / ".wrangler" / "state", "crash")

    def count(sql: str) -> int:
        with sqlite3.connect(path, timeout=10) as other:
            return int(other.execute(sql).fetchone()[0])

    with DevServer(project, "--time", "manual").wait_ready() as server:
        import urllib.request

        urllib.request.urlopen(f"http://127.0.0.1:{server.port}/", timeout=10).read()
        wait_for(lambda: count("SELECT count(*) FROM attempts") >= 1, what="the step to start")
        time.sleep(0.05)  # well inside the batches (real time: a crash, not virtual time)
        server.kill()
    after_kill = count("SELECT count(*) FROM items")
    assert after_kill in (0, BATCH_ROWS), after_kill

    with DevServer(project, "--time", "manual").wait_ready() as again:

        def complete() -> bool:
            out = run_wf("instances", "describe", "load", "crash", "--json", port=again.port)
            return out.returncode == 0 and json.loads(out.stdout).get("status") == "complete"

        wait_for(complete, timeout=60, what="the instance to complete")
    assert count("SELECT count(*) FROM items") == BATCH_ROWS
    assert count("SELECT count(*) FROM attempts") == 2  # the step ran again after the crash


def test_cli_execute_file_runs_in_one_transaction(tmp_path: Path) -> None:
    project = copy_reminders(tmp_path)
    at = ("--cwd", str(project))
    wf_ok("d1", "migrations", "apply", "DB", *at)
    seed = tmp_path / "seed.sql"
    seed.write_text(
        "-- two users, then a duplicate: nothing of it must stay\n"
        "INSERT INTO users (id, name, email) VALUES (1, 'Ada', 'a@x');\n"
        "INSERT INTO users (id, name, email) VALUES (2, 'Bob', 'b@x');\n"
        "INSERT INTO users (id, name, email) VALUES (1, 'Again', 'c@x');\n"
    )
    failed = run_wf("d1", "execute", "DB", *at, "--file", str(seed))
    assert failed.returncode == 1 and "UNIQUE constraint failed: users.id" in failed.stderr
    out = json.loads(
        wf_ok("d1", "execute", "DB", *at, "--json", "--command", "SELECT count(*) AS n FROM users")
    )
    assert out[0]["results"] == [{"n": 0}]
    seed.write_text(seed.read_text().rsplit("INSERT", 1)[0])
    done = wf_ok("d1", "execute", "DB", *at, "--file", str(seed))
    assert "2 commands executed successfully" in done


def test_the_readme_flow_of_the_reminders_project(tmp_path: Path) -> None:
    project = copy_reminders(tmp_path)
    at = ("--cwd", str(project))
    wf_ok("d1", "migrations", "apply", "DB", *at)
    wf_ok(
        "d1",
        "execute",
        "DB",
        *at,
        "--command",
        "INSERT INTO users (id, name, email) VALUES (1, 'Ada', 'ada@example.com')",
    )
    with DevServer(project, "--time", "manual").wait_ready() as server:
        result = run_wf("trigger", "reminders", '{"user_id": 1}', "--id", "ada", port=server.port)
        assert result.returncode == 0, result.stderr
        assert run_wf("time", "advance", "7 days", port=server.port).returncode == 0

        def reminders() -> list[dict[str, Any]]:
            out = wf_ok(
                "d1",
                "execute",
                "DB",
                *at,
                "--json",
                "--command",
                "SELECT user_id, sent_at FROM reminders",
            )
            rows: list[dict[str, Any]] = json.loads(out)[0]["results"]
            return rows if rows and rows[0]["sent_at"] is not None else []

        [row] = wait_for(reminders, timeout=30, what="the reminder to be sent")
        assert row["user_id"] == 1
        server.wait_log("to ada@example.com")


async def test_foreign_keys_are_enforced_and_stay_on(db: D1Database) -> None:
    await db.exec(
        "CREATE TABLE p (id INTEGER PRIMARY KEY)\nCREATE TABLE c (pid INTEGER REFERENCES p (id))"
    )
    orphan = db.prepare("INSERT INTO c VALUES (5)")
    message = (
        "FOREIGN KEY constraint failed: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_FOREIGNKEY)"
    )
    assert await error_of(orphan.run()) == f"D1_ERROR: {message}"
    await db.prepare("PRAGMA foreign_keys = OFF").run()  # a no-op in D1's implicit transaction
    assert await error_of(orphan.run()) == f"D1_ERROR: {message}"
    assert await db.prepare("PRAGMA foreign_keys").first("foreign_keys") == 1
    # defer_foreign_keys lets one batch hold a violation it repairs before committing.
    await db.batch(
        [
            db.prepare("PRAGMA defer_foreign_keys = ON"),
            db.prepare("INSERT INTO c VALUES (7)"),
            db.prepare("INSERT INTO p VALUES (7)"),
        ]
    )


@pytest.mark.parametrize(
    "pragma", ["page_count", "user_version", "journal_mode = DELETE", "cache_size"]
)
async def test_pragmas_workerd_refuses_are_not_authorized(db: D1Database, pragma: str) -> None:
    assert (
        await error_of(db.prepare(f"PRAGMA {pragma}").all())
        == "D1_ERROR: not authorized: SQLITE_AUTH"
    )


async def test_pragmas_workerd_allows_answer(db: D1Database) -> None:
    await users(db)
    columns = await db.prepare("PRAGMA table_info(users)").all()
    assert [c["name"] for c in columns["results"]] == ["id", "name", "email"]
    assert await db.prepare("PRAGMA quick_check").first("quick_check") == "ok"
