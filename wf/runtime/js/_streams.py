"""The JS byte values Python code is handed: ``ReadableStream``, its reader, ``Uint8Array`` and
``ArrayBuffer``. One copy, used by KV (``get(type="stream")``), R2 (``obj.body``), and the
bodies of ``Request``/``Response``.

Each class is the object as a raw ``JsProxy`` shows it (Pyodide's rules: attributes, JS
method names; a stream is async-iterable because workerd's ReadableStream is). What the SDK's
binding wrapper makes of a stream is ``wf.runtime.workers._rpc.BindingWrapper``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from wf.runtime.pyodide._values import UNDEFINED, JsObject, JsProxy, _Constructor
from wf.runtime.pyodide.ffi import JsException

CHUNK = 64 * 1024  # bytes per read(); production's chunking is not specified

LOCKED = "This ReadableStream is currently locked to a reader."
DISTURBED = (
    "This ReadableStream is disturbed (has already been read from), and cannot be used as a body."
)
BODY_USED = (
    "Body has already been used. It can only be used once. Use tee() first if you need to read "
    "it twice."
)


class JsBuffer:
    """An ``ArrayBuffer`` as Pyodide's ``JsBuffer`` shows it: ``to_bytes()``, ``to_py()``..."""

    _name = "ArrayBuffer"

    def __init__(self, data: bytes) -> None:
        self._data = bytes(data)

    @property
    def constructor(self) -> _Constructor:
        return _Constructor(self._name)

    @property
    def byteLength(self) -> int:
        return len(self._data)

    def to_bytes(self) -> bytes:
        return self._data

    def to_memoryview(self) -> memoryview:
        return memoryview(bytearray(self._data))

    def to_py(self, **_: Any) -> memoryview:
        """Pyodide converts a buffer to a memoryview."""
        return self.to_memoryview()

    def to_string(self, encoding: str | None = None) -> str:
        return self._data.decode(encoding or "utf-8", "replace")

    def __getitem__(self, key: Any) -> Any:
        raise TypeError("'pyodide.ffi.JsBuffer' object is not subscriptable")

    def __repr__(self) -> str:
        return f"[object {self._name}]"


class Uint8Array(JsBuffer):
    """A ``Uint8Array`` (a stream's chunk): a JsBuffer that also has a length and indices."""

    _name = "Uint8Array"

    @property
    def length(self) -> int:
        return len(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __getitem__(self, index: Any) -> Any:
        if not isinstance(index, int):
            raise TypeError(f"indices must be integers, not {type(index).__name__}")
        return self._data[index]

    def __repr__(self) -> str:
        return ",".join(map(str, self._data))  # String(uint8array)


class ReadableStream:
    """A one-shot byte stream: read by a reader, by ``async for``, or handed on whole (to
    ``put()`` or ``Response``) while neither locked nor disturbed."""

    def __init__(self, data: bytes) -> None:
        self._data = bytes(data)
        self._offset = 0
        self._reader: ReadableStreamDefaultReader | None = None
        self.disturbed = False  # what bodyUsed reports (Fetch: "body is disturbed")

    @property
    def constructor(self) -> _Constructor:
        return _Constructor("ReadableStream")

    @property
    def locked(self) -> bool:
        return self._reader is not None

    def getReader(self, options: Any = None) -> ReadableStreamDefaultReader:
        if self._reader is not None:
            raise JsException("TypeError", LOCKED)
        self._reader = ReadableStreamDefaultReader(self)
        return self._reader

    async def cancel(self, reason: Any = None) -> None:
        if self._reader is not None:
            raise JsException("TypeError", LOCKED)
        self._cancel()

    def _cancel(self) -> None:
        self.disturbed = True
        self._offset = len(self._data)

    def _next(self) -> bytes | None:
        self.disturbed = True
        if self._offset >= len(self._data):
            return None
        chunk = self._data[self._offset : self._offset + CHUNK]
        self._offset += len(chunk)
        return chunk

    def take(self, unusable: str = DISTURBED) -> bytes:
        """All the bytes, as a consumer that takes the whole stream (``put``, a body) reads it.

        A locked stream or one already read from cannot be taken: ``unusable`` is the message.
        """
        if self._reader is not None:
            raise JsException("TypeError", LOCKED)
        if self.disturbed:
            raise JsException("TypeError", unusable)
        self.disturbed = True
        rest = self._data[self._offset :]
        self._offset = len(self._data)
        return rest

    def __aiter__(self) -> AsyncIterator[Uint8Array]:
        # Pyodide makes a JsProxy async-iterable when the JS object has Symbol.asyncIterator.
        return self._chunks()

    async def _chunks(self) -> AsyncIterator[Uint8Array]:
        reader = self.getReader()
        try:
            while (chunk := self._next()) is not None:
                yield Uint8Array(chunk)
        finally:
            reader.releaseLock()

    def __getitem__(self, key: Any) -> Any:
        raise TypeError("'pyodide.ffi.JsProxy' object is not subscriptable")

    def __repr__(self) -> str:
        return "[object ReadableStream]"


class ReadableStreamDefaultReader:
    """``stream.getReader()``: ``await read()`` until ``done``."""

    def __init__(self, stream: ReadableStream) -> None:
        self._stream: ReadableStream | None = stream

    @property
    def constructor(self) -> _Constructor:
        return _Constructor("ReadableStreamDefaultReader")

    async def read(self) -> JsProxy:
        """``{done, value}``: a plain JS object (attributes; ``to_py()`` gives a dict)."""
        if self._stream is None:
            raise JsException("TypeError", "This ReadableStream reader has been released.")
        chunk = self._stream._next()
        if chunk is None:
            return JsProxy(JsObject(done=True, value=UNDEFINED))
        return JsProxy(JsObject(done=False, value=Uint8Array(chunk)))

    def releaseLock(self) -> None:
        if self._stream is not None:
            self._stream._reader = None
            self._stream = None

    async def cancel(self, reason: Any = None) -> None:
        if self._stream is not None:
            self._stream._cancel()

    def __repr__(self) -> str:
        return "[object ReadableStreamDefaultReader]"


# The JS objects wf models as Python classes: they cross between Python and JS as themselves.
JS_HOST_VALUES = (JsBuffer, ReadableStream, ReadableStreamDefaultReader)
