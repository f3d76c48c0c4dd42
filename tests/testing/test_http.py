"""The modifier and waiter routes, on an app built with setup_routes alone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from tests.conftest import START, describe
from tests.testing.conftest import PAYMENT
from wf.testing import Emulator
from wf.testing._hooks import hooks_for
from wf.testing.http import setup_routes

BASE = "/cdn-cgi/wf/workflows/wf"


@pytest.fixture
async def served(make_emulator) -> AsyncIterator[tuple[Emulator, TestClient]]:
    emu = await make_emulator(PAYMENT)
    app = web.Application()
    setup_routes(app, lambda: emu.engine)
    async with TestClient(TestServer(app)) as client:
        yield emu, client


async def call(client: TestClient, method: str, path: str, body: Any = None) -> tuple[int, dict]:
    response = await client.request(method, path, json=body)
    return response.status, await response.json()


async def test_instance_modifiers_set_before_create(served):
    emu, client = served
    status, answer = await call(
        client,
        "POST",
        BASE + "/instances/p1/modifiers",
        {
            "disable_sleeps": True,
            "mock_step_result": [{"step": {"name": "charge"}, "value": {"charged": 5}}],
        },
    )
    assert status == 200
    assert answer["success"] is True and answer["errors"] == [] and answer["messages"] == []
    assert answer["result"]["disable_sleeps"] is True
    assert answer["result"]["mock_step_result"] == [
        {"step": {"name": "charge", "index": 1}, "value": {"charged": 5}}
    ]

    emu.engine.create("wf", {"id": "p1"})
    status, answer = await call(client, "POST", BASE + "/instances/p1/wait", {"status": "complete"})
    assert status == 200
    assert answer["result"] == {"status": "complete", "output": {"receipt": 5}, "error": None}


async def test_every_modifier_in_json(served):
    emu, client = served
    spec = {
        "disable_sleeps": [{"name": "cool off"}],
        "disable_retry_delays": True,
        "mock_step_error": [
            {"step": {"name": "charge"}, "error": {"name": "E", "message": "m"}, "times": 1}
        ],
        "force_step_timeout": [{"step": {"name": "receipt", "index": None}, "times": 1}],
        "mock_event": [{"type": "go", "payload": [1, 2]}],
        "force_event_timeout": [{"name": "approval"}],
    }
    status, answer = await call(client, "POST", BASE + "/instances/p1/modifiers", spec)
    assert status == 200, answer
    result = answer["result"]
    assert result["disable_sleeps"] == [{"name": "cool off", "index": 1}]
    assert result["mock_step_error"] == [
        {
            "step": {"name": "charge", "index": 1},
            "error": {"name": "E", "message": "m"},
            "times": 1,
            "used": 0,
        }
    ]
    assert result["force_step_timeout"] == [
        {"step": {"name": "receipt", "index": None}, "times": 1, "used": 0}
    ]
    assert result["mock_event"] == [{"type": "go", "payload": [1, 2]}]
    assert result["force_event_timeout"] == [{"name": "approval", "index": 1}]

    emu.engine.create("wf", {"id": "p1"})
    status, answer = await call(
        client, "POST", BASE + "/instances/p1/wait", {"step": {"name": "receipt"}}
    )
    assert (status, answer["result"]) == (200, {"step": "receipt-1", "value": {"receipt": 10}})
    steps = describe(emu.engine, "wf", "p1")["steps"]
    assert [len(s.get("attempts", [])) for s in steps] == [2, 0, 2]  # charge, sleep, receipt
    status, answer = await call(client, "GET", BASE + "/instances/p1/modifiers")
    assert answer["result"]["mock_step_error"][0]["used"] == 1


async def test_a_bad_spec_is_a_400_and_applies_nothing(served):
    emu, client = served
    spec = {"disable_sleeps": True, "mock_step_result": [{"step": {"name": "x", "index": 0}}]}
    status, answer = await call(client, "POST", BASE + "/instances/p1/modifiers", spec)
    assert status == 400
    assert answer["success"] is False and answer["result"] is None
    assert answer["errors"][0]["message"] == (
        'each mock_step_result entry needs "value": got {"step": {"name": "x", "index": 0}}'
    )
    assert ("wf", "p1") not in hooks_for(emu.engine).modifiers
    for body, message in (
        ({"sleeps": True}, "unknown modifier 'sleeps'"),
        ({"disable_sleeps": "yes"}, "disable_sleeps must be true or a list"),
        ([1], "request body must be a JSON object"),
        ({"mock_event": [{"type": "bad type"}]}, "invalid event type"),
    ):
        status, answer = await call(client, "POST", BASE + "/instances/p1/modifiers", body)
        assert status == 400
        assert message in answer["errors"][0]["message"]


async def test_unknown_workflow_is_a_404(served):
    _, client = served
    status, answer = await call(client, "GET", "/cdn-cgi/wf/workflows/nope/modifiers")
    assert status == 404
    assert answer["errors"][0]["message"] == "Workflow 'nope' not found."


async def test_delete_clears_the_modifiers(served):
    _, client = served
    await call(client, "POST", BASE + "/modifiers", {"disable_sleeps": True})
    status, answer = await call(client, "DELETE", BASE + "/modifiers")
    assert status == 200
    assert answer["result"]["disable_sleeps"] is False
    status, answer = await call(client, "GET", BASE + "/modifiers")
    assert answer["result"]["disable_sleeps"] is False


async def test_workflow_modifiers_apply_to_new_instances(served):
    emu, client = served
    emu.engine.create("wf", {"id": "old"})
    await call(client, "POST", BASE + "/modifiers", {"disable_sleeps": True})
    emu.engine.create("wf", {"id": "new"})
    status, _ = await call(client, "POST", BASE + "/instances/new/wait", {"status": "complete"})
    assert status == 200
    status, answer = await call(client, "POST", BASE + "/instances/old/wait", {"status": "waiting"})
    assert answer["result"]["status"] == "waiting"


async def test_a_mocked_event_reaches_a_waiting_instance(make_emulator):
    emu = await make_emulator(
        """
        from workers import WorkflowEntrypoint

        class MyWorkflow(WorkflowEntrypoint):
            async def run(self, event, step):
                got = await step.wait_for_event("wait", "go", timeout="1 hour")
                return got["payload"]
        """
    )
    app = web.Application()
    setup_routes(app, lambda: emu.engine)
    async with TestClient(TestServer(app)) as client:
        emu.engine.create("wf", {"id": "e"})
        await call(client, "POST", BASE + "/instances/e/wait", {"status": "waiting"})
        spec = {"mock_event": [{"type": "go", "payload": {"ok": True}}]}
        await call(client, "POST", BASE + "/instances/e/modifiers", spec)
        _, answer = await call(client, "POST", BASE + "/instances/e/wait", {"status": "complete"})
        assert answer["result"]["output"] == {"ok": True}


async def test_wait_errors(served):
    emu, client = served
    wait = BASE + "/instances/p1/wait"
    await call(
        client,
        "POST",
        BASE + "/instances/p1/modifiers",
        {
            "mock_step_error": [{"step": {"name": "charge"}, "error": "declined"}],
            "disable_retry_delays": True,
        },
    )
    emu.engine.create("wf", {"id": "p1"})
    status, answer = await call(client, "POST", wait, {"status": "complete"})
    assert status == 409
    assert (
        'errored at step "charge-1" after 3 attempts: Error: declined'
        in answer["errors"][0]["message"]
    )
    status, answer = await call(client, "POST", wait, {"step": {"name": "charge"}})
    assert status == 409
    assert "failed after 3 attempts" in answer["errors"][0]["message"]

    emu.engine.create("wf", {"id": "p2"})
    wait2 = BASE + "/instances/p2/wait"
    status, answer = await call(client, "POST", wait2, {"status": "complete", "timeout": 0.05})
    assert status == 408
    assert "gave up" in answer["errors"][0]["message"]
    status, answer = await call(
        client, "POST", wait2, {"status": "complete", "timeout": 5, "stall_after": 0.05}
    )
    assert status == 408
    assert 'sleeping in step "cool off-1"' in answer["errors"][0]["message"]
    for body, message in (
        ({}, 'give either "status" or "step"'),
        ({"status": "complete", "step": {"name": "x"}}, 'give either "status" or "step"'),
        ({"status": "done"}, "unknown status 'done'"),
        ({"status": "complete", "timeout": -1}, '"timeout" must be a number of seconds'),
        ({"status": "complete", "until": 1}, "unknown key 'until'"),
    ):
        status, answer = await call(client, "POST", wait2, body)
        assert (status, message in answer["errors"][0]["message"]) == (400, True), answer
    assert emu.clock.now() == START


async def test_wf_dev_serves_the_routes_behind_its_loopback_guard(make_emulator):
    from wf.server.app import create_app

    emu = await make_emulator(PAYMENT)
    async with TestClient(TestServer(create_app(emu.engine))) as client:
        status, answer = await call(client, "POST", BASE + "/modifiers", {"disable_sleeps": True})
        assert (status, answer["result"]["disable_sleeps"]) == (200, True)
        response = await client.get(BASE + "/modifiers", headers={"Host": "evil.example"})
        assert response.status == 403
