"""Reading the bindings that reach other code: service bindings, Durable Objects and their
migrations, Queues."""

from __future__ import annotations

import keyword
from typing import Any

from wf.config.errors import (
    ConfigError,
)
from wf.config.model import (
    DurableObjectConfig,
    QueueConsumerConfig,
    QueueProducerConfig,
    ServiceConfig,
)
from wf.config.positions import (
    _join,
    _quote,
)
from wf.config.reader import (
    _CONSUMER_LIMITS,
    QUEUE_DELAY_MAX,
    _Reader,
)
from wf.serialization import json_type


class ServiceReader(_Reader):
    def services(self, top: dict[str, Any]) -> tuple[ServiceConfig, ...]:
        """``services[]``: ``{binding, service, entrypoint?}`` (``environment`` is read by
        deploys only: every Worker of a dev session is in the same environment)."""
        field = self.at("services")
        entries = top.get("services", [])
        if not isinstance(entries, list):
            raise self.error(field, f"must be an array (got {json_type(entries)})")
        result: list[ServiceConfig] = []
        for i, entry in enumerate(entries):
            at = _join(field, i)
            if not isinstance(entry, dict):
                raise self.error(at, f"must be an object (got {json_type(entry)})")
            binding = self.string(entry, "binding", required=True, parent=at)
            service = self.string(entry, "service", required=True, parent=at)
            entrypoint = self.string(entry, "entrypoint", parent=at)
            assert binding is not None and service is not None
            if not binding.isidentifier() or keyword.iskeyword(binding):
                raise self.error(
                    _join(at, "binding"),
                    f"must be a valid Python identifier (got {_quote(binding)})",
                )
            if entrypoint is not None and not entrypoint.isidentifier():
                raise self.error(
                    _join(at, "entrypoint"),
                    f"must be a class name (got {_quote(entrypoint)})",
                )
            if any(other.binding == binding for other in result):
                raise self.error(_join(at, "binding"), f"duplicate binding {_quote(binding)}")
            result.append(ServiceConfig(binding, service, entrypoint, at))
        return tuple(result)

    def migrations(self, top: dict[str, Any]) -> dict[str, bool]:
        """``migrations[]``: each class's storage backend (True: SQLite), in migration order."""
        field = self.at("migrations")
        entries = top.get("migrations", [])
        if not isinstance(entries, list):
            raise self.error(field, f"must be an array (got {json_type(entries)})")
        classes: dict[str, bool] = {}
        created_at: dict[str, str] = {}
        tags: set[str] = set()
        for i, entry in enumerate(entries):
            at = _join(field, i)
            if not isinstance(entry, dict):
                raise self.error(at, f"must be an object (got {json_type(entry)})")
            tag = self.string(entry, "tag", required=True, parent=at)
            assert tag is not None
            if tag in tags:
                raise self.error(_join(at, "tag"), f"duplicate migration tag {_quote(tag)}")
            tags.add(tag)
            for key, sqlite in (("new_classes", False), ("new_sqlite_classes", True)):
                for j, class_name in enumerate(self.string_list(entry, key, parent=at)):
                    where = _join(_join(at, key), j)
                    if class_name in classes:
                        raise self.error(
                            where,
                            f"class {_quote(class_name)} is already created at "
                            f"{created_at[class_name]}",
                        )
                    classes[class_name] = sqlite
                    created_at[class_name] = where
            renamed = entry.get("renamed_classes", [])
            if not isinstance(renamed, list):
                raise self.error(
                    _join(at, "renamed_classes"), f"must be an array (got {json_type(renamed)})"
                )
            for j, pair in enumerate(renamed):
                where = _join(_join(at, "renamed_classes"), j)
                if not isinstance(pair, dict):
                    raise self.error(where, f"must be an object (got {json_type(pair)})")
                old = self.string(pair, "from", required=True, parent=where)
                new = self.string(pair, "to", required=True, parent=where)
                assert old is not None and new is not None
                if old in classes:
                    classes[new] = classes.pop(old)
                    created_at[new] = created_at.pop(old)
            for class_name in self.string_list(entry, "deleted_classes", parent=at):
                classes.pop(class_name, None)
                created_at.pop(class_name, None)
        return classes

    def durable_objects(
        self, top: dict[str, Any], worker_name: str, migrated: dict[str, bool]
    ) -> tuple[DurableObjectConfig, ...]:
        """``durable_objects.bindings[]``; a local class without a migration is warned about."""
        section = top.get("durable_objects")
        field = self.at("durable_objects")
        if section is None:
            return ()
        if not isinstance(section, dict):
            raise self.error(field, f"must be an object (got {json_type(section)})")
        field = _join(field, "bindings")
        entries = section.get("bindings", [])
        if not isinstance(entries, list):
            raise self.error(field, f"must be an array (got {json_type(entries)})")
        result: list[DurableObjectConfig] = []
        for i, entry in enumerate(entries):
            at = _join(field, i)
            if not isinstance(entry, dict):
                raise self.error(at, f"must be an object (got {json_type(entry)})")
            name = self.string(entry, "name", required=True, parent=at)
            class_name = self.string(entry, "class_name", required=True, parent=at)
            script_name = self.string(entry, "script_name", parent=at)
            assert name is not None and class_name is not None
            if not name.isidentifier() or keyword.iskeyword(name):
                raise self.error(
                    _join(at, "name"), f"must be a valid Python identifier (got {_quote(name)})"
                )
            if not class_name.isidentifier() or keyword.iskeyword(class_name):
                raise self.error(
                    _join(at, "class_name"),
                    f"must be a valid class name (got {_quote(class_name)})",
                )
            if any(other.binding == name for other in result):
                raise self.error(_join(at, "name"), f"duplicate binding {_quote(name)}")
            local = script_name in (None, worker_name)
            if not local:
                self.warnings.append(
                    str(
                        ConfigError(
                            f"class {_quote(class_name)} of Worker {_quote(script_name or '')}: "
                            f"env.{name} fails when used unless that Worker runs in the same "
                            "wf dev (-c ... -c ...)",
                            path=self.path,
                            line=self.line_of(_join(at, "script_name")),
                            field=_join(at, "script_name"),
                        )
                    )
                )
            if local and class_name not in migrated:
                self.warnings.append(
                    str(
                        ConfigError(
                            f"class {_quote(class_name)} has no migration: a deploy needs "
                            f'migrations: [{{"tag": "v1", "new_sqlite_classes": ["{class_name}"]}}]'
                            "; wf gives it SQLite storage meanwhile",
                            path=self.path,
                            line=self.line_of(_join(at, "class_name")),
                            field=_join(at, "class_name"),
                        )
                    )
                )
            result.append(
                DurableObjectConfig(
                    binding=name,
                    class_name=class_name,
                    script_name=None if local else script_name,
                    sqlite=migrated.get(class_name, True),
                    field=at,
                )
            )
        return tuple(result)

    def queues(
        self, top: dict[str, Any]
    ) -> tuple[tuple[QueueProducerConfig, ...], tuple[QueueConsumerConfig, ...]]:
        """``queues.producers[]`` and ``queues.consumers[]``, with production's setting limits."""
        field = self.at("queues")
        value = top.get("queues", {})
        if not isinstance(value, dict):
            raise self.error(field, f"must be an object (got {json_type(value)})")
        producers: list[QueueProducerConfig] = []
        for i, entry in enumerate(self.objects(value, "producers", field)):
            at = _join(_join(field, "producers"), i)
            binding = self.string(entry, "binding", required=True, parent=at)
            queue = self.string(entry, "queue", required=True, parent=at)
            assert binding is not None and queue is not None
            if not binding.isidentifier() or keyword.iskeyword(binding):
                raise self.error(
                    _join(at, "binding"),
                    f"must be a valid Python identifier (got {_quote(binding)})",
                )
            if any(p.binding == binding for p in producers):
                raise self.error(_join(at, "binding"), f"duplicate binding {_quote(binding)}")
            delay = self.number(entry, "delivery_delay", at, 0, QUEUE_DELAY_MAX, whole=True)
            producers.append(QueueProducerConfig(binding, queue, int(delay or 0)))
        consumers: list[QueueConsumerConfig] = []
        for i, entry in enumerate(self.objects(value, "consumers", field)):
            at = _join(_join(field, "consumers"), i)
            queue = self.string(entry, "queue", required=True, parent=at)
            assert queue is not None
            if any(c.queue == queue for c in consumers):
                raise self.error(
                    _join(at, "queue"), f"queue {_quote(queue)} already has a consumer"
                )
            dead = self.string(entry, "dead_letter_queue", parent=at)
            if dead == queue:
                raise self.error(
                    _join(at, "dead_letter_queue"), "must not be the queue it consumes"
                )
            kind = self.string(entry, "type", parent=at) or "worker"
            if kind not in ("worker", "http_pull"):
                raise self.error(
                    _join(at, "type"), f'must be "worker" or "http_pull" (got {kind!r})'
                )
            settings: dict[str, Any] = {}
            for name, (low, high, whole) in _CONSUMER_LIMITS.items():
                number = self.number(entry, name, at, low, high, whole=whole)
                if number is not None:
                    settings[name] = int(number) if whole else number
            consumers.append(
                QueueConsumerConfig(queue, **settings, dead_letter_queue=dead, type=kind)
            )
        return tuple(producers), tuple(consumers)
