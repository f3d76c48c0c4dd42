"""What the consumer's ``queue(self, batch)`` receives: a MessageBatch and its messages.

workerd's ``QueueEvent``/``QueueMessage`` (``src/workerd/api/queue.c++``): ``batch.queue``,
``batch.messages``, ``batch.ackAll()``, ``batch.retryAll(delaySeconds=)``; each message has
``id``, ``timestamp`` (a JS Date), ``body``, ``attempts``, ``ack()`` and
``retry(delaySeconds=)``. A call that contradicts an earlier one (``ack()`` after ``retry()``,
``ackAll()`` after ``retryAll()``...) has no effect and logs workerd's warning.

With the runtime SDK the handler gets ``_BindingWrapper(batch)`` (workers-py ``entrypoints.py``
``_wrap_queue_handler``): ``batch.messages`` goes through ``python_from_rpc``, which leaves the
message objects as JsProxy, so ``message.body`` is a JsProxy for a JS object (``to_py()``), a
``str`` for a string. Before the SDK's date the batch itself is a raw JsProxy too.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

from wf.platform.queues._binding import delay_seconds, option
from wf.platform.queues._body import decode
from wf.platform.queues._store import StoredMessage
from wf.runtime.pyodide._host import JsHostObject


@dataclass
class Outcome:
    """What the handler asked for (workerd's ``QueueEventResult``)."""

    ack_all: bool = False
    retry_all: bool = False
    retry_all_delay: int | None = None
    acks: set[str] = field(default_factory=set)
    retries: dict[str, int | None] = field(default_factory=dict)  # id -> delaySeconds
    notes: list[str] = field(default_factory=list)  # workerd's warnings, for the log

    def warn(self, text: str) -> None:
        self.notes.append(text)
        warnings.warn(text, RuntimeWarning, stacklevel=4)


class QueueMessage:
    """One delivered message (JS ``Message``)."""

    def __init__(self, stored: StoredMessage, outcome: Outcome) -> None:
        from wf.runtime.js import Date

        self.id = stored.id
        self.timestamp = Date.new(stored.sent_at)
        self.body = decode(stored.body, stored.content_type)
        self.attempts = stored.attempts
        self._outcome = outcome

    def ack(self) -> None:
        """Acknowledge: not redelivered, whatever the rest of the batch does."""
        result = self._outcome
        if result.ack_all:
            return
        if result.retry_all:
            result.warn(
                f"Received a call to ack() on message {self.id} after retryAll() was already "
                "called. Calling ack() on a message after calling retryAll() has no effect."
            )
            return
        if self.id in result.retries:
            result.warn(
                f"Received a call to ack() on message {self.id} after retry() was already "
                "called. Calling ack() on a message after calling retry() has no effect."
            )
            return
        result.acks.add(self.id)

    def retry(self, options: Any = None, **kwargs: Any) -> None:
        """Redeliver later (``delaySeconds``, else the consumer's ``retry_delay``)."""
        delay = delay_seconds("retry", option(kwargs or options, "delaySeconds"))
        result = self._outcome
        if result.retry_all:
            return
        if result.ack_all:
            result.warn(
                f"Received a call to retry() on message {self.id} after ackAll() was already "
                "called. Calling retry() on a message after calling ackAll() has no effect."
            )
            return
        if self.id in result.acks:
            result.warn(
                f"Received a call to retry() on message {self.id} after ack() was already "
                "called. Calling retry() on a message after calling ack() has no effect."
            )
            return
        result.retries.setdefault(self.id, delay)


class MessageBatch:
    """The batch handed to ``queue(self, batch)`` (JS ``MessageBatch``)."""

    def __init__(self, queue: str, rows: list[StoredMessage]) -> None:
        self.queue = queue
        self.outcome = Outcome()
        self._messages = [QueueMessage(row, self.outcome) for row in rows]

    @property
    def messages(self) -> list[Any]:
        # Message objects stay JsProxy objects, with or without the SDK (see the module doc).
        return [JsHostObject(m, "message") for m in self._messages]

    def ackAll(self) -> None:
        """Acknowledge every message not retried explicitly."""
        if self.outcome.retry_all:
            self.outcome.warn(
                "Received a call to ackAll() after retryAll() was already called. "
                "Calling ackAll() after calling retryAll() has no effect."
            )
            return
        self.outcome.ack_all = True

    def retryAll(self, options: Any = None, **kwargs: Any) -> None:
        """Redeliver every message not acknowledged explicitly."""
        delay = delay_seconds("retryAll", option(kwargs or options, "delaySeconds"))
        if self.outcome.ack_all:
            self.outcome.warn(
                "Received a call to retryAll() after ackAll() was already called. "
                "Calling retryAll() after calling ackAll() has no effect."
            )
            return
        self.outcome.retry_all = True
        self.outcome.retry_all_delay = delay


# Names workers-py and Pyodide read: ``constructor.name`` and the repr of a JsProxy.
MessageBatch.__name__ = "MessageBatch"
QueueMessage.__name__ = "QueueMessage"
