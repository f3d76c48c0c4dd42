"""``get(type="stream")``: a one-shot ReadableStream of the value, read in chunks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from emulator.platform.kv._errors import JsException


class Uint8Array:
    """A chunk of a stream: a ``JsBuffer`` in production (``to_bytes()``, ``to_py()``...)."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    @property
    def byteLength(self) -> int:
        return len(self._data)

    @property
    def length(self) -> int:
        return len(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __getitem__(self, index: int) -> int:
        return self._data[index]

    def to_bytes(self) -> bytes:
        return self._data

    def to_memoryview(self) -> memoryview:
        return memoryview(bytearray(self._data))

    def to_py(self) -> memoryview:
        return self.to_memoryview()

    def to_string(self, encoding: str | None = None) -> str:
        return self._data.decode(encoding or "utf-8", "replace")

    def __repr__(self) -> str:
        return f"<Uint8Array byteLength={len(self._data)}>"


@dataclass
class ReadResult:
    """What ``await reader.read()`` gives: ``done`` and ``value`` (attributes, as a JsProxy)."""

    done: bool
    value: Uint8Array | None


class ReadableStream:
    """A one-shot byte stream over a stored value (a ``ReadableStream`` JsProxy in production)."""

    CHUNK = 64 * 1024

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._offset = 0
        self._reader: ReadableStreamDefaultReader | None = None
        self._disturbed = False

    @property
    def locked(self) -> bool:
        return self._reader is not None

    def getReader(self) -> ReadableStreamDefaultReader:
        if self._reader is not None:
            raise JsException("TypeError", "This ReadableStream is currently locked to a reader.")
        self._reader = ReadableStreamDefaultReader(self)
        return self._reader

    def _next(self) -> bytes | None:
        self._disturbed = True
        if self._offset >= len(self._data):
            return None
        chunk = self._data[self._offset : self._offset + self.CHUNK]
        self._offset += len(chunk)
        return chunk

    def _read_all(self) -> bytes:
        """The bytes not read yet (put() and Response bodies consume a stream this way)."""
        if self._reader is not None or self._disturbed:
            raise JsException("TypeError", "This ReadableStream is disturbed or locked.")
        self._disturbed = True
        rest = self._data[self._offset :]
        self._offset = len(self._data)
        return rest

    async def cancel(self, reason: Any = None) -> None:
        self._offset = len(self._data)

    async def __aiter__(self) -> AsyncIterator[Uint8Array]:
        reader = self.getReader()
        try:
            while True:
                result = await reader.read()
                if result.done or result.value is None:
                    return
                yield result.value
        finally:
            reader.releaseLock()


class ReadableStreamDefaultReader:
    """``stream.getReader()``: ``await read()`` until ``done``."""

    def __init__(self, stream: ReadableStream) -> None:
        self._stream: ReadableStream | None = stream

    async def read(self) -> ReadResult:
        if self._stream is None:
            raise JsException("TypeError", "This ReadableStream reader has been released.")
        chunk = self._stream._next()
        return ReadResult(True, None) if chunk is None else ReadResult(False, Uint8Array(chunk))

    def releaseLock(self) -> None:
        if self._stream is not None:
            self._stream._reader = None
            self._stream = None

    async def cancel(self, reason: Any = None) -> None:
        if self._stream is not None:
            await self._stream.cancel(reason)
