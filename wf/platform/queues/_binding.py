"""``env.QUEUE``: a Queue producer as a Python Worker calls it.

Production hands Python a ``_BindingWrapper`` over workerd's ``WorkerQueue`` (workers-py
``_workers.py``, ``_EnvWrapper._BINDING_TYPES``): JS method names, keyword arguments as the
trailing JS options object (``send(body, contentType="json", delaySeconds=30)``). A message is
in the store before ``send`` returns. Limits and their errors follow the queue broker
(workers-sdk ``miniflare/src/workers/queues/broker.worker.ts``) and workerd (``queue.c++``).
"""

from __future__ import annotations

import secrets
import warnings
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from wf.platform.kv._errors import JsException
from wf.platform.queues._body import content_type, encode
from wf.platform.queues._store import NewMessage, QueueStore
from wf.runtime.pyodide._values import UNDEFINED, JsProxy, heap_to_py
from wf.runtime.workers._rpc import check_rpc, sdk_conversions

MESSAGE_MAX = 128_000  # bytes per message (128 KB)
BATCH_COUNT_MAX = 100  # messages per sendBatch
BATCH_BYTES_MAX = 256_000  # bytes per sendBatch (256 KB)
DELAY_MAX = 43_200  # seconds (12 hours)
SNAKE_OPTIONS = {"content_type": "contentType", "delay_seconds": "delaySeconds"}


def new_id() -> str:
    """A message id: 32 hex digits, as the broker makes them."""
    return secrets.token_hex(16)


def options_of(method: str, args: tuple[Any, ...], kwargs: dict[str, Any], index: int) -> Any:
    """The JS options object: keyword arguments, else the positional one at ``index``."""
    for value in (*args, *kwargs.values()):
        check_rpc(value)
    for name in kwargs:
        if name in SNAKE_OPTIONS:
            warnings.warn(
                f"Queue {method}(): {name}= is not a Queues option and production ignores it; "
                f"use {SNAKE_OPTIONS[name]}=",
                RuntimeWarning,
                stacklevel=4,
            )
    if kwargs:
        return dict(kwargs)
    return args[index] if len(args) > index else None


def option(options: Any, name: str) -> Any:
    if isinstance(options, JsProxy):
        options = heap_to_py(options._js)
    if isinstance(options, Mapping):
        return options.get(name)
    return None


def delay_seconds(method: str, value: Any) -> int | None:
    """``delaySeconds``: a whole number of seconds from 0 to 12 hours."""
    if value is None or value is UNDEFINED:
        return None
    number = value if isinstance(value, int | float) and not isinstance(value, bool) else None
    if number is None or not float(number).is_integer() or not 0 <= number <= DELAY_MAX:
        raise JsException(
            "Error",
            f"Queue {method} failed: message delay {value} is invalid: must be a whole number "
            f"of seconds from 0 to {DELAY_MAX}",
        )
    return int(number)


class WorkerQueue:
    """``env.QUEUE``: ``send`` and ``sendBatch`` of production's Queue binding."""

    def __init__(
        self,
        binding: str,
        queue: str,
        delivery_delay: int,
        store: QueueStore,
        now: Callable[[], float],
        sent: Callable[[str], None],
    ) -> None:
        self._binding = binding
        self._queue = queue
        self._delivery_delay = delivery_delay
        self._store = store
        self._now = now
        self._sent = sent

    def __repr__(self) -> str:
        return f"<WorkerQueue {self._binding} -> {self._queue}>"

    def send(self, *args: Any, **kwargs: Any) -> Awaitable[None]:
        """``send(body, contentType=, delaySeconds=)``: durable when it returns."""
        options = options_of("send", args, kwargs, 1)
        body = args[0] if args else UNDEFINED
        if body is None and not sdk_conversions.get():
            body = UNDEFINED  # raw Pyodide passes None as undefined
        return self._send(body, options)

    async def _send(self, body: Any, options: Any) -> None:
        if body is UNDEFINED:
            raise JsException("TypeError", "Message body cannot be undefined")
        message = self._message(body, option(options, "contentType"))
        size = len(message[0])
        if size > MESSAGE_MAX:
            raise JsException(
                "Error",
                f"Queue send failed: message length of {size} bytes exceeds limit of {MESSAGE_MAX}",
            )
        delay = delay_seconds("send", option(options, "delaySeconds"))
        self._store_all([(*message, delay)])

    def sendBatch(self, *args: Any, **kwargs: Any) -> Awaitable[None]:
        """``sendBatch([{body, contentType?, delaySeconds?}...], delaySeconds=)``."""
        options = options_of("sendBatch", args, kwargs, 1)
        messages = args[0] if args else UNDEFINED
        return self._send_batch(messages, options)

    async def _send_batch(self, messages: Any, options: Any) -> None:
        if isinstance(messages, JsProxy):
            messages = heap_to_py(messages._js)
        if not isinstance(messages, list):
            raise JsException(
                "TypeError",
                "Failed to execute 'sendBatch' on 'WorkerQueue': parameter 1 is not of type "
                "'Sequence'.",
            )
        if not messages:
            raise JsException("TypeError", "sendBatch() requires at least one message")
        prepared: list[tuple[bytes, str, int | None]] = []
        for item in messages:
            body = option(item, "body")
            if body is None and not (isinstance(item, Mapping) and "body" in item):
                body = UNDEFINED
            if body is UNDEFINED:
                raise JsException("TypeError", "Message body cannot be undefined")
            data, kind = self._message(body, option(item, "contentType"))
            prepared.append((data, kind, delay_seconds("sendBatch", option(item, "delaySeconds"))))
        sizes = [len(data) for data, _, _ in prepared]
        if len(prepared) > BATCH_COUNT_MAX:
            raise JsException(
                "Error",
                f"Queue sendBatch failed: batch message count of {len(prepared)} exceeds limit "
                f"of {BATCH_COUNT_MAX}",
            )
        if max(sizes) > MESSAGE_MAX:
            raise JsException(
                "Error",
                f"Queue sendBatch failed: message in batch has length {max(sizes)} bytes which "
                f"exceeds single message size limit of {MESSAGE_MAX}",
            )
        if sum(sizes) > BATCH_BYTES_MAX:
            raise JsException(
                "Error",
                f"Queue sendBatch failed: batch size of {sum(sizes)} bytes exceeds limit of "
                f"{BATCH_BYTES_MAX}",
            )
        batch_delay = delay_seconds("sendBatch", option(options, "delaySeconds"))
        self._store_all(
            [
                (data, kind, batch_delay if delay is None else delay)
                for data, kind, delay in prepared
            ]
        )

    def _message(self, body: Any, kind: Any) -> tuple[bytes, str]:
        chosen = "v8" if kind is None or kind is UNDEFINED else content_type(kind)
        data = encode(body, chosen)
        if chosen == "v8" and len(data) > MESSAGE_MAX * 0.9:
            warnings.warn(
                f"Queue message of about {len(data)} bytes: wf measures a v8 body by its JSON "
                "form, not by V8's serialization (UNCONFIRMED near the 128 KB limit); send "
                'contentType="json" to measure exactly',
                RuntimeWarning,
                stacklevel=4,
            )
        return data, chosen

    def _store_all(self, messages: list[tuple[bytes, str, int | None]]) -> None:
        now = self._now()
        self._store.insert(
            NewMessage(
                self._queue,
                new_id(),
                data,
                kind,
                now,
                now + 1000.0 * (self._delivery_delay if delay is None else delay),
            )
            for data, kind, delay in messages
        )
        self._sent(self._queue)
