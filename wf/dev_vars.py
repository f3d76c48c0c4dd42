"""Local secrets for `wf dev`: `.dev.vars`, `.env` files and the process environment.

The rules are current wrangler's (``getVarsForDev``):

- ``.dev.vars.<env>`` (with ``--env``), else ``.dev.vars``: when one exists it is the only
  source; no ``.env`` file is read and nothing is expanded;
- otherwise, unless ``CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV=false``: ``.env``, ``.env.local``,
  ``.env.<env>``, ``.env.<env>.local`` merged in that order (later files win), then expanded as
  dotenv-expand does (``${NAME}``, ``$NAME``, ``${NAME:-default}``, ``\\$`` for a literal
  dollar); with ``CLOUDFLARE_INCLUDE_PROCESS_ENV=true`` the process environment joins in, and
  a non-empty value there beats the files'.

Both files use the `dotenv` npm package's syntax (see `parse_dotenv`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "DevVars",
    "DevVarsError",
    "candidate_files",
    "expand_dotenv",
    "load_dev_vars",
    "parse_dotenv",
]

LOAD_FROM_DOT_ENV = "CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV"
INCLUDE_PROCESS_ENV = "CLOUDFLARE_INCLUDE_PROCESS_ENV"

# A port of the `dotenv` npm package's line pattern: KEY=VALUE (or KEY: VALUE), optional
# `export `, '#' comments (an unquoted value ends at the first '#'), '', "" or `` quotes that
# may span lines; in "" quotes \n and \r are newlines. Malformed lines are skipped.
_DOTENV_LINE = re.compile(
    r"""^\s*(?:export\s+)?([A-Za-z0-9_.-]+)(?:\s*=\s*?|:\s+?)"""
    r"""(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?"""
    r"""\s*(?:#.*)?$""",
    re.MULTILINE,
)
_EXPANSION = re.compile(r"(?<!\\)\$\{([^{}]+)\}|(?<!\\)\$([A-Za-z_][A-Za-z0-9_]*)")
_OPERATOR = re.compile(r":\+|\+|:-|-")


class DevVarsError(Exception):
    """A dev-vars file that cannot be read, or a bad CLOUDFLARE_* switch."""

    def __init__(self, message: str, path: Path | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path


@dataclass(frozen=True)
class DevVars:
    """What the local secret sources gave: values, and the files they came from."""

    values: dict[str, str]
    files: tuple[Path, ...]
    origins: dict[str, Path]  # key -> the file that set it (process variables have none)


def parse_dotenv(text: str) -> dict[str, str]:
    """Parse dotenv text as the `dotenv` npm package (hence wrangler) does."""
    result: dict[str, str] = {}
    for m in _DOTENV_LINE.finditer(re.sub(r"\r\n?", "\n", text)):
        value = (m[2] or "").strip()
        quote = value[:1]
        value = re.sub(r"""^(['"`])([\s\S]*)\1$""", r"\2", value)
        if quote == '"':
            value = value.replace("\\n", "\n").replace("\\r", "\r")
        result[m[1]] = value
    return result


def expand_dotenv(parsed: Mapping[str, str], environ: Mapping[str, str]) -> dict[str, str]:
    """dotenv-expand over `parsed`, with `environ` as its process env.

    A name expands to an earlier key of `parsed` or to `environ` (which wins); a key whose
    `environ` value is non-empty and differs takes that value unexpanded. The result holds
    `environ` and the expanded keys.
    """
    result = dict(environ)
    running: dict[str, str] = {}
    for key, raw in parsed.items():
        if environ.get(key) and environ[key] != raw:
            value = environ[key]
        else:
            value = _expand_value(raw, {**running, **environ}, running)
        value = value.replace("\\$", "$")
        running[key] = value
    result.update(running)
    return result


def _expand_value(value: str, env: Mapping[str, str], running: Mapping[str, str]) -> str:
    seen: set[str] = set()
    result = value
    while (m := _EXPANSION.search(result)) is not None:
        seen.add(result)
        expression = m[1] or m[2]
        op = _OPERATOR.search(expression)
        splitter = op[0] if op else None
        key, *rest = expression.split(splitter) if splitter else [expression]
        found: str | None
        if splitter in (":+", "+"):
            default = (splitter or "").join(rest) if env.get(key) else ""
            found = None
        else:
            default = (splitter or "").join(rest)
            found = env.get(key)
        # unset, empty or self-referencing names take the default
        replacement = found if found and found not in seen else default
        result = result[: m.start()] + replacement + result[m.end() :]
        if result == running.get(key):
            break
    return result


def _switch(environ: Mapping[str, str], name: str, default: bool) -> bool:
    value = environ.get(name)
    if value is None:
        return default
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise DevVarsError(f'Expected {name} to be "true" or "false", but got "{value}"')


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as err:
        raise DevVarsError(f"cannot read: {err}", path) from None


def candidate_files(root: Path, env: str | None) -> tuple[Path, ...]:
    """Every file whose creation, edit or removal can change the local secrets (to watch)."""
    suffixes = ["", ".local"] + ([f".{env}", f".{env}.local"] if env is not None else [])
    dev_vars = [root / ".dev.vars"] + ([root / f".dev.vars.{env}"] if env is not None else [])
    return (*dev_vars, *(root / f".env{suffix}" for suffix in suffixes))


def load_dev_vars(
    root: Path, env: str | None, environ: Mapping[str, str], *, process_env: bool | None = None
) -> DevVars:
    """The local secrets for a project whose config lives in `root`.

    `process_env` forces the process environment in or out (``secrets.required`` brings it
    in); None leaves it to ``CLOUDFLARE_INCLUDE_PROCESS_ENV``.
    """
    candidates = [root / f".dev.vars.{env}"] if env is not None else []
    for path in [*candidates, root / ".dev.vars"]:
        text = _read(path) if path.is_file() else None
        if text is not None:
            values = parse_dotenv(text.removeprefix("\ufeff"))
            return DevVars(values, (path,), dict.fromkeys(values, path))

    if not _switch(environ, LOAD_FROM_DOT_ENV, True):
        return DevVars({}, (), {})
    include = _switch(environ, INCLUDE_PROCESS_ENV, False) if process_env is None else process_env
    names = [".env", ".env.local"]
    if env is not None:
        names += [f".env.{env}", f".env.{env}.local"]
    merged: dict[str, str] = {}
    origins: dict[str, Path] = {}
    for name in names:
        path = root / name
        text = _read(path) if path.is_file() else None
        if text is not None:
            parsed = parse_dotenv(text.removeprefix("\ufeff"))
            merged.update(parsed)
            origins.update(dict.fromkeys(parsed, path))
    values = expand_dotenv(merged, dict(environ) if include else {})
    return DevVars(values, tuple(dict.fromkeys(origins.values())), origins)
