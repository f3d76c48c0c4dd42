"""How the typed-env tests run `wf types` (in-process) and mypy (a subprocess)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner, Result

from wf.cli.main import main
from wf.typegen import STUBS_DIR


def wf_types(*args: str | Path) -> Result:
    """`wf types ARGS` in-process."""
    return CliRunner().invoke(main, ["types", *map(str, args)])


def mypy(cwd: Path, *files: str, stubs: bool = True) -> subprocess.CompletedProcess[str]:
    """`mypy --strict FILES` in `cwd`, with wf's stubs on MYPYPATH unless `stubs` is False."""
    env = {k: v for k, v in os.environ.items() if k != "MYPYPATH"}
    if stubs:
        env["MYPYPATH"] = str(STUBS_DIR)
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(cwd / ".mypy_cache"), *files],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
