"""Every modifier of cloudflare:test, by the behaviour it causes."""

from __future__ import annotations

import pytest

from tests.conftest import START
from tests.testing.conftest import PAYMENT, calls
from wf.runtime.workers.workflows import NonRetryableError
from wf.testing import StepFailed, WorkflowFailed

CHARGE = {"name": "charge"}
RECEIPT = {"name": "receipt"}


def attempts(history: list[dict], name: str) -> list[dict]:
    return next(s for s in history if s["name"] == name)["attempts"]


# -- mock_step_error / disable_retry_delays -----------------------------------------------------


async def test_fails_twice_with_limit_2_then_succeeds_with_zero_retry_delays(make_emulator):
    emu = await make_emulator(PAYMENT)
    payment = emu.introspect_instance("WF", "p1")
    await payment.modify(
        lambda m: (
            m.mock_step_error(CHARGE, "card declined", times=2)
            .disable_retry_delays()
            .disable_sleeps()
        )
    )
    await emu.env.WF.create(id="p1", params={"amount": 42})

    assert await payment.wait_for_step_result(CHARGE) == {"charged": 42}
    await payment.wait_for_status("complete")
    tries = attempts(payment.history(), "charge-1")
    assert [a["success"] for a in tries] == [False, False, True]
    assert [a.get("retry_delay") for a in tries] == [0, 0, None]
    assert tries[0]["error"] == {"name": "Error", "message": "card declined"}
    assert calls(emu) == ["charge", "receipt"]  # the mocked attempts did not run the code
    assert emu.clock.now() == START  # no virtual time passed either


async def test_without_disabled_delays_the_retries_wait_their_delay(make_emulator):
    emu = await make_emulator(PAYMENT)
    payment = emu.introspect_instance("WF", "p1")
    await payment.modify(lambda m: m.mock_step_error(CHARGE, "card declined", times=2))
    await emu.env.WF.create(id="p1")

    await payment.wait_for_status("waiting")  # 10 s until the second attempt
    await emu.clock.advance("10 seconds")
    await emu.clock.advance("10 seconds")
    assert await payment.wait_for_step_result(CHARGE) == {"charged": 10}
    tries = attempts(payment.history(), "charge-1")
    assert [a.get("retry_delay") for a in tries] == [10_000, 10_000, None]


async def test_an_error_on_every_attempt_errors_the_instance(make_emulator):
    emu = await make_emulator(PAYMENT)
    payment = emu.introspect_instance("WF", "p1")
    await payment.modify(
        lambda m: m.mock_step_error(CHARGE, {"name": "CardError", "message": "no"})
    )
    await payment.modify(lambda m: m.disable_retry_delays())
    await emu.env.WF.create(id="p1")

    with pytest.raises(WorkflowFailed) as failed:
        await payment.wait_for_status("complete")
    assert failed.value.step == "charge-1"
    assert failed.value.error == {"name": "Error", "message": "CardError: no"}
    assert 'errored at step "charge-1" after 3 attempts: Error: CardError: no' in str(failed.value)


async def test_an_exception_can_be_the_mocked_error(make_emulator):
    emu = await make_emulator(PAYMENT)
    payment = emu.introspect_instance("WF", "p1")
    await payment.modify(lambda m: m.mock_step_error(CHARGE, NonRetryableError("stolen card")))
    await emu.env.WF.create(id="p1")

    with pytest.raises(StepFailed) as failed:
        await payment.wait_for_step_result(CHARGE)
    assert failed.value.attempts == 1  # non-retryable: no second attempt
    assert failed.value.error["name"] == "NonRetryableError"
    assert (await payment.get_error())["name"] == "NonRetryableError"


async def test_retry_delays_can_be_disabled_for_chosen_steps(make_emulator):
    emu = await make_emulator(PAYMENT)
    payment = emu.introspect_instance("WF", "p1")
    await payment.modify(
        lambda m: m.mock_step_error(CHARGE, "declined", times=1).disable_retry_delays([RECEIPT])
    )
    await emu.env.WF.create(id="p1")

    await payment.wait_for_status("waiting")
    assert payment.history()[0]["retry_at"] is not None  # charge still waits its 10 s


async def test_a_retry_delay_under_way_ends_when_delays_are_disabled(make_emulator):
    emu = await make_emulator(PAYMENT)
    payment = emu.introspect_instance("WF", "p1")
    await payment.modify(lambda m: m.mock_step_error(CHARGE, "declined", times=1))
    await emu.env.WF.create(id="p1")
    await payment.wait_for_status("waiting")

    await payment.modify(lambda m: m.disable_retry_delays())
    assert await payment.wait_for_step_result(CHARGE) == {"charged": 10}
    assert emu.clock.now() == START


# -- mock_step_result -------------------------------------------------------------------------


async def test_a_mocked_result_skips_the_step_code(make_emulator):
    emu = await make_emulator(PAYMENT)
    payment = emu.introspect_instance("WF", "p1")
    await payment.modify(lambda m: m.mock_step_result(CHARGE, {"charged": 99}).disable_sleeps())
    await emu.env.WF.create(id="p1")

    await payment.wait_for_status("complete")
    assert await payment.get_output() == {"receipt": 99}
    assert calls(emu) == ["receipt"]
    assert [a["success"] for a in attempts(payment.history(), "charge-1")] == [True]


async def test_mocking_a_result_twice_is_an_error(make_emulator):
    emu = await make_emulator(PAYMENT)
    payment = emu.introspect_instance("WF", "p1")
    await payment.modify(lambda m: m.mock_step_result(CHARGE, 1))
    with pytest.raises(ValueError, match="already has a mocked result"):
        await payment.modify(lambda m: m.mock_step_result({"name": "charge", "index": 1}, 2))


async def test_a_mocked_result_must_be_serializable(make_emulator):
    emu = await make_emulator(PAYMENT)
    payment = emu.introspect_instance("WF", "p1")
    with pytest.raises(TypeError, match="cannot be sent over RPC"):
        await payment.modify(lambda m: m.mock_step_result(CHARGE, object()))


async def test_fail_n_times_then_the_mocked_result(make_emulator):
    emu = await make_emulator(PAYMENT)
    payment = emu.introspect_instance("WF", "p1")
    await payment.modify(
        lambda m: (
            m.mock_step_error(CHARGE, "flaky", times=1)
            .mock_step_result(CHARGE, {"charged": 7})
            .disable_retry_delays()
        )
    )
    await emu.env.WF.create(id="p1")
    assert await payment.wait_for_step_result(CHARGE) == {"charged": 7}
    assert len(attempts(payment.history(), "charge-1")) == 2
    assert calls(emu) == []


async def test_a_step_not_run_yet_can_be_mocked_after_the_start(make_emulator):
    emu = await make_emulator(PAYMENT)
    payment = emu.introspect_instance("WF", "p1")
    await emu.env.WF.create(id="p1")
    await payment.wait_for_status("waiting")  # cooling off; receipt has not run

    await payment.modify(lambda m: m.mock_step_result(RECEIPT, {"receipt": "mocked"}))
    await emu.clock.advance("1 day")
    assert await payment.get_output() == {"receipt": "mocked"}


# -- force_step_timeout -----------------------------------------------------------------------


async def test_a_forced_timeout_fails_the_attempt_as_a_real_one_would(make_emulator):
    emu = await make_emulator(PAYMENT)
    payment = emu.introspect_instance("WF", "p1")
    await payment.modify(lambda m: m.force_step_timeout(CHARGE, times=1).disable_retry_delays())
    await emu.env.WF.create(id="p1")

    assert await payment.wait_for_step_result(CHARGE) == {"charged": 10}
    first, second = attempts(payment.history(), "charge-1")
    assert first["error"]["name"] == "WorkflowTimeoutError"
    assert first["error"]["message"] == "Execution timed out after 600000ms"
    assert second["success"] is True


async def test_a_timeout_on_every_attempt_fails_the_step(make_emulator):
    emu = await make_emulator(PAYMENT)
    payment = emu.introspect_instance("WF", "p1")
    await payment.modify(lambda m: m.force_step_timeout(CHARGE).disable_retry_delays())
    await emu.env.WF.create(id="p1")
    with pytest.raises(StepFailed, match="WorkflowTimeoutError"):
        await payment.wait_for_step_result(CHARGE)


# -- disable_sleeps ---------------------------------------------------------------------------

SLEEPS = """
from workers import WorkflowEntrypoint


class MyWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        for _ in range(3):
            await step.sleep("tick", "1 hour")
        await step.sleep("nap", "1 day")
        return "rested"
"""


def sleep_lengths(history: list[dict]) -> list[tuple[str, bool]]:
    return [(s["name"], s["start"] == s["end"]) for s in history if s["type"] == "sleep"]


async def test_all_sleeps_can_be_disabled(make_emulator):
    emu = await make_emulator(SLEEPS)
    inst = emu.introspect_instance("WF", "s")
    await inst.modify(lambda m: m.disable_sleeps())
    await emu.env.WF.create(id="s")
    await inst.wait_for_status("complete")
    assert all(zero for _, zero in sleep_lengths(inst.history()))
    assert emu.clock.now() == START


async def test_sleeps_can_be_disabled_by_name_and_occurrence(make_emulator):
    emu = await make_emulator(SLEEPS)
    inst = emu.introspect_instance("WF", "s")
    await inst.modify(lambda m: m.disable_sleeps([{"name": "tick", "index": 2}, {"name": "nap"}]))
    await emu.env.WF.create(id="s")
    await emu.clock.run_until_idle()
    await inst.wait_for_status("complete")
    assert sleep_lengths(inst.history()) == [
        ("tick-1", False),
        ("tick-2", True),
        ("tick-3", False),
        ("nap-1", True),
    ]
    assert emu.clock.now() == START + 2 * 3_600_000


async def test_index_none_selects_every_occurrence(make_emulator):
    emu = await make_emulator(SLEEPS)
    inst = emu.introspect_instance("WF", "s")
    await inst.modify(lambda m: m.disable_sleeps([{"name": "tick", "index": None}]))
    await emu.env.WF.create(id="s")
    await inst.wait_for_status("waiting")
    assert [n for n, zero in sleep_lengths(inst.history()) if zero] == [
        "tick-1",
        "tick-2",
        "tick-3",
    ]


async def test_a_sleep_under_way_ends_when_sleeps_are_disabled(make_emulator):
    emu = await make_emulator(SLEEPS)
    inst = emu.introspect_instance("WF", "s")
    await emu.env.WF.create(id="s")
    await inst.wait_for_status("waiting")  # in tick-1, for an hour

    await inst.modify(lambda m: m.disable_sleeps())
    await inst.wait_for_status("complete")
    assert emu.clock.now() == START


async def test_a_bad_step_selector_says_what_is_wrong(make_emulator):
    emu = await make_emulator(SLEEPS)
    inst = emu.introspect_instance("WF", "s")
    with pytest.raises(ValueError, match='"index" must be an integer'):
        await inst.modify(lambda m: m.disable_sleeps([{"name": "tick", "index": 0}]))
    with pytest.raises(ValueError, match='needs a "name"'):
        await inst.modify(lambda m: m.mock_step_result({"index": 1}, 1))
    with pytest.raises(ValueError, match="unknown key 'count'"):
        await inst.modify(lambda m: m.force_step_timeout({"name": "x", "count": 1}))


# -- mock_event / force_event_timeout ---------------------------------------------------------

EVENTS = """
from workers import WorkflowEntrypoint


class MyWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        try:
            got = await step.wait_for_event("approval", "approved", timeout="1 hour")
        except Exception as exc:
            return {"timed_out": type(exc).__name__}
        return {"payload": got["payload"], "type": got["type"]}
"""


async def test_a_mocked_event_is_there_from_the_start(make_emulator):
    emu = await make_emulator(EVENTS)
    inst = emu.introspect_instance("WF", "e")
    await inst.modify(lambda m: m.mock_event("approved", {"by": "ana"}))
    await emu.env.WF.create(id="e")
    await inst.wait_for_status("complete")
    assert await inst.get_output() == {"payload": {"by": "ana"}, "type": "approved"}


async def test_a_mocked_event_reaches_a_waiting_instance(make_emulator):
    emu = await make_emulator(EVENTS)
    inst = emu.introspect_instance("WF", "e")
    await emu.env.WF.create(id="e")
    await inst.wait_for_status("waiting")
    await inst.modify(lambda m: m.mock_event("approved", {"by": "bo"}))
    await inst.wait_for_status("complete")
    assert (await inst.get_output())["payload"] == {"by": "bo"}


async def test_a_forced_event_timeout_times_out_at_once(make_emulator):
    emu = await make_emulator(EVENTS)
    inst = emu.introspect_instance("WF", "e")
    await inst.modify(lambda m: m.force_event_timeout({"name": "approval"}))
    await emu.env.WF.create(id="e")
    await inst.wait_for_status("complete")
    assert await inst.get_output() == {"timed_out": "JsException"}
    assert emu.clock.now() == START


async def test_an_event_wait_under_way_times_out_when_forced(make_emulator):
    emu = await make_emulator(EVENTS)
    inst = emu.introspect_instance("WF", "e")
    await emu.env.WF.create(id="e")
    await inst.wait_for_status("waiting")
    await inst.modify(lambda m: m.force_event_timeout({"name": "approval"}))
    await inst.wait_for_status("complete")
    assert await inst.get_output() == {"timed_out": "JsException"}


async def test_a_bad_event_type_is_refused(make_emulator):
    emu = await make_emulator(EVENTS)
    inst = emu.introspect_instance("WF", "e")
    with pytest.raises(Exception, match="invalid event type"):
        await inst.modify(lambda m: m.mock_event("no spaces allowed", 1))


# -- introspect_workflow ----------------------------------------------------------------------


async def test_a_workflow_session_modifies_every_new_instance(make_emulator):
    emu = await make_emulator(PAYMENT)
    await emu.env.WF.create(id="before")
    session = emu.introspect_workflow(emu.env.WF)
    await session.modify_all(lambda m: m.disable_sleeps().mock_step_result(CHARGE, {"charged": 1}))
    await emu.env.WF.create(id="a")
    await emu.env.WF.create_batch([{"id": "b"}])

    instances = await session.get()
    assert [i.id for i in instances] == ["a", "b"]
    for inst in instances:
        await inst.wait_for_status("complete")
        assert await inst.get_output() == {"receipt": 1}
    before = emu.introspect_instance("WF", "before")
    await before.wait_for_status("waiting")  # created earlier: not modified

    await session.dispose()
    assert emu.engine.store.get_instance("wf", "a") is None  # disposed with the session
    await emu.env.WF.create(id="after")
    await emu.introspect_instance("WF", "after").wait_for_status("waiting")


async def test_one_session_per_workflow(make_emulator):
    emu = await make_emulator(PAYMENT)
    async with emu.introspect_workflow("WF"):
        with pytest.raises(RuntimeError, match="already has an active"):
            emu.introspect_workflow("WF")
    emu.introspect_workflow("WF")  # the first one was disposed


async def test_instance_modifiers_win_over_the_workflow_session(make_emulator):
    emu = await make_emulator(PAYMENT)
    special = emu.introspect_instance("WF", "special")
    await special.modify(lambda m: m.mock_step_result(CHARGE, {"charged": "instance"}))
    session = emu.introspect_workflow("WF")
    await session.modify_all(
        lambda m: m.mock_step_result(CHARGE, {"charged": "workflow"}).disable_sleeps()
    )
    await emu.env.WF.create(id="special")
    await emu.env.WF.create(id="plain")

    await special.wait_for_status("complete")  # the session's disable_sleeps applies too
    assert await special.get_output() == {"receipt": "instance"}
    plain = emu.introspect_instance("WF", "plain")
    await plain.wait_for_status("complete")
    assert await plain.get_output() == {"receipt": "workflow"}
