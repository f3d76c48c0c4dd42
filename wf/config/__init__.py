"""Wrangler configuration: wrangler.jsonc|json|toml (+ .dev.vars) -> typed, validated `Config`.

Only the keys the emulator uses are read and validated (name, main, compatibility_date,
compatibility_flags, vars, workflows, d1_databases, kv_namespaces, r2_buckets, queues,
triggers, ai, assets, durable_objects, migrations, services, env); the bindings wf does not
provide yet (vectorize...) are listed in ``Config.not_emulated``; every other key (observability,
$schema...) is ignored, so a config that deploys to Cloudflare loads here unchanged.

Errors are `ConfigError`s that point at the file, and at the line whenever it can be found:
``wrangler.jsonc:4:12: syntax error: Unexpected "}"`` or
``wrangler.jsonc:7: workflows[1].class_name: required``.

The package, by concept: `model` (the dataclasses and limits), `errors` (`ConfigError`),
`positions` (text -> dict and field lines), `reader` (the builder's base: fields, scalars),
`bindings`, `services`, `workflows` (one reader per binding family), `builder` (environments,
top-level fields, the `Config`), `loader` (`find_config`, `load_config`). Every public name is
re-exported here, so ``from wf.config import Config, load_config, ConfigError`` stays.
"""

from __future__ import annotations

from wf.config.errors import ConfigError
from wf.config.loader import find_config, load_config
from wf.config.model import (
    CONFIG_FILENAMES,
    CRON_MAX,
    DEFAULT_CPU_MS,
    DEFAULT_STEP_LIMIT,
    HTML_HANDLING,
    IMPLICIT_DEPENDENCIES_DATE,
    MAX_CPU_MS,
    MAX_STEP_LIMIT,
    NOT_FOUND_HANDLING,
    RUNTIME_SDK_DATE,
    WORKFLOW_NAME_MAX,
    WORKFLOW_NAME_RE,
    AIConfig,
    AssetsConfig,
    Config,
    D1Config,
    DurableObjectConfig,
    KVConfig,
    NotEmulated,
    QueueConsumerConfig,
    QueueProducerConfig,
    R2Config,
    ServiceConfig,
    WorkflowConfig,
)
from wf.config.reader import QUEUE_DELAY_MAX
from wf.dev_vars import parse_dotenv

__all__ = [
    "CONFIG_FILENAMES",
    "CRON_MAX",
    "DEFAULT_CPU_MS",
    "DEFAULT_STEP_LIMIT",
    "HTML_HANDLING",
    "IMPLICIT_DEPENDENCIES_DATE",
    "MAX_CPU_MS",
    "MAX_STEP_LIMIT",
    "NOT_FOUND_HANDLING",
    "QUEUE_DELAY_MAX",
    "RUNTIME_SDK_DATE",
    "WORKFLOW_NAME_MAX",
    "WORKFLOW_NAME_RE",
    "AIConfig",
    "AssetsConfig",
    "Config",
    "ConfigError",
    "D1Config",
    "DurableObjectConfig",
    "KVConfig",
    "NotEmulated",
    "QueueConsumerConfig",
    "QueueProducerConfig",
    "R2Config",
    "ServiceConfig",
    "WorkflowConfig",
    "find_config",
    "load_config",
    "parse_dotenv",
]
