"""Fuzz the config loader: generated bad wrangler.jsonc, wrangler.json and wrangler.toml.

A config made bad in one field must raise ConfigError naming the file and that field; text
mangled at random (truncated, a character inserted or dropped, random bytes, deep nesting)
must load or raise ConfigError naming the file. No other exception, ever.
"""

from __future__ import annotations

import copy
import json
import keyword
import re
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import tomlkit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wf.config import ConfigError, load_config
from wf.cron import CronError, parse_cron

FUZZ = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
FORMATS = ("wrangler.jsonc", "wrangler.json", "wrangler.toml")
BASE: dict[str, Any] = {
    "name": "fuzz",
    "main": "src/entry.py",
    "compatibility_date": "2026-08-14",
    "compatibility_flags": ["python_workers"],
    "vars": {"GREETING": "hi"},
    "limits": {"cpu_ms": 1000},
    "workflows": [
        {"name": "wf-a", "binding": "WF_A", "class_name": "A", "limits": {"steps": 10}},
        {"name": "wf-b", "binding": "WF_B", "class_name": "B", "schedules": ["0 * * * *"]},
    ],
    "kv_namespaces": [{"binding": "KV", "id": "kv-id"}],
    "d1_databases": [{"binding": "DB", "database_name": "db", "database_id": "db-id"}],
    "r2_buckets": [{"binding": "BUCKET", "bucket_name": "bucket"}],
    "env": {"staging": {"vars": {"GREETING": "staging"}}},
}


@pytest.fixture(scope="module")
def folders() -> Iterator[Callable[[], Path]]:
    """A fresh project folder (with src/entry.py) per example; hypothesis reuses the fixture."""
    with tempfile.TemporaryDirectory() as top:
        count = iter(range(1_000_000))

        def fresh() -> Path:
            root = Path(top) / f"p{next(count)}"
            (root / "src").mkdir(parents=True)
            (root / "src" / "entry.py").write_text("class A: ...\nclass B: ...\n")
            return root

        yield fresh


def render(config: dict[str, Any], filename: str) -> str:
    if filename.endswith(".toml"):
        return tomlkit.dumps(config)
    text = json.dumps(config, indent=2, ensure_ascii=False)
    if filename.endswith(".jsonc"):  # comments and trailing commas, as people write them
        text = "// generated\n" + re.sub(r"(\S)\n(\s*[}\]])", r"\1,\n\2", text)
    return text


def test_the_base_config_loads_in_every_format(folders) -> None:
    for filename in FORMATS:
        root = folders()
        (root / filename).write_text(render(BASE, filename))
        config = load_config(root, environ={})
        assert [w.name for w in config.workflows] == ["wf-a", "wf-b"]


# -- one field made bad ---------------------------------------------------------------------------

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
SCALARS = st.one_of(st.booleans(), st.integers(-(10**6), 10**6), st.floats(-1e6, 1e6), TEXT)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(TEXT.filter(bool), inner, max_size=3)
    ),
    max_leaves=6,
)
NOT_STRING = VALUES.filter(lambda v: not isinstance(v, str))
NOT_LIST = VALUES.filter(lambda v: not isinstance(v, list))
NOT_OBJECT = VALUES.filter(lambda v: not isinstance(v, dict))
NOT_IDENTIFIER = TEXT.filter(lambda s: not s.isidentifier() or keyword.iskeyword(s))
NOT_INT = VALUES.filter(lambda v: not isinstance(v, int) or isinstance(v, bool))
BAD_DATES = st.one_of(
    st.sampled_from(["2026-02-30", "2026-13-01", "26-01-01", "2026/01/01", "2026-1-1", "today"]),
    TEXT.filter(lambda s: not re.fullmatch(r"\d{4}-\d{2}-\d{2}", s)),
)
BAD_CRONS = st.one_of(
    st.sampled_from(["", " ", "* * *", "61 * * * *", "* 25 * * *", "a b c d e", "*/0 * * * *"]),
    st.text(alphabet="*/,-0123456789 abcXYZ?#LW", min_size=1, max_size=30).filter(
        lambda s: not _is_cron(s)
    ),
)


def _is_cron(text: str) -> bool:
    if not text.strip() or len(text) > 256:
        return False
    try:
        parse_cron(text)
    except CronError:
        return False
    return True


BAD_NAMES = st.one_of(
    st.just("x" * 65),
    TEXT.filter(lambda s: bool(s) and not re.fullmatch(r"[a-zA-Z0-9_][a-zA-Z0-9-_]*", s)),
)


def _set(config: dict[str, Any], path: list[str | int], value: Any) -> None:
    node: Any = config
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


def _drop(config: dict[str, Any], path: list[str | int]) -> None:
    node: Any = config
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]


def _field(path: list[str | int]) -> str:
    text = ""
    for key in path:
        text = f"{text}[{key}]" if isinstance(key, int) else (f"{text}.{key}" if text else key)
    return text


# (where, how to make it bad): each value of the strategy makes exactly that field invalid.
SET_BAD: list[tuple[list[str | int], st.SearchStrategy[Any]]] = [
    (["name"], st.one_of(NOT_STRING, st.just(""))),
    (["main"], st.one_of(NOT_STRING, st.just("src/entry.js"), st.just("src/missing.py"))),
    (["compatibility_date"], st.one_of(NOT_STRING, BAD_DATES)),
    (["compatibility_flags"], NOT_LIST),
    (["vars"], NOT_OBJECT),
    (["limits"], NOT_OBJECT),
    (["limits", "cpu_ms"], st.one_of(NOT_INT, st.integers(max_value=0), st.integers(300_001))),
    (["workflows"], NOT_LIST),
    (["workflows", 1], NOT_OBJECT),
    (["workflows", 0, "name"], st.one_of(NOT_STRING, BAD_NAMES)),
    (["workflows", 0, "binding"], st.one_of(NOT_STRING, NOT_IDENTIFIER)),
    (["workflows", 1, "class_name"], st.one_of(NOT_STRING, NOT_IDENTIFIER.filter(bool))),
    (["workflows", 0, "limits"], NOT_OBJECT),
    (["workflows", 0, "limits", "steps"], st.one_of(NOT_INT, st.integers(max_value=0))),
    (["workflows", 1, "schedules"], NOT_LIST),
    (["workflows", 1, "schedules", 0], st.one_of(NOT_STRING, BAD_CRONS)),
    (["kv_namespaces"], NOT_LIST),
    (["kv_namespaces", 0, "binding"], st.one_of(NOT_STRING, NOT_IDENTIFIER)),
    (["kv_namespaces", 0, "id"], NOT_STRING),
    (["d1_databases", 0], NOT_OBJECT),
    (["d1_databases", 0, "database_id"], st.one_of(NOT_STRING, st.just(""))),
    (["d1_databases", 0, "migrations_table"], st.sampled_from(["a b", "x;drop", "", "1-2"])),
    (["r2_buckets", 0, "binding"], st.one_of(NOT_STRING, NOT_IDENTIFIER)),
    (["env"], NOT_OBJECT),
]
DROP_REQUIRED: list[list[str | int]] = [
    ["name"],
    ["main"],
    ["workflows", 0, "name"],
    ["workflows", 0, "binding"],
    ["workflows", 1, "class_name"],
    ["kv_namespaces", 0, "binding"],
    ["r2_buckets", 0, "binding"],
]
CLASHES: list[tuple[list[str | int], Any, str]] = [
    (["workflows", 1, "name"], "wf-a", "workflows[1].name"),
    (["workflows", 1, "binding"], "WF_A", "workflows[1].binding"),
    (["kv_namespaces", 0, "binding"], "WF_A", "kv_namespaces[0].binding"),
    (["r2_buckets", 0, "binding"], "DB", "r2_buckets[0].binding"),
    (["vars"], {"WF_B": "x"}, "vars.WF_B"),
    (
        ["compatibility_flags"],
        [
            "python_workflows_implicit_dependencies",
            "no_python_workflows_implicit_dependencies",
        ],
        "compatibility_flags",
    ),
]


@st.composite
def bad_configs(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    """The base config with one field made bad, and that field's path."""
    config = copy.deepcopy(BASE)
    how = draw(st.sampled_from(["set", "drop", "clash"]))
    if how == "set":
        path, values = draw(st.sampled_from(SET_BAD))
        _set(config, path, draw(values))
        return config, _field(path)
    if how == "drop":
        path = draw(st.sampled_from(DROP_REQUIRED))
        _drop(config, path)
        return config, _field(path)
    path, value, where = draw(st.sampled_from(CLASHES))
    _set(config, path, value)
    return config, where


@FUZZ
@given(bad=bad_configs(), filename=st.sampled_from(FORMATS))
def test_a_bad_field_is_a_config_error_naming_it(folders, bad, filename) -> None:
    config, field = bad
    root = folders()
    (root / filename).write_text(render(config, filename), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(root, environ={})
    message = str(caught.value)
    assert filename in message, message
    assert f"{field}: " in message, (field, message)


@FUZZ
@given(
    config=bad_configs(),
    env=st.one_of(st.none(), st.just("staging"), TEXT.filter(lambda s: s != "staging")),
)
def test_environments_are_checked_too(folders, config, env) -> None:
    bad, _ = config
    bad = copy.deepcopy(bad)
    if isinstance(bad.get("env"), dict):
        bad["env"]["staging"] = {k: v for k, v in bad.items() if k in ("workflows", "vars")}
    root = folders()
    # Plain JSON: json5, which reads JSONC, takes ~50 ms a file and is covered above.
    (root / "wrangler.json").write_text(render(bad, "wrangler.json"), encoding="utf-8")
    try:
        load_config(root, env, environ={})
    except ConfigError as exc:
        assert "wrangler.json" in str(exc), str(exc)


# -- text mangled at random -----------------------------------------------------------------------


@st.composite
def mangled(draw: st.DrawFn) -> tuple[bytes, str]:
    filename = draw(st.sampled_from(FORMATS))
    text = render(BASE, filename).encode()
    kind = draw(st.sampled_from(["truncate", "insert", "drop", "bytes", "deep", "number"]))
    if kind == "truncate":
        text = text[: draw(st.integers(0, len(text) - 1))]
    elif kind == "insert":
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.binary(min_size=1, max_size=4)) + text[at:]
    elif kind == "drop":
        at = draw(st.integers(0, len(text) - 1))
        text = text[:at] + text[at + draw(st.integers(1, 8)) :]
    elif kind == "bytes":
        text = draw(st.binary(max_size=200))
    elif kind == "deep":
        depth = draw(st.integers(500, 3_000))
        opener, closer = (
            (b"a = " + b"[" * depth, b"]" * depth)
            if filename.endswith(".toml")
            else (b'{"name": ' + b"[" * depth, b"]" * depth + b"}")
        )
        text = opener + closer
    else:
        digits = draw(st.integers(300, 10_000))
        value = b"9" * digits
        text = text.replace(b"1000", value, 1)
    return text, filename


@FUZZ
@given(case=mangled())
def test_mangled_text_loads_or_is_a_config_error(folders, case) -> None:
    data, filename = case
    root = folders()
    (root / filename).write_bytes(data)
    try:
        load_config(root, environ={})
    except ConfigError as exc:
        assert filename in str(exc) or "no wrangler" in str(exc), str(exc)


@FUZZ
@given(dev_vars=st.binary(max_size=300))
def test_any_dev_vars_file_loads_or_is_a_config_error(folders, dev_vars: bytes) -> None:
    root = folders()
    (root / "wrangler.json").write_text(render(BASE, "wrangler.json"))
    (root / ".dev.vars").write_bytes(dev_vars)
    try:
        load_config(root, environ={})
    except ConfigError as exc:
        assert ".dev.vars" in str(exc), str(exc)
