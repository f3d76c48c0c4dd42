"""The Emulator: projects, time modes, the Worker in-process, bindings, state, verdicts."""

from __future__ import annotations

import asyncio

import pytest

from tests.conftest import START, write_project
from tests.testing.conftest import APPROVALS, PAYMENT, QUICKSTART
from wf.config import ConfigError
from wf.testing import Emulator, WorkflowFailed

HOUR = 3_600_000


async def test_a_project_is_a_folder_or_its_config_file():
    async with Emulator(QUICKSTART) as by_folder:
        assert by_folder.config.name == "quickstart"
    async with Emulator(QUICKSTART / "wrangler.jsonc") as by_file:
        assert [w.binding for w in by_file.config.workflows] == ["ONBOARDING"]


def test_a_folder_without_config_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match=r"no wrangler\.jsonc"):
        Emulator(tmp_path)


async def test_manual_time_stands_still_until_advanced():
    async with Emulator(QUICKSTART, now="2026-01-01T00:00:00Z") as emu:
        assert emu.clock.mode == "manual"
        assert emu.clock.now() == START
        await asyncio.sleep(0.01)
        assert emu.clock.now() == START
        await emu.clock.advance("1 hour")
        assert emu.clock.now() == START + HOUR
        await emu.clock.advance_to("2026-01-02T00:00:00Z")
        assert emu.clock.now() == START + 24 * HOUR


async def test_skip_to_next_fires_the_earliest_timer():
    async with Emulator(QUICKSTART, now=START) as emu:
        handle = await emu.env.ONBOARDING.create(id="ada", params={"name": "Ada"})
        await emu.settle()
        assert await emu.clock.skip_to_next() == START + 7 * 24 * HOUR
        assert (await handle.status())["status"] == "complete"
        assert await emu.clock.skip_to_next() is None


async def test_auto_time_jumps_when_idle():
    async with Emulator(QUICKSTART, time="auto", now=START) as emu:
        inst = emu.introspect_instance("ONBOARDING", "ada")
        await emu.env.ONBOARDING.create(id="ada", params={"name": "Ada"})
        await inst.wait_for_status("complete")
        assert emu.clock.now() >= START + 7 * 24 * HOUR


async def test_scaled_time_runs_fast():
    async with Emulator(QUICKSTART, time="scale", scale=3_600_000, now=START) as emu:
        await asyncio.sleep(0.05)
        assert emu.clock.now() - START >= 0.04 * 3_600_000


def test_time_options_are_checked():
    with pytest.raises(ValueError, match="needs scale=N"):
        Emulator(QUICKSTART, time="scale")
    with pytest.raises(ValueError, match="only applies to time='scale'"):
        Emulator(QUICKSTART, scale=2)
    with pytest.raises(ValueError, match="unknown time mode"):
        Emulator(QUICKSTART, time="warp")  # type: ignore[arg-type]


async def test_bindings_and_vars_are_what_user_code_sees():
    async with Emulator(QUICKSTART) as emu:
        assert emu.env.GREETING == "Welcome"
        assert emu.workflow_name(emu.env.ONBOARDING) == "onboarding"
        assert emu.workflow_name("ONBOARDING") == "onboarding"
        assert emu.workflow_name("onboarding") == "onboarding"
        with pytest.raises(ValueError, match="bindings: ONBOARDING"):
            emu.introspect_instance("NOPE", "x")


async def test_fetch_calls_the_worker_in_process():
    async with Emulator(APPROVALS) as emu:
        created = await emu.fetch("/purchases", method="POST", json={"item": "chair"})
        assert created.status == 201
        assert created.headers["content-type"] == "application/json"
        purchase = (await created.json())["id"]
        status = await emu.fetch(f"/purchases/{purchase}")
        assert (await status.json())["status"] in ("queued", "running", "waiting")
        missing = await emu.fetch("/nowhere")
        assert (missing.status, await missing.text()) == (404, "not found\n")


async def test_a_worker_exception_reaches_the_test(tmp_path):
    root = write_project(
        tmp_path,
        """
        from workers import WorkflowEntrypoint

        class MyWorkflow(WorkflowEntrypoint):
            async def run(self, event, step):
                return None

        async def on_fetch(request, env):
            raise KeyError(request.headers.get("x-key"))
        """,
        {"wf": "MyWorkflow"},
    )
    async with Emulator(root) as emu:
        with pytest.raises(KeyError, match="abc"):
            await emu.fetch("/", headers={"x-key": "abc"})


async def test_a_project_without_a_worker_cannot_be_fetched(tmp_path):
    root = write_project(
        tmp_path,
        """
        from workers import WorkflowEntrypoint

        class MyWorkflow(WorkflowEntrypoint):
            async def run(self, event, step):
                return None
        """,
        {"wf": "MyWorkflow"},
    )
    async with Emulator(root) as emu:
        with pytest.raises(TypeError, match="has no Worker"):
            await emu.fetch("/")


async def test_state_in_memory_is_fresh_for_every_emulator():
    for _ in range(2):
        async with Emulator(QUICKSTART) as emu:
            await emu.env.ONBOARDING.create(id="ada", params={"name": "Ada"})  # no conflict


async def test_persisted_state_resumes_in_a_new_emulator(tmp_path):
    async with Emulator(QUICKSTART, persist_to=tmp_path, now=START) as first:
        await first.env.ONBOARDING.create(id="ada", params={"name": "Ada"})
        await first.introspect_instance("ONBOARDING", "ada").wait_for_status("waiting")
    assert (tmp_path / "state.sqlite3").is_file()
    async with Emulator(QUICKSTART, persist_to=tmp_path) as second:
        assert second.clock.now() == START  # virtual time was kept too
        inst = second.introspect_instance("ONBOARDING", "ada")
        await inst.wait_for_status("waiting")
        await second.clock.advance("7 days")
        await inst.wait_for_status("complete")


async def test_close_is_final_and_idempotent():
    emu = Emulator(QUICKSTART)
    async with emu:
        pass
    await emu.close()
    with pytest.raises(RuntimeError, match="closed"):
        await emu.fetch("/")
    with pytest.raises(RuntimeError, match="closed"):
        await emu.start()


async def test_check_reports_an_error_the_test_did_not_read(make_emulator):
    source = PAYMENT.replace('CALLS.append("charge")', 'raise ValueError("card declined")')
    emu = await make_emulator(source)
    inst = emu.introspect_instance("WF", "p")
    await inst.modify(lambda m: m.disable_retry_delays())
    await emu.env.WF.create(id="p")
    await emu.settle()
    with pytest.raises(WorkflowFailed) as failed:
        emu.check()
    assert str(failed.value).startswith(
        'workflow instance wf/p errored at step "charge-1" after 3 attempts: '
        "Error: PythonError: Traceback"
    )
    assert "\nValueError: ValueError: card declined\n" in str(failed.value)
    emu.check(allow_errors=True)
    assert (await inst.get_error())["message"].endswith("ValueError: ValueError: card declined\n")
    emu.check()  # read now: expected


async def test_wait_until_work_is_done_when_fetch_returns(tmp_path):
    root = write_project(
        tmp_path,
        """
        import asyncio
        from workers import Response, WorkerEntrypoint, WorkflowEntrypoint

        class MyWorkflow(WorkflowEntrypoint):
            async def run(self, event, step):
                return event["payload"]

        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                async def later():
                    await asyncio.sleep(0.01)
                    await self.env.WF.create(id="bg", params="from wait_until")

                self.ctx.wait_until(later())
                return Response("accepted", status=202)
        """,
        {"wf": "MyWorkflow"},
    )
    async with Emulator(root) as emu:
        response = await emu.fetch("/")
        assert (response.status, await response.text()) == (202, "accepted")
        # the background work sleeps on the manual clock: it goes on once time moves
        assert emu.engine.store.get_instance("wf", "bg") is None
        await emu.clock.advance("1 second")
        inst = emu.introspect_instance("WF", "bg")
        await inst.wait_for_status("complete")
        assert await inst.get_output() == "from wait_until"
