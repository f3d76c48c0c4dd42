"""Durable Object ids: 64 hex digits, tied to their namespace, as workerd's ``DurableObjectId``.

An id is 32 bytes: 16 that name the object (derived from the name for ``idFromName``, random
for ``newUniqueId``) and 16 that tie it to the namespace, so ``idFromString`` of an id made by
another namespace fails as production's does (wf's bytes are its own: production's ids are
not reproducible offline, and nothing may depend on their value).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import Any

from wf.runtime.pyodide.ffi import JsException

_HEX_ID = re.compile(r"^[0-9a-f]{64}$")


class DurableObjectId:
    """``env.NS.idFromName("x")``: ``toString()``, ``equals(other)``, ``name``."""

    def __init__(self, hex_id: str, name: str | None) -> None:
        self._hex = hex_id
        self.name = name  # None (JS undefined) unless made by idFromName/getByName

    def toString(self) -> str:
        return self._hex

    def equals(self, other: Any) -> bool:
        return isinstance(other, DurableObjectId) and other._hex == self._hex

    def __str__(self) -> str:
        return self._hex

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DurableObjectId) and other._hex == self._hex

    def __hash__(self) -> int:
        return hash(self._hex)

    def __repr__(self) -> str:
        return f"<DurableObjectId {self._hex}>"


def _tag(namespace_key: str, body: bytes) -> bytes:
    return hashlib.sha256(namespace_key.encode() + b"\0" + body).digest()[:16]


def id_from_name(namespace_key: str, name: str) -> DurableObjectId:
    """The same name always gives the same id, in one namespace."""
    body = hashlib.sha256(f"{namespace_key}\0{name}".encode("utf-8", "surrogatepass")).digest()
    body = body[:16]
    return DurableObjectId((body + _tag(namespace_key, body)).hex(), name)


def new_unique_id(namespace_key: str) -> DurableObjectId:
    body = secrets.token_bytes(16)
    return DurableObjectId((body + _tag(namespace_key, body)).hex(), None)


def id_from_string(namespace_key: str, text: Any) -> DurableObjectId:
    """An id from its ``toString()``; TypeError for malformed ids or another namespace's."""
    if not isinstance(text, str) or not _HEX_ID.match(text):
        raise JsException("TypeError", "Invalid Durable Object ID: must be 64 hex digits")
    raw = bytes.fromhex(text)
    if _tag(namespace_key, raw[:16]) != raw[16:]:
        raise JsException("TypeError", "Durable Object ID is not valid for this namespace.")
    return DurableObjectId(text, None)
