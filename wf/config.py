"""Wrangler configuration: wrangler.jsonc|json|toml (+ .dev.vars) -> typed, validated `Config`.

Only the keys the emulator uses are read and validated (name, main, compatibility_date,
compatibility_flags, vars, workflows, d1_databases, kv_namespaces, r2_buckets, queues,
triggers, ai, assets, durable_objects, migrations, services, env); the bindings wf does not
provide yet (vectorize...) are listed in ``Config.not_emulated``; every other key (observability,
$schema...) is ignored, so a config that deploys to Cloudflare loads here unchanged.

Errors are `ConfigError`s that point at the file, and at the line whenever it can be found:
``wrangler.jsonc:4:12: syntax error: Unexpected "}"`` or
``wrangler.jsonc:7: workflows[1].class_name: required``.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import keyword
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

from wf.compat import Compat
from wf.cron import CronError, parse_cron
from wf.dev_vars import DevVarsError, load_dev_vars, parse_dotenv
from wf.retention import Retention, RetentionError, parse_retention
from wf.serialization import json_type

__all__ = [
    "CONFIG_FILENAMES",
    "Config",
    "ConfigError",
    "ServiceConfig",
    "WorkflowConfig",
    "find_config",
    "load_config",
    "parse_dotenv",
]

CONFIG_FILENAMES = ("wrangler.jsonc", "wrangler.json", "wrangler.toml")

WORKFLOW_NAME_RE = re.compile(r"^[a-zA-Z0-9_][a-zA-Z0-9-_]*$")
WORKFLOW_NAME_MAX = 64
DEFAULT_CPU_MS = 30_000  # Cloudflare's default CPU time per step or request (paid plans)
MAX_CPU_MS = 300_000
DEFAULT_STEP_LIMIT = 10_000
MAX_STEP_LIMIT = 25_000
CRON_MAX = 256  # Cloudflare's limit on a cron expression's length
# The dates and flags themselves live in wf/compat.py; these names stay for callers.
IMPLICIT_DEPENDENCIES_DATE = "2026-02-25"
# From this date production loads the external Python SDK (workers-runtime-sdk): binding
# results come back through python_from_rpc instead of as raw JsProxy objects.
RUNTIME_SDK_DATE = "2026-04-21"
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SQL_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")  # D1 migrations_table goes into SQL


class ConfigError(Exception):
    """A config that cannot be loaded.

    ``str(err)`` is ``FILE:LINE:COL: message`` for syntax errors and ``FILE[:LINE]: field: message``
    for semantic ones. FILE is relative to the working directory when the file lies below it.
    """

    def __init__(
        self,
        message: str,
        *,
        path: Path | None = None,
        line: int | None = None,
        column: int | None = None,
        field: str | None = None,
    ) -> None:
        self.path = path
        self.line = line
        self.column = column
        self.field = field
        self.message = message
        super().__init__(self._format())

    def _format(self) -> str:
        where = ""
        if self.path is not None:
            where = _display(self.path)
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        what = f"{self.field}: {self.message}" if self.field else self.message
        return where + what


@dataclass(frozen=True)
class WorkflowConfig:
    name: str
    binding: str
    class_name: str | None
    script_name: str | None
    step_limit: int = DEFAULT_STEP_LIMIT
    schedules: tuple[str, ...] = ()
    default_retention: Retention | None = None
    # Declared in `exports` (keyed by class name); binding is "" when it is declared only there.
    exported: bool = False


@dataclass(frozen=True)
class D1Config:
    """``d1_databases[]``: one D1 database."""

    binding: str
    database_name: str | None
    database_id: str | None
    preview_database_id: str | None = None
    migrations_dir: str = "migrations"
    migrations_table: str = "d1_migrations"

    @property
    def local_id(self) -> str:
        """The id wrangler keys the local database by: preview id, else id, else binding
        (the name Miniflare's D1 Durable Object is named by: see platform/d1/_location.py)."""
        if self.preview_database_id is not None:
            return self.preview_database_id
        return self.database_id if self.database_id is not None else self.binding


@dataclass(frozen=True)
class KVConfig:
    """``kv_namespaces[]``: one KV namespace."""

    binding: str
    id: str | None
    preview_id: str | None = None

    @property
    def local_id(self) -> str:
        """The id wrangler keys the local namespace by: preview id, else id, else binding."""
        return self.preview_id or self.id or self.binding


@dataclass(frozen=True)
class R2Config:
    """``r2_buckets[]``: one R2 bucket."""

    binding: str
    bucket_name: str | None
    preview_bucket_name: str | None = None
    jurisdiction: str | None = None

    @property
    def local_id(self) -> str:
        """The name wrangler keys the local bucket by: preview name, else name, else binding."""
        return self.preview_bucket_name or self.bucket_name or self.binding


@dataclass(frozen=True)
class AIConfig:
    """``ai``: the Workers AI binding."""

    binding: str


HTML_HANDLING = ("auto-trailing-slash", "force-trailing-slash", "drop-trailing-slash", "none")
NOT_FOUND_HANDLING = ("none", "404-page", "single-page-application")


@dataclass(frozen=True)
class AssetsConfig:
    """``assets``: static files served before (or after) the Worker, and their binding."""

    directory: Path
    binding: str | None = None
    html_handling: str = "auto-trailing-slash"
    not_found_handling: str = "none"
    # True/False, or route patterns ("/api/*", "!/api/docs/*") that go to the Worker first
    run_worker_first: bool | tuple[str, ...] = False


@dataclass(frozen=True)
class QueueProducerConfig:
    """``queues.producers[]``: ``env.BINDING`` sends to ``queue``."""

    binding: str
    queue: str
    delivery_delay: int = 0  # seconds every message waits before it can be delivered


@dataclass(frozen=True)
class QueueConsumerConfig:
    """``queues.consumers[]``: this Worker's ``queue`` handler consumes ``queue``."""

    queue: str
    max_batch_size: int = 10
    max_batch_timeout: float = 5.0  # seconds
    max_retries: int = 3
    retry_delay: int = 0  # seconds
    dead_letter_queue: str | None = None
    max_concurrency: int | None = None  # None: production scales up on its own
    type: str = "worker"  # "http_pull": pulled over HTTP, not delivered to the Worker


@dataclass(frozen=True)
class DurableObjectConfig:
    """``durable_objects.bindings[]``: one Durable Object namespace."""

    binding: str  # the entry's "name"
    class_name: str
    script_name: str | None = None
    # The storage backend its migration chose: SQLite (new_sqlite_classes) or KV (new_classes).
    sqlite: bool = True
    field: str = ""  # where it is declared: "durable_objects.bindings[0]"


@dataclass(frozen=True)
class ServiceConfig:
    """``services[]``: ``env.BINDING`` calls the Worker named ``service`` (fetch and RPC)."""

    binding: str
    service: str
    entrypoint: str | None = None  # a named WorkerEntrypoint class; None: the default export
    field: str = ""  # where it is declared: "services[0]"


@dataclass(frozen=True)
class NotEmulated:
    """A binding in the config that wf does not provide yet: named at start-up, never dropped."""

    field: str  # where it is: "queues.producers[0]"
    binding: str
    kind: str  # what it is: "Queue producer"

    def describe(self) -> str:
        return f"{self.field} ({self.binding}): {self.kind}, not emulated yet"


@dataclass(frozen=True)
class Config:
    path: Path
    root: Path
    name: str
    main: Path | None  # None: an assets-only project (``assets`` without ``main``)
    compatibility_date: str | None
    compatibility_flags: tuple[str, ...]
    # hash=False: a mappingproxy is unhashable, and a Config should still be usable as a key
    vars: Mapping[str, Any] = dataclasses.field(hash=False)
    workflows: tuple[WorkflowConfig, ...]
    env_name: str | None
    cpu_ms: int = 30_000  # limits.cpu_ms
    d1_databases: tuple[D1Config, ...] = ()
    kv_namespaces: tuple[KVConfig, ...] = ()
    r2_buckets: tuple[R2Config, ...] = ()
    ai: AIConfig | None = None
    assets: AssetsConfig | None = None
    queue_producers: tuple[QueueProducerConfig, ...] = ()
    queue_consumers: tuple[QueueConsumerConfig, ...] = ()
    crons: tuple[str, ...] = ()  # triggers.crons: the Worker's scheduled handler
    durable_objects: tuple[DurableObjectConfig, ...] = ()
    services: tuple[ServiceConfig, ...] = ()
    not_emulated: tuple[NotEmulated, ...] = ()
    secrets_required: tuple[str, ...] = ()  # secrets.required
    dev_vars_files: tuple[Path, ...] = ()  # the .dev.vars or .env files the vars came from
    warnings: tuple[str, ...] = ()  # to print at start-up: FILE[:LINE]: field: message

    # What production would refuse (wf does not start) or run differently: FILE[:LINE]: field:
    # message, from wf.compat. Kept apart from `warnings` so only running code checks them.
    compat_errors: tuple[str, ...] = ()
    compat_warnings: tuple[str, ...] = ()

    @property
    def compat(self) -> Compat:
        """The behaviours the compatibility date and flags select (see wf.compat)."""
        return Compat(self.compatibility_date, self.compatibility_flags)

    @property
    def implicit_dependencies(self) -> bool:
        """True: `step.do` takes the implicit-dependencies signature (spec 2.3 A); False: legacy.

        Explicit flags win: ``python_workflows_implicit_dependencies`` -> True,
        ``no_python_workflows_implicit_dependencies`` -> False. Otherwise Cloudflare implies the
        flag from ``python_workers`` plus a compatibility_date on or after 2026-02-25. `wf` runs
        only Python Workers, so ``python_workers`` is taken as implied even when it is not listed:
        the date alone decides. No date at all means True, since wrangler then falls back to
        today's date, which is past 2026-02-25.
        """
        return self.compat.implicit_dependencies

    @property
    def runtime_sdk(self) -> bool:
        """True: the current SDK's wrappers (JS names, python_from_rpc results); False: raw JsProxy.

        From 2026-04-21, or with ``enable_python_external_sdk``; ``disable_python_external_sdk``
        keeps the runtime's own SDK. No date means True: wrangler falls back to today's date.
        """
        return self.compat.external_sdk

    def check_runnable(self) -> None:
        """Raise `ConfigError` when production would refuse this config (`compat_errors`)."""
        if self.compat_errors:
            raise ConfigError("\n".join(self.compat_errors))

    def workflow(self, name: str) -> WorkflowConfig:
        for wf in self.workflows:
            if wf.name == name:
                return wf
        have = _names(w.name for w in self.workflows)
        raise KeyError(f"no workflow named {name!r} (have: {have})")

    def workflow_by_binding(self, binding: str) -> WorkflowConfig:
        for wf in self.workflows:
            if wf.binding == binding:
                return wf
        have = _names(w.binding for w in self.workflows)
        raise KeyError(f"no workflow bound to {binding!r} (have: {have})")


def find_config(directory: Path | str) -> Path:
    """The first of CONFIG_FILENAMES present in `directory` (wrangler's own order)."""
    directory = Path(directory)
    for filename in CONFIG_FILENAMES:
        candidate = directory / filename
        if candidate.is_file():
            return candidate
    raise ConfigError(f"no {', '.join(CONFIG_FILENAMES)} found", path=directory)


def load_config(
    path: Path | str, env: str | None = None, *, environ: Mapping[str, str] | None = None
) -> Config:
    """Load and validate the config at `path` (a config file, or a directory holding one).

    With `env`, the ``env.<env>`` section applies as wrangler applies it: its keys override the
    top level; `vars`, `secrets` and `workflows` are not inherited; `name` defaults to
    ``<name>-<env>``. Local secrets come from ``.dev.vars`` or ``.env`` files next to the
    config (see `wf.dev_vars`); `environ` (default: ``os.environ``) is the process
    environment wrangler's CLOUDFLARE_* switches and ``.env`` expansion read.
    """
    path = Path(path)
    if path.is_dir():
        path = find_config(path)
    elif not path.is_file():
        raise ConfigError("no such file", path=path)
    path = Path(os.path.abspath(path))
    raw, lines = _parse(path)
    return _Builder(path, lines, os.environ if environ is None else environ).build(raw, env)


# ---------------------------------------------------------------------------------------------
# Parsing: text -> plain dict, plus a best-effort map from field path to line number


def _parse(path: Path) -> tuple[Any, dict[str, int]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        raise ConfigError(f"not valid UTF-8 ({err.reason})", path=path) from None
    except OSError as err:
        raise ConfigError(f"cannot read: {err.strerror}", path=path) from None
    try:
        return _decode(path, text)
    except RecursionError:  # every parser here recurses per level of nesting
        raise ConfigError("syntax error: arrays or objects nested too deeply", path=path) from None


def _decode(path: Path, text: str) -> tuple[Any, dict[str, int]]:
    if path.suffix == ".toml":
        import tomlkit  # only TOML projects pay for its import
        import tomlkit.exceptions

        try:
            raw = tomlkit.parse(text).unwrap()
        except tomlkit.exceptions.TOMLKitError as err:
            msg = re.sub(r" at line \d+ col \d+$", "", str(err))
            line = getattr(err, "line", None)
            col = getattr(err, "col", None)
            # tomlkit's columns are 0-based; editors count from 1
            raise ConfigError(
                f"syntax error: {_humanize(msg)}",
                path=path,
                line=line,
                column=None if col is None else col + 1,
            ) from None
        return raw, _safe(_toml_lines, text)

    if not text.strip():
        raise ConfigError("syntax error: empty file", path=path, line=1, column=1)
    try:
        # Most configs are plain JSON, which the C parser reads ~200x faster than json5 (pure
        # Python). JSON5 is a superset of JSON: what both accept, they decode alike.
        raw = json.loads(text)
    except ValueError:
        raw = _parse_json5(text, path)
    return raw, _safe(_json_lines, text)


def _parse_json5(text: str, path: Path) -> Any:
    import json5

    try:
        return json5.loads(text)
    except ValueError as err:
        # json5 says '<string>:LINE Unexpected "x" at column COL'
        m = re.fullmatch(r"<string>:(\d+) (.*) at column (\d+)", str(err), re.DOTALL)
        if m:
            raise ConfigError(
                f"syntax error: {_humanize(m[2])}", path=path, line=int(m[1]), column=int(m[3])
            ) from None
        raise ConfigError(f"syntax error: {err}", path=path) from None


def _humanize(msg: str) -> str:
    # a raw newline inside quotes reads badly: 'Unexpected "\n"' -> 'Unexpected end of line'
    return re.sub(r"""(["'])(\r?\n|\r|\\[nr])\1""", "end of line", msg).replace(
        "Unexpected character: ", "Unexpected "
    )


def _safe(scan: Callable[[str], dict[str, int]], text: str) -> dict[str, int]:
    # line numbers only decorate messages: a scanner bug must never hide the real error
    try:
        return scan(text)
    except Exception:
        return {}


def _join(parent: str, key: str | int) -> str:
    """The field path used in messages: workflows[0].limits.steps, vars["odd key"]."""
    if isinstance(key, int):
        return f"{parent}[{key}]"
    if not re.fullmatch(r"[A-Za-z_$][\w$-]*", key):
        return f"{parent}[{_quote(key)}]"
    return f"{parent}.{key}" if parent else key


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


_JSON_TOKEN = re.compile(
    r"""
      (?P<ws>\s+)
    | (?P<comment>//[^\n]*|/\*.*?\*/)
    | (?P<string>"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*')
    | (?P<punct>[{}\[\]:,])
    | (?P<atom>[^\s{}\[\]:,"'/]+)
    """,
    re.VERBOSE | re.DOTALL,
)


def _json_lines(text: str) -> dict[str, int]:
    """Map each field path of a JSON/JSONC/JSON5 document to the line it starts on.

    Runs only on text json5 already accepted, so it can be lenient.
    """
    tokens: list[tuple[str, str, int]] = []
    line = 1
    for m in _JSON_TOKEN.finditer(text):
        kind = m.lastgroup or ""
        if kind not in ("ws", "comment"):
            tokens.append((kind, m.group(), line))
        line += m.group().count("\n")
    lines: dict[str, int] = {}
    pos = 0

    def value(path: str) -> None:
        nonlocal pos
        kind, tok, at = tokens[pos]
        pos += 1
        if path:
            lines[path] = at
        if tok == "{":
            while tokens[pos][1] != "}":
                kind, key, at = tokens[pos]
                key = _string(key) if kind == "string" else key
                pos += 2  # key and ':'
                value(_join(path, key))
                lines[_join(path, key)] = at  # a key's line, not its value's
                if tokens[pos][1] == ",":
                    pos += 1
            pos += 1
        elif tok == "[":
            index = 0
            while tokens[pos][1] != "]":
                value(_join(path, index))
                index += 1
                if tokens[pos][1] == ",":
                    pos += 1
            pos += 1

    value("")
    return lines


_TOML_KEY = r"""(?:[A-Za-z0-9_-]+|"(?:\\.|[^"\\])*"|'[^']*')"""
_TOML_DOTTED = rf"{_TOML_KEY}(?:\s*\.\s*{_TOML_KEY})*"


def _toml_lines(text: str) -> dict[str, int]:
    """Map field paths of a TOML document to lines: table headers and `key =` lines.

    Line-based and best effort: keys inside inline tables or multi-line arrays map to the
    line of the key that holds them.
    """
    lines: dict[str, int] = {}
    tables_count: dict[str, int] = {}  # array-of-tables path -> how many seen
    prefix = ""

    def resolve(parts: list[str], base: str = "") -> str:
        path = base
        for part in parts:
            path = _join(path, part)
            if path in tables_count:  # [workflows.limits] belongs to the latest [[workflows]]
                path = _join(path, tables_count[path] - 1)
        return path

    for lineno, raw in enumerate(text.splitlines(), 1):
        s = raw.strip()
        if m := re.match(rf"\[\[\s*({_TOML_DOTTED})\s*\]\]", s):
            parts = _toml_parts(m[1])
            name = resolve(parts[:-1])
            name = _join(name, parts[-1])
            index = tables_count.get(name, 0)
            tables_count[name] = index + 1
            lines.setdefault(name, lineno)
            prefix = _join(name, index)
            lines[prefix] = lineno
        elif m := re.match(rf"\[\s*({_TOML_DOTTED})\s*\]", s):
            prefix = resolve(_toml_parts(m[1]))
            lines.setdefault(prefix, lineno)
        elif m := re.match(rf"({_TOML_DOTTED})\s*=", s):
            lines[resolve(_toml_parts(m[1]), prefix)] = lineno
    return lines


def _toml_parts(dotted: str) -> list[str]:
    parts = re.findall(_TOML_KEY, dotted)
    return [_string(p) if p[0] == '"' else p.strip("'") for p in parts]


def _string(literal: str) -> str:
    """The value of a quoted string token (JSON's escapes; JSON5's and TOML's also)."""
    try:
        value = json.loads(literal)
    except ValueError:
        import json5

        value = json5.loads(literal)
    return str(value)


# ---------------------------------------------------------------------------------------------
# Validation: plain dict -> Config


# wrangler's "non-inheritable" keys we read
_NOT_INHERITED = ("vars", "secrets", "workflows", "queues")


class _Builder:
    def __init__(self, path: Path, lines: dict[str, int], environ: Mapping[str, str]) -> None:
        self.path = path
        self.environ = environ
        self.warnings: list[str] = []
        self.dev_vars_files: tuple[Path, ...] = ()
        self.root = path.parent
        self.lines = lines
        self.origin: dict[str, str] = {}  # top-level key -> path prefix it came from ("env.x")

    def error(self, field: str, message: str) -> ConfigError:
        return ConfigError(message, path=self.path, line=self.line_of(field), field=field)

    def line_of(self, field: str) -> int | None:
        # a missing key has no line: fall back to its parent's (workflows[1].class_name -> [1])
        while field not in self.lines:
            parent = re.sub(r"(\.[^.\[\]]*|\[[^\]]*\])$", "", field)
            if parent == field:
                return None
            field = parent
        return self.lines[field]

    def at(self, key: str) -> str:
        """Field path of an effective top-level key, as it appears in the file."""
        return _join(self.origin.get(key, ""), key)

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

    # -- storage bindings (D1, KV, R2) and the ones not emulated yet

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

    def binding_name(self, entry: dict[str, Any], at: str, *, required: bool) -> str | None:
        binding = self.string(entry, "binding", required=required, parent=at)
        if binding is not None and (not binding.isidentifier() or keyword.iskeyword(binding)):
            raise self.error(
                _join(at, "binding"), f"must be a valid Python identifier (got {_quote(binding)})"
            )
        return binding

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

    # -- scalar helpers

    def string(
        self, obj: dict[str, Any], key: str, *, required: bool = False, parent: str | None = None
    ) -> str | None:
        field = _join(parent, key) if parent is not None else self.at(key)
        if key not in obj:
            if required:
                raise self.error(field, "required")
            return None
        value = obj[key]
        if not isinstance(value, str):
            raise self.error(field, f"must be a string (got {json_type(value)})")
        if required and not value:
            raise self.error(field, "must not be empty")
        return value

    def string_list(
        self, obj: dict[str, Any], key: str, *, parent: str | None = None
    ) -> tuple[str, ...]:
        field = _join(parent, key) if parent is not None else self.at(key)
        value = obj.get(key, [])
        if not isinstance(value, list):
            raise self.error(field, f"must be an array of strings (got {json_type(value)})")
        for i, item in enumerate(value):
            if not isinstance(item, str):
                raise self.error(_join(field, i), f"must be a string (got {json_type(item)})")
        return tuple(value)

    # -- top-level fields

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

    # -- queues and cron triggers

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

    def objects(self, parent: dict[str, Any], key: str, at: str) -> list[dict[str, Any]]:
        """An optional array of objects."""
        field = _join(at, key)
        entries = parent.get(key, [])
        if not isinstance(entries, list):
            raise self.error(field, f"must be an array (got {json_type(entries)})")
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict):
                raise self.error(_join(field, i), f"must be an object (got {json_type(entry)})")
        return entries

    def number(
        self, entry: dict[str, Any], key: str, at: str, low: float, high: float, *, whole: bool
    ) -> float | None:
        """An optional number in ``[low, high]`` (a whole one when ``whole``)."""
        if key not in entry:
            return None
        value = entry[key]
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if ok and whole and not float(value).is_integer():
            ok = False
        if not ok or not low <= value <= high:
            kind = "an integer" if whole else "a number"
            raise self.error(_join(at, key), f"must be {kind} from {low:g} to {high:g}")
        return float(value)

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

    # -- workflows

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


_T = TypeVar("_T")
QUEUE_DELAY_MAX = 43_200  # 12 hours: delivery_delay, retry_delay and delaySeconds
# queues.consumers[] settings: (lowest, highest, whole number only), from Queues' limits page.
_CONSUMER_LIMITS: dict[str, tuple[float, float, bool]] = {
    "max_batch_size": (1, 100, True),
    "max_batch_timeout": (0, 60, False),
    "max_retries": (0, 100, True),
    "retry_delay": (0, QUEUE_DELAY_MAX, True),
    "max_concurrency": (1, 250, True),
}
_D1_FIELDS = {
    "binding": True,
    "database_name": False,
    "database_id": False,
    "preview_database_id": False,
    "migrations_dir": False,
    "migrations_table": False,
}
_EXPORT_FIELDS = frozenset({"type", "name", "limits", "schedules", "default_retention"})
_KV_FIELDS = {"binding": True, "id": False, "preview_id": False}
_R2_FIELDS = {
    "binding": True,
    "bucket_name": False,
    "preview_bucket_name": False,
    "jurisdiction": False,
}
# Optional fields whose None is passed on (the others keep their dataclass default).
_OPTIONAL_NONE = frozenset({"database_name", "database_id", "id", "bucket_name"})
# Bindings wf does not provide yet: config path -> (key naming the binding, what it is).
_NOT_EMULATED: dict[str, tuple[str, str]] = {
    "vectorize": ("binding", "Vectorize index"),
    "hyperdrive": ("binding", "Hyperdrive"),
    "analytics_engine_datasets": ("binding", "Analytics Engine dataset"),
    "browser": ("binding", "Browser Rendering"),
    "images": ("binding", "Images"),
    "send_email": ("name", "Email sender"),
    "mtls_certificates": ("binding", "mTLS certificate"),
    "dispatch_namespaces": ("binding", "dispatch namespace"),
    "version_metadata": ("binding", "version metadata"),
    "secrets_store_secrets": ("binding", "Secrets Store secret"),
    "pipelines": ("binding", "Pipeline"),
}


def _names(names: Any) -> str:
    return ", ".join(names) or "none"


def _display(path: Path) -> str:
    """The path relative to the working directory when below it (shorter, still clickable)."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
