"""The core redesign, before/after: the engine bench and the server bench on two trees, in one run.

Usage (from the repository root)::

    .venv/bin/python bench/redesign_bench.py                 # --quick benches, 3 rounds
    .venv/bin/python bench/redesign_bench.py --rounds 5 --full
    .venv/bin/python bench/redesign_bench.py --before REV --after REV2

"before" is ``git archive`` of ``--before`` (default c4f7c54, the core before the engine
package); "after" is ``--after REV`` or a copy of the working tree's ``emulator/`` and
``cli/``. Each round runs ``bench/engine_bench.py`` and ``bench/server_bench.py`` (this
tree's bench code) once per tree, with ``python -P`` and ``PYTHONPATH`` set to that tree so
that it imports that tree's packages; the trees alternate, and so does which goes first.
Printed: each engine figure's median per tree (wall and CPU) and after / before, then each
server figure's median per tree as server_bench prints it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BEFORE = "c4f7c54"


def export(rev: str | None, into: Path) -> Path:
    into.mkdir(parents=True)
    if rev is None:
        for package in ("wf", "emulator", "cli"):  # whichever the layout has
            if not (ROOT / package).is_dir():
                continue
            shutil.copytree(
                ROOT / package, into / package, ignore=shutil.ignore_patterns("__pycache__")
            )
        return into
    archive = subprocess.run(
        ["git", "archive", rev], cwd=ROOT, check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def run_bench(tree: Path, script: str, args: list[str]) -> str:
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(
        [sys.executable, "-P", str(ROOT / "bench" / script), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if done.returncode not in (0, 1):  # 1: a target missed, the figures are still there
        raise RuntimeError(f"{script} on {tree.name} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


# "  figure label ...   wf 12.3 ms [CPU 4.5 ms]" lines of server_bench's table
_SERVER_ROW = re.compile(r"^\|\s*(?P<label>[^|]+?)\s*\|(?P<cells>.*)\|\s*$")


def server_rows(text: str) -> dict[str, str]:
    rows = {}
    for line in text.splitlines():
        m = _SERVER_ROW.match(line)
        if m and not set(m["label"]) <= set("-: ") and m["label"] != "figure":
            cells = [c.strip() for c in m["cells"].split("|")]
            rows[m["label"]] = cells[1] if len(cells) > 1 else cells[0]
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default=BEFORE)
    parser.add_argument("--after", default=None)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--full", action="store_true", help="full benches instead of --quick")
    args = parser.parse_args()
    quick = [] if args.full else ["--quick"]
    engine: dict[str, dict[str, list[tuple[float, float | None]]]] = {"before": {}, "after": {}}
    labels: dict[str, str] = {}
    server: dict[str, dict[str, list[str]]] = {"before": {}, "after": {}}
    with tempfile.TemporaryDirectory(prefix="wf-issue10-") as tmp:
        trees = {
            "before": export(args.before, Path(tmp) / "before"),
            "after": export(args.after, Path(tmp) / "after"),
        }
        for r in range(args.rounds):
            order = ["before", "after"] if r % 2 == 0 else ["after", "before"]
            for side in order:
                out = Path(tmp) / f"engine-{side}-{r}.json"
                run_bench(trees[side], "engine_bench.py", [*quick, "--json", str(out)])
                for fig in json.loads(out.read_text())["figures"]:
                    if isinstance(fig.get("value"), int | float):
                        labels[fig["key"]] = f"{fig['label']} ({fig['unit']})"
                        engine[side].setdefault(fig["key"], []).append(
                            (float(fig["value"]), fig.get("cpu"))
                        )
                text = run_bench(trees[side], "server_bench.py", ["--markdown", *quick])
                for label, cell in server_rows(text).items():
                    server[side].setdefault(label, []).append(cell)
            print(f"round {r + 1}/{args.rounds} done", file=sys.stderr, flush=True)
    load = os.getloadavg()
    print(
        f"before: {args.before}; after: {args.after or 'working tree'}; rounds: {args.rounds}; "
        f"benches {'full' if args.full else '--quick'}; load at the end {load[0]:.1f}"
    )
    print("\n| engine figure | before | after | after / before | CPU before | CPU after |")
    print("|---|---|---|---|---|---|")
    for key, label in labels.items():
        b, a = engine["before"].get(key), engine["after"].get(key)
        if not b or not a:
            continue
        bv, av = statistics.median(v for v, _ in b), statistics.median(v for v, _ in a)
        bc = [c for _, c in b if c is not None]
        ac = [c for _, c in a if c is not None]
        cpu = (
            (f"{statistics.median(bc):,.2f}", f"{statistics.median(ac):,.2f}")
            if bc and ac
            else ("-", "-")
        )
        ratio = f"{av / bv:.2f}x" if bv else "-"
        print(f"| {label} | {bv:,.2f} | {av:,.2f} | {ratio} | {cpu[0]} | {cpu[1]} |")
    print("\n| server figure (wf column; each round) | before | after |")
    print("|---|---|---|")
    for label, cells in server["after"].items():
        before = server["before"].get(label, [])
        print(f"| {label} | {' / '.join(before)} | {' / '.join(cells)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
