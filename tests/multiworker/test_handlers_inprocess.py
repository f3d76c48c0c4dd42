"""The other Workers' own handlers in the in-process Emulator: a queue produced by the first
Worker is consumed by another, in its ``queue`` handler with its env (batching, retries,
dead-letter queue); its cron runs on advance; module-level ``from workers import env`` is each
Worker's own; two consumers of one queue refuse to start."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import START
from tests.multiworker.handler_projects import write_dead, write_jobs, write_shop
from wf.testing import Emulator
from wf.worker_group import GroupError


@pytest.fixture
async def emu(tmp_path: Path):  # type: ignore[no-untyped-def]
    write_shop(tmp_path / "shop")
    write_jobs(tmp_path / "jobs")
    async with Emulator(tmp_path / "shop", others=[tmp_path / "jobs"], now=START) as emu:
        yield emu


async def kv(emu: Emulator, key: str) -> str:
    return await (await emu.fetch(f"/kv/{key}")).text()


async def test_a_queue_produced_by_the_first_is_consumed_by_the_other(emu: Emulator) -> None:
    assert await (await emu.fetch("/send/a")).text() == "queued a"
    await emu.clock.advance("500 ms")
    assert await kv(emu, "order:a") == "none"  # max_batch_timeout is 1 s
    await emu.clock.advance("500 ms")
    # jobs' handler ran with jobs' env, and its module-level env is jobs' own too.
    assert await kv(emu, "order:a") == "jobs/jobs attempts=1"
    assert emu.queue("orders").pending() == []


async def test_a_full_batch_goes_out_at_once_in_the_consumers_batch_size(emu: Emulator) -> None:
    await emu.fetch("/send/a")
    await emu.fetch("/send/b")
    await emu.fetch("/send/c")
    await emu.clock.advance(0)
    assert await kv(emu, "batch:orders") == "2"  # max_batch_size 2: the first two at once
    assert await kv(emu, "order:c") == "none"
    await emu.clock.advance("1 second")
    assert await kv(emu, "order:c") == "jobs/jobs attempts=1"
    assert await kv(emu, "batch:orders") == "1"


async def test_retries_then_the_dead_letter_queue_by_the_consumers_settings(
    emu: Emulator,
) -> None:
    await emu.fetch("/send/bad1")
    await emu.clock.advance("1 second")
    deliveries = emu.queue("orders").deliveries
    assert [(len(d.retried), len(d.dead_lettered)) for d in deliveries] == [(1, 0)]
    await emu.clock.advance("9 seconds")
    assert len(emu.queue("orders").deliveries) == 1  # retry_delay 10 s not over yet
    await emu.clock.advance("2 seconds")  # visible again at 11 s, in a batch 1 s later
    deliveries = emu.queue("orders").deliveries
    assert [(len(d.retried), len(d.dead_lettered)) for d in deliveries] == [(1, 0), (0, 1)]
    dead = emu.queue("orders-dlq").pending()
    assert [(m.body, m.attempts) for m in dead] == [({"item": "bad1"}, 0)]


async def test_a_third_worker_consumes_the_dead_letter_queue(tmp_path: Path) -> None:
    write_shop(tmp_path / "shop")
    write_jobs(tmp_path / "jobs")
    write_dead(tmp_path / "dead")
    others = [tmp_path / "jobs", tmp_path / "dead"]
    async with Emulator(tmp_path / "shop", others=others, now=START) as emu:
        await emu.fetch("/send/bad2")
        await emu.clock.advance("1 second")
        await emu.clock.advance("11 seconds")  # the retry, dead-lettered
        assert emu.queue("orders-dlq").pending() != []
        assert await kv(emu, "dead:bad2") == "none"
        await emu.clock.advance("1 second")  # the dead-letter queue's batch timeout
        assert await kv(emu, "dead:bad2") == "1"


async def test_the_other_workers_cron_runs_on_advance(emu: Emulator) -> None:
    await emu.clock.advance("4 minutes")
    assert await kv(emu, "cron-count") == "none"
    await emu.clock.advance("1 minute")
    assert await kv(emu, "cron") == "*/5 * * * * by jobs"
    await emu.clock.advance("10 minutes")
    assert await kv(emu, "cron-count") == "3"
    # The first Worker has no crons: emu.scheduled() runs its handler, not jobs'.
    assert emu.scheduled_runs == []


async def test_module_level_env_is_each_workers_own(emu: Emulator) -> None:
    answer = await (await emu.fetch("/who")).json()
    assert answer == {"shop": "shop", "jobs": {"module": "jobs", "call": "jobs"}}


async def test_module_level_env_is_the_new_env_after_a_reload(emu: Emulator) -> None:
    emu.reload_worker("jobs")
    answer = await (await emu.fetch("/who")).json()
    assert answer["jobs"] == {"module": "jobs", "call": "jobs"}
    assert emu.env_of("jobs").WHO == "jobs"
    await emu.fetch("/send/z")
    await emu.clock.advance("1 second")
    assert await kv(emu, "order:z") == "jobs/jobs attempts=1"


def test_two_consumers_of_one_queue_refuse_to_start(tmp_path: Path) -> None:
    write_shop(tmp_path / "shop", consumes=True)
    write_jobs(tmp_path / "jobs")
    with pytest.raises(GroupError) as refused:
        Emulator(tmp_path / "shop", others=[tmp_path / "jobs"], now=START)
    message = str(refused.value)
    assert message.endswith(
        'queues.consumers: Multiple consumers defined for queue "orders": "shop" and "jobs" '
        "(a queue has one consumer Worker)"
    )
    assert str(tmp_path / "jobs" / "wrangler.jsonc") in message


async def test_the_other_workers_messages_and_cron_survive_a_restart(tmp_path: Path) -> None:
    write_shop(tmp_path / "shop")
    write_jobs(tmp_path / "jobs")
    state = tmp_path / "state"
    others = [tmp_path / "jobs"]
    async with Emulator(tmp_path / "shop", others=others, now=START, persist_to=state) as emu:
        await emu.clock.advance("5 minutes")
        assert await kv(emu, "cron-count") == "1"
        await emu.fetch("/send/late")  # pending: its batch waits 1 s
    async with Emulator(tmp_path / "shop", others=others, persist_to=state) as emu:
        assert await kv(emu, "order:late") == "none"
        await emu.clock.advance("1 second")
        assert await kv(emu, "order:late") == "jobs/jobs attempts=1"
        # The 00:05 firing is not run again; the next one is 00:10.
        assert await kv(emu, "cron-count") == "1"
        await emu.clock.advance("5 minutes")
        assert await kv(emu, "cron-count") == "2"
