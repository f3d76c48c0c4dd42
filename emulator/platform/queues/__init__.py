"""Queues: ``env.QUEUE.send/sendBatch`` producers and delivery to the Worker's ``queue`` handler.

Modules: ``_binding`` (the producer's call shape and limits), ``_body`` (content types and
what a body becomes), ``_batch`` (what the consumer receives), ``_broker`` (batching, retries,
dead letters on the virtual clock), ``_store`` (SQLite), ``_admin`` (seeding and inspection).
The host (``wf dev``, the test ``Emulator``) starts the broker with a function that runs the
Worker's handler: ``start(platform, deliver)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emulator.platform.queues._admin import MessageInfo, QueueAdmin
from emulator.platform.queues._batch import MessageBatch, QueueMessage
from emulator.platform.queues._binding import WorkerQueue
from emulator.platform.queues._broker import Deliver, Delivery, QueueBroker
from emulator.platform.queues._store import QueueStore, store_path

if TYPE_CHECKING:
    from emulator.config import Config
    from emulator.platform import Platform

__all__ = [
    "Delivery",
    "MessageBatch",
    "MessageInfo",
    "QueueAdmin",
    "QueueBroker",
    "QueueMessage",
    "WorkerQueue",
    "admin",
    "bindings",
    "broker",
    "queue_names",
    "start",
    "stop",
]


def broker(platform: Platform) -> QueueBroker:
    """The one broker (and store) of a platform, kept across reloads."""
    root = platform.root

    def make_store() -> QueueStore:
        return QueueStore(None if root is None else store_path(root))

    store: QueueStore = platform.resource("queues", "store", make_store)
    found: QueueBroker = platform.resource(
        "queues", "broker", lambda: QueueBroker(store, platform.clock)
    )
    return found


def bindings(platform: Platform, config: Config) -> dict[str, Any]:
    """``env`` entries for every producer of the config (and the consumers it delivers to)."""
    found = broker(platform)
    found.configure(config)
    return {
        p.binding: WorkerQueue(
            p.binding, p.queue, p.delivery_delay, found.store, platform.clock.now, found.sent
        )
        for p in config.queue_producers
    }


def queue_names(config: Config, found: QueueBroker | None = None) -> list[str]:
    """Every queue the config names (producers, consumers, dead-letter queues) or that holds
    messages, sorted."""
    names = {p.queue for p in config.queue_producers}
    names.update(c.queue for c in config.queue_consumers)
    names.update(c.dead_letter_queue for c in config.queue_consumers if c.dead_letter_queue)
    if found is not None:
        names.update(found.store.counts(found.clock.now()))
    return sorted(names)


def admin(platform: Platform, name: str) -> QueueAdmin:
    """The handle of a queue, by queue name or by producer binding."""
    assert platform.config is not None
    config = platform.config
    found = broker(platform)
    for producer in config.queue_producers:
        if name == producer.binding:
            name = producer.queue
            break
    known = queue_names(config, found)
    if name not in known:
        raise KeyError(f"no queue {name!r} in the config (queues: {', '.join(known) or 'none'})")
    return QueueAdmin(name, found, platform.clock.now)


def start(platform: Platform, deliver: Deliver) -> QueueBroker:
    """Begin delivering to the consumer Worker through ``deliver``."""
    found = broker(platform)
    found.start(deliver)
    return found


async def stop(platform: Platform) -> None:
    """Stop delivering (in-flight batches are redelivered at the next start)."""
    if ("queues", "broker") in platform.resources:
        await broker(platform).stop()
