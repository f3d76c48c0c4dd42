"""The base of the config builder: errors at a field's line, scalar and list readers, the
field tables of each binding family."""

from __future__ import annotations

import keyword
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from wf.config.errors import (
    ConfigError,
)
from wf.config.positions import (
    _join,
    _quote,
)
from wf.serialization import json_type


class _Reader:
    """Where fields are (paths, lines) and the scalar readers every binding family uses."""

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

    def binding_name(self, entry: dict[str, Any], at: str, *, required: bool) -> str | None:
        binding = self.string(entry, "binding", required=required, parent=at)
        if binding is not None and (not binding.isidentifier() or keyword.iskeyword(binding)):
            raise self.error(
                _join(at, "binding"), f"must be a valid Python identifier (got {_quote(binding)})"
            )
        return binding


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
