"""Queues: ``env.QUEUE.send/sendBatch`` producers and delivery to the Worker's ``queue`` handler.

Modules: ``_binding`` (the producer's call shape and limits), ``_body`` (content types and
what a body becomes), ``_batch`` (what the consumer receives), ``_broker`` (batching, retries,
dead letters on the virtual clock), ``_store`` (SQLite), ``_admin`` (seeding and inspection).
The host (``wf dev``, the test ``Emulator``) starts the broker with a function that runs the
Worker's handler: ``start(platform, deliver)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from wf.platform.queues._admin import MessageInfo, QueueAdmin
from wf.platform.queues._batch import MessageBatch, QueueMessage
from wf.platform.queues._binding import WorkerQueue
from wf.platform.queues._broker import Deliver, Delivery, QueueBroker
from wf.platform.queues._store import QueueStore, store_path

if TYPE_CHECKING:
    from wf.config import Config
    from wf.platform import Platform

_DELIVER = ("queues", "deliver")  # the host's handler runner, kept with the platform

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
    "current",
    "queue_names",
    "start",
    "stop",
    "worker_consumers",
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
    if not (config.queue_producers or config.queue_consumers) and not _has_broker(platform):
        return {}  # no queues: no file under the persist folder either
    found = broker(platform)
    found.configure(config)
    host = platform.resources.get(_DELIVER)
    if host is not None:
        _start(found, host)
    return producers(platform, config)


def producers(platform: Platform, config: Config) -> dict[str, Any]:
    """``env`` entries for the producers alone: another Worker of the session sends to the
    queues the first Worker's consumers deliver (it does not configure them)."""
    if not config.queue_producers:
        return {}
    found = broker(platform)
    return {
        p.binding: WorkerQueue(
            p.binding, p.queue, p.delivery_delay, found.store, platform.clock.now, found.sent
        )
        for p in config.queue_producers
    }


def worker_consumers(platform: Platform, config: Config, deliver: Deliver) -> None:
    """Another Worker of the session consumes its ``queues.consumers[]`` through ``deliver``
    (its own ``queue`` handler and env), at its load and each reload."""
    if not config.queue_consumers and not _has_broker(platform):
        return
    broker(platform).configure(config, worker=config.name, deliver=deliver)


def _has_broker(platform: Platform) -> bool:
    return ("queues", "broker") in platform.resources


def queue_names(config: Config, found: QueueBroker | None = None) -> list[str]:
    """Every queue the config names (producers, consumers, dead-letter queues) or that holds
    messages, sorted."""
    names = {p.queue for p in config.queue_producers}
    names.update(c.queue for c in config.queue_consumers)
    names.update(c.dead_letter_queue for c in config.queue_consumers if c.dead_letter_queue)
    if found is not None:
        names.update(found.store.counts(found.clock.now()))
        names.update(found.consumers)  # the session's other Workers consume these
        names.update(c.dead_letter_queue for c in found.consumers.values() if c.dead_letter_queue)
    return sorted(names)


def admin(platform: Platform, name: str) -> QueueAdmin:
    """The handle of a queue, by queue name or by producer binding."""
    assert platform.config is not None
    config = platform.config
    for producer in config.queue_producers:
        if name == producer.binding:
            name = producer.queue
            break
    known = queue_names(config, current(platform))
    if name not in known:
        raise KeyError(f"no queue {name!r} in the config (queues: {', '.join(known) or 'none'})")
    return QueueAdmin(name, broker(platform), platform.clock.now)


@dataclass(frozen=True)
class _Host:
    deliver: Deliver
    log: Callable[[str], None] | None
    error_log: Callable[[str, BaseException], None] | None


def start(
    platform: Platform,
    deliver: Deliver,
    *,
    log: Callable[[str], None] | None = None,
    error_log: Callable[[str, BaseException], None] | None = None,
) -> None:
    """Begin delivering to the consumer Worker through ``deliver`` (now, or once the config
    has queues); ``log`` gets a line per batch, ``error_log`` the handler's errors."""
    host = platform.resources[_DELIVER] = _Host(deliver, log, error_log)
    if _has_broker(platform):
        _start(broker(platform), host)


def _start(found: QueueBroker, host: _Host) -> None:
    found.log, found.error_log = host.log, host.error_log
    found.start(host.deliver)


async def stop(platform: Platform) -> None:
    """Stop delivering (in-flight batches are redelivered at the next start)."""
    platform.resources.pop(_DELIVER, None)
    if _has_broker(platform):
        await broker(platform).stop()


def current(platform: Platform) -> QueueBroker | None:
    """The platform's broker, if the config has queues."""
    return broker(platform) if _has_broker(platform) else None
