"""Chaos run of `wf dev`: the full version of tests/chaos/test_chaos.py.

Usage (from the repository root)::

    .venv/bin/python bench/chaos.py                    # 50 kills, 200 instances (~2 minutes)
    .venv/bin/python bench/chaos.py --quick            # the CI sizes: 8 kills, 30 instances
    .venv/bin/python bench/chaos.py --code DIR         # run `wf dev` from another source tree
    .venv/bin/python bench/chaos.py --seed 3 --keep    # another seed; keep the work directory

`wf dev --time-scale N` serves a project whose workflow runs steps with retries, sleeps and
two events; it is SIGKILLed at random moments and right after acknowledged creates and events,
and restarted on the same directory each time. The figures are printed, then every check that
failed with its evidence (the rules are in tests/chaos/driver.py). Exit status 1 when a check
failed, 2 when the harness could not run. Only loopback is used.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.chaos.driver import ChaosConfig, HarnessError, run_chaos  # noqa: E402

FULL = ChaosConfig(
    instances=200,
    kills=50,
    after_create_kills=10,
    after_event_kills=10,
    scale=400,
    interval=(0.6, 1.6),
    deadline_s=600,
)
QUICK = ChaosConfig()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the CI sizes")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--kills", type=int, help="override the number of kills")
    parser.add_argument("--instances", type=int, help="override the number of instances")
    parser.add_argument("--scale", type=float, help="virtual seconds per real second")
    parser.add_argument(
        "--code", type=Path, help="a source tree whose packages (wf/; before: emulator/, cli/) run"
    )
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs)")
    args = parser.parse_args()
    base = QUICK if args.quick else FULL
    kills = args.kills or base.kills
    config = ChaosConfig(
        instances=args.instances or base.instances,
        kills=kills,
        after_create_kills=min(base.after_create_kills, kills // 4),
        after_event_kills=min(base.after_event_kills, kills // 4),
        scale=args.scale or base.scale,
        interval=base.interval,
        seed=args.seed,
        deadline_s=base.deadline_s * max(1.0, kills / base.kills),
        code=args.code.resolve() if args.code else None,
    )
    workdir = Path(tempfile.mkdtemp(prefix="wf-chaos-"))
    try:
        report = run_chaos(config, workdir)
    except HarnessError as exc:
        print(f"chaos: the harness could not run: {exc}", file=sys.stderr)
        return 2
    finally:
        if not args.keep:
            import shutil

            shutil.rmtree(workdir, ignore_errors=True)
    print(report.summary())
    print()
    print(report.kill_table())
    if args.code:
        print(f"  code: {config.code}")
    if args.keep:
        print(f"  work directory: {workdir}")
    failed = report.failed()
    if failed:
        print(f"\nFAILED: {len(failed)} checks\n{report.failures()}")
        return 1
    print("\nall checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
