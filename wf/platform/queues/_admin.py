"""The seeding and inspection handle of a queue: ``emu.queue("jobs")``, the CLI, the dashboard."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from wf.platform.queues._binding import new_id
from wf.platform.queues._body import content_type, encode, preview
from wf.platform.queues._broker import Delivery, QueueBroker
from wf.platform.queues._store import NewMessage, StoredMessage

STATES = {"pending": "pending", "in_flight": "inflight", "dead_lettered": "dead"}


@dataclass(frozen=True)
class MessageInfo:
    """A stored message as the admin handle shows it."""

    id: str
    body: Any  # JSON-friendly: bytes as {"base64": ...}
    content_type: str
    timestamp: float  # epoch ms, when it was sent
    visible_at: float  # epoch ms, when it can be (re)delivered
    attempts: int  # deliveries so far
    state: str  # pending, in_flight or dead_lettered
    dead_letter_queue: str | None

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _info(row: StoredMessage) -> MessageInfo:
    state = {v: k for k, v in STATES.items()}[row.state]
    return MessageInfo(
        row.id,
        preview(row.body, row.content_type),
        row.content_type,
        row.sent_at,
        row.visible_at,
        row.attempts,
        state,
        row.dead_letter_queue,
    )


class QueueAdmin:
    """Send to a queue and look inside it, from a test, the CLI or the dashboard."""

    def __init__(self, queue: str, broker: QueueBroker, now: Callable[[], float]) -> None:
        self.name = queue
        self._broker = broker
        self._now = now

    def __repr__(self) -> str:
        return f"<QueueAdmin {self.name}>"

    def send(self, body: Any, *, content_type: str = "json", delay_seconds: int = 0) -> str:
        """Store one message (delivered on the clock like any other); returns its id."""
        return self.send_batch([body], content_type=content_type, delay_seconds=delay_seconds)[0]

    def send_batch(
        self, bodies: list[Any], *, content_type: str = "json", delay_seconds: int = 0
    ) -> list[str]:
        """Store messages in one transaction; returns their ids."""
        kind = _content_type(content_type)
        if not isinstance(delay_seconds, int) or not 0 <= delay_seconds <= 43_200:
            raise ValueError(f"delay_seconds must be 0 to 43200, got {delay_seconds!r}")
        now = self._now()
        messages = [
            NewMessage(self.name, new_id(), encode(b, kind), kind, now, now + delay_seconds * 1e3)
            for b in bodies
        ]
        self._broker.store.insert(messages)
        self._broker.sent(self.name)
        return [m.id for m in messages]

    def messages(self, state: str | None = None, *, limit: int = 1000) -> list[MessageInfo]:
        """Stored messages, oldest first: all, or those ``pending``, ``in_flight`` or
        ``dead_lettered`` (acknowledged messages are gone)."""
        if state is not None and state not in STATES:
            raise ValueError(f"state must be one of {', '.join(STATES)}, got {state!r}")
        stored = None if state is None else STATES[state]
        return [_info(r) for r in self._broker.store.listing(self.name, stored, limit)]

    def pending(self) -> list[MessageInfo]:
        return self.messages("pending")

    def in_flight(self) -> list[MessageInfo]:
        return self.messages("in_flight")

    def dead_lettered(self) -> list[MessageInfo]:
        return self.messages("dead_lettered")

    def counts(self) -> dict[str, int]:
        """``pending`` (deliverable now), ``delayed``, ``in_flight``, ``dead_lettered``."""
        empty = {"pending": 0, "delayed": 0, "in_flight": 0, "dead_lettered": 0}
        return self._broker.store.counts(self._now()).get(self.name, empty)

    @property
    def deliveries(self) -> list[Delivery]:
        """Every batch delivered from this queue since start, oldest first."""
        return [d for d in self._broker.history if d.queue == self.name]

    def clear(self) -> None:
        """Delete every message of this queue."""
        self._broker.store.clear(self.name)


def _content_type(value: str) -> str:
    try:
        return content_type(value)
    except Exception:
        raise ValueError(
            f"content_type must be one of text, bytes, json, v8, got {value!r}"
        ) from None
