"""KV bindings: ``env.KV.get/getWithMetadata/put/delete/list`` as a Python Worker sees them.

Production hands Python a ``_BindingWrapper`` over workerd's ``KvNamespace``: JS method names,
keyword arguments as the JS options object, results through ``python_from_rpc`` (JS objects
become ``JsDict``, an ``ArrayBuffer`` a ``memoryview``, safe-integer numbers ``int``). Errors
are workerd's and the KV service's, word for word, raised as ``JsException``.

Expiry follows the emulator's clock: a key whose ``expiration`` (epoch seconds) is at or
before virtual now is gone for every read and list. Modules: ``_binding`` (the call shape),
``_service`` (what the KV service answers), ``_checks`` (limits), ``_jsvalues`` (conversions),
``_store`` (SQLite), ``_admin`` (seeding), ``_errors``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wf.platform.kv._admin import KVAdmin
from wf.platform.kv._binding import KVNamespace
from wf.platform.kv._errors import JsException
from wf.platform.kv._jsvalues import js_string, parse_json
from wf.platform.kv._store import Entry, Namespace, namespace_path
from wf.runtime.js._streams import ReadableStream, ReadableStreamDefaultReader, Uint8Array

if TYPE_CHECKING:
    from wf.config import Config, KVConfig
    from wf.platform import Platform

__all__ = [
    "Entry",
    "JsException",
    "KVAdmin",
    "KVNamespace",
    "Namespace",
    "ReadableStream",
    "ReadableStreamDefaultReader",
    "Uint8Array",
    "admin",
    "bindings",
    "js_string",
    "namespace_path",
    "open_namespace",
    "parse_json",
]


def open_namespace(platform: Platform, kv: KVConfig) -> Namespace:
    """The one Namespace object of a config entry, kept across reloads."""
    root = platform.root

    def make() -> Namespace:
        return Namespace(None if root is None else namespace_path(root, kv.local_id))

    found: Namespace = platform.resource("kv", kv.local_id, make)
    return found


def bindings(platform: Platform, config: Config) -> dict[str, Any]:
    """``env`` entries for every KV binding of the config."""
    return {
        kv.binding: KVNamespace(kv.binding, open_namespace(platform, kv), platform.clock.now)
        for kv in config.kv_namespaces
    }


def admin(platform: Platform, binding: str) -> KVAdmin:
    """The seeding and inspection handle of one KV binding."""
    assert platform.config is not None
    for kv in platform.config.kv_namespaces:
        if kv.binding == binding:
            return KVAdmin(open_namespace(platform, kv), platform.clock.now)
    names = ", ".join(kv.binding for kv in platform.config.kv_namespaces) or "none"
    raise KeyError(f"no KV binding {binding!r} in the config (KV bindings: {names})")
