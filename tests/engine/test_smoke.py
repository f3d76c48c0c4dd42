from tests.conftest import START

SOURCE = """
from workers import WorkflowEntrypoint

class MyWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do()
        async def first():
            return {"a": event["payload"]["x"]}

        a = await first()
        await step.sleep("nap", "7 days")

        @step.do("final")
        async def final(first):
            return first["a"] + 1

        return {"first": a, "final": await final()}
"""


async def test_sleep_then_complete(make_engine):
    engine = await make_engine(SOURCE)
    engine.create("wf", {"id": "one", "params": {"x": 41}})
    await engine.settle()
    assert engine.status("wf", "one")["status"] == "waiting"
    await engine.clock.advance("7 days")
    status = engine.status("wf", "one")
    assert status == {
        "status": "complete",
        "output": {"first": {"a": 41}, "final": 42},
        "error": None,
    }
    assert engine.clock.now() == START + 7 * 86_400_000
