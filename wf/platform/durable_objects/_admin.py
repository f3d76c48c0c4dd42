"""``emu.durable_object("COUNTER")``: inspect a namespace's objects synchronously (tests, CLI)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wf.platform.durable_objects._api import roundtrip
from wf.platform.durable_objects._ids import DurableObjectId, id_from_name, id_from_string
from wf.runtime.workers._jsdict import JsDict

if TYPE_CHECKING:
    from wf.platform.durable_objects._objects import NamespaceState, ObjectHost


class DurableObjectAdmin:
    """The objects of one binding: their ids, key-value storage, SQL, alarm, memory state."""

    def __init__(self, state: NamespaceState) -> None:
        self._state = state

    def __repr__(self) -> str:
        return f"<DurableObjectAdmin {self._state.config.binding}>"

    def id(self, name: str) -> str:
        """The id ``env.NS.idFromName(name)`` gives."""
        return id_from_name(self._state.key, name).toString()

    def ids(self) -> list[str]:
        """Every object that has storage (or was used, in memory)."""
        return self._state.stored_ids()

    def _host(self, name: str | None, object_id: str | None) -> ObjectHost:
        if (name is None) == (object_id is None):
            raise TypeError("give name= or id=, one of them")
        if name is not None:
            return self._state.host(id_from_name(self._state.key, name))
        assert object_id is not None
        found = id_from_string(self._state.key, object_id)
        return self._state.host(DurableObjectId(found.toString(), None))

    def storage(self, name: str | None = None, *, id: str | None = None) -> dict[str, Any]:
        """An object's key-value pairs, in key order, as ``storage.list()`` returns them."""
        host = self._host(name, id)
        rows = host.file.list(
            start=None, start_after=None, end=None, prefix=None, reverse=False, limit=None
        )
        return {k: roundtrip(v) for k, v in rows}

    def sql(
        self, query: str, *bindings: Any, name: str | None = None, id: str | None = None
    ) -> list[JsDict]:
        """Rows of a query on an object's SQL database (the internal tables stay hidden)."""
        host = self._host(name, id)
        from wf.platform.durable_objects._api import SqlStorage, Storage

        return SqlStorage(Storage(host)).exec(query, *bindings).toArray()

    def alarm(self, name: str | None = None, *, id: str | None = None) -> float | None:
        """The object's alarm time (epoch ms), or None."""
        due, _, _ = self._host(name, id).file.alarm()
        return due

    def in_memory(self, name: str | None = None, *, id: str | None = None) -> bool:
        """Whether the object is constructed now (not evicted)."""
        host = self._host(name, id)
        return host.instance is not None and not host.idle_too_long(self._state.clock.now())

    def constructions(self, name: str | None = None, *, id: str | None = None) -> int:
        """How many times the object's class was constructed since start."""
        return self._host(name, id).constructions

    def alarm_failures(self) -> list[tuple[str, int, str]]:
        """(object id, retry count, error) of every failed ``alarm()`` run."""
        return list(self._state.alarm_failures)

    def evict(self) -> int:
        """Drop every instance of the namespace, as production's eviction does."""
        return self._state.evict()

    def to_json(self) -> dict[str, Any]:
        """The namespace for the dashboard: objects, their keys, alarms, memory state."""
        objects = []
        for key in self.ids():
            host = self._host(None, key)
            due, retries, _ = host.file.alarm()
            objects.append(
                {
                    "id": key,
                    "name": host.id.name,
                    "keys": host.file.keys_count(),
                    "alarm": due,
                    "alarm_retries": retries,
                    "in_memory": host.instance is not None
                    and not host.idle_too_long(self._state.clock.now()),
                }
            )
        config = self._state.config
        return {
            "binding": config.binding,
            "class_name": config.class_name,
            "storage": "sqlite" if config.sqlite else "kv",
            "objects": objects,
        }
