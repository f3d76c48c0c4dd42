"""Worker cron: ``triggers.crons`` runs the Worker's ``scheduled`` handler on virtual time,
with the arguments the Python runtime passes, and wrangler's ``/cdn-cgi/handler/scheduled``
route runs it by hand in ``wf dev``.

Semantics: workerd's ``ScheduledController`` (``cron``, ``scheduledTime`` in epoch ms,
``noRetry()``), handed to Python unwrapped: workers-py ``entrypoints.py`` wraps only ``queue``
and workflow ``run`` handlers; a WorkerEntrypoint's handler is called with the event alone
(workerd ``src/pyodide/python-entrypoint-helper.ts`` calls the class's method with the
handler's arguments; env and ctx are on ``self``). Cron times are UTC.
"""

from __future__ import annotations

import json
import sys
import textwrap
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.devserver import DevServer, run_wf
from wf.config import ConfigError, load_config
from wf.testing import Emulator

NOON = "2026-09-01T12:00:00Z"
NOON_MS = 1_788_264_000_000

SOURCE = """
from workers import WorkerEntrypoint

RUNS = []


class Default(WorkerEntrypoint):
    async def scheduled(self, controller):
        RUNS.append((controller.cron, controller.scheduledTime, type(controller).__name__))
        print(f"scheduled {controller.cron} at {controller.scheduledTime}")
        if controller.cron == "0 0 * * *":
            raise ValueError("nightly job failed")
"""


def write_project(root: Path, crons: Any, source: str = SOURCE) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "entry.py").write_text(textwrap.dedent(source))
    config = {
        "name": "cron",
        "main": "entry.py",
        "compatibility_date": "2026-08-14",
        "compatibility_flags": ["python_workers"],
        "triggers": {"crons": crons},
    }
    (root / "wrangler.jsonc").write_text(json.dumps(config, indent=2))
    return root


def runs() -> list[tuple[str, int, str]]:
    return list(sys.modules["entry"].RUNS)


async def test_crons_fire_on_virtual_time_with_the_controller(tmp_path: Path) -> None:
    project = write_project(tmp_path, ["*/15 * * * *", "30 12 * * *"])
    async with Emulator(project, now=NOON) as emu:
        await emu.clock.advance("14 minutes")
        assert runs() == []
        await emu.clock.advance("1 minute")
        assert runs() == [("*/15 * * * *", NOON_MS + 15 * 60_000, "JsHostObject")]
        await emu.clock.advance("15 minutes")
        assert sorted(r[:2] for r in runs()[1:]) == [
            ("*/15 * * * *", NOON_MS + 30 * 60_000),
            ("30 12 * * *", NOON_MS + 30 * 60_000),
        ]
        assert len(emu.scheduled_runs) == 3
        assert all(r.error is None for r in emu.scheduled_runs)


async def test_a_failing_scheduled_handler_is_recorded_and_cron_goes_on(tmp_path: Path) -> None:
    project = write_project(tmp_path, ["0 0 * * *"])
    async with Emulator(project, now=NOON) as emu:
        await emu.clock.advance("2 days")
        assert [r[0] for r in runs()] == ["0 0 * * *", "0 0 * * *"]
        errors = [r.error for r in emu.scheduled_runs]
        assert all(isinstance(e, ValueError) and str(e) == "nightly job failed" for e in errors)


async def test_scheduled_by_hand_runs_now_and_raises_the_handlers_error(tmp_path: Path) -> None:
    project = write_project(tmp_path, [])
    async with Emulator(project, now=NOON) as emu:
        await emu.scheduled("5 4 * * *")
        await emu.scheduled(scheduled_time=NOON_MS - 1000)
        assert runs() == [
            ("5 4 * * *", NOON_MS, "JsHostObject"),
            ("", NOON_MS - 1000, "JsHostObject"),
        ]
        with pytest.raises(ValueError, match="nightly job failed"):
            await emu.scheduled("0 0 * * *")


async def test_a_restart_continues_after_the_last_firing(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p", ["0 * * * *"])
    state = tmp_path / "state"
    async with Emulator(project, now=NOON, persist_to=state) as emu:
        await emu.clock.advance("1 hour")
        assert [r[1] for r in runs()] == [NOON_MS + 3_600_000]
    # Virtual time continues from the store: the 13:00 firing is not run again, 14:00 is next.
    async with Emulator(project, persist_to=state) as emu:
        assert emu.clock.now() == NOON_MS + 3_600_000
        await emu.clock.advance("59 minutes")
        assert runs() == []
        await emu.clock.advance("1 minute")
        assert [r[1] for r in runs()] == [NOON_MS + 2 * 3_600_000]


async def test_module_level_on_scheduled_gets_the_event_and_env(tmp_path: Path) -> None:
    source = """
RUNS = []


async def on_scheduled(event, env, ctx):
    RUNS.append((event.cron, event.scheduledTime, hasattr(ctx, "wait_until")))
"""
    project = write_project(tmp_path, ["* * * * *"], source)
    async with Emulator(project, now=NOON) as emu:
        await emu.clock.advance("1 minute")
        assert runs() == [("* * * * *", NOON_MS + 60_000, True)]


@pytest.mark.parametrize(
    ("crons", "message"),
    [
        (["* * *"], "triggers.crons[0]: "),
        ("* * * * *", "triggers.crons: must be an array of strings"),
        ([""], "triggers.crons[0]: must be a cron expression of 1 to 256 characters"),
    ],
)
def test_bad_crons_name_the_field(tmp_path: Path, crons: Any, message: str) -> None:
    project = write_project(tmp_path, crons)
    with pytest.raises(ConfigError) as error:
        load_config(project / "wrangler.jsonc")
    assert message in str(error.value) and "wrangler.jsonc:" in str(error.value)


def _get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_wf_dev_runs_crons_on_advance_and_the_scheduled_route_by_hand(tmp_path: Path) -> None:
    project = write_project(tmp_path, ["0 * * * *"])
    with DevServer(project, "--time", "manual") as server:
        server.wait_ready()
        status, text = _get(server.port, "/cdn-cgi/handler/scheduled?cron=*/5+*+*+*+*&time=1000")
        assert (status, text) == (200, "ok")
        server.wait_log("scheduled */5 * * * * at 1000000")  # seconds become milliseconds
        status, text = _get(server.port, "/cdn-cgi/handler/scheduled?cron=0+0+*+*+*")
        assert status == 500 and text == "ValueError: nightly job failed\n"
        server.wait_log(
            'scheduled handler for "0 0 * * *" raised (wf does not retry it: UNCONFIRMED): '
            "ValueError: nightly job failed"
        )
        status, text = _get(server.port, "/cdn-cgi/handler/scheduled?time=soon")
        assert status == 400 and "time must be epoch seconds or milliseconds" in text
        advanced = run_wf("time", "advance", "1 hour", "--port", str(server.port))
        assert advanced.returncode == 0, advanced.stderr
        server.wait_log("scheduled 0 * * * * at ", 'SCHEDULED "0 * * * *" ok')
