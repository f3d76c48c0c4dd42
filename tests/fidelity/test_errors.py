"""Errors as production surfaces them to run() and in status().

Sources: workers-py ``packages/runtime-sdk/src/workers/utils.py`` (``_from_js_error``: the
second-to-last line of a ``PythonError`` message decides), workers-sdk
``packages/workflows-shared/src/context.ts`` (timeouts race the callback),
``lib/validators.ts`` (a ``retries`` object needs ``limit`` and ``delay``), ``lib/errors.ts``
(RPC folds a non-standard error name into the message) and ``engine.ts`` (the instance error
is ``{name, message}`` of what run() threw).
"""

from __future__ import annotations

import json

from tests.conftest import describe

ERRORS = """
import asyncio
from workers import WorkflowEntrypoint

class MyError(ValueError):
    pass

RAISE = {
    "type": lambda: TypeError("boom"),
    "value-empty": lambda: ValueError(),
    "subclass": lambda: MyError("mine"),
    "key": lambda: KeyError("k"),
    "multiline": lambda: TypeError("first\\nsecond"),
}

class MyWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        case = event["payload"]["case"]
        if case in RAISE:
            @step.do("fail", config={"retries": {"limit": 0, "delay": 0}})
            async def fail():
                raise RAISE[case]()
            try:
                await fail()
            except Exception as exc:
                return {"type": type(exc).__name__, "str": str(exc)}
        if case == "swallow":
            @step.do("slow", config={"retries": {"limit": 0, "delay": 0}, "timeout": "1 second"})
            async def slow():
                try:
                    await asyncio.sleep(30)
                except asyncio.CancelledError:
                    return "swallowed"
            try:
                return await slow()
            except Exception as exc:
                return {"type": type(exc).__name__, "str": str(exc)}
        if case == "no-delay":
            @step.do("s", config={"retries": {"limit": 2}})
            async def s():
                return 1
            await s()
        if case == "seconds":
            await step.sleep_until("soon", 1_000_000)
        if case == "millis":
            await step.sleep_until("soon", event["payload"]["at"])
            return "woke"
        if case == "delay-fn":
            seen = []
            def delay(arg):
                seen.append(arg.ctx.attempt)
                return "1 second"
            @step.do("d", config={"retries": {"limit": 1, "delay": delay}})
            async def d(ctx):
                if ctx["attempt"] == 1:
                    raise RuntimeError("again")
                return "ok"
            return await d()
"""


async def run_case(make_engine, case: str, **params):
    engine = await make_engine(ERRORS)
    engine.create("wf", {"id": "x", "params": {"case": case, **params}})
    await engine.clock.advance("1 minute")
    return engine, engine.status("wf", "x")


async def test_step_errors_are_rebuilt_from_the_last_traceback_line(make_engine):
    """utils.py _from_js_error: TypeError/ValueError lines keep the type, prefixed; others
    (subclasses, KeyError, a message whose last line is not the type's) stay a JsException."""
    expected = {
        "type": {"type": "TypeError", "str": "TypeError: boom"},
        "value-empty": {"type": "ValueError", "str": "ValueError"},
        "subclass": {"type": "JsException"},
        "key": {"type": "JsException"},
        "multiline": {"type": "JsException"},
    }
    for case, want in expected.items():
        _, status = await run_case(make_engine, case)
        output = status["output"]
        assert output["type"] == want["type"], (case, output)
        if "str" in want:
            assert output["str"] == want["str"]
        else:
            assert output["str"].startswith("Error: PythonError: Traceback")


async def test_a_timeout_fails_the_attempt_even_if_the_callback_swallows_it(make_engine):
    """context.ts races the callback with the timeout: the timeout wins whatever follows."""
    engine, status = await run_case(make_engine, "swallow")
    assert status["output"] == {
        "type": "JsException",
        "str": "Error: WorkflowTimeoutError: Execution timed out after 1000ms",
    }
    attempt = describe(engine, "wf", "x")["steps"][0]["attempts"][0]
    assert attempt["error"] == {
        "name": "WorkflowTimeoutError",
        "message": "Execution timed out after 1000ms",
    }


async def test_retries_without_delay_is_an_invalid_config(make_engine):
    """validators.ts: retries.delay and retries.limit are both required."""
    _, status = await run_case(make_engine, "no-delay")
    assert status["error"]["name"] == "Error"
    assert status["error"]["message"].startswith(
        'WorkflowFatalError: Step config for "s" is in a invalid format.'
    )


async def test_sleep_until_a_number_is_milliseconds_and_seconds_warn(make_engine):
    """_workers.py sleep_until hands a number to sleepUntil as is: epoch milliseconds."""
    engine, status = await run_case(make_engine, "seconds")
    assert status["error"]["message"] == "You can't sleep until a time in the past, time-traveler"
    warnings = json.loads(engine.store.get_instance("wf", "x").warnings)
    assert any("looks like seconds" in w and "entry.py:" in w for w in warnings), warnings
    at = engine.clock.now() - 30_000  # 30 s after the second engine starts its clock
    engine2, _ = await run_case(make_engine, "millis", at=at)
    assert engine2.status("wf", "x")["output"] == "woke"


async def test_a_delay_function_gets_attribute_access(make_engine):
    """python_from_rpc makes the {ctx, error} argument a JsDict."""
    _, status = await run_case(make_engine, "delay-fn")
    assert status["output"] == "ok"
