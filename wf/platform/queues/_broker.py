"""Delivering messages to the consumer Worker: batching, retries, dead letters, on the clock.

For each ``queues.consumers[]`` entry: a batch goes out as soon as ``max_batch_size`` messages
are deliverable, or when the oldest deliverable message has waited ``max_batch_timeout``;
at most ``max_concurrency`` batches are in flight. After the handler returns, every message
not retried is acknowledged; when it throws, every message not acknowledged is retried. A
retried message waits its ``delaySeconds`` (else the consumer's ``retry_delay``) and after
``max_retries`` retries goes to ``dead_letter_queue``, or is dropped. (workers-sdk
``miniflare/src/workers/queues/broker.worker.ts``; Queues docs: batching-retries, limits.)

Every state change is committed before the next step (``_store``); every wait is a wake-up on
the virtual clock (``wf.wakeups``), re-armed from the store at start.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import time
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from wf.platform.queues._batch import MessageBatch
from wf.platform.queues._store import QueueStore, StoredMessage
from wf.timers import TimerKind
from wf.wakeups import Wakeups, settle_with

if TYPE_CHECKING:
    from wf.clock import Clock
    from wf.config import Config, QueueConsumerConfig

# A consumer invocation may run for 15 minutes of wall time in production.
HANDLER_LIMIT_MS = 15 * 60 * 1000
# Production scales consumers up to this many concurrent batches when max_concurrency is unset.
AUTOSCALE_MAX = 250

Deliver = Callable[[Any], Awaitable[None]]


@dataclass(frozen=True)
class Delivery:
    """One batch's result, for listeners (tests, the dashboard)."""

    queue: str
    ids: tuple[str, ...]
    acked: tuple[str, ...]
    retried: tuple[str, ...]
    dead_lettered: tuple[str, ...]
    error: BaseException | None


class QueueBroker:
    """The delivery loop of every consumer in the config."""

    def __init__(self, store: QueueStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self.consumers: dict[str, QueueConsumerConfig] = {}
        self.runtime_sdk = True
        self.deliver: Deliver | None = None
        # Several Workers in a session: each declares its consumers; a queue has one consumer
        # (the session refuses two at start-up), whose Worker runs its batches. None: the first.
        self.owners: dict[str, str | None] = {}
        self._declared: dict[str | None, dict[str, QueueConsumerConfig]] = {}
        self._sdk: dict[str | None, bool] = {}
        self._delivers: dict[str, Deliver] = {}
        self.log: Callable[[str], None] | None = None
        self.error_log: Callable[[str, BaseException], None] | None = None
        self.listeners: list[Callable[[Delivery], None]] = []
        self.history: collections.deque[Delivery] = collections.deque(maxlen=10_000)
        self._wakeups = Wakeups(clock, TimerKind.QUEUE)
        self._inflight: dict[str, set[asyncio.Task[None]]] = {}
        self._started = False
        self._noticed: set[str] = set()

    # -- lifecycle ----------------------------------------------------------------------------

    def notice(self, key: str, text: str) -> None:
        """Say once (per broker) where wf chose a behaviour production does not document."""
        if key in self._noticed:
            return
        self._noticed.add(key)
        warnings.warn(text, RuntimeWarning, stacklevel=2)
        if self.log is not None:
            self.log(f"wf: {text}")

    def configure(
        self, config: Config, *, worker: str | None = None, deliver: Deliver | None = None
    ) -> None:
        """Use this config's consumers (at load and after each reload).

        ``worker``: another Worker of the session, whose batches go through ``deliver`` (its
        own handler and env); the first Worker's go through the host's (``start``)."""
        known = {q for q, owner in self.owners.items() if owner == worker}
        self._declared[worker] = {c.queue: c for c in config.queue_consumers if c.type == "worker"}
        self._sdk[worker] = config.runtime_sdk
        if worker is not None and deliver is not None:
            self._delivers[worker] = deliver
        self.consumers, self.owners = {}, {}
        for owner, declared in self._declared.items():  # the first Worker's come first
            for queue, consumer in declared.items():
                if queue not in self.consumers:
                    self.consumers[queue], self.owners[queue] = consumer, owner
        for consumer in config.queue_consumers:
            if consumer.type == "http_pull":
                self.notice(
                    f"pull:{consumer.queue}",
                    f"queue {consumer.queue} has an http_pull consumer: wf keeps its messages "
                    "(see them with wf queues messages) but does not emulate pulling them",
                )
        if worker is None:
            self.runtime_sdk = config.runtime_sdk
        if self._started:
            for key in ("batch", "visible"):  # a handler's time limit keeps running
                for queue in known:
                    self._wakeups.cancel((key, queue))
            for queue, owner in self.owners.items():
                if owner == worker:
                    self.kick(queue)

    def start(self, deliver: Deliver) -> None:
        """Begin delivering through ``deliver`` (the host runs the Worker's handler)."""
        self.deliver = deliver
        if self._started:
            return
        self._started = True
        recovered = self.store.recover(self.clock.now())  # in flight at a crash: again
        if recovered:
            self.notice(
                "recovered",
                f"{recovered} queue message(s) were in flight when wf stopped: delivered again, "
                "and the lost delivery counts in their attempts (UNCONFIRMED)",
            )
        settle_with(self.clock, self.busy)
        for queue in self.consumers:
            self.kick(queue)

    async def stop(self) -> None:
        """Stop delivering; batches in flight are cancelled and redelivered at the next start."""
        self._started = False
        self._wakeups.cancel_all()
        tasks = self.busy()
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    def busy(self) -> list[asyncio.Task[None]]:
        """Batches being delivered now."""
        return [t for tasks in self._inflight.values() for t in tasks]

    # -- scheduling ---------------------------------------------------------------------------

    def sent(self, queue: str) -> None:
        """A producer stored messages for ``queue``."""
        self.kick(queue)

    def kick(self, queue: str, *, idle: bool = False) -> None:
        """Deliver what is due on ``queue`` now, and wake up when more will be.

        ``idle``: called from a timer or the end of a batch, not from running user code, so
        auto time may jump on to the next timer when nothing was started.
        """
        consumer = self.consumers.get(queue)
        if not self._started or consumer is None or self._deliver_for(queue) is None:
            return
        now = self.clock.now()
        running = self._inflight.setdefault(queue, set())
        limit = consumer.max_concurrency or AUTOSCALE_MAX
        while len(running) < limit:
            count, oldest = self.store.ready_stats(queue, now)
            if count == 0:
                break
            if count < consumer.max_batch_size and oldest is not None:
                due = oldest + consumer.max_batch_timeout * 1000.0
                if due > now:
                    self._wakeups.at(("batch", queue), due, lambda: self.kick(queue, idle=True))
                    break
            if running and consumer.max_concurrency is None:
                self.notice(
                    f"concurrency:{queue}",
                    f"queue {queue}: wf runs batches concurrently at once when "
                    "max_concurrency is unset; production scales up to 250 gradually "
                    "(UNCONFIRMED how fast): set max_concurrency to pin it",
                )
            rows = self.store.ready(queue, now, consumer.max_batch_size)
            self.store.take([r.seq for r in rows], now)
            rows = [_redelivered(r) for r in rows]
            task = asyncio.ensure_future(self._run(consumer, rows))
            running.add(task)
            task.add_done_callback(functools.partial(self._finished, queue))
        upcoming = self.store.next_visible(queue, now)
        if upcoming is not None:
            self._wakeups.at(("visible", queue), upcoming, lambda: self.kick(queue, idle=True))
        if idle and not self.busy():
            self.clock.notify_idle()

    def _deliver_for(self, queue: str) -> Deliver | None:
        """What runs the batches of ``queue``: its consumer Worker's handler."""
        owner = self.owners.get(queue)
        return self.deliver if owner is None else self._delivers.get(owner)

    def _finished(self, queue: str, task: asyncio.Task[None]) -> None:
        self._inflight.get(queue, set()).discard(task)
        if self._started:
            self.kick(queue, idle=True)

    # -- one batch ----------------------------------------------------------------------------

    async def _run(self, consumer: QueueConsumerConfig, rows: list[StoredMessage]) -> None:
        from wf.runtime.pyodide._host import JsHostObject
        from wf.runtime.workers._rpc import BindingWrapper

        queue = consumer.queue
        batch = MessageBatch(queue, rows)
        owner = self.owners.get(queue)
        wrapped = self._sdk.get(owner, self.runtime_sdk)
        handed: Any = BindingWrapper(batch) if wrapped else JsHostObject(batch, "batch")
        started = time.monotonic()
        error: BaseException | None = None
        deliver = self._deliver_for(queue)
        assert deliver is not None
        task = asyncio.ensure_future(deliver(handed))
        key = ("limit", id(task))
        self._wakeups.at(key, self.clock.now() + HANDLER_LIMIT_MS, lambda: _cancel(task))
        try:
            await task
        except asyncio.CancelledError:
            if not task.cancelled() or not self._started:
                raise  # wf is stopping: the batch stays in flight, redelivered at start
            error = TimeoutError(
                f"the queue handler of {queue} ran past the 15-minute limit of a consumer "
                "invocation"
            )
        except (Exception, SystemExit) as exc:  # user code must not take wf down
            error = exc
        finally:
            self._wakeups.cancel(key)
        if self.log is not None:
            for note in batch.outcome.notes:
                self.log(f"queue {queue}: {note}")
        self._settle(consumer, rows, batch, error, time.monotonic() - started)

    def _settle(
        self,
        consumer: QueueConsumerConfig,
        rows: list[StoredMessage],
        batch: MessageBatch,
        error: BaseException | None,
        seconds: float,
    ) -> None:
        outcome = batch.outcome
        now = self.clock.now()
        acked: list[int] = []
        retried: list[tuple[int, float]] = []
        dead: list[tuple[StoredMessage, str | None]] = []
        for row in rows:
            explicit_retry = row.id in outcome.retries
            if error is not None:
                retry = row.id not in outcome.acks and not outcome.ack_all
            else:
                # UNCONFIRMED: an explicit ack() before retryAll() keeps the message acked
                # (workerd reports both; miniflare retries it anyway).
                retry = explicit_retry or (outcome.retry_all and row.id not in outcome.acks)
                if outcome.retry_all and row.id in outcome.acks:
                    self.notice(
                        "ack-then-retry-all",
                        "retryAll() after ack(): wf keeps the acked message acked "
                        "(UNCONFIRMED; miniflare retries it too)",
                    )
            if not retry:
                acked.append(row.seq)
                continue
            # attempts counts deliveries: after max_retries retries there is none left.
            if row.attempts > consumer.max_retries:
                dead.append((row, consumer.dead_letter_queue))
                continue
            delay = outcome.retries.get(row.id) if explicit_retry else None
            if delay is None:
                delay = outcome.retry_all_delay if outcome.retry_all else None
            if delay is None:
                delay = consumer.retry_delay
            retried.append((row.seq, now + delay * 1000.0))
        self.store.settle(now, acked, retried, dead)
        if error is not None and self.error_log is not None:
            self.error_log(f"queue {consumer.queue}: the queue handler raised", error)
        if self.log is not None:
            self.log(f"QUEUE {consumer.queue} {len(acked)}/{len(rows)} ({seconds * 1000:.0f}ms)")
            for row, dlq in dead:
                attempts = consumer.max_retries + 1
                tries = f"{attempts} failed attempt{'s' if attempts != 1 else ''}"
                if dlq is None:
                    self.log(f'Dropped message "{row.id}" on queue "{row.queue}" after {tries}')
                else:
                    self.log(
                        f'Moved message "{row.id}" on queue "{row.queue}" to dead letter queue '
                        f'"{dlq}" after {tries}'
                    )
        by_seq = {r.seq: r.id for r in rows}
        result = Delivery(
            consumer.queue,
            tuple(r.id for r in rows),
            tuple(by_seq[s] for s in acked),
            tuple(by_seq[s] for s, _ in retried),
            tuple(r.id for r, _ in dead),
            error,
        )
        self.history.append(result)
        for listener in list(self.listeners):
            listener(result)
        for _, dlq in dead:
            if dlq is not None:
                self.kick(dlq)


def _redelivered(row: StoredMessage) -> StoredMessage:
    """The row as delivered: ``take`` counted this delivery in the store."""
    from dataclasses import replace

    return replace(row, attempts=row.attempts + 1, state="inflight")


def _cancel(task: asyncio.Future[None]) -> None:
    task.cancel()
