"""R2Object, R2ObjectBody and R2Checksums as Python code sees them.

``head``/``put``/``get`` results come through the SDK's binding wrapper, which converts each
field when read: ``uploaded`` is a naive UTC datetime, ``httpMetadata``/``customMetadata`` are
JsDicts holding only the fields that are set, checksums are memoryviews. Objects inside a
``list()`` result are raw JS objects (`ListedObject`). ``body`` is the shared ReadableStream,
wrapped as the SDK wraps it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, ClassVar

from wf.runtime.js import Date
from wf.runtime.js._streams import BODY_USED, JsBuffer, ReadableStream
from wf.runtime.pyodide._values import JsObject, JsProxy
from wf.runtime.workers import JsDict, to_js_dict
from wf.runtime.workers._rpc import sdk_result

from ._errors import type_error
from ._jsvalues import to_datetime
from ._store import ObjectRow

STORAGE_CLASS = "Standard"
HASHES = ("md5", "sha1", "sha256", "sha384", "sha512")
_HEADER_FIELDS = (
    ("contentType", "content-type"),
    ("contentLanguage", "content-language"),
    ("contentDisposition", "content-disposition"),
    ("contentEncoding", "content-encoding"),
    ("cacheControl", "cache-control"),
)


class R2Checksums:
    """``obj.checksums``: ``md5``... as memoryviews (None when not computed), ``toJSON()``."""

    def __init__(self, hexes: dict[str, str]) -> None:
        self._hexes = hexes

    def __getattr__(self, name: str) -> Any:
        if name in HASHES:
            value = self._hexes.get(name)
            return None if value is None else memoryview(bytes.fromhex(value))
        raise AttributeError(name)

    def toJSON(self) -> JsDict:
        return JsDict({k: v for k, v in self._hexes.items() if k in HASHES})

    def __repr__(self) -> str:
        return f"R2Checksums({self._hexes})"


class R2Object:
    """An object's metadata (``head``, ``put``, a ``get`` whose precondition failed)."""

    def __init__(
        self,
        row: ObjectRow,
        *,
        range_: tuple[int, int] | None = None,
        http: bool = True,
        custom: bool = True,
    ) -> None:
        self._row = row
        self._range = range_
        self._http = http
        self._custom = custom

    key = property(lambda self: self._row.key)
    version = property(lambda self: self._row.version)
    size = property(lambda self: self._row.size)
    etag = property(lambda self: self._row.etag)
    httpEtag = property(lambda self: f'"{self._row.etag}"')
    storageClass = property(lambda self: STORAGE_CLASS)
    ssecKeyMd5 = property(lambda self: None)

    @property
    def uploaded(self) -> Any:
        return to_datetime(self._row.uploaded)

    @property
    def checksums(self) -> Any:
        return R2Checksums(self._row.checksums)

    @property
    def httpMetadata(self) -> Any:
        if not self._http:
            return None
        fields: dict[str, Any] = dict(self._row.http_metadata)
        if "cacheExpiry" in fields:
            fields["cacheExpiry"] = to_datetime(fields["cacheExpiry"])
        return JsDict(fields)

    @property
    def customMetadata(self) -> Any:
        return JsDict(self._row.custom_metadata) if self._custom else None

    @property
    def range(self) -> Any:
        if self._range is None:
            return None
        return JsDict({"offset": self._range[0], "length": self._range[1]})

    def writeHttpMetadata(self, headers: Any) -> None:
        """Set content-type, cache-control, expires... on ``headers`` from httpMetadata."""
        write_http_metadata(self._row, headers, known=self._http)

    def __repr__(self) -> str:
        return f"<R2Object {self._row.key!r} size={self._row.size} etag={self._row.etag}>"


class R2ObjectBody(R2Object):
    """An object with its body (``get``): read it once with ``text()``, ``json()``,
    ``arrayBuffer()``, or hand ``body`` to ``put``."""

    def __init__(self, row: ObjectRow, data: bytes, range_: tuple[int, int]) -> None:
        super().__init__(row, range_=range_)
        self._body = ReadableStream(data)
        # The SDK's _BindingWrapper caches each property at its first read (setattr in
        # __getattr__): `body` is one wrapper, and `bodyUsed` keeps its first answer.
        self._read_once: dict[str, Any] = {}

    # A raw JsProxy (older dates) reads the JS properties themselves, every time.
    _raw_properties: ClassVar[dict[str, Callable[[R2ObjectBody], Any]]] = {
        "body": lambda self: self._body,
        "bodyUsed": lambda self: self._body.disturbed,
    }

    @property
    def body(self) -> Any:
        """The stream as the SDK's wrapper hands it over (a raw JsProxy on older dates)."""
        return self._read_once.setdefault("body", sdk_result(self._body))

    @property
    def bodyUsed(self) -> bool:
        used: bool = self._read_once.setdefault("bodyUsed", self._body.disturbed)
        return used

    async def arrayBuffer(self) -> memoryview:
        # python_from_rpc converts the ArrayBuffer with to_py(): a memoryview, not bytes
        return memoryview(self._body.take(BODY_USED))

    async def text(self) -> str:
        return self._body.take(BODY_USED).decode("utf-8", errors="replace")

    async def json(self) -> Any:
        text = await self.text()
        try:
            return to_js_dict(json.loads(text))
        except ValueError as err:
            from ._errors import JsException

            raise JsException("SyntaxError", f"Unexpected token in JSON: {err}") from None

    def __repr__(self) -> str:
        return f"<R2ObjectBody {self._row.key!r} size={self._row.size} etag={self._row.etag}>"


class ListedObject:
    """An object of a ``list()`` result: a raw JS object (the SDK does not wrap it)."""

    def __init__(self, row: ObjectRow, *, http: bool, custom: bool) -> None:
        self._row = row
        self._http = http
        self._custom = custom

    key = property(lambda self: self._row.key)
    version = property(lambda self: self._row.version)
    size = property(lambda self: self._row.size)
    etag = property(lambda self: self._row.etag)
    httpEtag = property(lambda self: f'"{self._row.etag}"')
    storageClass = property(lambda self: STORAGE_CLASS)
    ssecKeyMd5 = property(lambda self: None)
    range = property(lambda self: None)

    @property
    def uploaded(self) -> Any:
        return Date.new(self._row.uploaded)

    @property
    def checksums(self) -> JsProxy:
        hexes = self._row.checksums
        fields: dict[str, Any] = {
            name: JsBuffer(bytes.fromhex(hexes[name])) if name in hexes else None for name in HASHES
        }
        fields["toJSON"] = lambda: JsProxy(JsObject(hexes))
        return JsProxy(JsObject(fields))

    @property
    def httpMetadata(self) -> JsProxy | None:
        if not self._http:
            return None
        fields: dict[str, Any] = dict(self._row.http_metadata)
        if "cacheExpiry" in fields:
            fields["cacheExpiry"] = Date.new(fields["cacheExpiry"])
        return JsProxy(JsObject(fields))

    @property
    def customMetadata(self) -> JsProxy | None:
        return JsProxy(JsObject(self._row.custom_metadata)) if self._custom else None

    def writeHttpMetadata(self, headers: Any) -> None:
        write_http_metadata(self._row, headers, known=self._http)

    def __getitem__(self, key: Any) -> Any:
        raise TypeError("'JsProxy' object is not subscriptable")

    def to_py(self) -> ListedObject:
        return self  # not a plain object: Pyodide's to_py leaves it as it is

    def __repr__(self) -> str:
        return "[object R2Object]"


def write_http_metadata(row: ObjectRow, headers: Any, *, known: bool) -> None:
    if not known:
        raise type_error(
            f"HTTP metadata unknown for key `{row.key}`. Did you forget to add 'httpMetadata' "
            "to `include` when listing?"
        )
    fields = row.http_metadata
    for field, header in _HEADER_FIELDS:
        if field in fields:
            headers.set(header, fields[field])
    if "cacheExpiry" in fields:
        headers.set("expires", Date.new(fields["cacheExpiry"]).toUTCString())
