"""Acknowledged means durable, and recovery after a crash: buffered events, monotonic time.

Whether a write is committed is read through a second SQLite connection on the same file,
which sees only committed transactions, at the very moment the write is acknowledged.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from tests.conftest import START
from wf.clock import LEASE_S, Clock
from wf.engine import Engine
from wf.project import Project
from wf.server import create_app
from wf.store import Store

CALLER = """
from workers import WorkflowEntrypoint

class Waiter(WorkflowEntrypoint):
    async def run(self, event, step):
        got = await step.wait_for_event("wait", "go", timeout="1 day")
        return got["payload"]

class Caller(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("create")
        async def create():
            await self.env.WAITER.create(id="child", params={})
            return committed(event["payload"]["db"], "SELECT COUNT(*) FROM instances WHERE id = 'child'")
        @step.do("send")
        async def send():
            handle = await self.env.WAITER.get("child")
            await handle.send_event(type="go", payload={"n": 1})
            return committed(event["payload"]["db"], "SELECT COUNT(*) FROM events")
        return [await create(), await send()]

def committed(path, sql):
    import sqlite3
    with sqlite3.connect(path) as other:
        return other.execute(sql).fetchone()[0]
"""


def committed(path: Path, sql: str) -> int:
    with sqlite3.connect(path) as other:
        return int(other.execute(sql).fetchone()[0])


async def test_binding_calls_return_only_once_committed(make_engine, tmp_path: Path) -> None:
    db = tmp_path / "state.sqlite3"
    engine = await make_engine(CALLER, {"waiter": "Waiter", "caller": "Caller"}, store=Store(db))
    # Another instance keeps running, so the binding's commit is a shared (group) one.
    engine.create("waiter", {"id": "other"})
    engine.create("caller", {"id": "c", "params": {"db": str(db)}})
    await engine.settle()
    assert engine.status("caller", "c") == {"status": "complete", "output": [1, 1], "error": None}
    assert engine.status("waiter", "child")["output"] == {"n": 1}


async def test_http_answers_go_out_after_the_commit(make_engine, tmp_path: Path) -> None:
    db = tmp_path / "state.sqlite3"
    engine: Engine = await make_engine(CALLER, {"waiter": "Waiter"}, store=Store(db))
    app = create_app(engine, Project(engine.config))
    seen: list[tuple[str, int, int]] = []

    async def on_prepare(request: web.Request, response: web.StreamResponse) -> None:
        # The moment the answer's headers are written: what is committed by then?
        instances = committed(db, "SELECT COUNT(*) FROM instances")
        events = committed(db, "SELECT COUNT(*) FROM events")
        seen.append((request.path.rsplit("/", 1)[-1], instances, events))

    app.on_response_prepare.append(on_prepare)
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        base = "/cdn-cgi/explorer/api/workflows/waiter/instances"
        created = await client.post(base, json={"id": "a"})
        assert created.status == 200
        sent = await client.post(f"{base}/a/events/other", json={"n": 1})
        assert sent.status == 200
    finally:
        await client.close()
    assert seen == [("instances", 1, 0), ("other", 1, 1)]


async def test_a_buffered_event_is_taken_at_start_after_a_crash(
    make_engine, tmp_path: Path
) -> None:
    db = tmp_path / "state.sqlite3"
    engine: Engine = await make_engine(CALLER, {"waiter": "Waiter"}, store=Store(db))
    engine.create("waiter", {"id": "w"})
    await engine.settle()
    assert engine.status("waiter", "w")["status"] == "waiting"
    # As if the process died between storing the event and the instance taking it.
    engine.store.add_event("waiter", "w", "go", '{"late": true}', engine.clock.now())
    engine.store.commit()
    await engine.close()

    again: Engine = await make_engine(
        CALLER, {"waiter": "Waiter"}, store=Store(db), clock=Clock("manual", now=START)
    )
    await again.settle()
    assert again.status("waiter", "w") == {
        "status": "complete",
        "output": {"late": True},
        "error": None,
    }


class Wall:
    """A wall clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_scaled_time_resumes_at_its_lease_not_at_its_last_save(tmp_path: Path) -> None:
    wall = Wall()
    saves: list[float] = []
    clock = Clock("scale", scale=100, now=START, wall=wall)
    clock.on_lease = lambda: saves.append(clock.lease)
    wall.now += 0.5
    first = clock.now()  # 50 virtual seconds on: the first reading takes a lease
    assert first == START + 50_000 and saves == [first + LEASE_S * 1000 * 100]
    wall.now += 0.5
    assert clock.now() == START + 100_000 and len(saves) == 1  # still within the lease
    snapshot = clock.snapshot()

    wall.now += 60  # a crash, then a restart a minute later, from the last save
    restarted = Clock("scale", scale=100, wall=wall)
    restarted.restore(snapshot, mode="scale", scale=100)
    assert restarted.now() >= saves[-1]


def test_real_time_never_goes_back_with_the_wall_clock() -> None:
    wall = Wall()
    clock = Clock("real", wall=wall)
    before = clock.now()
    wall.now -= 30  # NTP steps the wall clock back
    assert clock.now() == before
    wall.now += 31
    assert clock.now() == before + 1000


def test_restore_starts_no_earlier_than_anything_stored() -> None:
    clock = Clock("manual", now=START)
    clock.restore({"mode": "manual", "now": START}, at_least=START + 90_000)
    assert clock.now() == START + 90_000


def test_a_snapshot_out_of_range_is_ignored() -> None:
    clock = Clock("manual", now=START)
    clock.restore({"mode": "scale", "scale": float("nan"), "now": 1e300, "lease": float("inf")})
    assert START <= clock.now() < START + 1000 and clock.mode == "scale" and clock.scale == 1.0


SLOW_STEP = """
import asyncio
from workers import WorkflowEntrypoint

GATE = asyncio.Event()

class Slow(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("slow")
        async def slow():
            await GATE.wait()
            return 1
        return await slow()

class Quick(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("one")
        async def one():
            return 1
        return await one()
"""


async def test_a_pass_still_running_after_its_tick_is_stored_as_running(
    make_engine, tmp_path: Path
) -> None:
    # A pass marks its instance running at the end of the tick it started in, not at once:
    # one that also ends in that tick writes only its end (the quick instance below).
    db = tmp_path / "state.sqlite3"
    engine: Engine = await make_engine(
        SLOW_STEP, {"slow": "Slow", "quick": "Quick"}, store=Store(db)
    )
    engine.create("slow", {"id": "s"})
    engine.create("quick", {"id": "q"})
    for _ in range(5):  # a few loop rounds: the slow step is under way, its tick has ended
        await asyncio.sleep(0)
    status = "SELECT workflow, status FROM instances ORDER BY workflow"
    with sqlite3.connect(db) as other:
        assert other.execute(status).fetchall() == [("quick", "complete"), ("slow", "running")]
    assert engine.status("slow", "s")["status"] == "running"
    cls = engine._class_for("slow")
    assert cls is not None
    sys.modules[cls.__module__].GATE.set()  # the step's code goes on
    await engine.settle()
    with sqlite3.connect(db) as other:
        assert other.execute(status).fetchall() == [("quick", "complete"), ("slow", "complete")]
