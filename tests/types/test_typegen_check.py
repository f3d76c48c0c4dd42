"""`wf types --check`: exit 0 when the stub is fresh, 1 (naming the file) when stale or missing."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.devserver import wf_command
from tests.types.running import wf_types


def test_fresh_passes_and_writes_nothing(project: Path) -> None:
    assert wf_types(project).exit_code == 0
    stub = project / "src" / "worker_env.pyi"
    before = stub.stat().st_mtime_ns
    result = wf_types(project, "--check")
    assert result.exit_code == 0, result.output
    assert "worker_env.pyi is up to date." in result.output
    assert stub.stat().st_mtime_ns == before


def test_a_config_change_makes_it_stale(project: Path) -> None:
    assert wf_types(project).exit_code == 0
    stub = project / "src" / "worker_env.pyi"
    written = stub.read_text()
    config = project / "wrangler.jsonc"
    config.write_text(
        config.read_text().replace('"ENVIRONMENT": "prod"', '"ENVIRONMENT": "staging"')
    )

    result = wf_types(project, "--check")
    assert result.exit_code == 1
    assert "worker_env.pyi: out of date (or missing): run `wf types " in result.output
    assert stub.read_text() == written  # --check never writes

    assert wf_types(project).exit_code == 0
    assert 'ENVIRONMENT: Literal["staging"]' in stub.read_text()
    assert wf_types(project, "--check").exit_code == 0


def test_a_new_binding_makes_it_stale(project: Path) -> None:
    assert wf_types(project).exit_code == 0
    config = project / "wrangler.jsonc"
    config.write_text(
        config.read_text().replace(
            '"kv_namespaces": [{"binding": "KV", "id": "k"}]',
            '"kv_namespaces": [{"binding": "KV", "id": "k"}, {"binding": "CACHE", "id": "c"}]',
        )
    )
    assert wf_types(project, "--check").exit_code == 1


def test_a_hand_edit_makes_it_stale(project: Path) -> None:
    assert wf_types(project).exit_code == 0
    stub = project / "src" / "worker_env.pyi"
    stub.write_text(stub.read_text().replace("DB: D1Database", "DB: Any"))
    assert wf_types(project, "--check").exit_code == 1


def test_a_missing_file_fails(project: Path) -> None:
    result = wf_types(project, "--check")
    assert result.exit_code == 1
    assert "worker_env.pyi: out of date (or missing)" in result.output
    assert not (project / "src" / "worker_env.pyi").exists()


def test_the_rerun_command_repeats_the_options(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "env.pyi"
    result = wf_types(project, "-o", out, "--no-strict-vars", "--check")
    assert result.exit_code == 1
    assert f"run `wf types {project} -o {out} --no-strict-vars`" in result.output


def test_copied_stubs_are_checked_too(project: Path) -> None:
    typings = project / "typings"
    assert wf_types(project, "--stubs", typings).exit_code == 0
    assert wf_types(project, "--stubs", typings, "--check").exit_code == 0
    bindings = typings / "workers" / "_bindings.pyi"
    bindings.write_text(bindings.read_text() + "\n# an old copy\n")
    result = wf_types(project, "--stubs", typings, "--check")
    assert result.exit_code == 1
    assert "_bindings.pyi" in result.output


def test_the_wf_script_exits_non_zero_for_ci(project: Path) -> None:
    command = wf_command()
    stale = subprocess.run(
        [*command, "types", "--check"], cwd=project, capture_output=True, text=True, timeout=120
    )
    assert stale.returncode == 1
    assert "Error: src/worker_env.pyi: out of date (or missing): run `wf types`" in stale.stderr
    assert subprocess.run([*command, "types"], cwd=project, timeout=120).returncode == 0
    fresh = subprocess.run(
        [*command, "types", "--check"], cwd=project, capture_output=True, text=True, timeout=120
    )
    assert fresh.returncode == 0
    assert fresh.stdout == "src/worker_env.pyi is up to date.\n"
