"""Values crossing the step boundary, as production converts and stores them.

Sources: workerd ``src/pyodide/internal/workers-api/src/workers/_workers.py`` (the runtime's
SDK, before 2026-04-21: ``to_js(result, dict_converter=Object.fromEntries)``), workers-py
``packages/runtime-sdk/src/workers/rpc.py`` (the external SDK: ``python_to_rpc``), and
workers-sdk ``packages/workflows-shared/src/context.ts`` (the value stored with
``storage.put``; a DataCloneError fails the instance).
"""

from __future__ import annotations

import json

from tests.conftest import describe

BUILTIN_SDK = "2026-03-01"
EXTERNAL_SDK = "2026-05-01"

VALUES = """
import math
from datetime import datetime
from workers import WorkflowEntrypoint

class MyWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        case = event["payload"]["case"]
        if case == "shapes":
            @step.do("shapes")
            async def shapes():
                return {"t": (1, 2), "s": {3, 4}, "n": math.nan, "i": -math.inf, "k": {1: "a"}}
            r = await shapes()
            # the fresh result is already the round-tripped one...
            assert isinstance(r["t"], list) and isinstance(r["s"], set), r
            await step.sleep("replay", 1000)
            # ...and the cached one, read after the sleep, is the same
            r = await shapes()
            return {
                "tuple": r["t"], "set": sorted(r["s"]), "nan": math.isnan(r["n"]),
                "inf": r["i"] == -math.inf, "keys": list(r["k"]),
            }
        if case == "date":
            @step.do("when")
            async def when():
                return datetime(2026, 1, 2)
            return str(await when())
        if case == "tuple":
            @step.do("tup", config={"retries": {"limit": 1, "delay": 0}})
            async def tup():
                return [(1, 2)]
            try:
                await tup()
            except TypeError as exc:
                return str(exc)
        if case == "plain":
            @step.do("plain")
            async def plain():
                return {"n": math.nan, "s": {1}}
            return await plain()
"""


async def run_case(make_engine, case: str, date: str):
    engine = await make_engine(VALUES, date=date)
    engine.create("wf", {"id": "x", "params": {"case": case}})
    await engine.clock.advance("1 minute")
    return engine, engine.status("wf", "x")


async def test_tuples_sets_nan_and_keys_come_back_as_structured_clone_keeps_them(make_engine):
    """context.ts stores the JS value; to_js made a tuple an Array and a set a Set."""
    _, status = await run_case(make_engine, "shapes", BUILTIN_SDK)
    assert status["status"] == "complete", status
    assert status["output"] == {
        "tuple": [1, 2],
        "set": [3, 4],
        "nan": True,
        "inf": True,
        "keys": ["1"],
    }


async def test_a_datetime_fails_the_instance_with_the_runtime_sdk(make_engine):
    """_workers.py has no default converter: a datetime stays a PyProxy, a DataCloneError."""
    engine, status = await run_case(make_engine, "date", BUILTIN_SDK)
    assert status["error"] == {
        "name": "WorkflowFatalError",
        "message": "The execution of the Workflow instance was terminated, as the step "
        '"when" returned a value which is not serialisable',
    }
    step = describe(engine, "wf", "x")["steps"][0]
    assert [a["error"] for a in step["attempts"]] == [
        {
            "name": "WorkflowFatalError",
            "message": 'Value returned from step "when" is not serialisable',
        }
    ]
    assert any("datetime" in w for w in json.loads(engine.store.get_instance("wf", "x").warnings))


async def test_a_datetime_crosses_as_a_date_with_the_external_sdk(make_engine):
    """rpc.py python_to_rpc: datetime -> js.Date, which structured clone keeps."""
    _, status = await run_case(make_engine, "date", EXTERNAL_SDK)
    assert status["status"] == "complete"
    assert status["output"].startswith("2026-01-02")


async def test_a_tuple_is_the_steps_own_type_error_with_the_external_sdk(make_engine):
    """rpc.py _raise_on_disabled_type raises inside the callback: retried, then into run."""
    engine, status = await run_case(make_engine, "tuple", EXTERNAL_SDK)
    assert status["output"] == "TypeError: <class 'tuple'> cannot be sent over RPC."
    assert len(describe(engine, "wf", "x")["steps"][0]["attempts"]) == 2


async def test_status_output_is_written_as_json_stringify_writes_it(make_engine):
    """JSON.stringify: NaN is null, a Set is {}."""
    _, status = await run_case(make_engine, "plain", BUILTIN_SDK)
    assert status["output"] == {"n": None, "s": {}}
