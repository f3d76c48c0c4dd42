"""step.do signatures as the Python SDK has them.

Written from cloudflare/workers-py packages/runtime-sdk/src/workers/entrypoints.py
(``_WorkflowStepWrapper``: ``_do_implicit``, ``_do_legacy``, ``_build_dependency_list``,
``_resolve_dependency``, ``_do_call``): ctx takes its own positional slot wherever it stands,
the function is called positionally, and the dependency errors are the SDK's TypeErrors.
"""

from __future__ import annotations

from typing import Any

from tests.conftest import describe

SOURCE = """
from workers import WorkflowEntrypoint

class MyWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        case = event["payload"]["case"]
        if case == "ctx_middle":
            @step.do()
            async def step_1():
                return 1

            @step.do()
            async def step_2():
                return 2

            @step.do()
            async def step_4(step_1, ctx, step_2):
                return [step_1, ctx["step"]["name"], step_2]

            return await step_4()
        if case == "unknown_param":
            @step.do()
            async def lonely(missing):
                return missing

            return await lonely()
        if case == "depends_implicit":
            @step.do()
            async def a():
                return 1

            @step.do("b", depends=[a])
            async def b(a):
                return a

            return await b()
        if case == "keyword_only":
            @step.do()
            async def first():
                return 1

            @step.do(config={"retries": {"limit": 0, "delay": 0}})
            async def second(first, *, ctx):
                return first

            try:
                await second()
            except Exception as exc:
                return type(exc).__name__
            return "ran"
        if case == "legacy_ctx_middle":
            @step.do("one")
            async def one():
                return 1

            @step.do("two")
            async def two():
                return 2

            @step.do("four", depends=[one, two])
            async def four(x, ctx, y):
                return [x, ctx["attempt"], y]

            return await four()
        if case == "legacy_no_depends":
            @step.do("one")
            async def one():
                return 1

            @step.do("two")
            async def two(x):
                return x

            return await two()
        if case == "legacy_not_a_step":
            async def plain():
                return 1

            @step.do("two", depends=[plain])
            async def two(x):
                return x

            return await two()
        if case == "legacy_no_name":
            @step.do()
            async def nameless():
                return 1

            return await nameless()
        if case == "redefined":
            out = []
            for i in range(2):
                @step.do("same")
                async def same():
                    return i

                @step.do(f"use{i}")
                async def use(same):
                    return same

                out.append(await use())
            return out
"""


async def _run(make_engine: Any, case: str, **options: Any) -> dict[str, Any]:
    engine = await make_engine(SOURCE, **options)
    engine.create("wf", {"id": "x", "params": {"case": case}})
    await engine.settle()
    status: dict[str, Any] = engine.status("wf", "x")
    status["warnings"] = describe(engine, "wf", "x")["warnings"]
    return status


async def test_ctx_in_the_middle_gets_its_own_slot(make_engine: Any) -> None:
    status = await _run(make_engine, "ctx_middle")
    assert status["status"] == "complete"
    assert status["output"] == [1, "step_4", 2]


async def test_unknown_parameter_is_the_sdk_type_error(make_engine: Any) -> None:
    status = await _run(make_engine, "unknown_param")
    assert status["status"] == "errored"
    assert "Received unexpected parameter missing" in status["error"]["message"]


async def test_depends_in_implicit_mode_fails_as_in_production_and_warns(
    make_engine: Any,
) -> None:
    status = await _run(make_engine, "depends_implicit")
    assert status["status"] == "errored"
    assert (
        "_do_implicit() got an unexpected keyword argument 'depends'"
        in (status["error"]["message"])
    )
    assert any("legacy signature" in w for w in status["warnings"])


async def test_keyword_only_ctx_fails_the_attempt(make_engine: Any) -> None:
    """Production calls the step function positionally, so a keyword-only ctx fails it."""
    status = await _run(make_engine, "keyword_only")
    assert status["status"] == "complete"
    assert status["output"] == "TypeError"


async def test_legacy_ctx_in_the_middle(make_engine: Any) -> None:
    flags = '"python_workers", "no_python_workflows_implicit_dependencies"'
    status = await _run(make_engine, "legacy_ctx_middle", flags=flags)
    assert status["status"] == "complete"
    assert status["output"] == [1, 1, 2]


async def test_legacy_dependency_errors(make_engine: Any) -> None:
    flags = '"python_workers", "no_python_workflows_implicit_dependencies"'
    status = await _run(make_engine, "legacy_no_depends", flags=flags)
    assert (
        "Step has 1 non-ctx parameter(s) but no 'depends' list provided"
        in (status["error"]["message"])
    )
    status = await _run(make_engine, "legacy_not_a_step", flags=flags)
    assert (
        "'depends' entry for parameter 'x' is not a function decorated with step.do"
        in (status["error"]["message"])
    )
    status = await _run(make_engine, "legacy_no_name", flags=flags)
    assert "missing 1 required positional argument: 'name'" in status["error"]["message"]


async def test_a_redefined_step_runs_anew(make_engine: Any) -> None:
    """The SDK memoizes by the step's wrapper, not its name."""
    status = await _run(make_engine, "redefined")
    assert status["output"] == [0, 1]
