"""The typed config: `Config` and one frozen dataclass per binding family; the limits."""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wf.compat import Compat
from wf.config.errors import (
    ConfigError,
    _names,
)
from wf.retention import Retention

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

    # Cached: every pass reads these, and resolving a flag walks the compatibility table.
    @functools.cached_property
    def compat(self) -> Compat:
        """The behaviours the compatibility date and flags select (see wf.compat)."""
        return Compat(self.compatibility_date, self.compatibility_flags)

    @functools.cached_property
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

    @functools.cached_property
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
