"""Local secrets as current wrangler dev loads them: .dev.vars, .env files, secrets.required."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wf.config import ConfigError, load_config
from wf.dev_vars import candidate_files, expand_dotenv, parse_dotenv


@pytest.fixture(autouse=True)
def _cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # messages show paths relative to the working directory


def project(root: Path, config: dict | None = None, **files: str) -> Path:
    (root / "src").mkdir(exist_ok=True)
    (root / "src" / "entry.py").write_text("")
    base = {"name": "app", "main": "src/entry.py"}
    (root / "wrangler.jsonc").write_text(json.dumps({**base, **(config or {})}, indent=2))
    for name, text in files.items():
        (root / name).write_text(text)
    return root


def local_vars(root: Path, env: str | None = None, **environ: str) -> dict:
    config = load_config(root, env=env, environ=environ)
    return {k: v for k, v in config.vars.items()}


# -- which files


def test_env_files_load_when_there_is_no_dev_vars(tmp_path: Path) -> None:
    project(tmp_path, {"vars": {"A": "config"}}, **{".env": "A=env\nB=env\n"})
    assert local_vars(tmp_path) == {"A": "env", "B": "env"}
    assert load_config(tmp_path, environ={}).dev_vars_files == (tmp_path / ".env",)


def test_dev_vars_wins_and_env_files_are_then_not_read(tmp_path: Path) -> None:
    project(tmp_path, **{".dev.vars": "A=dev\n", ".env": "A=env\nB=env\n"})
    assert local_vars(tmp_path) == {"A": "dev"}


def test_env_specific_dev_vars_replaces_dev_vars(tmp_path: Path) -> None:
    config = {"env": {"staging": {}}}
    files = {".dev.vars": "A=base\nB=base\n", ".dev.vars.staging": "A=staging\n"}
    project(tmp_path, config, **files)
    assert local_vars(tmp_path, env="staging") == {"A": "staging"}


def test_env_files_merge_in_wranglers_order(tmp_path: Path) -> None:
    files = {
        ".env": "A=env\nB=env\nC=env\nD=env\n",
        ".env.local": "B=local\nC=local\nD=local\n",
        ".env.staging": "C=staging\nD=staging\n",
        ".env.staging.local": "D=staging-local\n",
    }
    project(tmp_path, {"env": {"staging": {}}}, **files)
    assert local_vars(tmp_path, env="staging") == {
        "A": "env",
        "B": "local",
        "C": "staging",
        "D": "staging-local",
    }
    # without --env only .env and .env.local count
    assert local_vars(tmp_path) == {"A": "env", "B": "local", "C": "local", "D": "local"}


def test_dot_env_loading_can_be_switched_off(tmp_path: Path) -> None:
    project(tmp_path, **{".env": "A=env\n"})
    assert local_vars(tmp_path, CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV="false") == {}
    assert local_vars(tmp_path, CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV="TRUE") == {"A": "env"}


def test_a_switch_that_is_not_a_boolean_is_an_error(tmp_path: Path) -> None:
    project(tmp_path, **{".env": "A=env\n"})
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path, environ={"CLOUDFLARE_INCLUDE_PROCESS_ENV": "yes"})
    assert str(info.value) == (
        'Expected CLOUDFLARE_INCLUDE_PROCESS_ENV to be "true" or "false", but got "yes"'
    )


def test_process_env_joins_only_when_asked(tmp_path: Path) -> None:
    project(tmp_path, **{".env": "A=file\nB=file\n"})
    assert local_vars(tmp_path, A="process", OTHER="x") == {"A": "file", "B": "file"}
    included = local_vars(tmp_path, A="process", OTHER="x", CLOUDFLARE_INCLUDE_PROCESS_ENV="true")
    # a non-empty process value beats the file's, as dotenv-expand decides
    assert included["A"] == "process"
    assert included["B"] == "file"
    assert included["OTHER"] == "x"


def test_process_env_never_replaces_a_workflow_binding(tmp_path: Path) -> None:
    wf = {"name": "wf", "binding": "MY_WF", "class_name": "MyWorkflow"}
    project(tmp_path, {"workflows": [wf]}, **{".env": "A=1\n"})
    config = load_config(tmp_path, environ={"MY_WF": "x", "CLOUDFLARE_INCLUDE_PROCESS_ENV": "true"})
    assert "MY_WF" not in config.vars


def test_an_env_file_key_shadowing_a_binding_names_the_file(tmp_path: Path) -> None:
    wf = {"name": "wf", "binding": "MY_WF", "class_name": "MyWorkflow"}
    project(tmp_path, {"workflows": [wf]}, **{".env.local": "MY_WF=x\n"})
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path, environ={})
    assert str(info.value) == ".env.local: MY_WF: name already used by a workflow binding"


# -- .env expansion (dotenv-expand), which .dev.vars never gets


def test_env_files_expand_references_and_dev_vars_does_not(tmp_path: Path) -> None:
    text = "HOST=example.com\nURL=https://${HOST}/x\nBARE=$HOST\nLIT=\\$HOST\n"
    project(tmp_path, **{".env": text})
    assert local_vars(tmp_path) == {
        "HOST": "example.com",
        "URL": "https://example.com/x",
        "BARE": "example.com",
        "LIT": "$HOST",
    }
    (tmp_path / ".dev.vars").write_text(text)
    assert local_vars(tmp_path)["URL"] == "https://${HOST}/x"


def test_expansion_defaults_and_alternatives() -> None:
    parsed = {
        "SET": "v",
        "EMPTY": "",
        "A": "${MISSING:-dflt}",
        "B": "${SET:+alt}",
        "C": "${EMPTY:-e}",
    }
    assert expand_dotenv(parsed, {}) == {**parsed, "A": "dflt", "B": "alt", "C": "e"}


def test_expansion_sees_only_earlier_keys_without_the_process_env() -> None:
    assert expand_dotenv({"A": "${B}", "B": "b"}, {}) == {"A": "", "B": "b"}
    assert expand_dotenv({"A": "${HOME}"}, {"HOME": "/home/x"})["A"] == "/home/x"


def test_a_self_reference_does_not_loop() -> None:
    assert expand_dotenv({"A": "x${A}"}, {})["A"] == "x"


# -- dotenv syntax (the dotenv npm package's)


def test_dotenv_syntax_matches_the_npm_parser() -> None:
    text = (
        "export A=1\n"
        "B = spaced   # comment\n"
        "C=no#space-needed\n"
        "D='single # kept'\n"
        'E="multi\nline"\n'
        'F="escaped\\nnewline"\n'
        "G='no \\n escape'\n"
        "H=`backtick`\n"
        "I: colon\n"
        "not a line\n"
        "J=\r\n"
    )
    assert parse_dotenv(text) == {
        "A": "1",
        "B": "spaced",
        "C": "no",
        "D": "single # kept",
        "E": "multi\nline",
        "F": "escaped\nnewline",
        "G": "no \\n escape",
        "H": "backtick",
        "I": "colon",
        "J": "",
    }


def test_a_later_line_wins() -> None:
    assert parse_dotenv("A=1\nA=2\n") == {"A": "2"}


# -- secrets.required


def test_only_required_secrets_are_loaded(tmp_path: Path) -> None:
    config = {"vars": {"PUBLIC": "p"}, "secrets": {"required": ["API_KEY"]}}
    project(tmp_path, config, **{".dev.vars": "API_KEY=k\nEXTRA=dropped\n"})
    loaded = load_config(tmp_path, environ={})
    assert dict(loaded.vars) == {"PUBLIC": "p", "API_KEY": "k"}
    assert loaded.secrets_required == ("API_KEY",)
    assert loaded.warnings == ()


def test_every_missing_required_secret_is_named_with_file_and_line(tmp_path: Path) -> None:
    config = {"secrets": {"required": ["API_KEY", "DB_PASSWORD", "PRESENT"]}}
    project(tmp_path, config, **{".dev.vars": "PRESENT=1\n"})
    loaded = load_config(tmp_path, environ={})
    line = (tmp_path / "wrangler.jsonc").read_text().splitlines().index('  "secrets": {') + 1
    assert loaded.warnings == (
        f"wrangler.jsonc:{line + 1}: secrets.required: missing required secrets "
        "API_KEY, DB_PASSWORD: define them in .dev.vars for local development",
    )


def test_required_secrets_may_come_from_the_process_env(tmp_path: Path) -> None:
    project(tmp_path, {"secrets": {"required": ["API_KEY"]}}, **{".env": "OTHER=1\n"})
    loaded = load_config(tmp_path, environ={"API_KEY": "from-shell", "HOME": "/x"})
    assert dict(loaded.vars) == {"API_KEY": "from-shell"}
    assert loaded.warnings == ()


def test_secrets_are_not_inherited_by_environments(tmp_path: Path) -> None:
    config = {
        "secrets": {"required": ["TOP"]},
        "env": {"staging": {"secrets": {"required": ["STAGING_KEY"]}}, "bare": {}},
    }
    project(tmp_path, config, **{".dev.vars": "TOP=t\nSTAGING_KEY=s\n"})
    assert dict(load_config(tmp_path, env="staging", environ={}).vars) == {"STAGING_KEY": "s"}
    bare = load_config(tmp_path, env="bare", environ={})
    assert bare.secrets_required == ()
    assert dict(bare.vars) == {"TOP": "t", "STAGING_KEY": "s"}


@pytest.mark.parametrize(
    ("secrets", "message"),
    [
        (["A"], "secrets: must be an object (got an array)"),
        ({"required": "A"}, "secrets.required: must be an array of strings (got a string)"),
        ({"required": ["A", 1]}, "secrets.required[1]: must be a string (got a number)"),
        ({"required": [""]}, "secrets.required[0]: must not be empty"),
    ],
)
def test_a_malformed_secrets_key_is_a_config_error(
    tmp_path: Path, secrets: object, message: str
) -> None:
    project(tmp_path, {"secrets": secrets})
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path, environ={})
    assert str(info.value).split(": ", 1)[1] == message
    assert str(info.value).startswith("wrangler.jsonc:")


def test_candidate_files_list_every_source_to_watch(tmp_path: Path) -> None:
    names = [p.name for p in candidate_files(tmp_path, "staging")]
    assert names == [
        ".dev.vars",
        ".dev.vars.staging",
        ".env",
        ".env.local",
        ".env.staging",
        ".env.staging.local",
    ]
    assert [p.name for p in candidate_files(tmp_path, None)] == [".dev.vars", ".env", ".env.local"]
