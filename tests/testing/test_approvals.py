"""A 30-day approval flow with an event timeout, through the wf fixture and the Worker."""

from __future__ import annotations

import time

import pytest

from wf.testing import StepFailed

pytestmark = pytest.mark.wf_project("fixtures/approvals30")

DECISION = {"name": "wait for decision"}
ORDER = {"name": "place_order"}


async def start_purchase(wf, item: str = "laptop") -> str:
    response = await wf.fetch("/purchases", method="POST", json={"item": item})
    assert response.status == 201
    return (await response.json())["id"]


async def test_no_decision_in_30_days_expires_the_purchase(wf):
    started = time.perf_counter()
    purchase = await start_purchase(wf)
    approval = wf.introspect_instance("APPROVAL", purchase)
    await approval.wait_for_status("waiting")

    await wf.clock.advance("29 days, 23 hours")
    assert approval.describe()["status"] == "waiting"
    await wf.clock.advance("1 hour")

    await approval.wait_for_status("complete")
    assert await approval.get_output() == {"status": "expired", "item": "laptop"}
    wait = approval.history()[1]
    assert wait["type"] == "waitForEvent"
    assert wait["error"] == {
        "name": "WorkflowTimeoutError",
        "message": "Execution timed out after 2592000000ms",
    }
    print(f"\n30-day approval timeout tested in {(time.perf_counter() - started) * 1000:.1f} ms")


async def test_an_approval_on_day_10_places_the_order(wf):
    purchase = await start_purchase(wf)
    approval = wf.introspect_instance("APPROVAL", purchase)
    await approval.wait_for_status("waiting")

    await wf.clock.advance("10 days")
    answer = await wf.fetch(
        f"/purchases/{purchase}/decision", method="POST", json={"approved": True, "by": "ana"}
    )
    assert answer.status == 202

    assert await approval.wait_for_step_result(ORDER) == {
        "order": f"PO-{purchase}",
        "item": "laptop",
    }
    status = await (await wf.fetch(f"/purchases/{purchase}")).json()
    assert status["output"]["status"] == "ordered"


async def test_a_forced_event_timeout_needs_no_clock(wf):
    before = wf.clock.now()
    session = wf.introspect_workflow("APPROVAL")
    await session.modify_all(lambda m: m.force_event_timeout(DECISION))
    await start_purchase(wf, "desk")

    (approval,) = await session.get()
    await approval.wait_for_status("complete")
    assert (await approval.get_output())["status"] == "expired"
    assert wf.clock.now() == before


async def test_a_mocked_rejection(wf):
    session = wf.introspect_workflow(wf.env.APPROVAL)
    await session.modify_all(lambda m: m.mock_event("decision", {"approved": False, "by": "bo"}))
    await start_purchase(wf)

    (approval,) = await session.get()
    await approval.wait_for_status("complete")
    assert await approval.get_output() == {"status": "rejected", "by": "bo"}


async def test_ordering_fails_twice_then_succeeds_on_the_third_attempt(wf):
    session = wf.introspect_workflow("APPROVAL")
    await session.modify_all(
        lambda m: (
            m.mock_event("decision", {"approved": True})
            .mock_step_error(ORDER, "supplier unavailable", times=2)  # retries.limit is 2
            .disable_retry_delays()
        )
    )
    purchase = await start_purchase(wf)

    (approval,) = await session.get()
    assert await approval.wait_for_step_result(ORDER) == {
        "order": f"PO-{purchase}",
        "item": "laptop",
    }
    order = next(s for s in approval.history() if s["name"] == "place_order-1")
    assert [a["success"] for a in order["attempts"]] == [False, False, True]
    assert [a.get("retry_delay") for a in order["attempts"][:2]] == [0, 0]


async def test_three_failures_exhaust_a_limit_of_2(wf):
    session = wf.introspect_workflow("APPROVAL")
    await session.modify_all(
        lambda m: (
            m.mock_event("decision", {"approved": True})
            .mock_step_error(ORDER, "supplier unavailable", times=3)
            .disable_retry_delays()
        )
    )
    await start_purchase(wf)

    (approval,) = await session.get()
    with pytest.raises(StepFailed, match="failed after 3 attempts: Error: supplier unavailable"):
        await approval.wait_for_step_result(ORDER)
    assert (await approval.get_error())["message"] == "supplier unavailable"
