"""Durable Objects: ``durable_objects.bindings[]`` and ``migrations[]`` as Python Workers see them.

``env.COUNTER`` is the namespace (``idFromName``, ``newUniqueId``, ``idFromString``, ``get``,
``getByName``); its stubs call the object's public methods over RPC (``await
stub.increment(1)``) and its ``fetch``. Each object is one instance per id while in memory
(evicted after ``IDLE_EVICT_MS`` without events, and on every reload of the code, as a deploy
resets objects), with ``ctx.storage``: the key-value API, the SQL API (SQLite-backed classes,
``new_sqlite_classes``), transactions and one alarm, durable in one SQLite file per object.
Alarms run on the emulator's clock and are retried as production retries them.

Modules: ``_objects`` (namespaces, stubs, instances, the gate, alarms), ``_api``
(``ctx.storage``, SQL cursors), ``_storage`` (SQLite), ``_ids``, ``_schedule`` (timers),
``_admin`` (inspection).
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wf.platform.durable_objects._admin import DurableObjectAdmin
from wf.platform.durable_objects._api import Cursor, SqlStorage, Storage
from wf.platform.durable_objects._ids import DurableObjectId
from wf.platform.durable_objects._objects import (
    ALARM_RETRIES,
    IDLE_EVICT_MS,
    DurableObjectAbort,
    DurableObjectNamespace,
    DurableObjectState,
    DurableObjectStub,
    NamespaceState,
    delete_all_deletes_alarm,
)
from wf.platform.durable_objects._schedule import AlarmTimers

if TYPE_CHECKING:
    from wf.config import Config, DurableObjectConfig
    from wf.platform import Platform

__all__ = [
    "ALARM_RETRIES",
    "IDLE_EVICT_MS",
    "Cursor",
    "DurableObjectAbort",
    "DurableObjectAdmin",
    "DurableObjectId",
    "DurableObjectNamespace",
    "DurableObjectState",
    "DurableObjectStub",
    "Registry",
    "SqlStorage",
    "Storage",
    "admin",
    "bindings",
    "code_changed",
    "object_folder",
    "registry",
    "worker_code_changed",
]


class Registry:
    """Every Durable Object namespace of a platform, and the code and env objects are made of."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.timers = AlarmTimers(platform.clock)
        self.namespaces: dict[str, NamespaceState] = {}
        self.classes: dict[str, type] = {}
        self.env: Any = None
        # The classes and env of the session's other Workers, by Worker name.
        self.worker_classes: dict[str, dict[str, type]] = {}
        self.worker_envs: dict[str, Any] = {}
        self.warned_old_date = False

    def namespace(self, config: Config, entry: DurableObjectConfig) -> NamespaceState:
        script = entry.script_name or config.name
        key = f"{script}-{entry.class_name}"
        state = self.namespaces.get(key)
        if state is None:
            root = self.platform.root
            folder = None if root is None else object_folder(root, script, entry.class_name)
            state = NamespaceState(key, folder, self.platform.clock, self.timers, self)
            self.namespaces[key] = state
            state.configure(entry, _deletes_alarm(config))
            state.rearm_alarms()  # alarms set before a restart fire as due
        # A binding to another Worker's class (script_name) never overrides the declaration
        # of the Worker that defines it (its migration decides the storage backend).
        if entry.script_name is None or state.config.script_name is not None:
            state.configure(entry, _deletes_alarm(config))
        if entry.script_name is None and script != self.primary_script():
            state.script = script
        elif entry.script_name is not None and entry.script_name in self.worker_classes:
            state.script = entry.script_name
        return state

    def primary_script(self) -> str | None:
        config = self.platform.config
        return config.name if config is not None else None

    def user_class(self, class_name: str, script: str | None = None) -> type | None:
        if script is not None:  # None until that Worker's code loads
            return self.worker_classes.get(script, {}).get(class_name)
        return self.classes.get(class_name)

    def env_for(self, script: str | None) -> Any:
        return self.worker_envs.get(script) if script is not None else self.env

    def evict(self) -> int:
        return sum(state.evict() for state in self.namespaces.values())

    def close(self) -> None:
        self.timers.close()
        for state in self.namespaces.values():
            state.close()
        self.namespaces.clear()


def _deletes_alarm(config: Config) -> bool:
    return delete_all_deletes_alarm(config.compatibility_date, config.compatibility_flags)


def registry(platform: Platform) -> Registry:
    """The platform's one Registry (closed with the platform)."""
    found: Registry = platform.resource("durable_objects", "*", lambda: Registry(platform))
    return found


def object_folder(root: Path, script: str, class_name: str) -> Path:
    """Where a class's objects keep their files: ``v3/do/<script>-<Class>``, as wrangler."""
    name = f"{script}-{class_name}"
    if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,200}", name):
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:200]
    return root / "v3" / "do" / name


def bindings(platform: Platform, config: Config) -> dict[str, Any]:
    """``env`` entries for every Durable Object binding of the config."""
    if not config.durable_objects:
        return {}
    found = registry(platform)
    if not config.runtime_sdk and not found.warned_old_date:
        found.warned_old_date = True
        warnings.warn(
            f"compatibility_date {config.compatibility_date} is before the runtime SDK's: wf "
            "hands Durable Object namespaces over with the SDK's shape (idFromName, getByName, "
            "awaited RPC methods) all the same; how the older runtime wrapped them is not "
            "documented",
            RuntimeWarning,
            stacklevel=2,
        )
    return {
        entry.binding: DurableObjectNamespace(found.namespace(config, entry))
        for entry in config.durable_objects
    }


def code_changed(platform: Platform, classes: dict[str, type], env: Any) -> None:
    """New code was loaded: objects are made of its classes, and every instance is reset."""
    found = registry(platform)
    found.classes = dict(classes)
    found.env = env
    # Objects of the session's other Workers keep running: their code did not change.
    for state in found.namespaces.values():
        if state.script is None:
            state.evict()


def worker_code_changed(
    platform: Platform, script: str, classes: dict[str, type], env: Any
) -> None:
    """Another Worker of the session loaded: its objects are made of its classes, with its env,
    and its instances are reset (the first Worker's objects are left alone)."""
    found = registry(platform)
    found.worker_classes[script] = dict(classes)
    found.worker_envs[script] = env
    for state in found.namespaces.values():
        if state.key == f"{script}-{state.config.class_name}":
            state.script = script
            state.evict()


def admin(platform: Platform, binding: str) -> DurableObjectAdmin:
    """The inspection handle of one Durable Object binding."""
    assert platform.config is not None
    config = platform.config
    for entry in config.durable_objects:
        if entry.binding == binding:
            return DurableObjectAdmin(registry(platform).namespace(config, entry))
    names = ", ".join(e.binding for e in config.durable_objects) or "none"
    raise KeyError(f"no Durable Object binding {binding!r} in the config (bindings: {names})")
