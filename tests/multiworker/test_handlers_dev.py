"""The other Workers' own handlers in `wf dev -c a -c b`: a queue produced by the first is
consumed by the other (with retries and a dead-letter queue), the other's cron runs on
`/cdn-cgi/wf/time/advance`, `/cdn-cgi/handler/scheduled` runs the first Worker's handler
only, module-level `env` is each Worker's own, and two consumers of one queue do not start."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.devserver import run_wf
from tests.multiworker.handler_projects import write_jobs, write_shop
from tests.server.conftest import DevServer


class SlowDevServer(DevServer):
    start_timeout = 60.0  # a loaded machine starts wf dev slowly


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[SlowDevServer]:
    shop = write_shop(tmp_path / "shop")
    jobs = write_jobs(tmp_path / "jobs")
    server = SlowDevServer(tmp_path / "shop", "-c", str(shop), "-c", str(jobs), "--time", "manual")
    try:
        yield server.wait_ready()
    finally:
        server.stop()


def test_the_other_worker_consumes_retries_and_dead_letters(pair: SlowDevServer) -> None:
    server = pair
    server.wait_log("worker jobs: consumes queue orders", 'worker jobs: cron "*/5 * * * *"')
    assert server.get("/send/a").text == "queued a"
    assert server.get("/send/bad").text == "queued bad"
    server.advance("1 second")  # a batch of two (max_batch_size 2) at once
    assert server.get("/kv/order:a").text == "jobs/jobs attempts=1"
    server.advance("12 seconds")  # retry_delay 10 s, then the batch timeout: dead-lettered
    listed = server.get("/cdn-cgi/wf/queues").result["queues"]
    by_name = {q["queue"]: q for q in listed}
    assert by_name["orders-dlq"]["counts"]["pending"] == 1, listed
    assert by_name["orders"]["counts"]["pending"] == 0, listed
    assert by_name["orders"]["consumer"]["dead_letter_queue"] == "orders-dlq"  # jobs' settings
    server.wait_log('Moved message "', 'on queue "orders" to dead letter queue "orders-dlq"')


def test_the_other_workers_cron_runs_on_advance_and_not_by_hand(pair: SlowDevServer) -> None:
    server = pair
    assert server.get("/kv/cron-count").text == "none"
    server.advance("5 minutes")
    assert server.get("/kv/cron-count").text == "1"
    assert server.get("/kv/cron").text == "*/5 * * * * by jobs"
    server.wait_log('worker jobs: SCHEDULED "*/5 * * * *" ok')
    # wrangler's route triggers the first Worker's scheduled handler, not another's.
    server.get("/cdn-cgi/handler/scheduled?cron=*/5+*+*+*+*")
    assert server.get("/kv/cron-count").text == "1"


def test_module_level_env_is_each_workers_own(pair: SlowDevServer) -> None:
    assert pair.get("/who").json == {"shop": "shop", "jobs": {"module": "jobs", "call": "jobs"}}


def test_the_workers_route_and_cli_show_what_each_consumes(pair: SlowDevServer) -> None:
    listed = pair.get("/cdn-cgi/wf/workers").result
    assert [(w["name"], w["consumes"], w["crons"]) for w in listed] == [
        ("shop", [], []),
        ("jobs", ["orders"], ["*/5 * * * *"]),
    ]
    shown = run_wf("workers", "list", port=pair.port)
    assert shown.returncode == 0, shown.stderr
    assert "orders" in shown.stdout and "*/5 * * * *" in shown.stdout


def test_two_consumers_of_one_queue_do_not_start(tmp_path: Path) -> None:
    shop = write_shop(tmp_path / "shop", consumes=True)
    jobs = write_jobs(tmp_path / "jobs")
    server = SlowDevServer(tmp_path / "shop", "-c", str(shop), "-c", str(jobs))
    try:
        assert server.wait_exit(timeout=60) == 1
        assert 'Multiple consumers defined for queue "orders": "shop" and "jobs"' in server.log
        assert "jobs/wrangler.jsonc: queues.consumers:" in server.log
    finally:
        server.stop()


def test_kill_9_loses_no_message_for_the_other_worker(tmp_path: Path) -> None:
    shop = write_shop(tmp_path / "shop")
    jobs = write_jobs(tmp_path / "jobs")
    args = ("-c", str(shop), "-c", str(jobs), "--time", "manual")
    server = SlowDevServer(tmp_path / "shop", *args).wait_ready()
    try:
        assert server.get("/send/kept").text == "queued kept"  # acknowledged: durable
    finally:
        server.kill()
    again = SlowDevServer(tmp_path / "shop", *args, port=server.port).wait_ready()
    try:
        assert again.get("/kv/order:kept").text == "none"
        again.advance("1 second")
        assert again.get("/kv/order:kept").text == "jobs/jobs attempts=1"
    finally:
        again.stop()


def test_a_reload_that_adds_a_second_consumer_keeps_the_old_config(
    pair: SlowDevServer, tmp_path: Path
) -> None:
    server = pair
    config = tmp_path / "shop" / "wrangler.jsonc"
    before = config.read_text()
    write_shop(tmp_path / "shop", consumes=True)
    assert config.read_text() != before
    stamp = time.time() + 2  # a new mtime even on a coarse file system
    os.utime(config, (stamp, stamp))
    server.wait_log(
        "Error loading the Worker (the previous code keeps serving)",
        'Multiple consumers defined for queue "orders": "shop" and "jobs"',
    )
    server.get("/send/still")
    server.advance("1 second")
    assert server.get("/kv/order:still").text == "jobs/jobs attempts=1"  # jobs still consumes
