"""Engine benchmark: the performance figures of DESIGN.md, measured in-process.

Usage (from the repository root)::

    .venv/bin/python bench/engine_bench.py                  # full run, medians, < 2 minutes
    .venv/bin/python bench/engine_bench.py --quick          # smoke run with small counts
    .venv/bin/python bench/engine_bench.py --json out.json  # also write the figures as JSON
    .venv/bin/python bench/engine_bench.py --markdown       # also print the RESULTS.md table
    .venv/bin/python bench/engine_bench.py --profile seq100 # cProfile one figure's workload
                                   (seq100, many200, fill, asleep, sleep7)

Figures (each the median of several runs; ``wrangler dev`` 4.86's measured figures from
``reference/wrangler-ref/FINDINGS.md`` are printed alongside, not re-measured here):

1. ``seq100``: one instance running 100 sequential ``step.do``, wall time from ``create()`` to
   status complete; in-memory store + manual clock (pytest) and file store + real clock
   (``wf dev``).
2. ``many200``: 200 instances x 3 steps (two ``create_batch`` of 100) until all complete.
3. ``bytes``: state per finished 3-step instance: ``Store.instance_bytes`` and the growth of the
   SQLite file over 1,000 finished instances divided by 1,000.
4. ``kept``: figures 1 and 2 again (file store) with 10,000 finished instances stored, run
   alternately with an engine on a fresh file; the ratio kept / fresh is reported.
5. ``asleep``: 10,000 instances asleep at once (each sleeps "1 day", then does one step), in
   a fresh child process: RSS (absolute and over the baseline), and the wall time of one
   ``advance("1 day")`` that wakes them all and runs them to completion.
6. ``sleep7``: a step, a 7-day sleep and a step on the manual clock: wall time from
   ``create()`` to complete, with one ``advance("7 days")``.

Timed figures also show ``[CPU ...]``: the same figure computed from the CPU time (user + sys)
this process used, instead of wall time. On a shared machine the wall figure includes time
spent waiting for a core; the CPU figure is what the engine itself costs. The load average is
printed with the machine line so that the two can be read in context.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import json
import os
import platform
import pstats
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

# `emulator`: the package's name in the trees redesign_bench compares, and an alias of `wf`
# in newer ones, so this bench runs on both.
warnings.filterwarnings("ignore", "the `emulator` package is now `wf`", DeprecationWarning)
from emulator.clock import Clock  # noqa: E402
from emulator.config import load_config  # noqa: E402
from emulator.engine import Engine, EngineEvent  # noqa: E402
from emulator.project import Project  # noqa: E402
from emulator.store import Store  # noqa: E402

START = 1_767_225_600_000.0  # 2026-01-01T00:00:00Z: the manual clock starts here

SOURCE = """\
from workers import WorkflowEntrypoint


class SeqWorkflow(WorkflowEntrypoint):
    # n trivial sequential steps, as reference/wrangler-ref/src/index.js's SeqWorkflow
    async def run(self, event, step):
        acc = 0
        for i in range(event["payload"]["n"]):

            @step.do(f"s{i}")
            async def one():
                return acc + 1

            acc = await one()
        return {"acc": acc}


class NapWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        await step.sleep("nap", event["payload"]["nap"])

        @step.do("after")
        async def after():
            return "awake"

        return await after()


class WeekWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do()
        async def welcome():
            return {"message": "hello"}

        greeting = await welcome()
        await step.sleep("wait a week", "7 days")

        @step.do()
        async def check_in(welcome):
            return {"message": "one week in"}

        return {"welcome": greeting, "check_in": await check_in()}
"""

CONFIG = """{
  "name": "engine-bench",
  "main": "src/entry.py",
  "compatibility_date": "2026-08-14",
  "compatibility_flags": ["python_workers"],
  "workflows": [
    {"name": "seq", "binding": "SEQ", "class_name": "SeqWorkflow"},
    {"name": "nap", "binding": "NAP", "class_name": "NapWorkflow"},
    {"name": "week", "binding": "WEEK", "class_name": "WeekWorkflow"}
  ]
}
"""


# -- sizes of a run ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Sizes:
    runs: int  # repetitions of the timed figures (medians)
    bytes_n: int  # finished instances for the file-growth figure
    kept_n: int  # finished instances kept for the slowdown figure
    asleep_n: int  # instances asleep at once
    asleep_runs: int  # child processes for the asleep figure


FULL = Sizes(runs=11, bytes_n=1_000, kept_n=10_000, asleep_n=10_000, asleep_runs=5)
QUICK = Sizes(runs=3, bytes_n=100, kept_n=300, asleep_n=300, asleep_runs=1)


# -- building engines -------------------------------------------------------------------------


@contextmanager
def project_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="wf-bench-") as tmp:
        root = Path(tmp)
        (root / "src").mkdir()
        (root / "src" / "entry.py").write_text(SOURCE)
        (root / "wrangler.jsonc").write_text(CONFIG)
        yield root


class Harness:
    """An engine plus a future per instance that resolves when the instance finishes."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.waiters: dict[str, asyncio.Future[str]] = {}
        self.next_id = 0
        engine.listeners.append(self._on_event)

    def _on_event(self, event: EngineEvent) -> None:
        if event.kind in ("complete", "errored", "terminated"):
            future = self.waiters.pop(event.instance, None)
            if future is not None and not future.done():
                future.set_result(event.kind)

    def ids(self, n: int, prefix: str) -> list[str]:
        first, self.next_id = self.next_id, self.next_id + n
        return [f"{prefix}{i}" for i in range(first, first + n)]

    def expect(self, ids: list[str]) -> list[asyncio.Future[str]]:
        loop = asyncio.get_running_loop()
        futures = []
        for instance_id in ids:
            future: asyncio.Future[str] = loop.create_future()
            self.waiters[instance_id] = future
            futures.append(future)
        return futures

    async def finished(self, workflow: str, ids: list[str], futures: list[Any]) -> None:
        kinds = await asyncio.gather(*futures)
        for instance_id, kind in zip(ids, kinds, strict=True):
            if kind != "complete":
                error = self.engine.status(workflow, instance_id)["error"]
                raise RuntimeError(f"{workflow}/{instance_id} ended {kind}: {error}")


def env_option() -> dict[str, Any]:
    """``make_env=Env`` where the engine takes its env factory (trees since the core redesign)."""
    import inspect

    if "make_env" not in inspect.signature(Engine).parameters:
        return {}
    from emulator.bindings import Env

    return {"make_env": Env}


@contextmanager
def open_engine(project: Path, *, db: Path | None, clock: str) -> Iterator[tuple[Engine, Harness]]:
    config = load_config(project)
    classes = Project(config).load().workflow_classes
    store = Store(db) if db is not None else Store()
    engine = Engine(
        config,
        classes,
        store=store,
        clock=Clock("manual", now=START) if clock == "manual" else Clock("real"),
        settle_quiet=0.05,
        **env_option(),
    )
    try:
        yield engine, Harness(engine)
    finally:
        store.close()


# -- the workloads ----------------------------------------------------------------------------


async def seq100(h: Harness) -> float:
    """Seconds from create() to complete for one instance of 100 sequential steps."""
    (instance_id,) = ids = h.ids(1, "seq")
    futures = h.expect(ids)
    t0 = time.perf_counter()
    h.engine.create("seq", {"id": instance_id, "params": {"n": 100}})
    await h.finished("seq", ids, futures)
    return time.perf_counter() - t0


async def many200(h: Harness) -> float:
    """Seconds for 200 instances x 3 steps (two create_batch of 100) to all complete."""
    ids = h.ids(200, "many")
    futures = h.expect(ids)
    t0 = time.perf_counter()
    for start in (0, 100):
        h.engine.create_batch(
            "seq", [{"id": i, "params": {"n": 3}} for i in ids[start : start + 100]]
        )
    await h.finished("seq", ids, futures)
    return time.perf_counter() - t0


async def fill(h: Harness, n: int, chunk: int = 1_000) -> list[str]:
    """Run ``n`` 3-step instances to completion, ``chunk`` at a time; returns their ids."""
    done: list[str] = []
    while len(done) < n:
        ids = h.ids(min(chunk, n - len(done)), "kept")
        futures = h.expect(ids)
        for start in range(0, len(ids), 100):
            h.engine.create_batch(
                "seq", [{"id": i, "params": {"n": 3}} for i in ids[start : start + 100]]
            )
        await h.finished("seq", ids, futures)
        done.extend(ids)
    return done


async def sleep7(h: Harness) -> float:
    """Seconds from create() to complete across a 7-day sleep, one advance, manual time."""
    ids = h.ids(1, "week")
    futures = h.expect(ids)
    t0 = time.perf_counter()
    h.engine.create("week", {"id": ids[0]})
    await h.engine.clock.advance("7 days")
    await h.finished("week", ids, futures)
    return time.perf_counter() - t0


@dataclass
class Samples:
    """Wall seconds of each run, and the CPU seconds this process used in it."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def ms(self) -> list[float]:
        return [w * 1000 for w in self.wall]

    def rate(self, n: int) -> list[float]:
        return [n / w for w in self.wall]


async def measure(samples: Samples, work: Callable[[], Awaitable[float]]) -> None:
    """One measured run: its wall time and the CPU time this process spent in it."""
    gc.collect()
    cpu = time.process_time()
    samples.wall.append(await work())
    samples.cpu.append(time.process_time() - cpu)


async def timed(runs: int, work: Callable[[], Awaitable[float]], warmup: int = 1) -> Samples:
    """Run ``work`` ``warmup`` times unmeasured, then ``runs`` times measured."""
    for _ in range(warmup):
        await work()
    samples = Samples()
    for _ in range(runs):
        await measure(samples, work)
    return samples


# -- figures ----------------------------------------------------------------------------------


@dataclass
class Figure:
    key: str
    label: str
    value: float
    unit: str
    wrangler: str
    target: str
    met: bool | None
    samples: list[float] = field(default_factory=list)
    note: str = ""
    cpu: float | None = None  # the same figure from this process's CPU time (less load noise)

    def shown(self) -> str:
        text = self.format(self.value)
        if self.cpu is not None:
            text += f" [CPU {self.format(self.cpu)}]"
        return text

    def format(self, value: float) -> str:
        if self.unit == "ms":
            return f"{value:.1f} ms"
        if self.unit == "s":
            return f"{value:.2f} s"
        if self.unit == "inst/s":
            return f"{value:,.0f} instances/s"
        if self.unit == "B":
            return f"{value:,.0f} B ({value / 1024:.2f} KB)"
        if self.unit == "MB":
            return f"{value:.0f} MB"
        if self.unit == "x":
            return f"{value:.2f}x"
        return f"{value:g} {self.unit}"


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def rss_mb() -> dict[str, float]:
    """Current and peak resident set size of this process, MB."""
    try:
        fields = dict(
            line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines()
        )
        return {
            "rss": int(fields["VmRSS"].split()[0]) / 1024,
            "peak": int(fields["VmHWM"].split()[0]) / 1024,
        }
    except (OSError, KeyError, ValueError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return {"rss": peak, "peak": peak}


SLOWDOWN_TOLERANCE = 1.10  # "none measurable": the kept/fresh ratio of medians within 10 %


def seq_figure(key: str, label: str, samples: Samples) -> Figure:
    value = median(samples.ms())
    return Figure(
        key,
        label,
        value,
        "ms",
        "174 ms",
        "< 15 ms",
        value < 15,
        samples.ms(),
        cpu=median(samples.cpu) * 1000,
    )


def many_figure(key: str, label: str, samples: Samples) -> Figure:
    value = median(samples.rate(200))
    return Figure(
        key,
        label,
        value,
        "inst/s",
        "~100 instances/s (1.91 s)",
        "> 2,000 instances/s",
        value > 2_000,
        samples.rate(200),
        cpu=200 / median(samples.cpu),
    )


async def figures_seq_many(project: Path, tmp: Path, sizes: Sizes) -> list[Figure]:
    figures = []
    for store_kind, clock, db in (
        ("memory", "manual", None),
        ("file", "real", tmp / "seq-many.sqlite3"),
    ):
        with open_engine(project, db=db, clock=clock) as (engine, h):
            await engine.start()
            seq = await timed(sizes.runs, partial(seq100, h))
            many = await timed(sizes.runs, partial(many200, h))
            await engine.close()
        where = f"{store_kind} store, {clock} clock"
        figures.append(
            seq_figure(
                f"seq100.{store_kind}", f"100 sequential steps, create to complete ({where})", seq
            )
        )
        figures.append(
            many_figure(
                f"many200.{store_kind}",
                f"200 instances x 3 steps, create to all complete ({where})",
                many,
            )
        )
    return figures


async def figures_bytes(project: Path, tmp: Path, sizes: Sizes) -> list[Figure]:
    db = tmp / "bytes.sqlite3"
    with open_engine(project, db=db, clock="real") as (engine, h):
        await engine.start()
        await engine.close()
    before = db.stat().st_size  # the store closed: the WAL is checkpointed into the file
    with open_engine(project, db=db, clock="real") as (engine, h):
        await engine.start()
        ids = await fill(h, sizes.bytes_n)
        per_row = [engine.store.instance_bytes("seq", i) for i in ids]
        await engine.close()
    growth = (db.stat().st_size - before) / sizes.bytes_n
    return [
        Figure(
            "bytes.rows",
            "state per finished instance, 3 steps (Store.instance_bytes)",
            median(per_row),
            "B",
            "~190 KB",
            "< 4 KB",
            median(per_row) < 4096,
            note="row data only",
        ),
        Figure(
            "bytes.file",
            f"state per finished instance, 3 steps (SQLite file growth / {sizes.bytes_n:,})",
            growth,
            "B",
            "~190 KB",
            "< 4 KB",
            growth < 4096,
            note="pages, indexes and free space included",
        ),
    ]


async def figures_kept(project: Path, tmp: Path, sizes: Sizes) -> list[Figure]:
    """Two file-store engines side by side, one with ``kept_n`` finished instances.

    Their runs alternate (fresh, kept, fresh, kept...), so that a change of the machine's load
    during the measurement weighs on both alike and the ratio stays meaningful.
    """
    with (
        open_engine(project, db=tmp / "fresh.sqlite3", clock="real") as (fresh, hf),
        open_engine(project, db=tmp / "kept.sqlite3", clock="real") as (kept, hk),
    ):
        await fresh.start()
        await kept.start()
        t0 = time.perf_counter()
        await fill(hk, sizes.kept_n)
        fill_rate = sizes.kept_n / (time.perf_counter() - t0)
        seq_fresh, seq_kept, many_fresh, many_kept = Samples(), Samples(), Samples(), Samples()
        for h in (hf, hk):  # warm-up
            await seq100(h)
            await many200(h)
        for _ in range(sizes.runs):
            await measure(seq_fresh, lambda: seq100(hf))
            await measure(seq_kept, lambda: seq100(hk))
            await measure(many_fresh, lambda: many200(hf))
            await measure(many_kept, lambda: many200(hk))
        await fresh.close()
        await kept.close()
    seq_ratio = median(seq_kept.wall) / median(seq_fresh.wall)
    many_ratio = median(many_kept.wall) / median(many_fresh.wall)
    count = f"{sizes.kept_n:,}"
    tolerance = f"none measurable (<= {SLOWDOWN_TOLERANCE:.2f}x)"
    return [
        Figure(
            "kept.seq100",
            f"slowdown with {count} finished kept: 100 sequential steps (kept / fresh time)",
            seq_ratio,
            "x",
            "1.28x (248 vs 193 ms, ~2k kept)",
            tolerance,
            seq_ratio <= SLOWDOWN_TOLERANCE,
            seq_kept.ms(),
            cpu=median(seq_kept.cpu) / median(seq_fresh.cpu),
            note=f"{median(seq_fresh.ms()):.1f} ms fresh, {median(seq_kept.ms()):.1f} ms kept; "
            "file store",
        ),
        Figure(
            "kept.many200",
            f"slowdown with {count} finished kept: 200 x 3 (kept / fresh time)",
            many_ratio,
            "x",
            "1.42x (3.04 vs 2.14 s, ~2k kept)",
            tolerance,
            many_ratio <= SLOWDOWN_TOLERANCE,
            many_kept.rate(200),
            cpu=median(many_kept.cpu) / median(many_fresh.cpu),
            note=(
                f"{median(many_fresh.rate(200)):,.0f}/s fresh, "
                f"{median(many_kept.rate(200)):,.0f}/s kept; "
                f"filled at {fill_rate:,.0f} instances/s"
            ),
        ),
    ]


async def asleep_child(n: int) -> dict[str, float]:
    """Runs in a fresh process: n instances asleep at once, then one advance wakes them."""
    with (
        project_dir() as project,
        tempfile.TemporaryDirectory(prefix="wf-bench-") as tmp,
        open_engine(project, db=Path(tmp) / "asleep.sqlite3", clock="manual") as (engine, h),
    ):
        await engine.start()
        gc.collect()
        base = rss_mb()["rss"]
        ids = h.ids(n, "nap")
        futures = h.expect(ids)
        t0 = time.perf_counter()
        for start in range(0, n, 100):
            engine.create_batch(
                "nap", [{"id": i, "params": {"nap": "1 day"}} for i in ids[start : start + 100]]
            )
        while not engine.idle():
            await asyncio.sleep(0.001)
        create_s = time.perf_counter() - t0
        waiting = engine.store.count_instances("nap", "waiting")
        if waiting != n:
            raise RuntimeError(f"{waiting} of {n} instances asleep")
        gc.collect()
        asleep = rss_mb()["rss"]
        t0, cpu0 = time.perf_counter(), time.process_time()
        await engine.clock.advance("1 day")
        await h.finished("nap", ids, futures)
        advance_s = time.perf_counter() - t0
        advance_cpu_s = time.process_time() - cpu0
        peak = rss_mb()["peak"]
        await engine.close()
    return {
        "base_mb": base,
        "asleep_mb": asleep,
        "peak_mb": peak,
        "create_s": create_s,
        "advance_s": advance_s,
        "advance_cpu_s": advance_cpu_s,
    }


def figures_asleep(sizes: Sizes) -> list[Figure]:
    runs = []
    for _ in range(sizes.asleep_runs):
        done = subprocess.run(
            [sys.executable, __file__, "--asleep-child", str(sizes.asleep_n)],
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        if done.returncode != 0:
            raise RuntimeError(f"the asleep child failed:\n{done.stderr}")
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    absolute = median([r["asleep_mb"] for r in runs])
    increment = median([r["asleep_mb"] - r["base_mb"] for r in runs])
    advance = median([r["advance_s"] for r in runs])
    create = median([r["create_s"] for r in runs])
    peak = median([r["peak_mb"] for r in runs])
    n = f"{sizes.asleep_n:,}"
    return [
        Figure(
            "asleep.rss",
            f"{n} instances asleep at once: RSS of the process",
            absolute,
            "MB",
            "- (workerd ~900 MB RSS after ~2k instances)",
            "< 200 MB",
            absolute < 200,
            [r["asleep_mb"] for r in runs],
            note=(
                f"+{increment:.0f} MB over the {median([r['base_mb'] for r in runs]):.0f} MB "
                f"baseline; peak {peak:.0f} MB during the advance; create to all asleep "
                f"{create:.2f} s (file store)"
            ),
        ),
        Figure(
            "asleep.advance",
            f"{n} instances asleep: one advance('1 day') wakes all, to all complete",
            advance,
            "s",
            "-",
            "< 5 s",
            advance < 5,
            [r["advance_s"] for r in runs],
            cpu=median([r["advance_cpu_s"] for r in runs]),
        ),
    ]


async def figures_sleep7(project: Path, tmp: Path, sizes: Sizes) -> list[Figure]:
    figures = []
    for store_kind, db in (("memory", None), ("file", tmp / "sleep7.sqlite3")):
        with open_engine(project, db=db, clock="manual") as (engine, h):
            await engine.start()
            samples = await timed(sizes.runs, partial(sleep7, h))
            await engine.close()
        value = median(samples.ms())
        figures.append(
            Figure(
                f"sleep7.{store_kind}",
                f"7-day sleep, manual time, create to complete ({store_kind} store)",
                value,
                "ms",
                "impossible (only pre-set skips in vitest)",
                "< 10 ms",
                value < 10,
                samples.ms(),
                cpu=median(samples.cpu) * 1000,
            )
        )
    return figures


# -- output -----------------------------------------------------------------------------------


def engine_revision() -> str:
    """The commit the engine was measured at (``+changes`` when wf/ has edits)."""
    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "wf", "emulator"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" +changes in wf/" if dirty else "")


def machine() -> dict[str, str]:
    return {
        "engine": engine_revision(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": str(os.cpu_count()),
        "python": platform.python_version(),
        "sqlite": __import__("sqlite3").sqlite_version,
        "platform": platform.platform(terse=True),
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def print_table(figures: list[Figure]) -> None:
    for f in figures:
        met = {True: "yes", False: "NO", None: "-"}[f.met]
        print(f"{f.key:<16} {f.label}")
        print(
            f"{'':<16}   wf {f.shown()}   |  wrangler dev {f.wrangler}  |  target {f.target}"
            f"  |  met: {met}"
        )
        if f.note:
            print(f"{'':<16}   ({f.note})")


def markdown(figures: list[Figure]) -> str:
    lines = [
        "| figure | wrangler dev 4.86 | wf | wf, from CPU time | target | met? |",
        "|---|---|---|---|---|---|",
    ]
    for f in figures:
        met = {True: "yes", False: "**no**", None: "-"}[f.met]
        value = f.format(f.value) + (f" ({f.note})" if f.note else "")
        cpu = "-" if f.cpu is None else f.format(f.cpu)
        lines.append(f"| {f.label} | {f.wrangler} | {value} | {cpu} | {f.target} | {met} |")
    return "\n".join(lines)


# -- profiling --------------------------------------------------------------------------------


async def profile_target(name: str, project: Path, tmp: Path, sizes: Sizes) -> None:
    profiler = cProfile.Profile()
    if name == "asleep":
        profiler.enable()
        result = await asleep_child(sizes.asleep_n)
        profiler.disable()
        print(result)
    else:
        db = tmp / "profile.sqlite3"
        clock = "manual" if name == "sleep7" else "real"
        with open_engine(project, db=db, clock=clock) as (engine, h):
            await engine.start()
            work: dict[str, Callable[[], Awaitable[Any]]] = {
                "seq100": lambda: seq100(h),
                "many200": lambda: many200(h),
                "sleep7": lambda: sleep7(h),
                "fill": lambda: fill(h, 2_000),
            }
            await work[name]()  # warm-up
            profiler.enable()
            for _ in range(1 if name == "fill" else 20):
                await work[name]()
            profiler.disable()
            await engine.close()
    stats = pstats.Stats(profiler, stream=sys.stdout)
    print_by_area(stats)
    stats.strip_dirs().sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(25)


AREAS = (
    ("sqlite3 (C)", ("sqlite3.",)),
    ("json (stdlib)", ("/json/",)),
    ("asyncio (stdlib)", ("/asyncio/", "_asyncio.", "_contextvars", "selectors.py")),
    ("wf/step.py", ("wf/step.py", "emulator/step.py")),
    ("wf/engine", ("wf/engine", "emulator/engine")),
    ("wf/store", ("wf/store", "emulator/store")),
    ("wf/clock.py", ("wf/clock.py", "emulator/clock.py")),
    ("wf/serialization.py", ("wf/serialization.py", "emulator/serialization.py")),
    ("wf/runtime (JsDict)", ("wf/runtime/", "emulator/runtime/")),
    ("workflow code", ("src/entry.py",)),
    ("bench harness", ("engine_bench.py",)),
)


def print_by_area(stats: pstats.Stats) -> None:
    """Own time (tottime) summed by area, so the hot layer shows at a glance."""
    totals: dict[str, float] = {}
    entries: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    for (filename, _line, func), (_cc, _nc, tottime, _ct, _callers) in entries.items():
        where = f"{filename}:{func}"
        area = next((a for a, keys in AREAS if any(k in where for k in keys)), "other")
        totals[area] = totals.get(area, 0.0) + tottime
    grand = sum(totals.values()) or 1.0
    print("own time by area (profiled, so inflated ~2-3x overall):")
    for area, seconds in sorted(totals.items(), key=lambda kv: -kv[1]):
        print(f"  {area:<28} {seconds:7.3f} s  {100 * seconds / grand:5.1f} %")
    print()


# -- main -------------------------------------------------------------------------------------


async def run_all(sizes: Sizes) -> list[Figure]:
    figures: list[Figure] = []
    with project_dir() as project, tempfile.TemporaryDirectory(prefix="wf-bench-") as tmp_name:
        tmp = Path(tmp_name)
        steps: list[tuple[str, Callable[[], Awaitable[list[Figure]]]]] = [
            ("seq100 + many200", lambda: figures_seq_many(project, tmp, sizes)),
            ("bytes", lambda: figures_bytes(project, tmp, sizes)),
            ("kept", lambda: figures_kept(project, tmp, sizes)),
            ("sleep7", lambda: figures_sleep7(project, tmp, sizes)),
        ]
        for name, step in steps:
            t0 = time.perf_counter()
            figures.extend(await step())
            print(f"# {name}: {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    asleep = figures_asleep(sizes)
    print(f"# asleep: {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    order = ["seq100", "many200", "bytes", "kept", "asleep", "sleep7"]
    figures.extend(asleep)
    figures.sort(key=lambda f: order.index(f.key.split(".")[0]))
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="wf engine benchmark", formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small counts, for a smoke run")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    parser.add_argument("--markdown", action="store_true", help="print the RESULTS.md table")
    parser.add_argument(
        "--profile",
        choices=("seq100", "many200", "fill", "asleep", "sleep7"),
        help="cProfile one workload instead of measuring",
    )
    parser.add_argument("--asleep-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL

    if args.asleep_child:
        print(json.dumps(asyncio.run(asleep_child(args.asleep_child))))
        return 0
    if args.profile:

        async def profile() -> None:
            with project_dir() as project, tempfile.TemporaryDirectory() as tmp:
                await profile_target(args.profile, project, Path(tmp), sizes)

        asyncio.run(profile())
        return 0

    info = machine()
    command = "bench/engine_bench.py" + (" --quick" if args.quick else "")
    print(f"wf engine bench: {command}  (engine at {info['engine']})")
    print(
        f"machine: {info['nproc']} cpus, Python {info['python']}, SQLite {info['sqlite']}, "
        f"{info['platform']}; {info['date']}; load average {info['load']}"
    )
    print(f"medians of {sizes.runs} runs ({sizes.asleep_runs} child processes for asleep)\n")
    t0 = time.perf_counter()
    figures = asyncio.run(run_all(sizes))
    print_table(figures)
    print(f"\nload average at the end: {machine()['load']}")
    missed = [f.key for f in figures if f.met is False]
    print(
        f"\n{len(figures) - len(missed)}/{len(figures)} targets met"
        + (f"; missed: {', '.join(missed)}" if missed else "")
        + f"; total {time.perf_counter() - t0:.1f} s"
    )
    if args.markdown:
        print()
        print(markdown(figures))
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "machine": info,
                    "command": command,
                    "figures": [f.__dict__ for f in figures],
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
