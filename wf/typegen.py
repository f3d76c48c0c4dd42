"""The typed stub of a project's ``env``, as ``wrangler types`` writes one for TypeScript.

`render_env` turns a loaded `Config` into the text of a ``.pyi`` module (``worker_env.pyi``
next to the Worker's main module by default) holding ``class Env(Protocol)``: every binding
with its type from the stubs wf ships (``wf/stubs``: ``workers`` and ``js``), every var
with its literal type (``Literal["prod"]``, ``Literal[3]``, ``Literal[True]``; a JSON object a
class of its own, since production hands it over as a JS proxy), every secret as ``str``.
The module re-exports the binding types it uses, so user code annotates helpers with
``if TYPE_CHECKING: from worker_env import D1Database``; nothing of it runs in production.

The output depends only on the config and the secret names (``secrets.required`` when the
config declares it, else the keys of ``.dev.vars``/``.env``), so ``--check`` in CI compares the
file against a fresh rendering.
"""

from __future__ import annotations

import json
import keyword
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wf.config import Config
from wf.dev_vars import DevVarsError, load_dev_vars

__all__ = [
    "DEFAULT_FILENAME",
    "STUBS_DIR",
    "Member",
    "default_output",
    "env_members",
    "render_env",
    "secret_names",
    "stub_files",
]

DEFAULT_FILENAME = "worker_env.pyi"
# The stub tree a type checker reads for `workers` and `js` (mypy_path / pyright extraPaths).
STUBS_DIR = Path(__file__).resolve().parent / "stubs"

# Bindings wf does not emulate yet: the type production gives them, where it is a Fetcher.
_NOT_EMULATED_TYPES = {"service binding": "Fetcher", "Browser Rendering": "Fetcher"}
_ALWAYS_EXPORTED = (
    "DurableObjectState",
    "ExecutionContext",
    "JsDict",
    "MessageBatch",
    "ReceivedEvent",
    "WorkflowEvent",
)


@dataclass(frozen=True)
class Member:
    """One attribute of the generated ``Env``: its name, type and where it comes from."""

    name: str
    type: str
    source: str  # "d1_databases[0]", "vars.ENVIRONMENT", "secrets.required"


def default_output(config: Config) -> Path:
    """Where the stub goes by default: beside the main module, where its imports resolve
    (in the project's folder for an assets-only project, which has no module)."""
    folder = config.main.parent if config.main is not None else config.path.parent
    return folder / DEFAULT_FILENAME


def secret_names(config: Config, environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The secrets to type: ``secrets.required``, else the keys of the local secret files.

    As ``wrangler types``: the declared list is the source of truth when present (stable in CI,
    where ``.dev.vars`` is absent); otherwise the names found in ``.dev.vars`` or ``.env``.
    The process environment is left out so the output does not depend on the shell.
    """
    if config.secrets_required:
        return config.secrets_required
    try:
        local = load_dev_vars(
            config.root,
            config.env_name,
            os.environ if environ is None else environ,
            process_env=False,
        )
    except DevVarsError:
        return ()  # the config loaded, so the same file was readable a moment ago
    return tuple(local.values)


def env_members(
    config: Config, secrets: Iterable[str], *, strict_vars: bool = True
) -> list[Member]:
    """Every name on ``env`` with its type, sorted by name (`strict_vars`: literal types)."""
    members: dict[str, Member] = {}
    secret_set = set(secrets)

    def add(name: str, type_: str, source: str) -> None:
        members.setdefault(name, Member(name, type_, source))

    for name in secret_set:
        add(name, "str", "secrets.required" if config.secrets_required else "local secret")
    for name, value in config.vars.items():
        if name not in secret_set:
            add(name, _var_type(name, value, [], strict_vars), f"vars.{name}")
    for i, wf in enumerate(config.workflows):
        if wf.binding:
            where = f"workflows[{i}]: {wf.class_name or wf.name}"
            add(wf.binding, "Workflow", where)
    for i, d1 in enumerate(config.d1_databases):
        add(d1.binding, "D1Database", f"d1_databases[{i}]")
    for i, kv in enumerate(config.kv_namespaces):
        add(kv.binding, "KVNamespace", f"kv_namespaces[{i}]")
    for i, r2 in enumerate(config.r2_buckets):
        add(r2.binding, "R2Bucket", f"r2_buckets[{i}]")
    for i, producer in enumerate(config.queue_producers):
        add(producer.binding, "Queue", f"queues.producers[{i}]: {producer.queue}")
    for i, do in enumerate(config.durable_objects):
        add(do.binding, "DurableObjectNamespace", f"durable_objects.bindings[{i}]: {do.class_name}")
    if config.ai is not None:
        add(config.ai.binding, "Ai", "ai")
    if config.assets is not None and config.assets.binding:
        add(config.assets.binding, "Fetcher", "assets")
    for i, service in enumerate(config.services):
        target = service.service + (f" ({service.entrypoint})" if service.entrypoint else "")
        add(service.binding, "Fetcher", f"services[{i}]: {target}")
    for missing in config.not_emulated:
        type_ = _NOT_EMULATED_TYPES.get(missing.kind, "Any")
        add(missing.binding, type_, f"{missing.field}: {missing.kind}, not emulated by wf")
    return [members[name] for name in sorted(members)]


def render_env(
    config: Config, secrets: Iterable[str], *, command: str = "wf types", strict_vars: bool = True
) -> str:
    """The text of the env stub for `config`."""
    members = env_members(config, secrets, strict_vars=strict_vars)
    objects = {m.name for m in members if m.type.startswith("_Var_") and _is_identifier(m.name)}
    var_classes = list(_var_classes(config, objects, strict_vars))
    step = "WorkflowStep" if config.implicit_dependencies else "LegacyWorkflowStep"
    used = {m.type for m in members if m.type[:1].isupper() and m.type != "None"}
    used = {t for t in used if not t.startswith("Literal[")}
    if any("JsArray" in block for block in var_classes):
        used.add("JsArray")
    exported = sorted(used | set(_ALWAYS_EXPORTED))

    lines = [
        f"# Generated by wf by running `{command}`: do not edit.",
        "# Re-run it when the wrangler config, .dev.vars or the secrets change;",
        "# `wf types --check` fails when this file is stale.",
        "from typing import Any, Literal, Protocol, TypeAlias",
        "",
    ]
    lines += [f"from workers._bindings import {name} as {name}" for name in sorted(exported)]
    # an alias, not `import X as Y`, so that the stub exports it
    lines.append("from workers import _bindings")
    lines.append("")
    lines.append(f"WorkflowStep: TypeAlias = _bindings.{step}")
    lines.append("")
    for block in var_classes:
        lines += [block, ""]
    lines.append("class Env(Protocol):")
    body = []
    for member in members:
        if _is_identifier(member.name):
            body.append(f"    {member.name}: {member.type}  # {member.source}")
        else:
            body.append(
                f"    # {json.dumps(member.name)} ({member.source}) is no Python identifier: "
                f"getattr(env, {json.dumps(member.name)})"
            )
    lines += body or ["    pass"]
    return "\n".join(lines) + "\n"


def stub_files() -> Iterator[tuple[Path, str]]:
    """The shipped stub tree, as (path relative to STUBS_DIR, text): what ``--stubs`` copies."""
    for path in sorted(STUBS_DIR.rglob("*.pyi")):
        yield path.relative_to(STUBS_DIR), path.read_text(encoding="utf-8")


# -- vars


def _is_identifier(name: str) -> bool:
    return name.isidentifier() and not keyword.iskeyword(name)


def _var_type(name: str, value: Any, path: list[str], strict: bool) -> str:
    """A var's type as code sees it: literals for scalars (`strict`), a class for an object."""
    if value is None:
        return "None"
    if isinstance(value, bool | int | str) and not strict:
        return type(value).__name__
    if isinstance(value, bool | int):
        return f"Literal[{value}]"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return f"Literal[{json.dumps(value, ensure_ascii=False)}]"
    if isinstance(value, list):
        return "JsArray"
    if isinstance(value, dict):
        return _class_name(name, path)
    return "Any"


def _class_name(name: str, path: list[str]) -> str:
    return "_Var_" + "_".join([name, *path])


def _var_classes(config: Config, names: set[str], strict: bool) -> Iterator[str]:
    """One class per JSON object var (and per nested object): attribute access, ``to_py()``."""
    for name in sorted(names):
        value = config.vars.get(name)
        if isinstance(value, dict):
            yield from _object_classes(name, value, [], strict)


def _object_classes(
    name: str, value: dict[str, Any], path: list[str], strict: bool
) -> Iterator[str]:
    for key, item in value.items():
        if isinstance(item, dict) and _is_identifier(key):
            yield from _object_classes(name, item, [*path, key], strict)
    where = ".".join([name, *path])
    lines = [
        f"class {_class_name(name, path)}:",
        f'    """vars.{where}: a JS object (attributes; ``to_py()`` for a dict)."""',
        "",
    ]
    odd = False
    for key, item in value.items():
        if _is_identifier(key):
            lines.append(f"    {key}: {_var_type(name, item, [*path, key], strict)}")
        else:
            odd = True
    lines.append("    def to_py(self) -> dict[str, Any]: ...")
    if odd:  # keys that are no identifiers are reached with getattr(obj, "a-b")
        lines.append("    def __getattr__(self, name: str) -> Any: ...")
    yield "\n".join(lines)
