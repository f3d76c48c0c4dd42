"""Parsing: text (JSONC, JSON, TOML) -> plain dict, plus a best-effort map from field path to
line number, so errors point at the line."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from wf.config.errors import (
    ConfigError,
)


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
