"""Where a D1 database lives on disk: exactly where `wrangler dev` keeps it.

Miniflare runs each local D1 database as a Durable Object of class ``D1DatabaseObject``
(namespace key ``miniflare-D1DatabaseObject``) named by the database's id, and workerd keeps
that object's SQLite file as ``<persist>/v3/d1/miniflare-D1DatabaseObject/<object id>.sqlite``.
workerd derives the object id from the name (``ActorIdFactoryImpl::idFromName``): with
``key = SHA-256(namespace key)``, the first 16 bytes are ``HMAC-SHA256(key, name)`` and the
next 16 are ``HMAC-SHA256(key, those 16 bytes)``; the id is the 32 bytes in hex.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

NAMESPACE = "miniflare-D1DatabaseObject"
_BASE_LENGTH = 16


def durable_object_id(namespace: str, name: str) -> str:
    """workerd's ``idFromName(name)`` for a local Durable Object namespace, in hex."""
    key = hashlib.sha256(namespace.encode()).digest()
    base = hmac.new(key, name.encode(), hashlib.sha256).digest()[:_BASE_LENGTH]
    mac = hmac.new(key, base, hashlib.sha256).digest()[:_BASE_LENGTH]
    return (base + mac).hex()


def database_path(root: Path, local_id: str) -> Path:
    """The SQLite file of the database wrangler keys by ``local_id`` under ``root``."""
    return root / "v3" / "d1" / NAMESPACE / f"{durable_object_id(NAMESPACE, local_id)}.sqlite"
