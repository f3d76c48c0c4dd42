"""The config builder: the environment (``env.<name>``) a config selects, the top-level
fields (main, date, vars, secrets, limits) and the `Config` made of every family's reader."""

from __future__ import annotations

import datetime
import os
from pathlib import Path
from types import MappingProxyType
from typing import Any

from wf.compat import Compat
from wf.config.bindings import (
    BindingReader,
)
from wf.config.errors import (
    ConfigError,
    _names,
)
from wf.config.model import (
    _DATE_RE,
    DEFAULT_CPU_MS,
    MAX_CPU_MS,
    Config,
    D1Config,
    KVConfig,
    R2Config,
    WorkflowConfig,
)
from wf.config.positions import (
    _join,
    _quote,
)
from wf.config.reader import (
    _D1_FIELDS,
    _KV_FIELDS,
    _R2_FIELDS,
)
from wf.config.services import (
    ServiceReader,
)
from wf.config.workflows import (
    WorkflowReader,
)
from wf.dev_vars import DevVarsError, load_dev_vars
from wf.serialization import json_type

_NOT_INHERITED = ("vars", "secrets", "workflows", "queues")


class _Builder(BindingReader, ServiceReader, WorkflowReader):
    def build(self, raw: Any, env: str | None) -> Config:
        if not isinstance(raw, dict):
            raise ConfigError("the top level must be an object", path=self.path, line=1)
        top = self.select_env(raw, env)

        name = self.string(top, "name", required=True)
        assert name is not None
        main = self.main(top)
        date = self.date(top)
        flags = self.string_list(top, "compatibility_flags")
        compat = Compat(date, flags)
        if pairs := compat.contradictions():  # workerd refuses a flag beside its opposite
            enable, disable = pairs[0]
            field = self.at("compatibility_flags")
            raise self.error(field, f"{enable} and {disable} cannot both be set")
        workflows = self.exports(top, self.workflows(top))
        d1 = self.storage(top, "d1_databases", _D1_FIELDS, D1Config)
        self.check_d1(d1)
        kv = self.storage(top, "kv_namespaces", _KV_FIELDS, KVConfig)
        r2 = self.storage(top, "r2_buckets", _R2_FIELDS, R2Config)
        ai = self.ai(top)
        assets = self.assets(top)
        producers, consumers = self.queues(top)
        not_emulated = self.not_emulated(top)
        durable_objects = self.durable_objects(top, name, self.migrations(top))
        if main is None:
            self.check_assets_only(top, assets, workflows, consumers, durable_objects)
        services = self.services(top)
        bindings: dict[str, str] = {w.binding: "a workflow binding" for w in workflows if w.binding}
        named = [
            *(("d1_databases", i, e.binding) for i, e in enumerate(d1)),
            *(("kv_namespaces", i, e.binding) for i, e in enumerate(kv)),
            *(("r2_buckets", i, e.binding) for i, e in enumerate(r2)),
            *((("ai", None, ai.binding),) if ai else ()),
            *((("assets", None, assets.binding),) if assets and assets.binding else ()),
            *(("queues.producers", i, e.binding) for i, e in enumerate(producers)),
            *(("durable_objects.bindings", i, e.binding) for i, e in enumerate(durable_objects)),
            *(("services", i, e.binding) for i, e in enumerate(services)),
        ]
        for group, i, binding in named:
            head, _, sub = group.partition(".")
            at = _join(self.at(head), sub) if sub else self.at(head)
            key = "name" if group == "durable_objects.bindings" else "binding"
            field = _join(at if i is None else _join(at, i), key)
            if binding in bindings:
                raise self.error(field, f"{_quote(binding)} is already {bindings[binding]}")
            bindings[binding] = f"bound at {field}"
        secrets = self.secrets(top)
        vars_ = self.vars(top, env, set(bindings), secrets)
        cpu_ms = self.cpu_ms(top)
        return Config(
            path=self.path,
            root=self.root,
            name=name,
            main=main,
            compatibility_date=date,
            compatibility_flags=flags,
            vars=MappingProxyType(vars_),
            workflows=workflows,
            env_name=env,
            cpu_ms=cpu_ms,
            d1_databases=d1,
            kv_namespaces=kv,
            r2_buckets=r2,
            ai=ai,
            assets=assets,
            queue_producers=producers,
            queue_consumers=consumers,
            crons=self.crons(top),
            durable_objects=durable_objects,
            services=services,
            not_emulated=not_emulated,
            secrets_required=secrets or (),
            dev_vars_files=self.dev_vars_files,
            warnings=tuple(self.warnings),
            **self.compat_problems(compat, workflows),
        )

    def compat_problems(
        self, compat: Compat, workflows: tuple[WorkflowConfig, ...]
    ) -> dict[str, tuple[str, ...]]:
        """`Compat.problems` as ``FILE[:LINE]: field: message`` lines, errors and warnings."""
        # A workflow of another script runs there; only classes of this Worker need the flag.
        local = any(w.script_name is None for w in workflows)
        errors: list[str] = []
        warnings: list[str] = []
        for problem in compat.problems(has_workflows=local):
            at = self.at(problem.field)
            line = self.line_of(at)
            text = str(ConfigError(problem.message, path=self.path, line=line, field=at))
            (errors if problem.error else warnings).append(text)
        return {"compat_errors": tuple(errors), "compat_warnings": tuple(warnings)}

    def cpu_ms(self, top: dict[str, Any]) -> int:
        """``limits.cpu_ms``: how long one step or request may hold the CPU."""
        limits = top.get("limits", {})
        field = self.at("limits")
        if not isinstance(limits, dict):
            raise self.error(field, f"must be an object (got {json_type(limits)})")
        value = limits.get("cpu_ms", DEFAULT_CPU_MS)
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_CPU_MS:
            raise self.error(
                _join(field, "cpu_ms"), f"must be an integer between 1 and {MAX_CPU_MS}"
            )
        return value

    def select_env(self, raw: dict[str, Any], env: str | None) -> dict[str, Any]:
        envs = raw.get("env", {})
        if not isinstance(envs, dict):
            raise self.error("env", "must be an object")
        top = {k: v for k, v in raw.items() if k != "env"}
        if env is None:
            return top
        if env not in envs:
            raise self.error(_join("env", env), f"no such environment (have: {_names(envs)})")
        section = envs[env]
        prefix = _join("env", env)
        if not isinstance(section, dict):
            raise self.error(prefix, "must be an object")
        for key in _NOT_INHERITED:
            top.pop(key, None)
        if "name" in top and "name" not in section:
            top["name"] = f"{top['name']}-{env}"
        for key, value in section.items():
            top[key] = value
            self.origin[key] = prefix
        return top

    def main(self, top: dict[str, Any]) -> Path | None:
        if "main" not in top and "assets" in top:
            return None  # an assets-only Worker: wrangler serves the folder with no script
        main = self.string(top, "main", required=True)
        assert main is not None
        field = self.at("main")
        if not main.endswith(".py"):
            raise self.error(field, f"must be a Python module ending in .py (got {main!r})")
        resolved = Path(os.path.abspath(self.root / main))
        if not resolved.is_file():
            what = "is not a file" if resolved.exists() else "does not exist"
            raise self.error(field, f"file {main} {what}")
        return resolved

    def date(self, top: dict[str, Any]) -> str | None:
        if "compatibility_date" not in top:
            return None
        value = top["compatibility_date"]
        field = self.at("compatibility_date")
        if isinstance(value, datetime.date):  # an unquoted TOML date: wrangler rejects it too
            raise self.error(field, f'must be a string: quote it, "{value.isoformat()}"')
        if not isinstance(value, str):
            raise self.error(field, f"must be a string (got {json_type(value)})")
        try:
            if not _DATE_RE.match(value):
                raise ValueError(value)
            datetime.date.fromisoformat(value)  # rejects 2026-02-30
        except ValueError:
            raise self.error(field, f"must be YYYY-MM-DD (got {value!r})") from None
        return value

    def vars(
        self,
        top: dict[str, Any],
        env: str | None,
        bindings: set[str],
        secrets: tuple[str, ...] | None,
    ) -> dict[str, Any]:
        """`vars` from the config, then the local secrets over them, as wrangler dev merges."""
        field = self.at("vars")
        value = top.get("vars", {})
        if not isinstance(value, dict):
            raise self.error(field, f"must be an object (got {json_type(value)})")
        for key in value:
            if key in bindings:
                raise self.error(_join(field, key), "name already used by a workflow binding")
        result = dict(value)

        try:
            # secrets.required also looks in the process environment, as wrangler dev does
            local = load_dev_vars(
                self.root, env, self.environ, process_env=True if secrets is not None else None
            )
        except DevVarsError as err:
            raise ConfigError(err.message, path=err.path) from None
        self.dev_vars_files = local.files
        values = local.values
        if secrets is not None:  # only the declared secrets are loaded
            values = {k: v for k, v in values.items() if k in secrets}
            missing = [name for name in secrets if name not in values and name not in result]
            if missing:
                self.warnings.append(self.missing_secrets(missing, local.files))
        for key in [k for k in values if k in bindings]:
            if key not in local.origins:
                del values[key]  # a process variable: the binding keeps its name
                continue
            raise ConfigError(
                "name already used by a workflow binding", path=local.origins[key], field=key
            )
        result.update(values)  # local secrets win over vars
        return result

    def secrets(self, top: dict[str, Any]) -> tuple[str, ...] | None:
        """``secrets.required``: the secret names the Worker needs (None: no ``secrets``)."""
        if "secrets" not in top:
            return None
        field = self.at("secrets")
        value = top["secrets"]
        if not isinstance(value, dict):
            raise self.error(field, f"must be an object (got {json_type(value)})")
        names = self.string_list(value, "required", parent=field)
        for i, name in enumerate(names):
            if not name:
                raise self.error(_join(_join(field, "required"), i), "must not be empty")
        return names

    def missing_secrets(self, missing: list[str], files: tuple[Path, ...]) -> str:
        field = _join(self.at("secrets"), "required")
        where = " or ".join(p.name for p in files) or ".dev.vars or .env"
        listed = ", ".join(missing)
        plural = "s" if len(missing) > 1 else ""
        return str(
            ConfigError(
                f"missing required secret{plural} {listed}: define them in {where} "
                "for local development",
                path=self.path,
                line=self.line_of(field),
                field=field,
            )
        )
