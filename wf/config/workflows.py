"""Reading workflows[] (names, limits, schedules, retention), the Worker's cron triggers and
the exports that configure a workflow class."""

from __future__ import annotations

import dataclasses
import keyword
from typing import Any

from wf.config.model import (
    CRON_MAX,
    DEFAULT_STEP_LIMIT,
    MAX_STEP_LIMIT,
    WORKFLOW_NAME_MAX,
    WORKFLOW_NAME_RE,
    WorkflowConfig,
)
from wf.config.positions import (
    _join,
    _quote,
)
from wf.config.reader import (
    _EXPORT_FIELDS,
    _Reader,
)
from wf.cron import CronError, parse_cron
from wf.retention import Retention, RetentionError, parse_retention
from wf.serialization import json_type


class WorkflowReader(_Reader):
    def crons(self, top: dict[str, Any]) -> tuple[str, ...]:
        """``triggers.crons``: when the Worker's ``scheduled`` handler runs (UTC)."""
        field = self.at("triggers")
        value = top.get("triggers", {})
        if not isinstance(value, dict):
            raise self.error(field, f"must be an object (got {json_type(value)})")
        crons = self.string_list(value, "crons", parent=field)
        for i, cron in enumerate(crons):
            at = _join(_join(field, "crons"), i)
            if not cron.strip() or len(cron) > CRON_MAX:
                raise self.error(at, f"must be a cron expression of 1 to {CRON_MAX} characters")
            try:
                parse_cron(cron)
            except CronError as err:
                raise self.error(at, str(err)) from None
        return crons

    def workflows(self, top: dict[str, Any]) -> tuple[WorkflowConfig, ...]:
        field = self.at("workflows")
        entries = top.get("workflows", [])
        if not isinstance(entries, list):
            raise self.error(field, f"must be an array (got {json_type(entries)})")
        result: list[WorkflowConfig] = []
        for i, entry in enumerate(entries):
            wf = self.workflow(entry, _join(field, i))
            for other in result:
                if other.name == wf.name:
                    raise self.error(
                        _join(_join(field, i), "name"), f"duplicate workflow name {_quote(wf.name)}"
                    )
                if other.binding == wf.binding:
                    raise self.error(
                        _join(_join(field, i), "binding"), f"duplicate binding {_quote(wf.binding)}"
                    )
            result.append(wf)
        return tuple(result)

    def workflow(self, entry: Any, at: str) -> WorkflowConfig:
        if not isinstance(entry, dict):
            raise self.error(at, f"must be an object (got {json_type(entry)})")

        name = self.string(entry, "name", required=True, parent=at)
        assert name is not None
        if len(name) > WORKFLOW_NAME_MAX:
            raise self.error(_join(at, "name"), f"must be at most {WORKFLOW_NAME_MAX} characters")
        if not WORKFLOW_NAME_RE.match(name):
            raise self.error(
                _join(at, "name"), f"must match {WORKFLOW_NAME_RE.pattern} (got {_quote(name)})"
            )

        binding = self.string(entry, "binding", required=True, parent=at)
        assert binding is not None
        if not binding.isidentifier() or keyword.iskeyword(binding):
            raise self.error(
                _join(at, "binding"), f"must be a valid Python identifier (got {_quote(binding)})"
            )

        script_name = self.string(entry, "script_name", parent=at)
        # a workflow defined in another Worker needs no class here
        class_name = self.string(entry, "class_name", required=script_name is None, parent=at)
        if class_name is not None and not class_name.isidentifier():
            raise self.error(
                _join(at, "class_name"), f"must be a valid class name (got {_quote(class_name)})"
            )

        step_limit, schedules = self.workflow_settings(entry, at)

        return WorkflowConfig(
            name=name,
            binding=binding,
            class_name=class_name,
            script_name=script_name,
            step_limit=step_limit,
            schedules=schedules,
            default_retention=self.retention(entry, at),
        )

    def workflow_settings(self, entry: dict[str, Any], at: str) -> tuple[int, tuple[str, ...]]:
        """``limits.steps`` and ``schedules``, shared by ``workflows[]`` and ``exports``."""
        step_limit = DEFAULT_STEP_LIMIT
        limits = entry.get("limits", {})
        if not isinstance(limits, dict):
            raise self.error(_join(at, "limits"), f"must be an object (got {json_type(limits)})")
        if "steps" in limits:
            step_limit = limits["steps"]
            if (
                not isinstance(step_limit, int)
                or isinstance(step_limit, bool)
                or not 1 <= step_limit <= MAX_STEP_LIMIT
            ):
                raise self.error(
                    _join(_join(at, "limits"), "steps"),
                    f"must be an integer between 1 and {MAX_STEP_LIMIT}",
                )

        schedules = self.string_list(entry, "schedules", parent=at)
        for i, cron in enumerate(schedules):
            if not cron.strip() or len(cron) > CRON_MAX:
                raise self.error(
                    _join(_join(at, "schedules"), i),
                    f"must be a cron expression of 1 to {CRON_MAX} characters",
                )
            try:
                parse_cron(cron)
            except CronError as err:
                raise self.error(_join(_join(at, "schedules"), i), str(err)) from None
        return step_limit, schedules

    def retention(self, entry: dict[str, Any], at: str) -> Retention | None:
        """``default_retention: {success_retention, error_retention}``, each at most 30 days."""
        if "default_retention" not in entry:
            return None
        try:
            return parse_retention(entry["default_retention"], config=True)
        except RetentionError as exc:
            raise self.error(_join(at, "default_retention"), str(exc)) from None

    def exports(
        self, top: dict[str, Any], workflows: tuple[WorkflowConfig, ...]
    ) -> tuple[WorkflowConfig, ...]:
        """``exports`` entries of ``type: "workflow"`` (keyed by class name), merged in workflows.

        A Workflow may be declared both ways: the class must be the same and a setting may not
        differ (wrangler's rule). Other export types (worker, durable-object) are not Workflows
        and are left to the rest of the config.
        """
        field = self.at("exports")
        exports = top.get("exports", {})
        if not isinstance(exports, dict):
            raise self.error(field, f"must be an object (got {json_type(exports)})")
        result = list(workflows)
        for class_name, entry in exports.items():
            at = _join(field, class_name)
            if not isinstance(entry, dict):
                raise self.error(at, f"must be an object (got {json_type(entry)})")
            if entry.get("type") != "workflow":
                continue
            if not class_name.isidentifier():
                raise self.error(at, f"the key must be a class name (got {_quote(class_name)})")
            unknown = sorted(set(entry) - _EXPORT_FIELDS)
            if unknown:
                raise self.error(
                    _join(at, unknown[0]),
                    "unknown field of a workflow export "
                    f"(allowed: {', '.join(sorted(_EXPORT_FIELDS))})",
                )
            name = self.string(entry, "name", required=True, parent=at)
            assert name is not None
            if len(name) > WORKFLOW_NAME_MAX or not WORKFLOW_NAME_RE.match(name):
                raise self.error(
                    _join(at, "name"),
                    f"must match {WORKFLOW_NAME_RE.pattern}, at most {WORKFLOW_NAME_MAX} "
                    f"characters (got {_quote(name)})",
                )
            step_limit, schedules = self.workflow_settings(entry, at)
            retention = self.retention(entry, at)
            declared = WorkflowConfig(
                name=name,
                binding="",
                class_name=class_name,
                script_name=None,
                step_limit=step_limit,
                schedules=schedules,
                default_retention=retention,
                exported=True,
            )
            for i, other in enumerate(result):
                if other.name != name:
                    continue
                if other.exported:
                    raise self.error(_join(at, "name"), f"duplicate workflow name {_quote(name)}")
                if other.script_name is not None:
                    raise self.error(
                        _join(at, "name"),
                        f"{_quote(name)} is bound in workflows[] to a Workflow of another Worker "
                        f"({_quote(other.script_name)}); Workflow names are unique per account",
                    )
                if other.class_name != class_name:
                    raise self.error(
                        at,
                        f"workflow {_quote(name)} is class {_quote(other.class_name or '')} in "
                        f"workflows[] but {_quote(class_name)} here; both must use the same class",
                    )
                # (key, this export's value, the workflows[] entry's, that entry's unset value)
                pairs: tuple[tuple[str, Any, Any, Any], ...] = (
                    ("limits", step_limit, other.step_limit, DEFAULT_STEP_LIMIT),
                    ("schedules", schedules, other.schedules, ()),
                    ("default_retention", retention, other.default_retention, None),
                )
                for key, mine, theirs, unset in pairs:
                    if key in entry and theirs != unset and mine != theirs:
                        raise self.error(
                            _join(at, key),
                            f"differs from the same setting of {_quote(name)} in workflows[]",
                        )
                result[i] = dataclasses.replace(
                    other,
                    step_limit=step_limit if "limits" in entry else other.step_limit,
                    schedules=schedules if "schedules" in entry else other.schedules,
                    default_retention=retention or other.default_retention,
                    exported=True,
                )
                break
            else:
                result.append(declared)
        return tuple(result)
