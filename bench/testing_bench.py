"""Testing-harness benchmark: what workflow tests cost under pytest with the ``wf`` fixture.

Usage (from the repository root)::

    .venv/bin/python bench/testing_bench.py             # 5 runs of each suite, medians
    .venv/bin/python bench/testing_bench.py --runs 3 --tests 50

Figures (medians of ``--runs`` runs; each run is a fresh ``python -m pytest`` process):

1. ``suite``: ``--tests`` workflow tests over the quickstart project, each creating an instance,
   waiting for its 7-day sleep, advancing the clock a week and checking the output: the wall
   time of the pytest process, and the time pytest itself reports for the tests (setup, call
   and teardown of every test, without interpreter start-up and collection).
2. ``overhead``: per-test cost of the ``wf`` fixture: a suite of tests that only request the
   fixture, minus a suite of empty async tests, divided by the number of tests.
3. ``lifecycle``: in this process, one ``Emulator`` built, started and closed (config cached,
   code imported afresh), and one 7-day-sleep scenario on it.

Numbers are figures, not pass/fail thresholds; they depend on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = ROOT / "fixtures" / "quickstart"

SUITE = """
import pytest


@pytest.mark.parametrize("n", range({tests}))
async def test_week_long_onboarding(wf, n):
    onboarding = wf.introspect_instance("ONBOARDING", f"user-{{n}}")
    await wf.env.ONBOARDING.create(id=f"user-{{n}}", params={{"name": f"User {{n}}"}})
    await onboarding.wait_for_status("waiting")
    await wf.clock.advance("7 days")
    await onboarding.wait_for_status("complete")
    output = await onboarding.get_output()
    assert output["welcome"] == {{"message": f"Welcome, User {{n}}!"}}
"""

FIXTURE_ONLY = """
import pytest


@pytest.mark.parametrize("n", range({tests}))
async def test_fixture_only(wf, n):
    pass
"""

EMPTY = """
import pytest


@pytest.mark.parametrize("n", range({tests}))
async def test_empty(n):
    pass
"""


def make_project(folder: Path, tests: int) -> Path:
    """A copy of the quickstart project with the three benchmark suites in tests/."""
    project = folder / "project"
    shutil.copytree(QUICKSTART, project, ignore=shutil.ignore_patterns("tests", "__pycache__"))
    (project / "tests").mkdir()
    for name, template in (("suite", SUITE), ("fixture", FIXTURE_ONLY), ("empty", EMPTY)):
        (project / "tests" / f"test_{name}.py").write_text(template.format(tests=tests))
    (project / "pytest.ini").write_text(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
    )
    return project


def run_suite(project: Path, name: str) -> tuple[float, float]:
    """(wall seconds of the pytest process, seconds pytest reports for the tests)."""
    report = project / f"{name}.xml"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        f"--junitxml={report}",
        f"tests/test_{name}.py",
    ]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"the {name} suite failed:\n{done.stdout[-3000:]}{done.stderr[-2000:]}")
    cases = list(ET.parse(report).getroot().iter("testcase"))
    return wall, sum(float(case.get("time", 0)) for case in cases)


async def lifecycle(runs: int) -> tuple[float, float]:
    """Median ms of one Emulator's build+start+close, and of one 7-day-sleep scenario."""
    from wf.testing import Emulator

    builds: list[float] = []
    scenarios: list[float] = []
    for i in range(runs):
        started = time.perf_counter()
        emu = Emulator(QUICKSTART)
        await emu.start()
        built = time.perf_counter()
        onboarding = emu.introspect_instance("ONBOARDING", f"u{i}")
        await emu.env.ONBOARDING.create(id=f"u{i}", params={"name": "U"})
        await onboarding.wait_for_status("waiting")
        await emu.clock.advance("7 days")
        await onboarding.wait_for_status("complete")
        scenario = time.perf_counter()
        await emu.close()
        builds.append((built - started + time.perf_counter() - scenario) * 1000)
        scenarios.append((scenario - built) * 1000)
    return statistics.median(builds), statistics.median(scenarios)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each suite (default 5)")
    parser.add_argument("--tests", type=int, default=100, help="tests per suite (default 100)")
    args = parser.parse_args()

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as folder:
        project = make_project(Path(folder), args.tests)
        results: dict[str, list[tuple[float, float]]] = {"suite": [], "fixture": [], "empty": []}
        for _ in range(args.runs):
            for name in results:
                results[name].append(run_suite(project, name))

    def median(name: str, index: int) -> float:
        return statistics.median(r[index] for r in results[name])

    n = args.tests
    print(f"\n{n} workflow tests (create, 7-day sleep, advance, check), median of {args.runs}:")
    print(f"  pytest process wall time  {median('suite', 0) * 1000:8.0f} ms")
    print(
        f"  tests as pytest times them{median('suite', 1) * 1000:8.0f} ms"
        f"  ({median('suite', 1) / n * 1000:.2f} ms per test)"
    )
    overhead = (median("fixture", 1) - median("empty", 1)) / n
    print(f"\nwf fixture overhead per test (fixture-only minus empty tests, {n} each):")
    print(
        f"  {overhead * 1000:.2f} ms per test"
        f"  (fixture-only {median('fixture', 1) * 1000:.0f} ms,"
        f" empty {median('empty', 1) * 1000:.0f} ms in total)"
    )

    build, scenario = asyncio.run(lifecycle(max(args.runs * 4, 10)))
    print("\nin-process, median:")
    print(f"  Emulator build + start + close  {build:6.2f} ms")
    print(f"  7-day sleep scenario            {scenario:6.2f} ms")


if __name__ == "__main__":
    main()
