"""Queues: the producer binding (send, sendBatch, limits, errors), delivery to the Worker's
queue handler on the virtual clock (batching, ack/retry, retry delays, dead letters),
durability across restarts, the test handle, the HTTP view and the `wf queues` commands.

Semantics from workerd ``src/workerd/api/queue.c++`` (content types, ack/retry rules and
their warnings), workers-py ``entrypoints.py`` (``_wrap_queue_handler``: the batch is a
``_BindingWrapper``; messages stay JsProxy objects) and ``_workers.py`` (``_EnvWrapper`` wraps
``WorkerQueue``), workers-sdk ``miniflare/src/workers/queues/broker.worker.ts`` (limits and
their texts, retries and dead-lettering), Cloudflare's Queues docs (defaults: batch 10,
timeout 5 s, 3 retries; limits: 128 KB per message, 100 messages and 256 KB per batch,
delays up to 12 hours).
"""

from __future__ import annotations

import asyncio
import json
import sys
import textwrap
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import START
from tests.devserver import DevServer, run_wf
from wf.config import ConfigError, load_config
from wf.platform.kv import JsException
from wf.testing import Emulator

NEW_DATE = "2026-08-14"
OLD_DATE = "2026-04-20"  # the day before the runtime SDK: raw JsProxy objects

SOURCE = """
from workers import Response, WorkerEntrypoint

SEEN = []
PLAN = {}  # message body -> what the handler does with it: "retry", "retry:N", "raise"


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        body = await request.json()
        await self.env.JOBS.send(body)
        return Response("sent")

    async def queue(self, batch):
        SEEN.append([(batch.queue, _py(m.body), m.attempts) for m in batch.messages])
        for message in batch.messages:
            action = PLAN.get(json_key(_py(message.body)), "ack")
            if action == "raise":
                raise RuntimeError("consumer failed")
            if action == "retry":
                message.retry()
            elif action.startswith("retry:"):
                message.retry(delaySeconds=int(action[6:]))
            elif action == "skip":
                pass
            else:
                message.ack()


def _py(value):
    return value.to_py() if hasattr(value, "to_py") else value


def json_key(value):
    import json

    return json.dumps(value, sort_keys=True)
"""


def write_project(
    root: Path,
    *,
    consumer: dict[str, Any] | None = None,
    source: str = SOURCE,
    date: str = NEW_DATE,
    producers: list[dict[str, Any]] | None = None,
) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "entry.py").write_text(textwrap.dedent(source))
    queues: dict[str, Any] = {
        "producers": producers or [{"binding": "JOBS", "queue": "jobs"}],
    }
    if consumer is not None:
        queues["consumers"] = [{"queue": "jobs", **consumer}]
    config = {
        "name": "queues",
        "main": "entry.py",
        "compatibility_date": date,
        "compatibility_flags": ["python_workers"],
        "queues": queues,
    }
    (root / "wrangler.jsonc").write_text(json.dumps(config, indent=2))
    return root


def seen(emu: Emulator) -> list[list[tuple[str, Any, int]]]:
    return [[tuple(m) for m in batch] for batch in sys.modules["entry"].SEEN]


def plan(**actions: str) -> None:
    module = sys.modules["entry"]
    for body, action in actions.items():
        module.PLAN[json.dumps(body)] = action


@pytest.fixture
async def emu(tmp_path: Path) -> Any:
    """A producer only: messages stay where the test can see them."""
    async with Emulator(write_project(tmp_path / "p", consumer=None), now=START) as emu:
        yield emu


# -- producer ------------------------------------------------------------------------------------


async def test_send_and_send_batch_store_before_returning(emu: Emulator) -> None:
    await emu.env.JOBS.send({"n": 1})
    await emu.env.JOBS.send("hello", contentType="text")
    await emu.env.JOBS.sendBatch([{"body": [1, 2]}, {"body": "x", "contentType": "json"}])
    pending = emu.queue("jobs").pending()
    assert [(m.body, m.content_type, m.attempts) for m in pending] == [
        ({"n": 1}, "v8", 0),
        ("hello", "text", 0),
        ([1, 2], "v8", 0),
        ("x", "json", 0),
    ]
    assert all(len(m.id) == 32 and m.timestamp == START for m in pending)
    assert emu.queue("JOBS").name == "jobs"  # the handle by producer binding too


async def test_send_limits_and_errors_are_productions(emu: Emulator) -> None:
    queue = emu.env.JOBS
    with pytest.raises(JsException) as big:
        await queue.send("x" * 128_001, contentType="text")
    assert str(big.value) == (
        "Error: Queue send failed: message length of 128001 bytes exceeds limit of 128000"
    )
    await queue.send("x" * 128_000, contentType="text")  # exactly the limit is fine
    with pytest.raises(JsException, match=r"^TypeError: Message body cannot be undefined$"):
        await queue.send()
    with pytest.raises(JsException) as kind:
        await queue.send("x", contentType="yaml")
    assert str(kind.value) == "TypeError: Unsupported queue message content type: yaml"
    with pytest.raises(JsException) as text:
        await queue.send(5, contentType="text")
    assert str(text.value) == (
        'TypeError: Content Type "text" requires a value of type string, but received: number'
    )
    with pytest.raises(JsException, match="requires a value of type ArrayBufferView"):
        await queue.send("abc", contentType="bytes")
    for bad in (-1, 43_201, 1.5, "10"):
        with pytest.raises(JsException, match=r"message delay .* is invalid"):
            await queue.send("x", delaySeconds=bad)
    with pytest.raises(TypeError, match="cannot be sent over RPC"):
        queue.send((1, 2))  # the SDK refuses a tuple at the call
    await queue.send("upper", contentType="TEXT")  # workerd lower-cases the type
    assert emu.queue("jobs").pending()[-1].content_type == "text"


async def test_send_batch_limits(emu: Emulator) -> None:
    queue = emu.env.JOBS
    with pytest.raises(JsException, match=r"^TypeError: sendBatch\(\) requires at least one"):
        await queue.sendBatch([])
    with pytest.raises(JsException) as many:
        await queue.sendBatch([{"body": i} for i in range(101)])
    assert str(many.value) == (
        "Error: Queue sendBatch failed: batch message count of 101 exceeds limit of 100"
    )
    with pytest.raises(JsException) as total:
        await queue.sendBatch([{"body": "x" * 100_000, "contentType": "text"}] * 3)
    assert str(total.value) == (
        "Error: Queue sendBatch failed: batch size of 300000 bytes exceeds limit of 256000"
    )
    with pytest.raises(JsException, match="exceeds single message size limit of 128000"):
        await queue.sendBatch([{"body": "x" * 130_000, "contentType": "text"}])
    with pytest.raises(JsException, match="Message body cannot be undefined"):
        await queue.sendBatch([{"contentType": "text"}])
    assert emu.queue("jobs").counts()["pending"] == 0  # a refused batch stores nothing
    await queue.sendBatch([{"body": i} for i in range(100)])
    assert emu.queue("jobs").counts()["pending"] == 100


async def test_snake_case_options_warn_as_production_ignores_them(emu: Emulator) -> None:
    with pytest.warns(RuntimeWarning, match="delay_seconds= is not a Queues option"):
        await emu.env.JOBS.send("x", delay_seconds=60)
    assert emu.queue("jobs").pending()[0].visible_at == START  # ignored: no delay


# -- delivery ------------------------------------------------------------------------------------


async def test_a_partial_batch_waits_for_max_batch_timeout(tmp_path: Path) -> None:
    async with Emulator(write_project(tmp_path, consumer={}), now=START) as emu:
        await _partial_batch(emu)


async def _partial_batch(emu: Emulator) -> None:
    await emu.env.JOBS.send({"n": 1})
    await emu.env.JOBS.send({"n": 2})
    await emu.clock.advance("4.9s")
    assert seen(emu) == []  # default max_batch_timeout: 5 seconds
    await emu.clock.advance("0.1s")
    assert seen(emu) == [[("jobs", {"n": 1}, 1), ("jobs", {"n": 2}, 1)]]
    assert emu.queue("jobs").counts() == {
        "pending": 0,
        "delayed": 0,
        "in_flight": 0,
        "dead_lettered": 0,
    }
    (delivery,) = emu.queue("jobs").deliveries
    assert len(delivery.acked) == 2 and delivery.error is None


async def test_a_full_batch_goes_at_once_and_batches_hold_max_batch_size(tmp_path: Path) -> None:
    project = write_project(tmp_path, consumer={"max_batch_size": 3})
    async with Emulator(project, now=START) as emu:
        await emu.env.JOBS.sendBatch([{"body": i} for i in range(7)])
        await emu.settle()
        assert [len(b) for b in seen(emu)] == [3, 3]  # two full batches, no waiting
        await emu.clock.advance("5s")
        assert [len(b) for b in seen(emu)] == [3, 3, 1]
        assert [m[1] for b in seen(emu) for m in b] == list(range(7))  # in order


async def test_default_settings_are_productions(tmp_path: Path) -> None:
    project = write_project(tmp_path, consumer={})
    (consumer,) = load_config(project / "wrangler.jsonc").queue_consumers
    assert (consumer.max_batch_size, consumer.max_batch_timeout, consumer.max_retries) == (
        10,
        5.0,
        3,
    )
    assert (consumer.retry_delay, consumer.dead_letter_queue, consumer.max_concurrency) == (
        0,
        None,
        None,
    )


async def test_delays_of_send_batch_and_producer_delivery_delay(tmp_path: Path) -> None:
    project = write_project(
        tmp_path,
        consumer={"max_batch_timeout": 0},
        producers=[{"binding": "JOBS", "queue": "jobs", "delivery_delay": 60}],
    )
    async with Emulator(project, now=START) as emu:
        await emu.env.JOBS.send("default")  # delivery_delay: 60 s
        await emu.env.JOBS.send("now", delaySeconds=0)
        await emu.env.JOBS.sendBatch(
            [{"body": "batch"}, {"body": "own", "delaySeconds": 10}], delaySeconds=30
        )
        await emu.settle()
        assert [m[1] for b in seen(emu) for m in b] == ["now"]
        await emu.clock.advance("10s")
        assert [m[1] for b in seen(emu) for m in b] == ["now", "own"]
        await emu.clock.advance("20s")
        assert [m[1] for b in seen(emu) for m in b] == ["now", "own", "batch"]
        await emu.clock.advance("30s")
        assert [m[1] for b in seen(emu) for m in b] == ["now", "own", "batch", "default"]


async def test_retry_redelivers_after_retry_delay_with_attempts(tmp_path: Path) -> None:
    project = write_project(tmp_path, consumer={"max_batch_timeout": 0, "retry_delay": 30})
    async with Emulator(project, now=START) as emu:
        plan(again="retry", soon="retry:5")
        await emu.env.JOBS.sendBatch([{"body": "again"}, {"body": "soon"}, {"body": "done"}])
        await emu.settle()
        assert seen(emu) == [[("jobs", "again", 1), ("jobs", "soon", 1), ("jobs", "done", 1)]]
        plan(again="ack", soon="ack")
        await emu.clock.advance("5s")
        assert seen(emu)[1:] == [[("jobs", "soon", 2)]]  # its own delaySeconds
        await emu.clock.advance("25s")
        assert seen(emu)[2:] == [[("jobs", "again", 2)]]  # the consumer's retry_delay


async def test_max_retries_then_the_dead_letter_queue(tmp_path: Path) -> None:
    project = write_project(
        tmp_path,
        consumer={"max_batch_timeout": 0, "max_retries": 2, "dead_letter_queue": "jobs-dlq"},
    )
    async with Emulator(project, now=START) as emu:
        plan(bad="retry")
        await emu.env.JOBS.send("bad")
        await emu.clock.run_until_idle()
        assert [b[0][2] for b in seen(emu)] == [1, 2, 3]  # 1 delivery + max_retries retries
        (dead,) = emu.queue("jobs").dead_lettered()
        assert (dead.body, dead.attempts, dead.dead_letter_queue) == ("bad", 3, "jobs-dlq")
        (moved,) = emu.queue("jobs-dlq").pending()  # no consumer there: it stays
        assert (moved.id, moved.body, moved.attempts, moved.timestamp) == (
            dead.id,
            "bad",
            0,
            dead.timestamp,
        )
        assert emu.queue("jobs").deliveries[-1].dead_lettered == (dead.id,)


async def test_without_dead_letter_queue_the_message_is_dropped(tmp_path: Path) -> None:
    project = write_project(tmp_path, consumer={"max_batch_timeout": 0, "max_retries": 0})
    async with Emulator(project, now=START) as emu:
        plan(bad="retry")
        await emu.env.JOBS.send("bad")
        await emu.clock.run_until_idle()
        assert [b[0][2] for b in seen(emu)] == [1]
        (dead,) = emu.queue("jobs").dead_lettered()
        assert dead.dead_letter_queue is None
        assert emu.queue("jobs").counts()["pending"] == 0


async def test_a_handler_that_raises_retries_all_but_the_acked(tmp_path: Path) -> None:
    consumer = {"max_batch_timeout": 0, "max_retries": 1, "retry_delay": 10}
    project = write_project(tmp_path, consumer=consumer)
    async with Emulator(project, now=START) as emu:
        plan(boom="raise")
        await emu.env.JOBS.sendBatch([{"body": "first"}, {"body": "boom"}, {"body": "last"}])
        await emu.settle()
        delivery = emu.queue("jobs").deliveries[0]
        assert isinstance(delivery.error, RuntimeError)
        assert str(delivery.error) == "consumer failed"
        assert [m.body for m in emu.queue("jobs").messages()] == ["boom", "last"]
        await emu.clock.advance("10s")
        # "first" was acked before the raise: only the other two come back.
        assert [[m[1] for m in b] for b in seen(emu)] == [
            ["first", "boom", "last"],
            ["boom", "last"],
        ]


async def test_ack_all_retry_all_and_their_conflicts(tmp_path: Path) -> None:
    source = """
from workers import WorkerEntrypoint

SEEN = []


class Default(WorkerEntrypoint):
    async def queue(self, batch):
        SEEN.append([(m.body, m.attempts) for m in batch.messages])
        first = batch.messages[0]
        if first.attempts == 1:
            first.ack()
            first.retry()  # after ack(): no effect, a warning
            batch.retryAll(delaySeconds=20)
            batch.ackAll()  # after retryAll(): no effect, a warning
        else:
            batch.ackAll()
            first.retry()  # after ackAll(): no effect, a warning
"""
    project = write_project(tmp_path, consumer={"max_batch_timeout": 0}, source=source)
    async with Emulator(project, now=START) as emu:
        with pytest.warns(RuntimeWarning) as caught:
            await emu.env.JOBS.sendBatch([{"body": "a"}, {"body": "b"}])
            await emu.settle()
            await emu.clock.advance("20s")
        texts = [str(w.message) for w in caught]
        assert any(
            "retry() on message" in t and "after ack() was already called" in t for t in texts
        )
        assert "Received a call to ackAll() after retryAll() was already called. " in " ".join(
            texts
        )
        assert any("after ackAll() was already called" in t for t in texts)
        assert sys.modules["entry"].SEEN == [[("a", 1), ("b", 1)], [("b", 2)]]
        assert emu.queue("jobs").counts()["pending"] == 0


async def test_messages_are_jsproxy_objects_as_the_sdk_leaves_them(tmp_path: Path) -> None:
    source = """
from workers import WorkerEntrypoint
from pyodide.ffi import JsProxy

SEEN = {}


class Default(WorkerEntrypoint):
    async def queue(self, batch):
        by_type = {}
        for m in batch.messages:
            body = m.body
            by_type[type(body).__name__ if not isinstance(body, JsProxy) else "JsProxy"] = (
                body.to_py() if hasattr(body, "to_py") else body
            )
        SEEN["types"] = by_type
        SEEN["batch"] = type(batch).__name__
        SEEN["messages"] = type(batch.messages).__name__
        SEEN["timestamp"] = batch.messages[0].timestamp.getTime()
        SEEN["queue"] = batch.queue
"""
    project = write_project(tmp_path, consumer={"max_batch_timeout": 0}, source=source)
    async with Emulator(project, now=START) as emu:
        await emu.env.JOBS.sendBatch(
            [
                {"body": {"a": [1, {"b": None}]}},
                {"body": "text", "contentType": "text"},
                {"body": 1.5, "contentType": "json"},
            ]
        )
        await emu.settle()
        found = sys.modules["entry"].SEEN
        assert found["types"] == {"JsProxy": {"a": [1, {"b": None}]}, "str": "text", "float": 1.5}
        assert found["batch"] == "_BindingWrapper" and found["messages"] == "list"
        assert found["timestamp"] == START and found["queue"] == "jobs"


async def test_bytes_come_back_as_an_array_buffer(tmp_path: Path) -> None:
    source = """
from workers import WorkerEntrypoint

SEEN = []


class Default(WorkerEntrypoint):
    async def queue(self, batch):
        for m in batch.messages:
            SEEN.append((m.body.constructor.name, bytes(m.body.to_py())))
"""
    project = write_project(tmp_path, consumer={"max_batch_timeout": 0}, source=source)
    async with Emulator(project, now=START) as emu:
        await emu.env.JOBS.send(b"\x00\x01", contentType="bytes")
        await emu.env.JOBS.send(b"\x02")  # v8: the Uint8Array the SDK makes of bytes
        await emu.settle()
        assert sys.modules["entry"].SEEN == [("ArrayBuffer", b"\x00\x01"), ("Uint8Array", b"\x02")]


async def test_before_the_sdk_date_the_batch_is_a_raw_jsproxy(tmp_path: Path) -> None:
    source = """
from workers import WorkerEntrypoint

SEEN = []


class Default(WorkerEntrypoint):
    async def queue(self, batch):
        SEEN.append((type(batch).__name__, type(batch.messages).__name__, len(batch.messages)))
        batch.ackAll()
"""
    project = write_project(
        tmp_path, consumer={"max_batch_timeout": 0}, source=source, date=OLD_DATE
    )
    async with Emulator(project, now=START) as emu:
        await emu.env.JOBS.send("x")
        await emu.settle()
        assert sys.modules["entry"].SEEN == [("JsHostObject", "pyodide.ffi.JsArray", 1)]


async def test_module_level_on_queue_gets_batch_and_env(tmp_path: Path) -> None:
    source = """
SEEN = []


async def on_queue(batch, env):
    SEEN.append((batch.queue, [m.body for m in batch.messages], hasattr(env, "JOBS")))
"""
    project = write_project(tmp_path, consumer={"max_batch_timeout": 0}, source=source)
    async with Emulator(project, now=START) as emu:
        await emu.env.JOBS.send("x", contentType="text")
        await emu.settle()
        assert sys.modules["entry"].SEEN == [("jobs", ["x"], True)]


async def test_max_concurrency_one_delivers_one_batch_at_a_time(tmp_path: Path) -> None:
    source = """
import asyncio
from workers import WorkerEntrypoint

EVENTS = []


class Default(WorkerEntrypoint):
    async def queue(self, batch):
        EVENTS.append(("start", batch.messages[0].body))
        await asyncio.sleep(0.01)
        EVENTS.append(("end", batch.messages[0].body))
"""
    consumer = {"max_batch_size": 1, "max_concurrency": 1}
    project = write_project(tmp_path, consumer=consumer, source=source)
    async with Emulator(project, now=START) as emu:
        await emu.env.JOBS.sendBatch([{"body": 1}, {"body": 2}])
        await emu.clock.advance("1s")  # the handler's asyncio.sleep runs on the manual clock
        assert sys.modules["entry"].EVENTS == [("start", 1), ("end", 1), ("start", 2), ("end", 2)]


async def test_a_worker_without_queue_handler_fails_the_batch(tmp_path: Path) -> None:
    source = """
from workers import WorkerEntrypoint


class Default(WorkerEntrypoint):
    pass
"""
    consumer = {"max_batch_timeout": 0, "max_retries": 0}
    project = write_project(tmp_path, consumer=consumer, source=source)
    async with Emulator(project, now=START) as emu:
        await emu.env.JOBS.send("x")
        await emu.settle()
        error = emu.queue("jobs").deliveries[0].error
        assert "no queue method: define async def queue(self, batch)" in str(error)


async def test_messages_wait_for_a_consumer(tmp_path: Path) -> None:
    project = write_project(tmp_path, consumer=None)
    async with Emulator(project, now=START) as emu:
        await emu.env.JOBS.send("kept")
        await emu.clock.advance("1 hour")
        assert [m.body for m in emu.queue("jobs").pending()] == ["kept"]


# -- durability ----------------------------------------------------------------------------------


async def test_messages_survive_a_restart_and_in_flight_ones_are_redelivered(
    tmp_path: Path,
) -> None:
    source = """
import asyncio
from workers import WorkerEntrypoint

SEEN = []


class Default(WorkerEntrypoint):
    async def queue(self, batch):
        SEEN.append([(m.body, m.attempts) for m in batch.messages])
        if batch.messages[0].attempts == 1:
            await asyncio.Event().wait()  # still running when wf stops
"""
    project = write_project(tmp_path / "p", consumer={"max_batch_timeout": 0}, source=source)
    state = tmp_path / "state"
    async with Emulator(project, now=START, persist_to=state) as emu:
        await emu.env.JOBS.send("work")
        await emu.settle()
        assert emu.queue("jobs").counts()["in_flight"] == 1
    with pytest.warns(RuntimeWarning, match=r"1 queue message.* in flight when wf stopped"):
        emu = await Emulator(project, now=START, persist_to=state).start()
    async with emu:
        await emu.settle()
        assert sys.modules["entry"].SEEN == [[("work", 2)]]
        assert emu.queue("jobs").counts()["pending"] == 0


def _http(port: int, path: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    method = "GET" if data is None else "POST"
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read().decode()
    return json.loads(text) if text.startswith("{") else text


def test_wf_dev_send_is_durable_across_kill_9_and_the_view_and_cli(tmp_path: Path) -> None:
    project = write_project(tmp_path, consumer={"max_batch_timeout": 60})
    with DevServer(project, "--time", "manual") as server:
        server.wait_ready()
        assert _http(server.port, "/", {"job": 1}) == "sent"
        server.kill()
    with DevServer(project, "--time", "manual") as server:
        server.wait_ready()
        view = _http(server.port, "/cdn-cgi/wf/queues")["result"]["queues"]
        assert view == [
            {
                "queue": "jobs",
                "producers": ["JOBS"],
                "consumer": {
                    "max_batch_size": 10,
                    "max_batch_timeout": 60,
                    "max_retries": 3,
                    "retry_delay": 0,
                    "dead_letter_queue": None,
                    "max_concurrency": None,
                    "type": "worker",
                },
                "counts": {"pending": 1, "delayed": 0, "in_flight": 0, "dead_lettered": 0},
            }
        ]
        port = str(server.port)
        listed = run_wf("queues", "list", "--port", port)
        assert listed.returncode == 0, listed.stderr
        assert "jobs" in listed.stdout and "JOBS" in listed.stdout
        sent = run_wf("queues", "send", "jobs", '{"job": 2}', "--port", port)
        assert sent.returncode == 0, sent.stderr
        shown = run_wf("queues", "messages", "jobs", "--json", "--port", port)
        assert [m["body"] for m in json.loads(shown.stdout)] == [{"job": 1}, {"job": 2}]
        advanced = run_wf("time", "advance", "60s", "--port", port)
        assert advanced.returncode == 0, advanced.stderr
        server.wait_log("QUEUE jobs 2/2")
        messages = _http(server.port, "/cdn-cgi/wf/queues/jobs/messages")["result"]
        assert messages == {"queue": "jobs", "messages": []}


# -- configuration -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("consumer", "message"),
    [
        ({"max_batch_size": 101}, "max_batch_size: must be an integer from 1 to 100"),
        ({"max_batch_timeout": 61}, "max_batch_timeout: must be a number from 0 to 60"),
        ({"max_retries": -1}, "max_retries: must be an integer from 0 to 100"),
        ({"retry_delay": 43_201}, "retry_delay: must be an integer from 0 to 43200"),
        ({"max_concurrency": 0}, "max_concurrency: must be an integer from 1 to 250"),
        ({"dead_letter_queue": "jobs"}, "dead_letter_queue: must not be the queue it consumes"),
        ({"type": "push"}, 'type: must be "worker" or "http_pull"'),
    ],
)
def test_bad_consumer_settings_name_the_field(
    tmp_path: Path, consumer: dict[str, Any], message: str
) -> None:
    project = write_project(tmp_path, consumer=consumer)
    with pytest.raises(ConfigError) as error:
        load_config(project / "wrangler.jsonc")
    assert f"queues.consumers[0].{message}" in str(error.value)
    assert "wrangler.jsonc:" in str(error.value)


def test_a_queue_has_one_consumer_and_producer_bindings_are_unique(tmp_path: Path) -> None:
    project = write_project(tmp_path, consumer={})
    path = project / "wrangler.jsonc"
    raw = json.loads(path.read_text())
    raw["queues"]["consumers"].append({"queue": "jobs"})
    path.write_text(json.dumps(raw))
    with pytest.raises(ConfigError, match=r"consumers\[1\].queue: queue \"jobs\" already has"):
        load_config(path)
    raw["queues"]["consumers"].pop()
    raw["queues"]["producers"].append({"binding": "JOBS", "queue": "other"})
    path.write_text(json.dumps(raw))
    with pytest.raises(ConfigError, match=r"producers\[1\].binding: duplicate binding"):
        load_config(path)
    raw["queues"]["producers"] = [{"binding": "JOBS"}]
    path.write_text(json.dumps(raw))
    with pytest.raises(ConfigError, match=r"producers\[0\].queue: required"):
        load_config(path)


async def test_a_project_without_queues_keeps_no_queue_file(tmp_path: Path) -> None:
    project = tmp_path / "p"
    project.mkdir()
    (project / "entry.py").write_text("from workers import WorkerEntrypoint\n")
    (project / "wrangler.jsonc").write_text(
        json.dumps(
            {
                "name": "plain",
                "main": "entry.py",
                "compatibility_date": NEW_DATE,
                "compatibility_flags": ["python_workers"],
            }
        )
    )
    async with Emulator(project, now=START, persist_to=tmp_path / "state") as emu:
        await emu.settle()
        with pytest.raises(KeyError, match=r"no queue 'jobs' in the config \(queues: none\)"):
            emu.queue("jobs")
    assert not (tmp_path / "state" / "v3" / "queues").exists()


async def test_auto_time_jumps_to_the_batch_timeout_and_the_retries(tmp_path: Path) -> None:
    consumer = {"max_batch_timeout": 30, "retry_delay": 3600, "max_retries": 2}
    project = write_project(tmp_path, consumer=consumer)
    async with Emulator(project, now=START, time="auto") as emu:
        plan(once="retry")
        start = emu.clock.now()
        await emu.env.JOBS.send("once")
        await emu.env.JOBS.send("late", delaySeconds=600)
        for _ in range(500):  # real time: auto time gets there in a few event-loop turns
            if emu.queue("jobs").dead_lettered():
                break
            await asyncio.sleep(0.01)
        assert [[m[1:] for m in b] for b in seen(emu)] == [
            [("once", 1)],
            [("late", 1)],
            [("once", 2)],
            [("once", 3)],
        ]
        assert emu.clock.now() - start >= 2 * 3_600_000  # jumped over both retry delays
