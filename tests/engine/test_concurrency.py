"""Dependencies between steps and steps that run at the same time."""

from __future__ import annotations

from tests.conftest import describe

CONCURRENT = """
import asyncio
from workers import WorkflowEntrypoint

class MyWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        order = []
        @step.do()
        async def left():
            order.append("left start")
            await asyncio.sleep(0.01)
            order.append("left end")
            return 2
        @step.do()
        async def right():
            order.append("right start")
            await asyncio.sleep(0.01)
            order.append("right end")
            return 3
        @step.do(concurrent=True)
        async def combined(left, right, ctx):
            return {"product": left * right, "step": ctx["step"]}
        result = await combined()
        return {"result": result, "overlapped": order.index("right start") < order.index("left end")}
"""


async def test_concurrent_dependencies_resolve_by_parameter_name(make_engine):
    engine = await make_engine(CONCURRENT)
    engine.create("wf", {"id": "c"})
    await engine.clock.advance("1 second")  # the steps' asyncio.sleep follows the manual clock
    output = engine.status("wf", "c")["output"]
    assert output == {
        "result": {"product": 6, "step": {"name": "combined", "count": 1}},
        "overlapped": True,
    }
    names = [s["name"] for s in describe(engine, "wf", "c")["steps"]]
    assert names == ["left-1", "right-1", "combined-1"]


GATHER = """
import asyncio
from workers import WorkflowEntrypoint

class MyWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        def make(i):
            @step.do(f"item {i}")
            async def item():
                await asyncio.sleep(0.001 * (3 - i))
                return i * 10
            return item
        values = await asyncio.gather(*(make(i)() for i in range(3)))
        return values
"""


async def test_asyncio_gather_runs_steps_in_parallel(make_engine):
    engine = await make_engine(GATHER)
    engine.create("wf", {"id": "g"})
    await engine.clock.advance("1 second")
    assert engine.status("wf", "g")["output"] == [0, 10, 20]


GATHER_SLEEP = """
import asyncio
from workers import WorkflowEntrypoint

class MyWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do()
        async def work():
            await asyncio.sleep(0.01)
            return "worked"
        _, value = await asyncio.gather(step.sleep("nap", "1 day"), work())
        return value
"""


async def test_a_sleep_beside_a_running_step_waits_for_the_step(make_engine):
    engine = await make_engine(GATHER_SLEEP)
    engine.create("wf", {"id": "gs"})
    await engine.clock.advance("1 second")  # ends the step's asyncio.sleep, not the nap
    assert engine.status("wf", "gs")["status"] == "waiting"
    step = describe(engine, "wf", "gs")["steps"]
    assert {s["name"]: s.get("success", s.get("finished")) for s in step} == {
        "nap-1": False,
        "work-1": True,
    }
    await engine.clock.advance("23 hours, 59 minutes, 59 seconds")
    assert engine.status("wf", "gs")["output"] == "worked"


DEPENDENCY_FAILS = """
from workers import WorkflowEntrypoint

class MyWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        ran = []
        @step.do(config={"retries": {"limit": 0, "delay": 0}})
        async def step_1():
            raise ValueError("step_1 failed")
        @step.do()
        async def step_2(step_1):
            return "never"
        try:
            await step_2()
        except Exception as exc:
            return {"error": str(exc)}
"""


async def test_a_failed_dependency_stops_its_dependents(make_engine):
    engine = await make_engine(DEPENDENCY_FAILS)
    engine.create("wf", {"id": "d"})
    await engine.settle()
    assert engine.status("wf", "d")["output"] == {"error": "ValueError: step_1 failed"}
    assert [s["name"] for s in describe(engine, "wf", "d")["steps"]] == ["step_1-1"]


UNKNOWN_PARAMETER = """
from workers import WorkflowEntrypoint

class MyWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do()
        async def lonely(missing):
            return 1
        await lonely()
"""


async def test_a_parameter_that_names_no_step(make_engine):
    engine = await make_engine(UNKNOWN_PARAMETER)
    engine.create("wf", {"id": "u"})
    await engine.settle()
    error = engine.status("wf", "u")["error"]
    assert error["name"] == "Error"
    assert error["message"].startswith("PythonError: Traceback (most recent call last):")
    assert error["message"].endswith("\nTypeError: Received unexpected parameter missing\n")


LEGACY = """
from workers import WorkflowEntrypoint

class MyWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("a")
        async def a():
            return 4
        @step.do("b", depends=[a])
        async def b(value, ctx):
            return value + ctx["attempt"]
        return await b()
"""


async def test_legacy_depends_mode(make_engine):
    engine = await make_engine(
        LEGACY, flags='"python_workers", "no_python_workflows_implicit_dependencies"'
    )
    engine.create("wf", {"id": "l"})
    await engine.settle()
    assert engine.status("wf", "l")["output"] == 5


async def test_depends_is_refused_in_implicit_mode(make_engine):
    engine = await make_engine(LEGACY)
    engine.create("wf", {"id": "l"})
    await engine.settle()
    assert "depends" in engine.status("wf", "l")["error"]["message"]


async def test_duplicate_step_names_are_distinct_steps(make_engine):
    engine = await make_engine(
        """
from workers import WorkflowEntrypoint

class MyWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        out = []
        for i in range(3):
            @step.do("same")
            async def same(ctx):
                return ctx["step"]["count"]
            out.append(await same())
        return out
"""
    )
    engine.create("wf", {"id": "dup"})
    await engine.settle()
    assert engine.status("wf", "dup")["output"] == [1, 2, 3]
    names = [s["name"] for s in describe(engine, "wf", "dup")["steps"]]
    assert names == ["same-1", "same-2", "same-3"]
