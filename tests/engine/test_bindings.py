"""The bindings user code sees on env: create (both forms), create_batch, get, instance methods."""

from __future__ import annotations

import pytest

from tests.conftest import describe
from wf.errors import WorkflowError

CHILD = """
from workers import WorkflowEntrypoint

class Child(WorkflowEntrypoint):
    async def run(self, event, step):
        got = await step.wait_for_event("go", "go", timeout="1 hour")
        return {"params": event.payload, "got": got["payload"], "greeting": self.env.GREETING}

class Parent(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do()
        async def spawn():
            child = await self.env.CHILD.create(id=f"{event.instanceId}-child", params={"n": 1})
            same = await self.env.CHILD.create({"id": f"{event.instanceId}-dict", "params": {"n": 2}})
            batch = await self.env.CHILD.create_batch(
                [{"id": f"{event.instanceId}-child"}, {"id": f"{event.instanceId}-b"}]
            )
            return {"child": child.id, "dict": same.id, "batch": [i.id for i in batch]}
        ids = await spawn()
        @step.do()
        async def poke(spawn):
            handle = await self.env.CHILD.get(spawn["child"])
            await handle.send_event(type="go", payload={"from": "parent"})
            other = await self.env.CHILD.get(spawn["dict"])
            await other.send_event({"type": "go", "payload": {"dict": True}})
            return (await handle.status())["status"]
        return {"ids": ids, "child_status": await poke()}
"""


async def test_env_bindings_create_get_send_event_and_status(make_engine):
    engine = await make_engine(CHILD, {"child": "Child", "parent": "Parent"})
    handle = await engine.env.PARENT.create(id="p")
    await engine.settle()
    output = (await handle.status())["output"]
    assert output["ids"] == {"child": "p-child", "dict": "p-dict", "batch": ["p-b"]}
    child = await engine.env.CHILD.get("p-child")
    status = await child.status()
    assert status["status"] == "complete"
    assert status["output"]["got"] == {"from": "parent"}
    assert status["output"]["params"] == {"n": 1}
    assert status["output"]["greeting"] == "hello"  # vars from wrangler.jsonc
    assert (await (await engine.env.CHILD.get("p-dict")).status())["output"]["got"] == {
        "dict": True
    }
    assert describe(engine, "child", "p-child")["trigger"] == {"source": "binding"}


async def test_instance_methods_through_the_handle(make_engine):
    engine = await make_engine(CHILD, {"child": "Child", "parent": "Parent"})
    handle = await engine.env.CHILD.create(id="h")
    await engine.settle()
    assert (await handle.status())["status"] == "waiting"
    await handle.pause()
    assert (await handle.status())["status"] == "paused"
    await handle.resume()
    await engine.settle()
    await handle.terminate()
    assert (await handle.status()) == {"status": "terminated", "output": None, "error": None}
    await handle.restart()
    await engine.settle()
    assert (await handle.status())["status"] == "waiting"
    await handle.delete()
    with pytest.raises(WorkflowError, match=r"instance\.not_found"):
        await engine.env.CHILD.get("h")


async def test_env_reports_unknown_bindings(make_engine):
    engine = await make_engine(CHILD, {"child": "Child", "parent": "Parent"})
    with pytest.raises(AttributeError, match="CHILD"):
        _ = engine.env.NOPE
