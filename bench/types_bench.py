"""`wf types` benchmark: what generating and checking the typed env costs.

Usage (from the repository root)::

    .venv/bin/python bench/types_bench.py            # 7 runs of each, medians
    .venv/bin/python bench/types_bench.py --runs 3

Figures (medians of ``--runs`` runs), on a copy of tests/types/fixtures/project (16 names on
env: every binding kind, vars, a secret):

1. ``render``: in this process, load the config and render the stub (``load_config`` +
   ``secret_names`` + ``render_env``).
2. ``wf types`` and ``wf types --check``: a fresh ``wf`` process each (interpreter start-up
   included), as a developer or CI runs them.
3. ``mypy``: ``mypy --strict`` over the fixture's entry module with the generated env and wf's
   stubs, with an empty cache and with a warm one.

Numbers are figures, not pass/fail thresholds; they depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
FIXTURE = ROOT / "tests" / "types" / "fixtures" / "project"
WF = [str(Path(sys.executable).with_name("wf"))]


def median_ms(
    runs: int, action: Callable[[], object], before: Callable[[], object] | None = None
) -> float:
    samples = []
    for _ in range(runs):
        if before is not None:
            before()
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
    subprocess.run(args, cwd=cwd, env=env, check=True, capture_output=True, text=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs

    from wf.config import load_config
    from wf.typegen import STUBS_DIR, render_env, secret_names

    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "project"
        shutil.copytree(FIXTURE, project)

        def render() -> None:
            config = load_config(project)
            render_env(config, secret_names(config))

        figures = {"render (in process)": median_ms(runs, render)}
        figures["wf types (new process)"] = median_ms(runs, lambda: run([*WF, "types"], project))
        figures["wf types --check (new process)"] = median_ms(
            runs, lambda: run([*WF, "types", "--check"], project)
        )
        env = {**os.environ, "MYPYPATH": str(STUBS_DIR)}
        cache = project / ".mypy_cache"
        mypy = [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(cache), "src/entry.py"]
        figures["mypy --strict, empty cache"] = median_ms(
            runs, lambda: run(mypy, project, env), before=lambda: shutil.rmtree(cache, True)
        )
        figures["mypy --strict, warm cache"] = median_ms(runs, lambda: run(mypy, project, env))

    print(f"medians of {runs} runs")
    for name, value in figures.items():
        print(f"  {name:34} {value:8.1f} ms")


if __name__ == "__main__":
    main()
