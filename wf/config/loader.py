"""Finding and loading a project's config file."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from wf.config.builder import (
    _Builder,
)
from wf.config.errors import (
    ConfigError,
)
from wf.config.model import (
    CONFIG_FILENAMES,
    Config,
)
from wf.config.positions import (
    _parse,
)


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
