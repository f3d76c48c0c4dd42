"""Chaos run of `wf dev`: SIGKILLs at random moments while instances run, then a full audit.

One run writes a small project into a work directory, serves it with
``wf dev DIR --port P --time-scale N --no-reload`` and drives it over the explorer API from this
process (aiohttp, loopback only). Each instance of the ``chaos`` workflow runs steps with
retries (a step that fails its first attempts), sleeps, a step still running when a kill can
land, and a loop of ``step.wait_for_event("event", "go")`` that ends once both of the client's
two logical events (tags 1 and 2) have arrived. Every execution of a step's code appends one
fsynced line ``{instance, step, attempt, pid, run}`` to a side-effect log; ``run`` is a fresh
token per execution that the step also returns (or puts in its planned failure's message), so
the history names exactly which execution's outcome was committed.

The server is killed ``kills`` times: at random moments, and some right after the client read
a 2xx answer to a create or an event (the kill is sent in the same synchronous stretch as the
read, tens of microseconds later). It is restarted on the same directory each time; recovery
is the time from the spawn to the first successful answer. Virtual time is read every 50 ms,
right before each random kill and right after each restart.

The client records every write: acknowledged (2xx), or unknown (the connection died with the
server). An unknown create is resolved after the restart (GET, then POST again if absent); an
unknown event is never resent as the same event: the next send is a new copy (its own
``copy`` id) of the same tag, so "the client sent it twice" and "the engine delivered it twice"
stay distinguishable.

At the end the clock keeps running until everything that can finish has finished; instances
still waiting for an event whose sends were all acknowledged are noted, then the clock is
advanced past the event timeout (30 days), and every instance is audited:

- every acknowledged create exists (checked after each restart and at the end);
- events: the copies an instance consumed are distinct (no double consumption), in send order
  (FIFO), all sent by the client; every acknowledged copy sent before the last consumed one was
  consumed; one sent after it only if its tag had already arrived by an earlier copy;
- an instance waiting for an acknowledged event when everything else is done has a buffered
  event that was not delivered after a restart (it is delivered only when its timeout fires);
  one that errors with the event timeout lost the event;
- steps: a completed step never runs again (the committed successful execution is the last
  execution of the step); every other execution was committed as a planned failure, or came
  from a process that was then killed and was that process's last execution of the step (the
  only kind of execution whose outcome a kill can lose);
- every instance is complete with the right output;
- virtual time: now after each restart >= the largest now seen before the kill; in every
  history each step and attempt starts no later than it ends, and starts no earlier than the
  previous one ended.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from tests.devserver import free_port, wf_command

WORKFLOW = "chaos"
EVENT_TYPE = "go"
TAGS = (1, 2)
DO_STEPS = ("prepare", "flaky", "slow", "finish")
FINAL_ADVANCE = "31 days"  # past the event timeout in SOURCE (30 days: never reached in a run)
API = "/cdn-cgi/explorer/api/workflows/" + WORKFLOW
TIME = "/cdn-cgi/wf/time"
POLL_TIME_EVERY_S = 0.05
PROBE_EVERY_S = 0.005
START_TIMEOUT_S = 60.0
ARM_TIMEOUT_S = 3.0  # an armed after-ack kill falls back to a random one after this long
SETTLE_VIRTUAL_MS = 15 * 60_000.0  # far longer than the longest non-event part of a run
CREATE_SPAN = 0.75  # creates are spread over this share of the kills

SOURCE = '''\
import asyncio
import json
import os
import uuid

from workers import WorkflowEntrypoint

FLAKY = {"retries": {"limit": 5, "delay": "20 seconds", "backoff": "constant"}}


def effect(log, instance, step, attempt):
    """One line per execution of a step's code, on disk before the step does anything else."""
    run = uuid.uuid4().hex[:12]
    line = json.dumps(
        {"instance": instance, "step": step, "attempt": attempt, "pid": os.getpid(), "run": run}
    )
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (line + "\\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    return run


class Chaos(WorkflowEntrypoint):
    async def run(self, event, step):
        me = event["instanceId"]
        params = event["payload"]
        log = self.env.EFFECTS_LOG

        @step.do("prepare")
        async def prepare(ctx):
            run = effect(log, me, "prepare", ctx["attempt"])
            return {"value": params["n"] * 2, "run": run}

        @step.do("flaky", config=FLAKY)
        async def flaky(ctx):
            run = effect(log, me, "flaky", ctx["attempt"])
            if ctx["attempt"] <= params["fails"]:
                raise ValueError(f"planned failure run={run}")
            return {"value": params["n"] + 1, "run": run}

        first = await prepare()
        second = await flaky()
        await step.sleep("nap", "2 minutes")

        received, tags = [], set()
        while len(tags) < 2:
            got = await step.wait_for_event("event", "go", timeout="30 days")
            received.append([got["payload"]["tag"], got["payload"]["copy"]])
            tags.add(got["payload"]["tag"])

        @step.do("slow")
        async def slow(ctx):
            run = effect(log, me, "slow", ctx["attempt"])
            await asyncio.sleep(0.05)  # still running at the end of its tick: a kill can land here
            return {"value": sum(tags), "run": run}

        third = await slow()
        await step.sleep("nap2", "1 minute")

        @step.do("finish")
        async def finish(ctx):
            run = effect(log, me, "finish", ctx["attempt"])
            return {"value": "done-" + me, "run": run}

        last = await finish()
        return {
            "instance": me,
            "steps": {"prepare": first, "flaky": second, "slow": third, "finish": last},
            "events": received,
        }
'''


def write_project(root: Path, effects: Path) -> None:
    """wrangler.jsonc and src/entry.py of the chaos project; the log path is a var."""
    (root / "src").mkdir(parents=True, exist_ok=True)
    (root / "src" / "entry.py").write_text(SOURCE)
    config = {
        "name": "chaos",
        "main": "src/entry.py",
        "compatibility_date": "2026-08-14",
        "compatibility_flags": ["python_workers"],
        "workflows": [{"name": WORKFLOW, "binding": "CHAOS", "class_name": "Chaos"}],
        "vars": {"EFFECTS_LOG": str(effects)},
    }
    (root / "wrangler.jsonc").write_text(json.dumps(config, indent=2) + "\n")


def expected_values(instance: str, n: int) -> dict[str, Any]:
    """The deterministic part of an instance's output (each step's ``value``)."""
    return {"prepare": n * 2, "flaky": n + 1, "slow": sum(TAGS), "finish": "done-" + instance}


def iso(ms: float | None) -> str:
    if ms is None:
        return "-"
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_iso(text: str | None) -> float | None:
    if text is None:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000


# -- configuration and results ------------------------------------------------------------------


@dataclass(frozen=True)
class ChaosConfig:
    instances: int = 30
    kills: int = 8
    after_create_kills: int = 2  # kills right after an acknowledged create
    after_event_kills: int = 2  # kills right after an acknowledged event
    scale: float = 400.0  # virtual seconds per real second
    interval: tuple[float, float] = (0.4, 1.0)  # real seconds the server runs between kills
    seed: int = 7
    deadline_s: float = 240.0  # the whole run, a guard against a hang
    code: Path | None = None  # run `wf dev` from this source tree (its wf/cli/ and wf/)


@dataclass
class Kill:
    index: int
    kind: str  # "random", "after create ack", "after event ack"
    pid: int
    generation: int
    write: str | None = None  # the acknowledged write it followed
    ack_to_kill_ms: float | None = None
    before_ms: float = 0.0  # largest virtual now seen before the kill
    after_ms: float | None = None  # virtual now of the first answer after the restart
    recovery_s: float | None = None
    lost_creates: list[str] = field(default_factory=list)

    @property
    def regression_ms(self) -> float:
        return max(0.0, self.before_ms - self.after_ms) if self.after_ms is not None else 0.0


@dataclass
class Send:
    """One POST of an event (one copy of a tag)."""

    copy: int
    tag: int
    generation: int
    state: str = "pending"  # acked, unknown, or "rejected <status>"
    acked_at: float | None = None  # perf_counter when the 2xx was read
    kill_after_ms: float | None = None  # ms from the ack to the next kill, if one followed


@dataclass
class Instance:
    id: str
    n: int
    fails: int
    create: str = "pending"  # acked, exists (unknown then found), lost
    create_generation: int | None = None
    create_acked_at: float | None = None  # perf_counter when the 2xx was read
    create_kill_after_ms: float | None = None  # ms from the ack to the next kill, if one followed
    sends: list[Send] = field(default_factory=list)
    done_sending: bool = False
    stuck: str | None = None  # what it waited for after everything else had finished
    final: dict[str, Any] | None = None  # describe after the run


CATEGORIES = (
    "acked create lost",
    "acked event lost",
    "buffered event not delivered after a restart",
    "event consumed twice",
    "events out of FIFO order",
    "completed step re-run",
    "re-execution not explained by a kill",
    "instance not complete or wrong output",
    "virtual time went backwards across a restart",
    "history out of order",
    "unexpected answer",
)


@dataclass
class ChaosReport:
    config: ChaosConfig
    kills: list[Kill] = field(default_factory=list)
    instances: list[Instance] = field(default_factory=list)
    executions: int = 0
    re_executions: int = 0  # executions whose outcome a kill lost (allowed)
    wall_s: float = 0.0
    final_recovery_s: float | None = None
    problems: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def problem(self, category: str, text: str) -> None:
        self.problems[category].append(text)

    def failed(self) -> dict[str, list[str]]:
        return {k: v for k, v in self.problems.items() if v}

    def figures(self) -> list[tuple[str, str]]:
        acked_creates = sum(1 for i in self.instances if i.create_generation is not None)
        sends = [s for i in self.instances for s in i.sends]
        acked = [s for s in sends if s.state == "acked"]
        ack_kills = [k for k in self.kills if k.ack_to_kill_ms is not None]
        recoveries = [k.recovery_s for k in self.kills if k.recovery_s is not None]
        regressions = [k.regression_ms for k in self.kills if k.regression_ms > 0]
        delays = [k.ack_to_kill_ms for k in ack_kills if k.ack_to_kill_ms is not None]
        count = {c: len(v) for c, v in self.problems.items()}
        rows = [
            ("kills (SIGKILL)", str(len(self.kills))),
            (
                "  right after an acknowledged write",
                f"{len(ack_kills)} ("
                f"{sum(1 for k in ack_kills if 'create' in k.kind)} create, "
                f"{sum(1 for k in ack_kills if 'event' in k.kind)} event); ack to kill "
                + (
                    f"median {statistics.median(delays):.3f} ms, max {max(delays):.3f} ms"
                    if delays
                    else "-"
                ),
            ),
            ("instances", f"{len(self.instances)}"),
            (
                "acknowledged creates",
                f"{acked_creates} (+{sum(1 for i in self.instances if i.create == 'exists')} "
                "unanswered, found after the restart)",
            ),
            (
                "acknowledged events",
                f"{len(acked)} (+{sum(1 for s in sends if s.state == 'unknown')} unanswered)",
            ),
            ("acked creates lost", str(count.get("acked create lost", 0))),
            ("acked events lost", str(count.get("acked event lost", 0))),
            (
                "buffered events not delivered after a restart",
                str(count.get("buffered event not delivered after a restart", 0)),
            ),
            ("events consumed twice", str(count.get("event consumed twice", 0))),
            (
                "step executions",
                f"{self.executions} ({self.re_executions} re-run after a kill lost their outcome)",
            ),
            ("completed steps re-run", str(count.get("completed step re-run", 0))),
            (
                "instances complete with the right output",
                f"{sum(1 for i in self.instances if _complete(i))} of {len(self.instances)}",
            ),
            (
                "recovery (spawn to first answer)",
                f"median {statistics.median(recoveries):.3f} s, max {max(recoveries):.3f} s"
                if recoveries
                else "-",
            ),
            (
                "virtual time backwards after a restart",
                f"{len(regressions)} of {len(self.kills)} restarts, max "
                f"{max(regressions, default=0.0) / 1000:.1f} virtual s",
            ),
            ("history order violations", str(count.get("history out of order", 0))),
            ("wall time", f"{self.wall_s:.1f} s"),
        ]
        return rows

    def summary(self) -> str:
        width = max(len(k) for k, _ in self.figures())
        lines = [
            f"chaos: {self.config.kills} kills, {self.config.instances} instances, "
            f"scale x{self.config.scale:g}, seed {self.config.seed}"
        ]
        lines += [f"  {k.ljust(width)}  {v}" for k, v in self.figures()]
        return "\n".join(lines)

    def kill_table(self) -> str:
        """One line per kill: what it followed, virtual time around it, recovery, losses."""
        lines = [
            "   #  kind                      ack->kill  before kill (virtual)    after restart"
            "            back (s)  recovery  lost creates"
        ]
        for k in self.kills:
            lines.append(
                f"  {k.index:2d}  {k.kind[:24]:24}  "
                + (f"{k.ack_to_kill_ms:6.3f} ms" if k.ack_to_kill_ms is not None else "       - ")
                + f"  {iso(k.before_ms)}  {iso(k.after_ms)}  {k.regression_ms / 1000:8.1f}  "
                + (f"{k.recovery_s:6.3f} s" if k.recovery_s is not None else "      - ")
                + f"  {', '.join(k.lost_creates) or '-'}"
            )
        return "\n".join(lines)

    def failures(self, limit: int = 12) -> str:
        out = []
        for category, items in self.failed().items():
            out.append(f"{category}: {len(items)}")
            out += [f"  - {text}" for text in items[:limit]]
            if len(items) > limit:
                out.append(f"  ... {len(items) - limit} more")
        return "\n".join(out)


def _complete(instance: Instance) -> bool:
    return instance.final is not None and instance.final.get("status") == "complete"


# -- the server -----------------------------------------------------------------------------------


class Server:
    """`wf dev` on the project, restarted after each kill; stdout of each process in a file."""

    def __init__(self, project: Path, logs: Path, scale: float, code: Path | None) -> None:
        self.project = project
        self.code = code
        self.logs = logs
        self.scale = scale
        self.port = free_port()
        self.generation = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.pids: list[int] = []

    @property
    def log_path(self) -> Path:
        return self.logs / f"server-{self.generation}.log"

    def start(self) -> None:
        self.generation += 1
        env = {**os.environ, "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"}
        command = wf_command()
        if self.code is not None:
            # That tree's packages first on sys.path (-P: not the working directory's).
            command = [sys.executable, "-P", "-c", "from wf.cli.main import main; main()"]
            env["PYTHONPATH"] = os.pathsep.join(
                [str(self.code), *filter(None, [os.environ.get("PYTHONPATH")])]
            )
        with open(self.log_path, "wb") as out:
            self.process = subprocess.Popen(
                [
                    *command,
                    "dev",
                    str(self.project),
                    "--port",
                    str(self.port),
                    "--time-scale",
                    f"{self.scale:g}",
                    "--no-reload",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                cwd=self.code,
            )
        self.pids.append(self.process.pid)

    def kill(self) -> int:
        """SIGKILL now (no wait: the caller may be right after reading an answer)."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        return self.process.pid

    def reap(self) -> None:
        if self.process is not None:
            self.process.wait(timeout=10)

    def exited(self) -> bool:
        return self.process is None or self.process.poll() is not None

    def tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM and wait for a clean exit; SIGKILL after 10 s."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


# -- the client -----------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    body: Any
    read_at: float  # perf_counter right after the answer was read

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def result(self) -> Any:
        return self.body.get("result") if isinstance(self.body, dict) else None


class HarnessError(RuntimeError):
    """The harness itself could not go on (the server would not start, the run hung)."""


class Chaos:
    def __init__(self, config: ChaosConfig, workdir: Path) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self.project = workdir / "project"
        self.effects = workdir / "effects.log"
        logs = workdir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        write_project(self.project, self.effects)
        self.server = Server(self.project, logs, config.scale, config.code)
        self.report = ChaosReport(config)
        self.instances = [Instance(f"c{i:03d}", n=i, fails=i % 3) for i in range(config.instances)]
        self.report.instances = self.instances
        self.up = asyncio.Event()  # traffic may flow (the server answers, checks are done)
        self.armed: str | None = None  # "create" or "event": kill right after its next ack
        self.armed_kill: asyncio.Future[tuple[str, float]] | None = None  # (write, ms)
        self.max_seen = 0.0
        self.copies = 0
        self.last_ack_virtual = 0.0
        self.killed_at = 0.0  # perf_counter of the latest kill
        self.session: aiohttp.ClientSession | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    # -- requests ------------------------------------------------------------------------------

    async def request(
        self, method: str, path: str, body: Any = None, *, write: str | None = None
    ) -> Answer | None:
        """One request; None when no answer came (the server died or was down).

        ``write`` ("create"/"event") marks an acknowledgeable write: if a kill is armed for
        that kind, the server is killed in the same synchronous stretch as reading its 2xx.
        """
        assert self.session is not None
        try:
            async with self.session.request(method, self.base + path, json=body) as response:
                raw = await response.read()
                read_at = time.perf_counter()
                status = response.status
        except (TimeoutError, aiohttp.ClientError, OSError):
            return None
        if write is not None and 200 <= status < 300 and self.armed == write:
            self.armed = None
            self.kill_server()
            delay_ms = (self.killed_at - read_at) * 1000
            future = self.armed_kill
            if future is not None and not future.done():
                future.set_result((f"{write} {method} {path}", delay_ms))
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode(errors="replace")
        return Answer(status, parsed, read_at)

    def kill_server(self) -> int:
        """SIGKILL the server now and hold new traffic until it is back."""
        pid = self.server.kill()
        self.killed_at = time.perf_counter()
        self.up.clear()
        return pid

    async def read_time(self) -> float | None:
        answer = await self.request("GET", TIME)
        if answer is None or not answer.ok:
            return None
        now = float(answer.result["now_ms"])
        self.max_seen = max(self.max_seen, now)
        return now

    async def wait_up(self) -> None:
        await self.up.wait()

    # -- the instances' traffic --------------------------------------------------------------

    async def create(self, inst: Instance) -> None:
        body = {"id": inst.id, "params": {"n": inst.n, "fails": inst.fails}}
        while True:
            await self.wait_up()
            generation = self.server.generation
            answer = await self.request("POST", API + "/instances", body, write="create")
            if answer is not None and answer.ok:
                inst.create, inst.create_generation = "acked", generation
                inst.create_acked_at = answer.read_at
                return
            if answer is not None:
                self.report.problem(
                    "unexpected answer", f"create {inst.id}: {answer.status} {answer.body}"
                )
                inst.create = "lost"
                return
            # No answer: the server died. Was it created?
            await self.wait_up()
            found = await self.request("GET", f"{API}/instances/{inst.id}")
            while found is None:
                await self.wait_up()
                found = await self.request("GET", f"{API}/instances/{inst.id}")
            if found.ok:
                inst.create = "exists"
                return
            if found.status != 404:
                self.report.problem(
                    "unexpected answer", f"GET {inst.id}: {found.status} {found.body}"
                )

    async def send_tag(self, inst: Instance, tag: int) -> None:
        """POST copies of one tag until one is acknowledged (or the instance is gone)."""
        while True:
            await self.wait_up()
            if inst.create == "lost":
                return
            self.copies += 1
            send = Send(self.copies, tag, self.server.generation)
            inst.sends.append(send)
            answer = await self.request(
                "POST",
                f"{API}/instances/{inst.id}/events/{EVENT_TYPE}",
                {"tag": tag, "copy": send.copy},
                write="event",
            )
            if answer is None:
                send.state = "unknown"
                continue
            if answer.ok:
                send.state, send.acked_at = "acked", answer.read_at
                self.last_ack_virtual = self.max_seen
                return
            send.state = f"rejected {answer.status}"
            unknown_before = any(s.state == "unknown" for s in inst.sends[:-1])
            if answer.status == 409 and unknown_before:
                return  # finished: an unanswered copy got through (checked in the audit)
            if inst.create == "lost" or answer.status == 404:
                return  # the create was lost (reported by the restart check)
            self.report.problem(
                "unexpected answer",
                f"event {inst.id} tag {tag} copy {send.copy}: {answer.status} {answer.body}",
            )
            return

    async def drive(self, inst: Instance) -> None:
        await self.create(inst)
        for tag in TAGS:
            # Half the events come at once (buffered before the instance waits for them),
            # half later (the instance is asleep, waiting for it).
            if self.rng.random() < 0.5:
                await asyncio.sleep(self.rng.uniform(0.0, 0.02))
            else:
                await asyncio.sleep(self.rng.uniform(0.2, 1.2))
            await self.send_tag(inst, tag)
            if inst.create == "lost":
                break
        inst.done_sending = True

    async def creator(self, tasks: list[asyncio.Task[None]]) -> None:
        """Create the instances over the first three quarters of the kills, one at a time."""
        total = max(1, len(self.instances))
        mean = sum(self.config.interval) / 2
        gap = mean * self.config.kills * CREATE_SPAN / total
        for i, inst in enumerate(self.instances):
            # Keep pace with the kills (restarts take time the gap does not know about), but
            # never hold back a create that an armed after-create kill is waiting for.
            while (
                len(self.report.kills) + 1 < i / total * CREATE_SPAN * self.config.kills
                and self.armed != "create"
            ):
                await asyncio.sleep(0.02)
            await self.wait_up()
            tasks.append(asyncio.create_task(self.drive(inst)))
            await asyncio.sleep(self.rng.uniform(0.5, 1.5) * gap)

    async def time_poller(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.wait_up()
            await self.read_time()
            await asyncio.sleep(POLL_TIME_EVERY_S)

    # -- kills ---------------------------------------------------------------------------------

    def kill_plan(self) -> list[str]:
        kills = self.config.kills
        plan = ["random"] * kills
        # Creates stop at CREATE_SPAN of the kills, events a few seconds later.
        early = list(range(max(1, int(kills * (CREATE_SPAN - 0.05)))))
        for position in self.rng.sample(early, min(self.config.after_create_kills, len(early))):
            plan[position] = "after create ack"
        within = max(1, int(kills * CREATE_SPAN))
        rest = [i for i in range(within) if plan[i] == "random"]
        for position in self.rng.sample(rest, min(self.config.after_event_kills, len(rest))):
            plan[position] = "after event ack"
        return plan

    async def killer(self) -> None:
        for index, kind in enumerate(self.kill_plan(), 1):
            await asyncio.sleep(self.rng.uniform(*self.config.interval))
            await self.wait_up()
            kill = Kill(index, kind, pid=0, generation=self.server.generation)
            if kind == "random":
                await self.read_time()
                kill.before_ms = self.max_seen
                kill.pid = self.kill_server()
            else:
                self.armed_kill = asyncio.get_running_loop().create_future()
                self.armed = "create" if "create" in kind else "event"
                try:
                    write, delay_ms = await asyncio.wait_for(self.armed_kill, ARM_TIMEOUT_S)
                    kill.ack_to_kill_ms = delay_ms
                    kill.write = write
                except TimeoutError:
                    self.armed = None
                    kill.kind = f"random ({kind}: no such write within {ARM_TIMEOUT_S:g} s)"
                    await self.read_time()
                    self.kill_server()
                kill.before_ms = self.max_seen
                kill.pid = self.server.process.pid if self.server.process else 0
            self._note_acks_before_kill(kill)
            self.report.kills.append(kill)
            self.server.reap()
            kill.recovery_s, kill.after_ms = await self.start_server()
            await self.check_creates(kill)
            self.up.set()

    def _note_acks_before_kill(self, kill: Kill) -> None:
        """How long before this kill each write of the killed process was acknowledged."""
        now = self.killed_at
        for inst in self.instances:
            if inst.create_generation == kill.generation and inst.create_acked_at is not None:
                inst.create_kill_after_ms = (now - inst.create_acked_at) * 1000
            for send in inst.sends:
                if send.generation == kill.generation and send.acked_at is not None:
                    send.kill_after_ms = (now - send.acked_at) * 1000

    async def start_server(self) -> tuple[float, float | None]:
        """Spawn `wf dev`; seconds to the first successful answer and its virtual now."""
        for _ in range(3):
            t0 = time.perf_counter()
            self.server.start()
            while time.perf_counter() - t0 < START_TIMEOUT_S:
                now = await self.read_time()
                if now is not None:
                    return time.perf_counter() - t0, now
                if self.server.exited():
                    break
                await asyncio.sleep(PROBE_EVERY_S)
            tail = self.server.tail()
            self.server.stop()
            if "cannot listen" not in tail:
                raise HarnessError(f"wf dev did not answer (log):\n{tail}")
            self.server.port = free_port()  # somebody took the port meanwhile
        raise HarnessError("wf dev could not listen on three free ports")

    async def check_creates(self, kill: Kill) -> None:
        """Every create the killed process acknowledged must exist after the restart."""
        acked = [i for i in self.instances if i.create_generation == kill.generation]
        answers = await asyncio.gather(
            *(self.request("GET", f"{API}/instances/{i.id}?simple=true") for i in acked)
        )
        for inst, answer in zip(acked, answers, strict=True):
            if answer is not None and answer.status == 404:
                inst.create = "lost"
                kill.lost_creates.append(inst.id)
                self.report.problem(
                    "acked create lost",
                    f"{inst.id}: acknowledged {inst.create_kill_after_ms or 0:.2f} ms before "
                    f"kill #{kill.index} ({kill.kind}), gone after the restart",
                )

    # -- the end ---------------------------------------------------------------------------------

    async def counts(self) -> dict[str, int]:
        answer = await self.request("GET", API)
        if answer is None or not answer.ok:
            raise HarnessError(f"GET {API}: {answer and answer.status} {answer and answer.body}")
        return dict(answer.result["instances"])

    async def describe(self, inst: Instance) -> dict[str, Any] | None:
        answer = await self.request("GET", f"{API}/instances/{inst.id}")
        if answer is None or not answer.ok:
            return None
        result: dict[str, Any] = answer.result
        return result

    async def describe_all(self, which: list[Instance]) -> list[dict[str, Any] | None]:
        limit = asyncio.Semaphore(16)

        async def one(inst: Instance) -> dict[str, Any] | None:
            async with limit:
                return await self.describe(inst)

        return list(await asyncio.gather(*(one(i) for i in which)))

    async def finish(self) -> None:
        """Let everything run out, note what is stuck, fire the event timeouts, describe all."""
        present = [i for i in self.instances if i.create in ("acked", "exists")]
        start = await self.read_time() or self.max_seen
        goal = max(start, self.last_ack_virtual) + SETTLE_VIRTUAL_MS
        while True:
            counts = await self.counts()
            if counts.get("complete", 0) >= len(present):
                break
            now = await self.read_time()
            if now is not None and now >= goal:
                break
            await asyncio.sleep(0.1)
        unfinished = [
            (inst, d)
            for inst, d in zip(present, await self.describe_all(present), strict=True)
            if d is None or d.get("status") != "complete"
        ]
        for inst, details in unfinished:
            inst.stuck = _stuck_reason(details)
        if unfinished:
            answer = await self.request("POST", TIME + "/advance", {"by": FINAL_ADVANCE})
            if answer is None or not answer.ok:
                raise HarnessError(f"advance failed: {answer and answer.status}")
        for inst, details in zip(present, await self.describe_all(present), strict=True):
            inst.final = details

    async def run(self) -> ChaosReport:
        t0 = time.perf_counter()
        connector = aiohttp.TCPConnector(limit=64)
        timeout = aiohttp.ClientTimeout(total=30)
        tasks: list[asyncio.Task[None]] = []
        stop = asyncio.Event()
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            self.session = session
            try:
                self.report.final_recovery_s, _ = await self.start_server()
                self.up.set()
                poller = asyncio.create_task(self.time_poller(stop))
                creator = asyncio.create_task(self.creator(tasks))
                await self.killer()
                await creator
                await asyncio.gather(*tasks)
                stop.set()
                await poller
                await self.finish()
            finally:
                stop.set()
                for task in tasks:
                    task.cancel()
                self.server.stop()
        self.report.wall_s = time.perf_counter() - t0
        audit(self.report, self.effects, killed=set(self.server.pids[:-1]))
        return self.report


def _stuck_reason(details: dict[str, Any] | None) -> str:
    if details is None:
        return "no answer to describe"
    steps = details.get("steps") or []
    last = steps[-1] if steps else {}
    return (
        f"status {details.get('status')} at {last.get('type')} {last.get('name')} "
        f"(wake at {details.get('wake_at')})"
    )


# -- the audit ------------------------------------------------------------------------------------


def read_effects(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    lines = []
    for text in path.read_text().splitlines():
        with contextlib.suppress(ValueError):
            lines.append(json.loads(text))
    return lines


def audit(report: ChaosReport, effects_path: Path, *, killed: set[int]) -> None:
    effects = read_effects(effects_path)
    report.executions = len(effects)
    by_step: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for line in effects:
        by_step[(line["instance"], line["step"])].append(line)
    for kill in report.kills:
        if kill.after_ms is not None and kill.after_ms < kill.before_ms:
            report.problem(
                "virtual time went backwards across a restart",
                f"kill #{kill.index} ({kill.kind}): {iso(kill.before_ms)} seen before the kill, "
                f"{iso(kill.after_ms)} after the restart: "
                f"{kill.regression_ms / 1000:.1f} virtual s backwards",
            )
    for inst in report.instances:
        if inst.create == "lost":
            continue
        if inst.create == "pending":
            report.problem("unexpected answer", f"{inst.id}: never created")
            continue
        _audit_events(report, inst)
        _audit_output(report, inst)
        if inst.final is not None:
            _audit_steps(report, inst, by_step, killed)
            _audit_history(report, inst)


def _audit_output(report: ChaosReport, inst: Instance) -> None:
    final = inst.final
    if final is None:
        report.problem("instance not complete or wrong output", f"{inst.id}: no describe answer")
        return
    if final.get("status") != "complete":
        report.problem(
            "instance not complete or wrong output",
            f"{inst.id}: {final.get('status')} {json.dumps(final.get('error'))}"
            + (f"; before the final advance: {inst.stuck}" if inst.stuck else ""),
        )
        return
    output = final.get("output") or {}
    values = {k: (v or {}).get("value") for k, v in (output.get("steps") or {}).items()}
    if output.get("instance") != inst.id or values != expected_values(inst.id, inst.n):
        report.problem(
            "instance not complete or wrong output",
            f"{inst.id}: output {json.dumps(output)}, expected values "
            f"{json.dumps(expected_values(inst.id, inst.n))}",
        )


def _consumed(inst: Instance) -> list[tuple[int, int]] | None:
    """(tag, copy) of each event the instance consumed, from its waitForEvent steps."""
    if inst.final is None:
        return None
    got = []
    for step in inst.final.get("steps") or []:
        if step.get("type") == "waitForEvent" and step.get("output"):
            payload = step["output"].get("payload") or {}
            got.append((int(payload.get("tag", -1)), int(payload.get("copy", -1))))
    return got


def _audit_events(report: ChaosReport, inst: Instance) -> None:
    consumed = _consumed(inst) or []
    sent = {s.copy: s for s in inst.sends}
    copies = [c for _, c in consumed]
    for copy in sorted({c for c in copies if copies.count(c) > 1}):
        report.problem(
            "event consumed twice",
            f"{inst.id}: copy {copy} (tag {sent[copy].tag if copy in sent else '?'}) consumed "
            f"{copies.count(copy)} times; consumed (tag, copy) {consumed}",
        )
    if copies != sorted(copies):
        report.problem(
            "events out of FIFO order",
            f"{inst.id}: consumed (tag, copy) {consumed}; copies were sent in increasing order",
        )
    for tag, copy in consumed:
        if copy not in sent or sent[copy].tag != tag:
            report.problem("unexpected answer", f"{inst.id}: consumed unsent event {tag}/{copy}")
    last = max(copies, default=0)
    tags = {t for t, _ in consumed}
    complete = _complete(inst)
    for send in inst.sends:
        if send.state != "acked" or send.copy in copies:
            continue
        if complete and send.copy > last and send.tag in tags:
            continue  # an earlier, unanswered copy of this tag got there first
        report.problem(
            "acked event lost",
            f"{inst.id}: tag {send.tag} copy {send.copy} {_when(send)}, never consumed "
            f"(consumed {consumed}; final status {(inst.final or {}).get('status')}"
            + (f"; before the final advance: {inst.stuck}" if inst.stuck else "")
            + ")",
        )
    if inst.stuck is not None and "waitForEvent" in inst.stuck and complete:
        # It completed only once the final advance fired its event timeout: the event it
        # consumed then had been in the buffer all along.
        acked = [f"tag {s.tag} copy {s.copy} {_when(s)}" for s in inst.sends if s.state == "acked"]
        report.problem(
            "buffered event not delivered after a restart",
            f"{inst.id}: {inst.stuck} with every event acknowledged ({'; '.join(acked)}); "
            f"consumed only when the event timeout fired: {_late_events(inst)}",
        )


def _when(send: Send) -> str:
    if send.kill_after_ms is None:
        return "acknowledged, no kill after it"
    return f"acknowledged {send.kill_after_ms:.2f} ms before a kill"


def _late_events(inst: Instance) -> str:
    """The waitForEvent steps that ended a day or more after they started."""
    late = []
    for step in (inst.final or {}).get("steps") or []:
        if step.get("type") != "waitForEvent":
            continue
        start, end = parse_iso(step.get("start")), parse_iso(step.get("end"))
        if start is not None and end is not None and end - start >= 86_400_000:
            payload = (step.get("output") or {}).get("payload")
            late.append(f"{step.get('name')} {iso(start)} -> {iso(end)} {payload}")
    return ", ".join(late) or "-"


def _audit_steps(
    report: ChaosReport,
    inst: Instance,
    by_step: dict[tuple[str, str], list[dict[str, Any]]],
    killed: set[int],
) -> None:
    history = {
        s["name"].rsplit("-", 1)[0]: s
        for s in (inst.final or {}).get("steps") or []
        if s.get("type") == "step"
    }
    for name in DO_STEPS:
        runs = by_step.get((inst.id, name), [])
        step = history.get(name)
        if step is None:
            if runs and _complete(inst):
                report.problem(
                    "re-execution not explained by a kill",
                    f"{inst.id}/{name}: executed {len(runs)} times but not in the history",
                )
            continue
        committed: dict[str, str] = {}  # run -> "success" / "failure"
        if step.get("success") and isinstance(step.get("output"), dict):
            committed[str(step["output"].get("run"))] = "success"
        interrupted = 0
        for attempt in step.get("attempts") or []:
            message = str((attempt.get("error") or {}).get("message", ""))
            if attempt.get("success") is False and "planned failure run=" in message:
                committed[message.rsplit("run=", 1)[1].split()[0]] = "failure"
            elif attempt.get("success") is False:
                interrupted += 1
        known = {r["run"] for r in runs}
        for run, outcome in committed.items():
            if run not in known:
                report.problem(
                    "re-execution not explained by a kill",
                    f"{inst.id}/{name}: committed {outcome} of run {run} has no execution in "
                    "the side-effect log",
                )
        success = [i for i, r in enumerate(runs) if committed.get(r["run"]) == "success"]
        if success and success[0] != len(runs) - 1:
            after = runs[success[0] + 1 :]
            report.problem(
                "completed step re-run",
                f"{inst.id}/{name}: completed by pid {runs[success[0]]['pid']} (attempt "
                f"{runs[success[0]]['attempt']}), then executed again: "
                + ", ".join(f"attempt {r['attempt']} pid {r['pid']}" for r in after),
            )
        lost = 0
        for i, line in enumerate(runs):
            if line["run"] in committed:
                continue
            lost += 1
            later_same_pid = any(r["pid"] == line["pid"] for r in runs[i + 1 :])
            if line["pid"] not in killed or later_same_pid:
                why = (
                    "a process that was not killed"
                    if line["pid"] not in killed
                    else ("a killed process that executed the step again afterwards")
                )
                report.problem(
                    "re-execution not explained by a kill",
                    f"{inst.id}/{name}: attempt {line['attempt']} (pid {line['pid']}) left no "
                    f"committed outcome, from {why}",
                )
        report.re_executions += lost
        if interrupted > lost:
            report.problem(
                "re-execution not explained by a kill",
                f"{inst.id}/{name}: {interrupted} interrupted attempts in the history, "
                f"{lost} uncommitted executions in the log",
            )


def _audit_history(report: ChaosReport, inst: Instance) -> None:
    """Each step and attempt starts no later than it ends and no earlier than the previous
    one (step or attempt) ended."""
    details = inst.final or {}

    def order(label: str, earlier: tuple[str, float | None], later: float | None) -> None:
        name, at = earlier
        if at is not None and later is not None and later < at:
            report.problem(
                "history out of order",
                f"{inst.id}: {label} at {iso(later)}, before {name} at {iso(at)} "
                f"({(at - later) / 1000:.1f} virtual s earlier)",
            )

    queued, started = parse_iso(details.get("queued")), parse_iso(details.get("start"))
    order("instance start", ("instance queued", queued), started)
    previous: tuple[str, float | None] = ("instance start", started)
    for step in details.get("steps") or []:
        if step.get("type") == "termination":
            continue
        name = f"step {step.get('name')}"
        start, end = parse_iso(step.get("start")), parse_iso(step.get("end"))
        order(f"{name} start", (f"{previous[0]}", previous[1]), start)
        order(f"{name} end", (f"{name} start", start), end)
        inner: tuple[str, float | None] = (f"{name} start", start)
        for n, attempt in enumerate(step.get("attempts") or [], 1):
            a_start, a_end = parse_iso(attempt.get("start")), parse_iso(attempt.get("end"))
            label = f"{name} attempt {n}"
            order(f"{label} start", inner, a_start)
            order(f"{label} end", (f"{label} start", a_start), a_end)
            inner = (f"{label} end", a_end) if a_end is not None else (f"{label} start", a_start)
        if end is not None:
            if step.get("attempts"):
                order(f"{name} end", inner, end)
            previous = (f"{name} end", end)
        else:
            previous = inner
    order("instance end", previous, parse_iso(details.get("end")))


# -- entry points -----------------------------------------------------------------------------------


def run_chaos(config: ChaosConfig, workdir: Path) -> ChaosReport:
    """Run the whole scenario in a fresh event loop; raises HarnessError if it cannot."""

    async def guarded() -> ChaosReport:
        return await asyncio.wait_for(Chaos(config, workdir).run(), config.deadline_s)

    return asyncio.run(guarded())
