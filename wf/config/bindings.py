"""Reading the storage bindings (D1, KV, R2), AI, static assets and the ones not emulated yet."""

from __future__ import annotations

import keyword
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from wf.config.model import (
    _SQL_NAME_RE,
    HTML_HANDLING,
    NOT_FOUND_HANDLING,
    AIConfig,
    AssetsConfig,
    D1Config,
    DurableObjectConfig,
    NotEmulated,
    QueueConsumerConfig,
    WorkflowConfig,
)
from wf.config.positions import (
    _join,
    _quote,
)
from wf.config.reader import (
    _NOT_EMULATED,
    _OPTIONAL_NONE,
    _T,
    _Reader,
)
from wf.serialization import json_type


class BindingReader(_Reader):
    def storage(
        self, top: dict[str, Any], key: str, fields: dict[str, bool], cls: Callable[..., _T]
    ) -> tuple[_T, ...]:
        """An array of binding objects whose ``fields`` are strings (True: required)."""
        field = self.at(key)
        entries = top.get(key, [])
        if not isinstance(entries, list):
            raise self.error(field, f"must be an array (got {json_type(entries)})")
        result: list[_T] = []
        for i, entry in enumerate(entries):
            at = _join(field, i)
            if not isinstance(entry, dict):
                raise self.error(at, f"must be an object (got {json_type(entry)})")
            values = {
                name: self.string(entry, name, required=required, parent=at)
                for name, required in fields.items()
            }
            binding = values["binding"]
            assert binding is not None
            if not binding.isidentifier() or keyword.iskeyword(binding):
                raise self.error(
                    _join(at, "binding"),
                    f"must be a valid Python identifier (got {_quote(binding)})",
                )
            if any(binding == getattr(other, "binding", None) for other in result):
                raise self.error(_join(at, "binding"), f"duplicate binding {_quote(binding)}")
            result.append(
                cls(**{k: v for k, v in values.items() if v is not None or k in _OPTIONAL_NONE})
            )
        return tuple(result)

    def ai(self, top: dict[str, Any]) -> AIConfig | None:
        """``ai: {binding}``."""
        if "ai" not in top:
            return None
        field = self.at("ai")
        entry = top["ai"]
        if not isinstance(entry, dict):
            raise self.error(field, f"must be an object (got {json_type(entry)})")
        binding = self.binding_name(entry, field, required=True)
        assert binding is not None
        return AIConfig(binding)

    def assets(self, top: dict[str, Any]) -> AssetsConfig | None:
        """``assets: {directory, binding?, html_handling?, not_found_handling?,
        run_worker_first?}``, as wrangler validates it."""
        if "assets" not in top:
            return None
        field = self.at("assets")
        entry = top["assets"]
        if not isinstance(entry, dict):
            raise self.error(field, f"must be an object (got {json_type(entry)})")
        directory = self.string(entry, "directory", required=True, parent=field)
        assert directory is not None
        resolved = Path(os.path.abspath(self.root / directory))
        if not resolved.is_dir():
            what = "is not a folder" if resolved.exists() else "does not exist"
            raise self.error(_join(field, "directory"), f"folder {directory} {what}")
        binding = self.binding_name(entry, field, required=False)
        choices = {"html_handling": HTML_HANDLING, "not_found_handling": NOT_FOUND_HANDLING}
        chosen: dict[str, str] = {}
        for key, allowed in choices.items():
            value = self.string(entry, key, parent=field)
            if value is not None and value not in allowed:
                raise self.error(
                    _join(field, key),
                    f"must be one of {', '.join(allowed)} (got {_quote(value)})",
                )
            chosen[key] = value or allowed[0]
        first: bool | tuple[str, ...] = False
        raw_first = entry.get("run_worker_first", False)
        if isinstance(raw_first, bool):
            first = raw_first
        else:
            at = _join(field, "run_worker_first")
            if not isinstance(raw_first, list):
                raise self.error(
                    at,
                    f"must be a boolean or an array of route patterns (got {json_type(raw_first)})",
                )
            first = self.string_list(entry, "run_worker_first", parent=field)
            for i, rule in enumerate(first):
                if not rule.removeprefix("!").startswith("/"):
                    raise self.error(
                        _join(at, i),
                        f"a route pattern must start with / or !/ (got {_quote(rule)})",
                    )
        return AssetsConfig(
            resolved,
            binding,
            chosen["html_handling"],
            chosen["not_found_handling"],
            first,
        )

    def check_assets_only(
        self,
        top: dict[str, Any],
        assets: AssetsConfig | None,
        workflows: tuple[WorkflowConfig, ...],
        consumers: tuple[QueueConsumerConfig, ...],
        durable_objects: tuple[DurableObjectConfig, ...],
    ) -> None:
        """Without ``main`` nothing may need the Worker's code (wrangler's own checks first)."""
        assert assets is not None
        field = self.at("assets")
        if assets.binding:
            raise self.error(
                _join(field, "binding"),
                "cannot use assets with a binding in an assets-only Worker: remove the "
                "binding, or add main (the Worker's Python module)",
            )
        if assets.run_worker_first is True:
            raise self.error(
                _join(field, "run_worker_first"),
                "cannot be true without a Worker script: remove it, or add main",
            )
        needs = [
            *(
                (_join(_join(self.at("workflows"), i), "class_name"), "a workflow class")
                for i, w in enumerate(workflows)
                if w.class_name and not w.script_name
            ),
            *(
                (_join(_join(self.at("queues"), "consumers"), i), "a queue consumer")
                for i, _ in enumerate(consumers)
            ),
            *(
                (f"{d.field}.class_name", "a Durable Object class")
                for d in durable_objects
                if d.script_name is None
            ),
        ]
        triggers = top.get("triggers")
        if isinstance(triggers, dict) and triggers.get("crons"):
            needs.append((_join(self.at("triggers"), "crons"), "a scheduled handler"))
        if needs:
            at, what = needs[0]
            raise self.error(at, f"{what} needs the Worker's code: add main (the Python module)")

    def check_d1(self, databases: tuple[D1Config, ...]) -> None:
        """D1 fields wf puts into SQL or paths: a table name, a folder, non-empty ids."""
        for i, entry in enumerate(databases):
            at = _join(self.at("d1_databases"), i)
            for name in ("database_id", "preview_database_id", "migrations_dir"):
                if getattr(entry, name) == "":
                    raise self.error(_join(at, name), "must not be empty")
            if not _SQL_NAME_RE.match(entry.migrations_table):
                raise self.error(
                    _join(at, "migrations_table"),
                    f"must be a table name of letters, digits and _ "
                    f"(got {_quote(entry.migrations_table)})",
                )

    def not_emulated(self, top: dict[str, Any]) -> tuple[NotEmulated, ...]:
        found: list[NotEmulated] = []
        for path, (name_key, kind) in _NOT_EMULATED.items():
            head, _, sub = path.partition(".")
            value = top.get(head)
            if sub and isinstance(value, dict):
                value = value.get(sub)
            field = _join(self.at(head), sub) if sub else self.at(head)
            entries = value if isinstance(value, list) else [value] if value else []
            for i, entry in enumerate(entries):
                at = _join(field, i) if isinstance(value, list) else field
                name = entry.get(name_key) if isinstance(entry, dict) else None
                if name_key and not isinstance(name, str):
                    continue  # e.g. assets without a binding: nothing on env
                found.append(NotEmulated(at, name or head, kind))
        return tuple(found)
