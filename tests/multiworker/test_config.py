"""``services[]`` in the config: what is read, and bad entries named by file, line and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wf.config import ConfigError, ServiceConfig, load_config

BASE = {
    "name": "front",
    "main": "src/entry.py",
    "compatibility_date": "2026-08-14",
    "compatibility_flags": ["python_workers"],
}


def _write(root: Path, services: object, **extra: object) -> Path:
    (root / "src").mkdir(parents=True, exist_ok=True)
    (root / "src" / "entry.py").write_text("")
    path = root / "wrangler.jsonc"
    path.write_text(json.dumps({**BASE, "services": services, **extra}, indent=2))
    return path


def test_services_are_read_with_their_entrypoint(tmp_path: Path) -> None:
    config = load_config(
        _write(
            tmp_path,
            [
                {"binding": "AUTH", "service": "auth"},
                {"binding": "ADMIN", "service": "auth", "entrypoint": "Admin"},
            ],
        )
    )
    assert config.services == (
        ServiceConfig("AUTH", "auth", None, "services[0]"),
        ServiceConfig("ADMIN", "auth", "Admin", "services[1]"),
    )
    assert not [m for m in config.not_emulated if m.field.startswith("services")]


@pytest.mark.parametrize(
    ("services", "field", "message"),
    [
        ({"binding": "A"}, "services", "must be an array (got an object)"),
        (["auth"], "services[0]", "must be an object (got a string)"),
        ([{"service": "auth"}], "services[0].binding", "required"),
        ([{"binding": "A"}], "services[0].service", "required"),
        ([{"binding": "A", "service": 3}], "services[0].service", "must be a string"),
        ([{"binding": "my-auth", "service": "a"}], "services[0].binding", "valid Python"),
        (
            [{"binding": "A", "service": "a", "entrypoint": "not a class"}],
            "services[0].entrypoint",
            "must be a class name",
        ),
        (
            [{"binding": "A", "service": "a"}, {"binding": "A", "service": "b"}],
            "services[1].binding",
            'duplicate binding "A"',
        ),
    ],
)
def test_bad_services_name_the_field_and_line(
    tmp_path: Path, services: object, field: str, message: str
) -> None:
    path = _write(tmp_path, services)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    error = caught.value
    assert error.field == field
    assert message in error.message
    assert error.path == path and error.line is not None


def test_a_service_binding_clashing_with_another_binding_is_refused(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        [{"binding": "KV", "service": "auth"}],
        kv_namespaces=[{"binding": "KV", "id": "x"}],
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.field == "services[0].binding"
    assert '"KV" is already bound at kv_namespaces[0].binding' in caught.value.message
