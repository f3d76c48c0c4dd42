"""wf.config: wrangler.jsonc|json|toml (+ .dev.vars) -> Config."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from wf.config import (
    CONFIG_FILENAMES,
    Config,
    ConfigError,
    WorkflowConfig,
    find_config,
    load_config,
)


@pytest.fixture(autouse=True)
def _cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # error messages show paths relative to the working directory
    monkeypatch.chdir(tmp_path)


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return root


def project(root: Path, config_name: str, config_text: str, **extra: str) -> Path:
    """A project with `config_name` and an entry module at src/entry.py."""
    return write(root, {"src/entry.py": "", config_name: config_text, **extra})


def jsonc_project(root: Path, config: dict, **extra: str) -> Path:
    base = {"name": "app", "main": "src/entry.py"}
    return project(root, "wrangler.jsonc", json.dumps({**base, **config}, indent=2), **extra)


def load_error(root: Path, config: dict, env: str | None = None) -> ConfigError:
    jsonc_project(root, config)
    with pytest.raises(ConfigError) as info:
        load_config(root, env=env)
    return info.value


WF = {"name": "wf", "binding": "MY_WF", "class_name": "MyWorkflow"}

JSONC = """\
// a comment before everything
{
  "$schema": "node_modules/wrangler/config-schema.json",
  "name": "workflows-starter",
  "main": "src/entry.py", /* block comment */
  "compatibility_date": "2026-08-14",
  "compatibility_flags": ["python_workers", "python_workflows",],
  "workflows": [
    {
      "name": "workflows-starter",
      "binding": "MY_WORKFLOW",
      "class_name": "MyWorkflow",
      "limits": { "steps": 25000 },
      "schedules": ["0 * * * *"],
    },
  ],
  "vars": { "GREETING": "hi", "NUM": 3 },
  "kv_namespaces": [{ "binding": "KV", "id": "..." }],
  "limits": { "cpu_ms": 300000 },
  "observability": { "enabled": true },
}
"""

TOML = """\
name = "workflows-starter"
main = "src/entry.py"
compatibility_date = "2026-08-14"
compatibility_flags = ["python_workers", "python_workflows"]

[[workflows]]
name = "workflows-starter"
binding = "MY_WORKFLOW"
class_name = "MyWorkflow"
schedules = ["0 * * * *"]
[workflows.limits]
steps = 25_000

[[workflows]]
name = "billing"
binding = "BILLING"
script_name = "billing-worker"

[vars]
GREETING = "hi"

[[kv_namespaces]]
binding = "KV"
id = "..."
"""


# -- formats and discovery


def test_jsonc_with_comments_and_trailing_commas(tmp_path: Path) -> None:
    project(tmp_path, "wrangler.jsonc", JSONC)
    config = load_config(tmp_path)
    assert config.path == tmp_path / "wrangler.jsonc"
    assert config.path.is_absolute()
    assert config.root == tmp_path
    assert config.name == "workflows-starter"
    assert config.main == tmp_path / "src" / "entry.py"
    assert config.compatibility_date == "2026-08-14"
    assert config.compatibility_flags == ("python_workers", "python_workflows")
    assert dict(config.vars) == {"GREETING": "hi", "NUM": 3}
    assert config.env_name is None
    assert config.workflows == (
        WorkflowConfig(
            name="workflows-starter",
            binding="MY_WORKFLOW",
            class_name="MyWorkflow",
            script_name=None,
            step_limit=25000,
            schedules=("0 * * * *",),
        ),
    )


def test_json(tmp_path: Path) -> None:
    jsonc_project(tmp_path, {"workflows": [WF]})
    (tmp_path / "wrangler.jsonc").rename(tmp_path / "wrangler.json")
    config = load_config(tmp_path / "wrangler.json")
    assert config.path.name == "wrangler.json"
    assert config.workflow("wf").binding == "MY_WF"
    assert config.compatibility_date is None
    assert config.compatibility_flags == ()
    assert dict(config.vars) == {}


def test_toml_with_array_of_tables_and_subtables(tmp_path: Path) -> None:
    project(tmp_path, "wrangler.toml", TOML)
    config = load_config(tmp_path)
    assert config.name == "workflows-starter"
    assert config.compatibility_flags == ("python_workers", "python_workflows")
    assert dict(config.vars) == {"GREETING": "hi"}
    first, second = config.workflows
    assert first == WorkflowConfig(
        "workflows-starter", "MY_WORKFLOW", "MyWorkflow", None, 25000, ("0 * * * *",)
    )
    assert second == WorkflowConfig("billing", "BILLING", None, "billing-worker", 10_000, ())
    assert config.workflow_by_binding("BILLING") is second


def test_discovery_order(tmp_path: Path) -> None:
    assert CONFIG_FILENAMES == ("wrangler.jsonc", "wrangler.json", "wrangler.toml")
    write(tmp_path, {"src/entry.py": ""})
    (tmp_path / "wrangler.toml").write_text('name = "from-toml"\nmain = "src/entry.py"\n')
    assert find_config(tmp_path) == tmp_path / "wrangler.toml"
    assert load_config(tmp_path).name == "from-toml"
    (tmp_path / "wrangler.json").write_text('{"name": "from-json", "main": "src/entry.py"}')
    assert load_config(tmp_path).name == "from-json"
    (tmp_path / "wrangler.jsonc").write_text('{"name": "from-jsonc", "main": "src/entry.py"}')
    assert find_config(str(tmp_path)) == tmp_path / "wrangler.jsonc"
    assert load_config(str(tmp_path)).name == "from-jsonc"
    # an explicit file beats discovery
    assert load_config(tmp_path / "wrangler.toml").name == "from-toml"


def test_no_config_names_the_directory(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ConfigError) as info:
        find_config(empty)
    assert str(info.value).startswith("empty: no wrangler.jsonc, wrangler.json, wrangler.toml")
    with pytest.raises(ConfigError):
        load_config(empty)
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "nope.jsonc")


def test_config_is_immutable(tmp_path: Path) -> None:
    jsonc_project(tmp_path, {"vars": {"A": "1"}, "workflows": [WF]})
    config = load_config(tmp_path)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.name = "other"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.workflows[0].step_limit = 3  # type: ignore[misc]
    with pytest.raises(TypeError):
        config.vars["A"] = "2"  # type: ignore[index]
    assert isinstance(config.workflows, tuple)
    hash(config)


def test_workflow_lookup(tmp_path: Path) -> None:
    jsonc_project(tmp_path, {"workflows": [WF]})
    config = load_config(tmp_path)
    assert config.workflow("wf") is config.workflow_by_binding("MY_WF")
    with pytest.raises(KeyError, match="have: wf"):
        config.workflow("other")
    with pytest.raises(KeyError, match="have: MY_WF"):
        config.workflow_by_binding("OTHER")


# -- syntax errors


@pytest.mark.parametrize(
    ("text", "line", "column", "message"),
    [
        ('{\n  "name": "app",\n  "main": "src/entry.py",\n  "x": }\n', 4, 8, 'Unexpected "}"'),
        ('{\n  // comment\n  "name": "app"\n  "main": "m.py"\n}\n', 4, 3, 'Unexpected """'),
        ('{\n  "name": tru\n}\n', 2, 14, "Unexpected end of line"),
        ('{"name": "app"', 1, 15, "Unexpected end of input"),
        ("", 1, 1, "empty file"),
    ],
)
def test_jsonc_syntax_error_has_line_and_column(
    tmp_path: Path, text: str, line: int, column: int, message: str
) -> None:
    (tmp_path / "wrangler.jsonc").write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    err = info.value
    assert (err.line, err.column) == (line, column)
    assert err.path == tmp_path / "wrangler.jsonc"
    assert err.field is None
    assert str(err) == f"wrangler.jsonc:{line}:{column}: syntax error: {message}"


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ('name = "app"\nmain = \n', 2, 8),
        ('name = "app"\n[[workflows]\n', 2, 13),
        ('name = "app"\nname = "again"\n', 2, 1),
    ],
)
def test_toml_syntax_error_has_line_and_column(
    tmp_path: Path, text: str, line: int, column: int
) -> None:
    (tmp_path / "wrangler.toml").write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    err = info.value
    assert (err.line, err.column) == (line, column)
    assert str(err).startswith(f"wrangler.toml:{line}:{column}: syntax error: ")
    assert " at line " not in str(err)


def test_error_path_is_absolute_outside_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "wrangler.jsonc").write_text("{")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "proj")
    assert str(info.value).startswith(f"{tmp_path / 'proj' / 'wrangler.jsonc'}:1:2: ")


# -- semantic errors


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"name": None}, "name: must be a string (got null)"),
        ({"name": ""}, "name: must not be empty"),
        ({"compatibility_date": "2026-8-14"}, "compatibility_date: must be YYYY-MM-DD"),
        ({"compatibility_date": "2026-02-30"}, "compatibility_date: must be YYYY-MM-DD"),
        ({"compatibility_flags": "python_workers"}, "compatibility_flags: must be an array"),
        ({"compatibility_flags": ["a", 1]}, "compatibility_flags[1]: must be a string"),
        ({"vars": ["A"]}, "vars: must be an object"),
        ({"workflows": {}}, "workflows: must be an array"),
        ({"workflows": ["wf"]}, "workflows[0]: must be an object"),
        ({"workflows": [{**WF, "name": 3}]}, "workflows[0].name: must be a string"),
        ({"workflows": [{**WF, "name": "a b"}]}, "workflows[0].name: must match"),
        ({"workflows": [{**WF, "name": "-a"}]}, "workflows[0].name: must match"),
        ({"workflows": [{**WF, "name": "a" * 65}]}, "workflows[0].name: must be at most 64"),
        ({"workflows": [{**WF, "binding": 1}]}, "workflows[0].binding: must be a string"),
        ({"workflows": [{**WF, "binding": "MY-WF"}]}, "workflows[0].binding: must be a valid"),
        ({"workflows": [{**WF, "binding": "class"}]}, "workflows[0].binding: must be a valid"),
        ({"workflows": [{"name": "wf", "class_name": "C"}]}, "workflows[0].binding: required"),
        ({"workflows": [{"binding": "B", "class_name": "C"}]}, "workflows[0].name: required"),
        (
            {"workflows": [WF, {"name": "other", "binding": "OTHER"}]},
            "workflows[1].class_name: required",
        ),
        (
            {"workflows": [WF, {**WF, "name": "x", "binding": "X"}, {**WF, "binding": "Y"}]},
            'workflows[2].name: duplicate workflow name "wf"',
        ),
        (
            {"workflows": [WF, {**WF, "name": "other"}]},
            'workflows[1].binding: duplicate binding "MY_WF"',
        ),
        (
            {"workflows": [{**WF, "schedules": "0 * * * *"}]},
            "workflows[0].schedules: must be an array",
        ),
        ({"workflows": [{**WF, "limits": 5}]}, "workflows[0].limits: must be an object"),
        ({"vars": {"MY_WF": "x"}, "workflows": [WF]}, "vars.MY_WF: name already used"),
        ({"env": []}, "env: must be an object"),
        (
            {
                "compatibility_flags": [
                    "python_workflows_implicit_dependencies",
                    "no_python_workflows_implicit_dependencies",
                ]
            },
            "compatibility_flags: python_workflows_implicit_dependencies and no_",
        ),
    ],
)
def test_semantic_error_names_its_field(tmp_path: Path, config: dict, expected: str) -> None:
    err = load_error(tmp_path, config)
    assert err.path == tmp_path / "wrangler.jsonc"
    assert err.column is None
    assert err.field == expected.split(":")[0]
    assert expected in str(err)
    assert str(err).startswith("wrangler.jsonc:")


def test_required_top_level_fields(tmp_path: Path) -> None:
    (tmp_path / "wrangler.jsonc").write_text('{"main": "src/entry.py"}')
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert str(info.value) == "wrangler.jsonc: name: required"
    (tmp_path / "wrangler.jsonc").write_text('{"name": "app"}')
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert str(info.value) == "wrangler.jsonc: main: required"
    (tmp_path / "wrangler.jsonc").write_text("[1, 2]")
    with pytest.raises(ConfigError, match="top level must be an object"):
        load_config(tmp_path)


def test_semantic_error_line_numbers_jsonc(tmp_path: Path) -> None:
    text = """\
{
  // the worker
  name: 'app',
  "main": "src/entry.py",
  "workflows": [
    { "name": "a", "binding": "A", "class_name": "A" },
    {
      "name": "b",
      "binding": "B",
    },
    {
      "name": "c",
      "binding": "C",
      "class_name": "C",
      "limits": {
        "steps": 0,
      },
    },
  ],
}
"""
    project(tmp_path, "wrangler.jsonc", text)
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    # a missing field points at the entry that lacks it
    assert str(info.value) == "wrangler.jsonc:7: workflows[1].class_name: required"
    assert info.value.line == 7
    (tmp_path / "wrangler.jsonc").write_text(
        text.replace('"binding": "B",', '"binding": "B",\n      "class_name": "B",')
    )
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert str(info.value) == (
        "wrangler.jsonc:17: workflows[2].limits.steps: must be an integer between 1 and 25000"
    )


def test_plain_json_reads_as_json5_would(tmp_path: Path) -> None:
    # Plain JSON takes the json module's fast path; escapes and line numbers stay as in JSON5.
    text = """\
{
  "name": "app",
  "main": "src/entry.py",
  "vars": {"caf\\u00e9": "\\ud83d\\ude00", "n": 1e3},
  "workflows": [
    {
      "name": "a",
      "binding": "A"
    }
  ]
}
"""
    project(tmp_path, "wrangler.json", text)
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert str(info.value) == "wrangler.json:6: workflows[0].class_name: required"
    (tmp_path / "wrangler.json").write_text(text.replace('"A"', '"A", "class_name": "A"'))
    assert dict(load_config(tmp_path).vars) == {"caf\u00e9": "\U0001f600", "n": 1000.0}


def test_semantic_error_line_numbers_toml(tmp_path: Path) -> None:
    text = TOML.replace("steps = 25_000", "steps = 25_001")
    project(tmp_path, "wrangler.toml", text)
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert str(info.value) == (
        "wrangler.toml:12: workflows[0].limits.steps: must be an integer between 1 and 25000"
    )
    text = TOML.replace('script_name = "billing-worker"', "")
    (tmp_path / "wrangler.toml").write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert str(info.value) == "wrangler.toml:14: workflows[1].class_name: required"


def test_toml_unquoted_date_is_rejected(tmp_path: Path) -> None:
    project(
        tmp_path,
        "wrangler.toml",
        'name = "a"\nmain = "src/entry.py"\ncompatibility_date = 2026-08-14\n',
    )
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert str(info.value) == (
        'wrangler.toml:3: compatibility_date: must be a string: quote it, "2026-08-14"'
    )


def test_missing_main_file(tmp_path: Path) -> None:
    (tmp_path / "wrangler.jsonc").write_text('{\n  "name": "app",\n  "main": "src/entry.py"\n}')
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert str(info.value) == "wrangler.jsonc:3: main: file src/entry.py does not exist"
    (tmp_path / "src" / "entry.py").mkdir(parents=True)
    with pytest.raises(ConfigError, match=r"main: file src/entry\.py is not a file"):
        load_config(tmp_path)


def test_main_must_be_python(tmp_path: Path) -> None:
    write(tmp_path, {"src/index.js": ""})
    err = load_error(tmp_path, {"main": "src/index.js"})
    assert "main: must be a Python module ending in .py" in str(err)


def test_main_is_resolved_against_the_config_directory(tmp_path: Path) -> None:
    write(tmp_path, {"shared/entry.py": ""})
    jsonc_project(tmp_path / "app", {"main": "../shared/entry.py"})
    config = load_config(tmp_path / "app" / "wrangler.jsonc")
    assert config.main == tmp_path / "shared" / "entry.py"


def test_unknown_keys_are_ignored(tmp_path: Path) -> None:
    config = {
        "d1_databases": [{"binding": "DB"}],
        "r2_buckets": [],
        "observability": {"enabled": True},
        "whatever": 1,
        "workflows": [{**WF, "unknown": True}],
    }
    jsonc_project(tmp_path, config)
    assert load_config(tmp_path).workflow("wf").class_name == "MyWorkflow"


# -- step limits


@pytest.mark.parametrize(
    ("limits", "expected"),
    [(None, 10_000), ({}, 10_000), ({"steps": 1}, 1), ({"steps": 25_000}, 25_000)],
)
def test_step_limit(tmp_path: Path, limits: dict | None, expected: int) -> None:
    wf = {**WF} if limits is None else {**WF, "limits": limits}
    jsonc_project(tmp_path, {"workflows": [wf]})
    assert load_config(tmp_path).workflow("wf").step_limit == expected


@pytest.mark.parametrize("steps", [0, -1, 25_001, 1.5, "100", True, None])
def test_step_limit_bounds(tmp_path: Path, steps: object) -> None:
    err = load_error(tmp_path, {"workflows": [{**WF, "limits": {"steps": steps}}]})
    assert err.field == "workflows[0].limits.steps"
    assert err.message == "must be an integer between 1 and 25000"


# -- environments


ENVS = {
    "compatibility_date": "2026-01-01",
    "compatibility_flags": ["python_workers"],
    "vars": {"TOP": "1"},
    "workflows": [WF],
    "env": {
        "staging": {
            "vars": {"STAGE": "yes"},
            "workflows": [{"name": "wf-staging", "binding": "MY_WF", "class_name": "MyWorkflow"}],
        },
        "bare": {},
        "renamed": {"name": "custom", "compatibility_date": "2026-03-01"},
    },
}


def test_no_env_ignores_env_sections(tmp_path: Path) -> None:
    jsonc_project(tmp_path, ENVS)
    config = load_config(tmp_path)
    assert config.name == "app"
    assert dict(config.vars) == {"TOP": "1"}
    assert [w.name for w in config.workflows] == ["wf"]


def test_env_overrides_top_level(tmp_path: Path) -> None:
    jsonc_project(tmp_path, ENVS)
    config = load_config(tmp_path, env="staging")
    assert config.env_name == "staging"
    assert config.name == "app-staging"
    assert config.main == tmp_path / "src" / "entry.py"
    assert config.compatibility_date == "2026-01-01"
    assert config.compatibility_flags == ("python_workers",)
    assert dict(config.vars) == {"STAGE": "yes"}
    assert [w.name for w in config.workflows] == ["wf-staging"]

    renamed = load_config(tmp_path, env="renamed")
    assert renamed.name == "custom"
    assert renamed.compatibility_date == "2026-03-01"


def test_env_does_not_inherit_vars_or_workflows(tmp_path: Path) -> None:
    jsonc_project(tmp_path, ENVS)
    config = load_config(tmp_path, env="bare")
    assert config.name == "app-bare"
    assert dict(config.vars) == {}
    assert config.workflows == ()


def test_unknown_env(tmp_path: Path) -> None:
    err = load_error(tmp_path, ENVS, env="prod")
    assert err.field == "env.prod"
    assert err.message == "no such environment (have: staging, bare, renamed)"
    err = load_error(tmp_path, {}, env="prod")
    assert err.message == "no such environment (have: none)"


def test_env_errors_name_the_env_field(tmp_path: Path) -> None:
    text = """\
{
  "name": "app",
  "main": "src/entry.py",
  "env": {
    "staging": {
      "workflows": [
        { "name": "wf", "class_name": "C" }
      ]
    }
  }
}
"""
    project(tmp_path, "wrangler.jsonc", text)
    assert load_config(tmp_path).workflows == ()
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path, env="staging")
    assert str(info.value) == "wrangler.jsonc:7: env.staging.workflows[0].binding: required"


def test_toml_env_sections(tmp_path: Path) -> None:
    text = (
        TOML
        + """
[env.staging]
name = "stage"
[env.staging.vars]
STAGE = "yes"
[[env.staging.workflows]]
name = "wf-staging"
binding = "WF"
class_name = "MyWorkflow"
[env.staging.workflows.limits]
steps = 0
"""
    )
    project(tmp_path, "wrangler.toml", text)
    assert load_config(tmp_path).name == "workflows-starter"
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path, env="staging")
    assert str(info.value) == (
        "wrangler.toml:35: env.staging.workflows[0].limits.steps: "
        "must be an integer between 1 and 25000"
    )
    (tmp_path / "wrangler.toml").write_text(text.replace("steps = 0", "steps = 7"))
    config = load_config(tmp_path, env="staging")
    assert config.name == "stage"
    assert dict(config.vars) == {"STAGE": "yes"}
    assert config.workflows == (WorkflowConfig("wf-staging", "WF", "MyWorkflow", None, 7, ()),)


# -- .dev.vars


DEV_VARS = """\
# local secrets
API_KEY=secret
export EXPORTED=1
SPACED = padded value   # trailing comment
SINGLE='single # not a comment'
DOUBLE="line1\\nline2"
EMPTY=
GREETING=from-dev-vars
not a line
"""


def test_dev_vars_merge_and_win(tmp_path: Path) -> None:
    jsonc_project(tmp_path, {"vars": {"GREETING": "hi", "KEEP": 1}}, **{".dev.vars": DEV_VARS})
    assert dict(load_config(tmp_path).vars) == {
        "GREETING": "from-dev-vars",
        "KEEP": 1,
        "API_KEY": "secret",
        "EXPORTED": "1",
        "SPACED": "padded value",
        "SINGLE": "single # not a comment",
        "DOUBLE": "line1\nline2",
        "EMPTY": "",
    }


def test_dev_vars_per_env(tmp_path: Path) -> None:
    files = {".dev.vars": "A=base\n", ".dev.vars.staging": "A=staging\n"}
    jsonc_project(tmp_path, ENVS, **files)
    assert load_config(tmp_path).vars["A"] == "base"
    assert load_config(tmp_path, env="staging").vars["A"] == "staging"
    # no .dev.vars.bare: fall back to .dev.vars
    assert load_config(tmp_path, env="bare").vars["A"] == "base"


def test_dev_vars_cannot_shadow_a_workflow_binding(tmp_path: Path) -> None:
    jsonc_project(tmp_path, {"workflows": [WF]}, **{".dev.vars": "MY_WF=x\n"})
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert str(info.value) == ".dev.vars: MY_WF: name already used by a workflow binding"


# -- implicit dependencies


@pytest.mark.parametrize(
    ("date", "flags", "expected"),
    [
        ("2026-02-25", ["python_workers"], True),
        ("2026-02-24", ["python_workers"], False),
        ("2026-02-25", [], True),  # python_workers implied: wf runs only Python
        ("2025-09-01", [], False),
        (None, ["python_workers"], True),  # wrangler falls back to today's date
        ("2025-09-01", ["python_workers", "python_workflows_implicit_dependencies"], True),
        ("2026-08-14", ["python_workers", "no_python_workflows_implicit_dependencies"], False),
    ],
)
def test_implicit_dependencies(
    tmp_path: Path, date: str | None, flags: list[str], expected: bool
) -> None:
    config: dict = {"compatibility_flags": flags}
    if date is not None:
        config["compatibility_date"] = date
    jsonc_project(tmp_path, config)
    loaded = load_config(tmp_path)
    assert isinstance(loaded, Config)
    assert loaded.implicit_dependencies is expected


def test_cpu_limit_defaults_and_bounds(tmp_path: Path) -> None:
    from wf.config import ConfigError, load_config

    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "entry.py").write_text("")
    base = '{"name": "w", "main": "src/entry.py"%s}'
    (tmp_path / "wrangler.json").write_text(base % "")
    assert load_config(tmp_path).cpu_ms == 30_000
    (tmp_path / "wrangler.json").write_text(base % ', "limits": {"cpu_ms": 500}')
    assert load_config(tmp_path).cpu_ms == 500
    (tmp_path / "wrangler.json").write_text(base % ', "limits": {"cpu_ms": 0}')
    with pytest.raises(ConfigError, match=r"limits\.cpu_ms: must be an integer between 1"):
        load_config(tmp_path)
