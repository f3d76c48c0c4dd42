"""Workflow binding and instance handle called as the Python SDK calls them (issue 9, part 3).

Written from workers-py ``packages/runtime-sdk/src/workers/_workers.py``
(``_WorkflowBindingWrapper.create`` / ``_WorkflowInstanceWrapper.send_event`` call the JS
method with ``*js_args, **js_kwargs``, and ``_BindingWrapper`` forwards status, pause, resume,
restart and terminate by name), Pyodide's call rule (keyword arguments become one trailing JS
object), and workerd ``src/cloudflare/internal/workflows-api.ts`` (``create(options?)``,
``restart(options?)`` reading ``options.from``, ``terminate(options?)`` reading
``options.rollback``, ``sendEvent({type, payload})``, and no parameters on status, pause,
resume and delete): what a JS method does not read is ignored there, so here too, with a
warning that says so.
"""

from __future__ import annotations

import pytest

from tests.conftest import describe
from wf import binding_calls
from wf.errors import WorkflowError

STEPS = """
from workers import WorkflowEntrypoint

RUNS = {"first": 0}

class Steps(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("first")
        async def first():
            RUNS["first"] += 1
            return RUNS["first"]

        @step.do("second")
        async def second():
            return 2

        runs = await first()
        await second()
        got = await step.wait_for_event("go", "go", timeout="1 hour")
        return {"first_runs": runs, "got": got["payload"]}
"""


@pytest.fixture(autouse=True)
def _fresh_warnings() -> None:
    binding_calls._WARNED.clear()  # each test sees its own once-only warnings


async def test_create_reads_one_object_so_keywords_after_a_dict_are_ignored(make_engine):
    """``create({"id": "a"}, params=...)`` reaches JS as ``create({id}, {params})``: the second
    object is never read, so the instance starts with no params."""
    engine = await make_engine(STEPS, {"steps": "Steps"})
    with pytest.warns(RuntimeWarning, match=r"create\(\): a dict and keyword arguments reach it"):
        handle = await engine.env.STEPS.create({"id": "a"}, params={"n": 5})
    assert handle.id == "a"
    assert describe(engine, "steps", "a")["params"] == {}


async def test_create_with_keywords_or_one_dict_is_the_same_call(make_engine):
    engine = await make_engine(STEPS, {"steps": "Steps"})
    await engine.env.STEPS.create(id="k", params={"n": 1})
    await engine.env.STEPS.create({"id": "d", "params": {"n": 1}})
    assert describe(engine, "steps", "k")["params"] == describe(engine, "steps", "d")["params"]


async def test_create_ignores_option_names_production_does_not_read(make_engine):
    """``WorkflowInstanceCreateOptions`` has ``id``, ``params``, ``retention``,
    ``locationHint``: ``instance_id`` is not one, so production picks a random id."""
    engine = await make_engine(STEPS, {"steps": "Steps"})
    with pytest.warns(RuntimeWarning, match=r"does not read the option 'instance_id'"):
        handle = await engine.env.STEPS.create(instance_id="mine")
    assert handle.id != "mine"


async def test_restart_from_underscore_restarts_from_scratch(make_engine):
    """``restart(from_=...)`` sends ``{from_: ...}``; production reads ``options.from`` only."""
    engine = await make_engine(STEPS, {"steps": "Steps"})
    handle = await engine.env.STEPS.create(id="r")
    await engine.settle()
    with pytest.warns(RuntimeWarning, match=r"option 'from_'.*pass \{\"from\": \{\.\.\.\}\}"):
        await handle.restart(from_={"name": "second"})
    await engine.settle()
    await handle.send_event(type="go")
    await engine.settle()
    assert (await handle.status())["output"]["first_runs"] == 2  # "first" ran again


async def test_restart_from_a_step_in_a_dict(make_engine):
    engine = await make_engine(STEPS, {"steps": "Steps"})
    handle = await engine.env.STEPS.create(id="r")
    await engine.settle()
    await handle.restart({"from": {"name": "second"}})
    await engine.settle()
    await handle.send_event(type="go")
    await engine.settle()
    assert (await handle.status())["output"]["first_runs"] == 1  # "first" kept its result


async def test_send_event_keywords_and_dict_forms(make_engine):
    engine = await make_engine(STEPS, {"steps": "Steps"})
    a = await engine.env.STEPS.create(id="a")
    b = await engine.env.STEPS.create(id="b")
    await engine.settle()
    await a.send_event(type="go", payload={"k": 1})
    await b.send_event({"type": "go", "payload": {"k": 1}})
    await engine.settle()
    assert (await a.status())["output"]["got"] == (await b.status())["output"]["got"] == {"k": 1}


async def test_send_event_with_a_positional_type_has_no_type(make_engine):
    """``sendEvent({type, payload})`` destructures its argument: a string has no ``type``."""
    engine = await make_engine(STEPS, {"steps": "Steps"})
    handle = await engine.env.STEPS.create(id="p")
    await engine.settle()
    with (
        pytest.warns(RuntimeWarning, match=r"send_event\(\): Cloudflare reads options from an"),
        pytest.raises(WorkflowError, match=r"send_event\(\) got no event type"),
    ):
        await handle.send_event("go", {"k": 1})


async def test_send_event_keywords_after_a_dict_are_ignored(make_engine):
    engine = await make_engine(STEPS, {"steps": "Steps"})
    handle = await engine.env.STEPS.create(id="p")
    await engine.settle()
    with pytest.warns(RuntimeWarning, match=r"send_event\(\): a dict and keyword arguments"):
        await handle.send_event({"type": "go"}, payload={"lost": True})
    await engine.settle()
    assert (await handle.status())["output"]["got"] is None


@pytest.mark.parametrize("method", ["status", "pause", "resume", "delete"])
async def test_methods_without_parameters_ignore_what_they_are_given(make_engine, method):
    engine = await make_engine(STEPS, {"steps": "Steps"})
    handle = await engine.env.STEPS.create(id="x")
    await engine.settle()
    with pytest.warns(RuntimeWarning, match=rf"{method}\(\) takes no arguments: Cloudflare"):
        await getattr(handle, method)({"force": True})


async def test_terminate_reads_only_rollback(make_engine):
    engine = await make_engine(STEPS, {"steps": "Steps"})
    handle = await engine.env.STEPS.create(id="t")
    await engine.settle()
    with pytest.warns(RuntimeWarning, match=r"does not read the option 'reason'"):
        await handle.terminate(reason="done")
    assert (await handle.status())["status"] == "terminated"


async def test_each_warning_is_printed_once(make_engine, recwarn):
    engine = await make_engine(STEPS, {"steps": "Steps"})
    handle = await engine.env.STEPS.create(id="o")
    await engine.settle()
    await handle.status(1)
    await handle.status(1)
    assert len([w for w in recwarn if "status() takes no arguments" in str(w.message)]) == 1
