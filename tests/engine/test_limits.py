"""Limits that fail as a deploy would: step count, result size and type, names, config."""

from __future__ import annotations

from tests.conftest import describe

LIMITS = """
from workers import WorkflowEntrypoint

class Thing:
    pass

class MyWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        case = event["payload"]["case"]
        if case == "steps":
            for i in range(event["payload"]["n"]):
                @step.do(f"s{i}")
                async def s():
                    return i
                await s()
            return "all done"
        if case == "object":
            @step.do("obj")
            async def obj():
                return Thing()
            try:
                await obj()
            except Exception:
                return "caught (should not be)"
        if case == "tuple":
            @step.do("tup")
            async def tup():
                return (1, 2)
            await tup()
        if case == "big":
            @step.do("big")
            async def big():
                return "x" * (1024 * 1024 + 1)
            try:
                await big()
            except Exception as exc:
                return {"caught": str(exc)}
        if case == "name":
            @step.do("bad\\nname")
            async def bad():
                return 1
            await bad()
        if case == "config":
            @step.do("cfg", config={"retries": {"limit": 1, "delai": 5}})
            async def cfg():
                return 1
            await cfg()
        if case == "bare":
            @step.do
            async def bare():
                return 1
"""


async def status_of(make_engine, case: str, **params):
    engine = await make_engine(LIMITS, {"wf": "MyWorkflow"})
    engine.create("wf", {"id": "x", "params": {"case": case, **params}})
    await engine.settle()
    return engine, engine.status("wf", "x")


async def test_step_limit(make_engine):
    engine = await make_engine(LIMITS, step_limit=3)
    engine.create("wf", {"id": "ok", "params": {"case": "steps", "n": 3}})
    engine.create("wf", {"id": "over", "params": {"case": "steps", "n": 4}})
    await engine.settle()
    assert engine.status("wf", "ok")["output"] == "all done"
    error = engine.status("wf", "over")["error"]
    assert error["name"] == "Error"  # thrown by the engine into run(), across RPC
    assert "WorkflowFatalError: The limit of 3 steps has been reached" in error["message"]


async def test_non_serializable_result_fails_the_instance_without_retry(make_engine):
    engine, status = await status_of(make_engine, "object")
    assert status["status"] == "errored"
    assert status["error"]["name"] == "WorkflowFatalError"
    assert status["error"]["message"] == (
        "The execution of the Workflow instance was terminated, as the step "
        '"obj" returned a value which is not serialisable'
    )
    assert len(describe(engine, "wf", "x")["steps"][0]["attempts"]) == 1


async def test_result_over_one_mebibyte(make_engine):
    _, status = await status_of(make_engine, "big")
    assert status["output"] == {
        "caught": "Error: WorkflowInternalError: Step big-1 output is too large. Maximum allowed size is 1MiB."
    }


async def test_invalid_step_name(make_engine):
    _, status = await status_of(make_engine, "name")
    assert status["error"]["name"] == "Error"
    assert "exceeds max length (256 chars) or invalid characters" in status["error"]["message"]


async def test_invalid_step_config(make_engine):
    _, status = await status_of(make_engine, "config")
    assert status["error"]["name"] == "Error"
    assert (
        'WorkflowFatalError: Step config for "cfg" is in a invalid format'
        in status["error"]["message"]
    )


async def test_step_do_used_without_parentheses(make_engine):
    """Production takes the function as the name and fails only if the step is called
    (workers-py entrypoints.py, _do_implicit); wf does the same and warns."""
    engine, status = await status_of(make_engine, "bare")
    assert status["status"] == "complete"
    warnings = describe(engine, "wf", "x")["warnings"]
    assert any("@step.do()" in w for w in warnings)


async def test_params_must_be_serializable_and_small(make_engine):
    import pytest

    from wf.errors import WorkflowError

    engine = await make_engine(LIMITS)
    with pytest.raises(WorkflowError, match="1 MiB"):
        engine.create("wf", {"params": "x" * (1024 * 1024 + 1)})
    with pytest.raises(WorkflowError, match="object cannot be sent"):
        engine.create("wf", {"params": {"s": object()}})
