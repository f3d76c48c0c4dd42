"""The distribution as a user installs it: a wheel built from the checkout, installed into a
fresh venv outside it, runs `wf dev` on a copy of the quickstart and the pytest plugin's tests.

Slow (a build and an install with the dependencies, about a minute): one module-scoped venv
serves every test here.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import sys
import venv
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.devserver import free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "fixtures" / "quickstart"


def user_env() -> dict[str, str]:
    """This environment (pip's settings included) without anything that points at the checkout."""
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    return {**env, "NO_COLOR": "1"}


def run(*command: str | Path, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=user_env(),
    )
    assert result.returncode == 0, (command, result.stdout[-3000:], result.stderr[-3000:])
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # A copy of the checkout: the build writes its own build/ and egg-info next to the sources.
    source = out / "source"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", ".wf", ".ci", "build", "*.egg-info", "__pycache__", "node_modules"
        ),
    )
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", out, source, cwd=out)
    (built,) = out.glob("*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv (not the checkout's) with the wheel and pytest in it; its bin folder."""
    home = tmp_path_factory.mktemp("user")
    venv.create(home / "venv", with_pip=True)
    bin_dir = home / "venv" / "bin"
    run(
        bin_dir / "python",
        "-m",
        "pip",
        "install",
        "-q",
        wheel,
        "pytest",
        "pytest-asyncio",
        cwd=home,
    )
    return bin_dir


def test_the_wheel_claims_one_package_and_ships_its_static_files(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names}
    dist_info = {top for top in tops if top.endswith(".dist-info")}
    # `emulator` is the deprecated alias (one module), kept while old imports migrate.
    assert tops - dist_info == {"wf", "emulator"}
    assert [name for name in names if name.startswith("emulator/")] == ["emulator/__init__.py"]
    for shipped in (
        "wf/server/static/dashboard.js",
        "wf/server/static/dashboard.html",
        "wf/py.typed",
        "wf/runtime/workers/__init__.py",
        "wf/__main__.py",
    ):
        assert shipped in names
    (entry_points,) = [name for name in names if name.endswith("entry_points.txt")]
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "wf = wf.cli.main:main" in text and "wf = wf.testing.plugin" in text


def test_python_m_wf_and_the_wf_script_run_outside_the_checkout(
    installed: Path, tmp_path: Path
) -> None:
    by_module = run(installed / "python", "-m", "wf", "--version", cwd=tmp_path)
    by_script = run(installed / "wf", "--version", cwd=tmp_path)
    assert by_module.stdout == by_script.stdout and "wf" in by_module.stdout
    where = run(installed / "python", "-c", "import wf; print(wf.__file__)", cwd=tmp_path)
    assert str(installed.parent) in where.stdout  # the venv's copy, not the checkout


def _get(port: int, path: str, method: str = "GET", body: bytes | None = None) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body, headers={"Content-Type": "application/json"})
        answer = connection.getresponse()
        return answer.status, answer.read()
    finally:
        connection.close()


@pytest.fixture
def served(installed: Path, tmp_path: Path) -> Iterator[int]:
    project = Path(shutil.copytree(QUICKSTART, tmp_path / "quickstart"))
    port = free_port()
    log = tmp_path / "wf-dev.log"
    with log.open("w") as out:  # a file, not a pipe: nothing blocks once nobody reads it
        process = subprocess.Popen(
            [installed / "wf", "dev", project, "--port", str(port), "--time", "manual"],
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**user_env(), "PYTHONUNBUFFERED": "1"},
        )
    try:
        wait_for(
            lambda: "Ready on" in log.read_text() or process.poll() is not None,
            timeout=30,
            what="wf dev to start",
        )
        assert process.poll() is None, log.read_text()
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_wf_dev_from_the_wheel_serves_the_quickstart_and_its_dashboard(served: int) -> None:
    status, body = _get(served, "/start", "POST", json.dumps({"name": "Ada"}).encode())
    assert status == 201, body
    instance = json.loads(body)["id"]

    def described() -> dict[str, object] | None:
        code, text = _get(
            served, f"/cdn-cgi/explorer/api/workflows/onboarding/instances/{instance}"
        )
        details = json.loads(text)["result"]
        return details if code == 200 and details["status"] == "waiting" else None

    assert wait_for(described, what="the instance to sleep")["status"] == "waiting"
    status, page = _get(served, "/cdn-cgi/wf/")
    assert status == 200 and b"<html" in page.lower()
    status, script = _get(served, "/cdn-cgi/wf/static/dashboard.js")
    assert status == 200 and len(script) > 1000


def test_the_pytest_plugin_runs_the_quickstart_tests_from_the_wheel(
    installed: Path, tmp_path: Path
) -> None:
    project = Path(shutil.copytree(QUICKSTART, tmp_path / "quickstart"))
    (project / "pytest.ini").write_text("[pytest]\nasyncio_mode = auto\n")
    result = run(
        installed / "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests", cwd=project
    )
    assert " passed" in result.stdout and "failed" not in result.stdout, result.stdout


def test_old_imports_still_work_with_a_deprecation_warning(installed: Path, tmp_path: Path) -> None:
    code = (
        "import warnings\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    warnings.simplefilter('always')\n"
        "    from emulator.testing import Emulator\n"
        "import wf.testing\n"
        "assert Emulator is wf.testing.Emulator\n"
        "print([str(w.message) for w in caught if w.category is DeprecationWarning])\n"
    )
    result = run(installed / "python", "-c", code, cwd=tmp_path)
    assert "the `emulator` package is now `wf`" in result.stdout
