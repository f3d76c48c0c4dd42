"""Server benchmark: `wf dev` side by side with `wrangler dev` 4.86.0, over HTTP, in one run.

Usage (from the repository root)::

    .venv/bin/python bench/server_bench.py                  # full run, both servers, < 3 minutes
    .venv/bin/python bench/server_bench.py --quick          # smoke run: wf only, 1 run, small N
    .venv/bin/python bench/server_bench.py --quick --with-wrangler
    .venv/bin/python bench/server_bench.py --markdown       # also print the RESULTS.md section
    .venv/bin/python bench/server_bench.py --write-results  # also replace `## Server` there

The two servers run the same Worker: `wrangler dev` the JS reference project
(``../shared/reference/wrangler-ref`` next to the repository, or ``$WF_WRANGLER_REF``), `wf dev`
its Python port in ``bench/ref/``. wrangler 4.86.0 is installed with npm into a cache directory
outside the repository (``$WF_WRANGLER_CACHE``, default ``<tmp>/wf-bench-wrangler-4.86.0``),
as the reference's setup.sh does; the first run pays the install (~10 s). Without npm or without
the reference project, the wrangler column says why it was skipped.

Figures (medians; the start runs of the two servers alternate so both see the same load):

1. ``start``: from spawning the server process to the first HTTP 200 on ``GET /ping``, with a
   fresh ``--persist-to`` directory each run. ``/ping`` is probed with a raw HTTP request every
   5 ms. One unreported warm-up start of each server comes first (a cold file cache).
2. ``http``: the reference's ``bench.mjs`` "http" mode: N ``POST /create?wf=seq`` (params
   ``{"n": 3}``: the 3-step ``SeqWorkflow``) through the Worker's fetch handler, 16 at a time,
   then ``GET /statusMany`` every 20 ms until all N are complete. Reported as instances/s
   (N / wall time from the first create to all complete), with the create phase on its own,
   and the server's CPU time (its process tree's user + sys) per run. Each server is started
   once for this figure and warmed up with a round of 32 instances; the runs then follow on it.

Only loopback is used: servers bind 127.0.0.1 and the client talks to 127.0.0.1. Every process
started here is stopped by PID (SIGTERM, then SIGKILL for leftovers of its tree).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
WF_PROJECT = ROOT / "bench" / "ref"
WRANGLER_VERSION = "4.86.0"
DEFAULT_REF = ROOT.parent / "shared" / "reference" / "wrangler-ref"
HOST = "127.0.0.1"
CONCURRENCY = 16
SEQ_PARAMS = {"n": 3}
PROBE_EVERY_S = 0.005
POLL_EVERY_S = 0.020
START_TIMEOUT_S = 60.0
COMPLETE_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 5.0
WARMUP_N = 32
NOPYC = "wf, no .pyc"

# what DESIGN.md's targets say, and what the reference's FINDINGS.md measured
TARGET_START = "< 0.3 s"
TARGET_HTTP = "> 2,000/s (engine target; HTTP adds overhead)"
WRANGLER_FINDINGS = {"start": "1.25 s", "http": "80/s"}


@dataclass(frozen=True)
class Sizes:
    start_runs: int  # fresh processes per server for the start figure
    http_runs: int  # rounds of N on one server for the throughput figure
    n: int  # instances per round


FULL = Sizes(start_runs=7, http_runs=5, n=200)
QUICK = Sizes(start_runs=1, http_runs=1, n=40)


# -- processes --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def children_map() -> dict[int, list[int]]:
    """Parent PID -> child PIDs, from /proc (empty where there is no /proc)."""
    kids: dict[int, list[int]] = {}
    with contextlib.suppress(OSError):
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    stat = f.read().decode(errors="replace")
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            kids.setdefault(ppid, []).append(int(entry))
    return kids


def tree(pid: int) -> list[int]:
    """``pid`` and its live descendants."""
    kids = children_map()
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def cpu_seconds(pids: list[int]) -> float | None:
    """User + system CPU time of these processes (None where /proc is missing)."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total, seen = 0.0, False
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                fields = f.read().decode(errors="replace").rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
        seen = True
    return total if seen else None


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Server:
    """One spawned server process; ``stop()`` ends it and its descendants, by PID."""

    def __init__(self, name: str, cmd: list[str], cwd: Path, log: Path, env: dict[str, str]):
        self.name = name
        self.port = int(cmd[cmd.index("--port") + 1])
        self.log = log
        self._log_file = open(log, "wb")  # noqa: SIM115 (closed in stop())
        self.t_spawn = time.perf_counter()
        self.proc = subprocess.Popen(
            cmd,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def pids(self) -> list[int]:
        return tree(self.pid)

    async def wait_ready(self) -> float:
        """Seconds from spawn to the first HTTP 200 on /ping."""
        deadline = self.t_spawn + START_TIMEOUT_S
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited ({self.proc.returncode}) before answering; "
                    f"last log lines:\n{tail(self.log)}"
                )
            if await probe(self.port):
                return time.perf_counter() - self.t_spawn
            await asyncio.sleep(PROBE_EVERY_S)
        raise RuntimeError(
            f"{self.name} not ready after {START_TIMEOUT_S:.0f} s:\n{tail(self.log)}"
        )

    def stop(self) -> None:
        pids = self.pids() if self.proc.poll() is None else []
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while time.monotonic() < deadline:
            self.proc.poll()
            if (
                not any(alive(p) for p in pids if p != self.pid)
                and self.proc.returncode is not None
            ):
                break
            time.sleep(0.02)
        for p in pids:
            if p == self.pid and self.proc.returncode is not None:
                continue
            if alive(p):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(p, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=STOP_TIMEOUT_S)
        self._log_file.close()


def tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


async def probe(port: int) -> bool:
    """One raw ``GET /ping``: True on a 200."""
    try:
        reader, writer = await asyncio.open_connection(HOST, port)
    except OSError:
        return False
    try:
        writer.write(
            f"GET /ping HTTP/1.1\r\nHost: {HOST}:{port}\r\nConnection: close\r\n\r\n".encode()
        )
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), timeout=30)
        return line.split(b" ")[1:2] == [b"200"]
    except (TimeoutError, OSError, IndexError):
        return False
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


# -- the two servers --------------------------------------------------------------------------


@dataclass
class Peer:
    """How to spawn one server; ``skip`` says why it is not measured."""

    name: str
    cwd: Path
    skip: str | None = None
    base_env: dict[str, str] = field(default_factory=lambda: dict(os.environ))

    def command(self, port: int, state: Path) -> list[str]:
        raise NotImplementedError

    def spawn(self, port: int, state: Path, log: Path) -> Server:
        return Server(self.name, self.command(port, state), self.cwd, log, self.base_env)


# `wf dev`'s entry point in either layout (`cli` in trees from before the `wf` package).
ENTRY_POINT = (
    "try:\n    from cli.main import main\nexcept ImportError:\n    from wf.cli.main import main\n"
)


class WfPeer(Peer):
    """`wf dev` on ``bench/ref``.

    ``pyc=True`` is Python's normal set-up: modules load from cached bytecode (kept in a
    ``PYTHONPYCACHEPREFIX`` directory of the bench's temporary directory, not in the repo; the
    warm-up start writes it). ``pyc=False`` sets ``PYTHONDONTWRITEBYTECODE=1``, so the repo's
    own modules (which have no cached bytecode then) are compiled at every start.
    """

    def __init__(self, name: str, pyc: bool, pycache: Path) -> None:
        super().__init__(name, ROOT)
        self.pyc = pyc
        self.base_env.pop("PYTHONPYCACHEPREFIX", None)
        self.base_env.pop("PYTHONDONTWRITEBYTECODE", None)
        if pyc:
            self.base_env["PYTHONPYCACHEPREFIX"] = str(pycache)
        else:
            self.base_env["PYTHONDONTWRITEBYTECODE"] = "1"

    def command(self, port: int, state: Path) -> list[str]:
        script = Path(sys.executable).parent / "wf"
        head = (
            [str(script)]
            if script.exists()
            else [sys.executable, "-c", ENTRY_POINT + "import sys; sys.exit(main())"]
        )
        return [*head, "dev", str(WF_PROJECT), "--port", str(port), "--persist-to", str(state)]


class WranglerPeer(Peer):
    def command(self, port: int, state: Path) -> list[str]:
        return [
            str(self.cwd / "node_modules" / ".bin" / "wrangler"),
            "dev",
            "--port",
            str(port),
            "--ip",
            HOST,
            "--local",
            "--persist-to",
            str(state),
        ]


def wf_peers(tmp: Path) -> list[WfPeer]:
    pycache = tmp / "pycache"
    return [WfPeer("wf", True, pycache), WfPeer(NOPYC, False, pycache)]


def wrangler_peer(enabled: bool, why_disabled: str) -> WranglerPeer:
    """wrangler 4.86.0 in the cache directory, running the reference project (or a skip)."""
    ref = Path(os.environ.get("WF_WRANGLER_REF") or DEFAULT_REF)
    cache = Path(
        os.environ.get("WF_WRANGLER_CACHE")
        or Path(tempfile.gettempdir()) / f"wf-bench-wrangler-{WRANGLER_VERSION}"
    )
    peer = WranglerPeer("wrangler dev", cache)
    if not enabled:
        peer.skip = why_disabled
        return peer
    if not (ref / "src" / "index.js").is_file() or not (ref / "wrangler.jsonc").is_file():
        where = "$WF_WRANGLER_REF" if os.environ.get("WF_WRANGLER_REF") else "../shared/reference"
        peer.skip = (
            f"the reference project (wrangler-ref) is not in {where}: set WF_WRANGLER_REF to "
            "its folder"
        )
        return peer
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        peer.skip = "npm/node not available"
        return peer
    try:
        (cache / "src").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ref / "wrangler.jsonc", cache / "wrangler.jsonc")
        shutil.copyfile(ref / "src" / "index.js", cache / "src" / "index.js")
        installed = cache / "node_modules" / "wrangler" / "package.json"
        version = json.loads(installed.read_text()).get("version") if installed.exists() else None
        if version != WRANGLER_VERSION:
            print(
                f"# installing wrangler@{WRANGLER_VERSION} with npm into {cache} ...",
                file=sys.stderr,
                flush=True,
            )
            if not (cache / "package.json").exists():
                subprocess.run([npm, "init", "-y"], cwd=cache, check=True, capture_output=True)
            subprocess.run(
                [npm, "install", "--no-audit", "--no-fund", f"wrangler@{WRANGLER_VERSION}"],
                cwd=cache,
                check=True,
                capture_output=True,
                timeout=600,
            )
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        detail = getattr(exc, "stderr", None)
        detail = detail.decode(errors="replace").strip()[-300:] if detail else str(exc)
        detail = detail.replace(str(cache), "<cache>").replace(str(Path.home()), "~")
        peer.skip = f"npm install wrangler@{WRANGLER_VERSION} failed: {detail}"
        return peer
    if not (cache / "node_modules" / ".bin" / "wrangler").exists():
        peer.skip = "no node_modules/.bin/wrangler in the cache directory after npm install"
        return peer
    peer.base_env.update(WRANGLER_SEND_METRICS="false", WRANGLER_SEND_ERROR_REPORTS="false", CI="1")
    return peer


# -- the figures ------------------------------------------------------------------------------


@contextlib.contextmanager
def running(peer: Peer, tmp: Path, label: str) -> Iterator[Server]:
    state = Path(tempfile.mkdtemp(prefix=f"state-{label}-", dir=tmp))
    server = peer.spawn(free_port(), state, state.with_suffix(".log"))
    try:
        yield server
    finally:
        server.stop()


async def measure_starts(peers: list[Peer], tmp: Path, runs: int) -> dict[str, list[float]]:
    """Alternating fresh starts of each peer (after one unreported warm-up start each)."""
    out: dict[str, list[float]] = {p.name: [] for p in peers}
    for run in range(-1, runs):
        for peer in peers:
            with running(peer, tmp, f"{peer.name.split()[0]}-start{run}") as server:
                seconds = await server.wait_ready()
            if run >= 0:
                out[peer.name].append(seconds)
            print(
                f"# start {peer.name} run {run if run >= 0 else 'warm-up'}: {seconds:.3f} s",
                file=sys.stderr,
                flush=True,
            )
    return out


@dataclass
class Round:
    total: float  # first create to all complete, seconds
    created: float  # the create phase, seconds
    cpu: float | None  # the server tree's CPU seconds over the round


async def http_round(
    session: aiohttp.ClientSession, base: str, prefix: str, n: int, server: Server
) -> Round:
    pids = server.pids()
    cpu0 = cpu_seconds(pids)
    body = json.dumps(SEQ_PARAMS)
    next_i = 0

    async def worker() -> None:
        nonlocal next_i
        while next_i < n:
            i = next_i
            next_i += 1
            async with session.post(f"{base}/create?wf=seq&id={prefix}{i}", data=body) as r:
                text = await r.text()
                if r.status != 200:
                    raise RuntimeError(f"POST /create -> {r.status}: {text[:200]}")

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    created = time.perf_counter() - t0
    url = f"{base}/statusMany?wf=seq&prefix={prefix}&n={n}"
    while True:
        async with session.get(url) as r:
            counts = await r.json(content_type=None)
        if counts.get("complete") == n:
            break
        bad = {k: v for k, v in counts.items() if k not in ("running", "queued", "complete")}
        if bad:
            raise RuntimeError(f"{server.name}: instances not completing: {counts}")
        if time.perf_counter() - t0 > COMPLETE_TIMEOUT_S:
            raise RuntimeError(f"{server.name}: not all complete after {COMPLETE_TIMEOUT_S} s")
        await asyncio.sleep(POLL_EVERY_S)
    total = time.perf_counter() - t0
    cpu1 = cpu_seconds(pids)
    cpu = None if cpu0 is None or cpu1 is None else cpu1 - cpu0
    return Round(total, created, cpu)


async def measure_http(peer: Peer, tmp: Path, sizes: Sizes) -> list[Round]:
    tag = format(int(time.time() * 1000) % 36**6, "x")
    label = peer.name.split()[0]
    with running(peer, tmp, f"{label}-http") as server:
        await server.wait_ready()
        base = f"http://{HOST}:{server.port}"
        connector = aiohttp.TCPConnector(limit=CONCURRENCY + 4)
        timeout = aiohttp.ClientTimeout(total=60)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            await http_round(session, base, f"warm-{tag}-", WARMUP_N, server)
            rounds = []
            for run in range(sizes.http_runs):
                r = await http_round(session, base, f"h{run}-{tag}-", sizes.n, server)
                rounds.append(r)
                cpu = "" if r.cpu is None else f", server CPU {r.cpu:.2f} s"
                print(
                    f"# http {peer.name} run {run}: {sizes.n} in {r.total:.3f} s "
                    f"(create {r.created:.3f} s{cpu})",
                    file=sys.stderr,
                    flush=True,
                )
    return rounds


# -- output -----------------------------------------------------------------------------------


@dataclass
class Row:
    key: str
    label: str
    values: dict[str, str]  # peer name -> shown value
    target: str
    met: bool | None = None


def spread(values: list[float], fmt: str) -> str:
    if len(values) < 2:
        return ""
    return f" ({format(min(values), fmt)}-{format(max(values), fmt)})"


def build_rows(
    peers: list[Peer],
    starts: dict[str, list[float]],
    http: dict[str, list[Round]],
    sizes: Sizes,
) -> list[Row]:
    n = sizes.n
    rows = [
        Row("start", "start to first response (spawn to first 200 on /ping)", {}, TARGET_START),
        Row("start.nopyc", "  the same, wf without .pyc (PYTHONDONTWRITEBYTECODE=1)", {}, "-"),
        Row(
            "http",
            f"HTTP trigger throughput: {n} POST /create (x{CONCURRENCY}), 3 steps, all complete",
            {},
            TARGET_HTTP,
        ),
        Row("http.create", f"  create phase only ({n} POST /create, x{CONCURRENCY})", {}, "-"),
        Row("http.cpu", "  server CPU time per round (user + sys, process tree)", {}, "-"),
    ]
    by_key = {r.key: r for r in rows}
    for peer in peers:
        column = "wf" if isinstance(peer, WfPeer) else peer.name
        start_key = "start.nopyc" if peer.name == NOPYC else "start"
        if peer.skip:
            for r in rows:
                r.values[column] = "skipped"
            continue
        s = starts.get(peer.name, [])
        if s:
            median = statistics.median(s)
            by_key[start_key].values[column] = f"{median:.3f} s" + spread(s, ".3f")
            if peer.name == "wf":
                by_key["start"].met = median < 0.3
        rounds = http.get(peer.name, [])
        if rounds:
            rates = [n / r.total for r in rounds]
            creates = [n / r.created for r in rounds]
            total_ms = statistics.median([r.total for r in rounds]) * 1000
            by_key["http"].values[column] = (
                f"{statistics.median(rates):,.0f}/s ({total_ms:.0f} ms)" + spread(rates, ",.0f")
            )
            by_key["http.create"].values[column] = (
                f"{statistics.median(creates):,.0f}/s "
                f"({statistics.median([r.created for r in rounds]) * 1000:.0f} ms)"
            )
            cpus = [r.cpu for r in rounds if r.cpu is not None]
            if cpus:
                per = statistics.median(cpus)
                by_key["http.cpu"].values[column] = (
                    f"{per * 1000:.0f} ms ({n / per:,.0f} inst./CPU-s)"
                )
            if peer.name == "wf":
                by_key["http"].met = statistics.median(rates) > 2000
    for r in rows:
        if r.key == "start.nopyc":
            r.values.setdefault("wrangler dev", "-")
    return rows


def revision() -> str:
    """The commit measured, and whether the server's code differs from it."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "wf", "emulator", "cli"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "unknown"
    if not head:
        return "unknown"
    return head + (" + uncommitted changes to wf/" if dirty else "")


def machine() -> dict[str, str]:
    return {
        "revision": revision(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": str(os.cpu_count()),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


COLUMNS = ("wrangler dev", "wf")


def print_table(rows: list[Row]) -> None:
    widths = [max(len(r.label) for r in rows), 30, 30]
    head = ["figure", *COLUMNS, "target", "met?"]
    print(f"{head[0]:<{widths[0]}} | {head[1]:<{widths[1]}} | {head[2]:<{widths[2]}} | {head[3]}")
    print("-" * (sum(widths) + 60))
    for r in rows:
        met = {True: "yes", False: "NO", None: "-"}[r.met]
        a, b = (r.values.get(c, "-") for c in COLUMNS)
        print(
            f"{r.label:<{widths[0]}} | {a:<{widths[1]}} | {b:<{widths[2]}} | {r.target}"
            + (f" | met: {met}" if r.met is not None else "")
        )


def markdown(rows: list[Row], info: dict[str, str], command: str, notes: list[str]) -> str:
    lines = [
        "## Server",
        "",
        f"Command: `{command}` (from the repository root).",
        f"Machine: {info['nproc']} CPUs, Python {info['python']}, {info['platform']}; "
        f"{info['date']}; load average {info['load']} at the start. wf at {info['revision']}.",
        "",
        "| figure | wrangler dev 4.86.0 | wf | target | met? |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        met = {True: "yes", False: "**no**", None: "-"}[r.met]
        a, b = (r.values.get(c, "-") for c in COLUMNS)
        lines.append(f"| {r.label.strip()} | {a} | {b} | {r.target} | {met} |")
    lines.append("")
    lines.extend(f"- {note}" for note in notes)
    return "\n".join(lines) + "\n"


def write_results(section: str, path: Path) -> None:
    """Replace the figures of RESULTS.md's ``## Server`` section (or append the section).

    Only the part before the section's first ``###`` heading is replaced: the analysis
    subsections written by hand stay, and so do the other sections.
    """
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    lines = text.splitlines(keepends=True)
    start = next((i for i, ln in enumerate(lines) if ln.rstrip() == "## Server"), None)
    if start is None:
        new = text.rstrip("\n") + "\n\n" + section
    else:
        end = next(
            (i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines)
        )
        kept = next((i for i in range(start + 1, end) if lines[i].startswith("### ")), end)
        rest = "".join(lines[kept:])
        new = "".join(lines[:start]) + section + ("\n" + rest if rest else "")
    path.write_text(new)


# -- main -------------------------------------------------------------------------------------


async def run_all(peers: list[Peer], sizes: Sizes, tmp: Path) -> list[Row]:
    active = [p for p in peers if not p.skip]
    starts = await measure_starts(active, tmp, sizes.start_runs)
    http: dict[str, list[Round]] = {}
    for peer in active:
        if peer.name != NOPYC:
            http[peer.name] = await measure_http(peer, tmp, sizes)
    return build_rows(peers, starts, http, sizes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="wf dev vs wrangler dev over HTTP",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 run, small N, wf only")
    parser.add_argument(
        "--with-wrangler", action="store_true", help="with --quick: measure wrangler dev too"
    )
    parser.add_argument("--runs", type=int, help="start runs (default 7; http rounds: 5)")
    parser.add_argument("-n", type=int, help="instances per throughput round (default 200)")
    parser.add_argument("--markdown", action="store_true", help="print the RESULTS.md section")
    parser.add_argument(
        "--write-results",
        action="store_true",
        help="replace the `## Server` section of bench/RESULTS.md with this run's figures",
    )
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    if args.runs:
        sizes = Sizes(args.runs, max(1, min(args.runs, sizes.http_runs)), sizes.n)
    if args.n:
        sizes = Sizes(sizes.start_runs, sizes.http_runs, args.n)

    with_wrangler = not args.quick or args.with_wrangler
    wrangler = wrangler_peer(with_wrangler, "not measured in --quick mode (add --with-wrangler)")
    shown = [a for a in (sys.argv[1:] if argv is None else argv) if a != "--write-results"]
    python = Path(sys.executable)
    python_shown = (
        str(python.relative_to(ROOT)) if python.is_relative_to(ROOT) else "python"
    )  # never a path of this machine outside the repo
    command = " ".join([python_shown, "bench/server_bench.py", *shown])
    info = machine()
    print(f"wf server bench: {command}")
    print(
        f"machine: {info['nproc']} cpus, Python {info['python']}, {info['platform']}; "
        f"{info['date']}; load average {info['load']}; wf at {info['revision']}"
    )
    if wrangler.skip:
        print(f"NOTE: wrangler dev SKIPPED: {wrangler.skip}")
    print(
        f"start: median of {sizes.start_runs} fresh starts each (after 1 warm-up); "
        f"throughput: median of {sizes.http_runs} rounds of {sizes.n} on one server "
        f"(after a {WARMUP_N}-instance warm-up)\n"
    )
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="wf-server-bench-") as tmp:
        peers: list[Peer] = [wrangler, *wf_peers(Path(tmp))]
        rows = asyncio.run(run_all(peers, sizes, Path(tmp)))
    print_table(rows)
    load_end = machine()["load"]
    print(f"\nload average at the end: {load_end}; total {time.perf_counter() - t0:.1f} s")
    notes = [
        f"wrangler dev {WRANGLER_VERSION} runs the reference project "
        "(`../shared/reference/wrangler-ref`, JS); wf dev runs its Python port `bench/ref/`. "
        f"FINDINGS.md measured wrangler at {WRANGLER_FINDINGS['start']} to start and "
        f"{WRANGLER_FINDINGS['http']} for the throughput figure.",
        "Start: spawn to the first 200 on `GET /ping` (probed every 5 ms), fresh `--persist-to` "
        "directory each run, the servers alternating, medians (min-max), after one unreported "
        "warm-up start each. wf's main row loads cached bytecode, as Python does by default "
        "(the cache is in the bench's temporary directory); the no-.pyc row compiles the "
        "repo's modules at every start, as any process started with PYTHONDONTWRITEBYTECODE=1 "
        "does.",
        "Throughput: the reference bench.mjs's http mode (16 concurrent `POST /create?wf=seq` "
        'with `{"n": 3}`, then `/statusMany` every 20 ms until all are complete), after a '
        f"{WARMUP_N}-instance warm-up on the same server; the client runs in the bench process "
        "on the same machine. The 2,000/s target is the engine's (bench/engine_bench.py, "
        "no HTTP).",
        f"Load average {info['load']} at the start, {load_end} at the end.",
    ]
    notes.extend(f"{p.name} skipped: {p.skip}" for p in peers if p.skip)
    section = markdown(rows, info, command, notes)
    if args.markdown:
        print()
        print(section)
    if args.write_results:
        write_results(section, ROOT / "bench" / "RESULTS.md")
        print("wrote the `## Server` section of bench/RESULTS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
