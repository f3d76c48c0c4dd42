"""A NonRetryableError's attempt and instance errors, and terminating a finished instance.

Written from workers-sdk ``packages/workflows-shared/src/context.ts`` (a step error named
``NonRetryableError``, or whose message starts with it, records the attempt as
``PreservedNonRetryableError`` when ``workflows_preserve_non_retryable_error_message`` is on,
else as ``WorkflowFatalError`` ``Step threw a NonRetryableError with message "<message>"``),
``src/lib/errors.ts`` (``PreservedNonRetryableError`` strips the ``NonRetryableError:``
prefix RPC puts before the message), ``src/engine.ts`` (the instance's error; terminating an
instance in a finite state is ``createWorkflowError(... "instance.cannot_terminate")``), and
the RPC rule that an error name other than the standard JS ones is folded into the message.
"""

from __future__ import annotations

import pytest

from tests.conftest import describe
from wf.runtime.pyodide.ffi import JsException

RAISES = """
from workers import WorkflowEntrypoint
from workers.workflows import NonRetryableError

class W(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("boom", config={"retries": {"limit": 3, "delay": 0}})
        async def boom():
            raise NonRetryableError(event.payload.get("message", "stop now"))
        await boom()
"""


async def _attempts(engine, params=None):
    engine.create("wf", {"id": "n", "params": params or {}})
    await engine.settle()
    return describe(engine, "wf", "n")["steps"][0]["attempts"], engine.status("wf", "n")


async def test_with_the_preserving_flag_the_attempt_keeps_name_and_message(make_engine):
    engine = await make_engine(RAISES, {"wf": "W"})  # 2026-08-14: the flag is on by date
    attempts, status = await _attempts(engine)
    assert [a["error"] for a in attempts] == [{"name": "NonRetryableError", "message": "stop now"}]
    assert status["error"] == {"name": "NonRetryableError", "message": "stop now"}


async def test_before_the_flag_the_attempt_quotes_the_message_as_it_crossed_rpc(make_engine):
    engine = await make_engine(RAISES, {"wf": "W"}, date="2026-01-10")
    attempts, status = await _attempts(engine)
    assert [a["error"] for a in attempts] == [
        {
            "name": "WorkflowFatalError",
            "message": 'Step threw a NonRetryableError with message "NonRetryableError: stop now"',
        }
    ]
    assert status["error"] == {
        "name": "WorkflowFatalError",
        "message": "The execution of the Workflow instance was terminated, as a step threw an "
        "NonRetryableError and it was not handled",
    }


async def test_an_empty_message_crosses_as_the_bare_name(make_engine):
    engine = await make_engine(RAISES, {"wf": "W"}, date="2026-01-10")
    attempts, _ = await _attempts(engine, {"message": ""})
    assert attempts[0]["error"]["message"] == (
        'Step threw a NonRetryableError with message "NonRetryableError"'
    )


async def test_terminating_a_finished_instance_is_a_js_error_with_the_engines_message(
    make_engine,
):
    engine = await make_engine(RAISES, {"wf": "W"})
    handle = await engine.env.WF.create(id="done")
    await engine.settle()
    assert (await handle.status())["status"] == "errored"
    with pytest.raises(JsException) as err:
        await handle.terminate()
    assert type(err.value).__name__ == "JsException"
    assert (err.value.name, err.value.message) == (
        "Error",
        "WorkflowError: (instance.cannot_terminate) Cannot terminate instance since its on a "
        "finite state",
    )
