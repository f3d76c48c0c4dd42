"""Export from one `wf dev`, replay, import into another, and continue there.

The imported instance goes on from where its history leaves it: its recorded steps are
answered from the cache (their code does not run again), a pending sleep ends at its
recorded end, a pending wait for an event ends with the event.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.devserver import run_wf
from tests.replay.projects import cloudflare_history, marks, variant, write_json, write_project
from tests.server import conftest
from wf.durations import parse_timestamp, to_iso
from wf.history import FORMAT


class Server(conftest.DevServer):
    """`wf dev --time manual` over a project, driven over HTTP and with `wf` commands."""

    def wf(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run_wf(*args, port=self.port)

    def ok(self, *args: str) -> str:
        result = self.wf(*args)
        assert result.returncode == 0, f"wf {args}: {result.stdout}{result.stderr}"
        return result.stdout

    def now(self) -> float:
        return float(self.get("/cdn-cgi/wf/time").result["now_ms"])


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Any]:
    servers: list[Server] = []

    def start_server(name: str) -> tuple[Server, Path]:
        root = write_project(tmp_path / name)
        server = Server(root, "--time", "manual")
        servers.append(server)
        server.wait_ready()
        return server, root

    yield start_server
    for server in servers:
        server.stop()


def test_export_replay_import_and_continue(start: Any, tmp_path: Path) -> None:
    a, a_root = start("a")
    a.ok("trigger", "orders", '{"item": "pen"}', "--id", "o1")
    a.wait_status("orders", "o1", "waiting")
    assert marks(a_root) == ["reserve"]

    exported = tmp_path / "o1.json"
    assert "Exported 1 instance" in a.ok("instances", "export", "orders", "o1", "-o", str(exported))
    history = json.loads(exported.read_text())
    assert history["format"] == FORMAT
    assert [s["name"] for s in history["steps"]] == ["reserve-1", "cool off-1"]
    assert history["steps"][1]["end"] is not None  # a pending sleep keeps when it is due

    # wf's own export replays against the code that wrote it, and not against a rename.
    clean = run_wf("replay", str(exported), "--cwd", str(a_root))
    assert clean.returncode == 0, clean.stdout
    assert clean.stdout.startswith("✅ orders/o1: replays cleanly up to step 1; next: sleep")
    described = tmp_path / "described.json"
    described.write_text(a.ok("instances", "describe", "orders", "o1", "--json"))
    as_described = run_wf("replay", str(described), "--cwd", str(a_root))
    assert as_described.returncode == 0, as_described.stdout
    assert f"sleep 'cool off-1' sleeps until {history['steps'][1]['end']}" in as_described.stdout
    renamed = write_project(
        tmp_path / "renamed", variant('@step.do("reserve")', '@step.do("hold")')
    )
    diverged = run_wf("replay", str(exported), "--cwd", str(renamed))
    assert diverged.returncode == 1
    assert "diverges at step 1 (expected do 'reserve-1', got do 'hold-1'" in diverged.stdout

    b, b_root = start("b")
    due = history["steps"][1]["end"]
    assert b.ok("instances", "import", str(exported)).strip() == (
        f'📥 Imported "o1" into orders: waiting, 2 recorded steps, due at {due}'
    )
    assert b.status("orders", "o1") == "waiting"
    assert marks(b_root) == []
    b.advance("1 day")
    waiting = b.wait_status("orders", "o1", "waiting")
    assert [s["name"] for s in waiting["steps"]] == [
        "reserve-1",
        "cool off-1",
        "charge-1",
        "approve-1",
    ]
    assert marks(b_root) == ["charge"]  # reserve came from the history

    # The pending wait goes back to A with its timeout and ends there with the event.
    second = tmp_path / "o1-waiting.json"
    b.ok("instances", "export", "orders", "o1", "-o", str(second))
    wait = json.loads(second.read_text())["steps"][3]
    assert wait["timeout"] == 3_600_000
    imported = json.loads(a.ok("instances", "import", str(second), "--id", "o1-copy", "--json"))
    assert imported[0]["wake_at"] == to_iso(parse_timestamp(wait["start"]) + 3_600_000)
    a.ok("send-event", "orders", "o1-copy", "--type", "approval", "--payload", '{"ok": true}')
    done = a.wait_status("orders", "o1-copy", "complete")
    assert done["output"] == {
        "reserved": {"item": "pen", "by": "code"},
        "charged": {"charged": "pen", "shop": "corner"},
        "approved": {"ok": True},
    }
    assert marks(a_root) == ["reserve"]  # nothing ran again on A


def test_a_cloudflare_history_sleeps_until_its_recorded_end(start: Any, tmp_path: Path) -> None:
    server, root = start("cf")
    history = cloudflare_history("sleeping")
    end = to_iso(server.now() + 3_600_000)
    history["result"]["steps"][1]["end"] = end
    path = write_json(tmp_path / "prod.json", history)
    out = server.ok("instances", "import", str(path), "--id", "cf1")
    assert out.strip() == f'📥 Imported "cf1" into orders: waiting, 2 recorded steps, due at {end}'
    server.advance("59 minutes")
    assert server.status("orders", "cf1") == "waiting"
    assert marks(root) == []
    server.advance("1 minute")
    server.wait_status("orders", "cf1", "waiting")
    assert marks(root) == ["charge"]
    server.ok("send-event", "orders", "cf1", "--type", "approval", "--payload", "7")
    done = server.wait_status("orders", "cf1", "complete")
    assert done["output"]["reserved"] == {"item": "book", "by": "recorded"}
    assert done["output"]["approved"] == 7
    assert marks(root) == ["charge"]


def test_a_finished_history_imports_finished(start: Any, tmp_path: Path) -> None:
    server, root = start("done")
    path = write_json(tmp_path / "done.json", cloudflare_history("complete"))
    assert "complete, 4 recorded steps" in server.ok("instances", "import", str(path), "--id", "d1")
    details = server.describe("orders", "d1")
    assert details["status"] == "complete"
    assert details["output"] == {"done": True}
    assert marks(root) == []


def test_bad_imports_get_a_clear_answer(start: Any, tmp_path: Path) -> None:
    server, _ = start("bad")
    good = cloudflare_history("sleeping")["result"]
    route = "/cdn-cgi/wf/instances/import"
    bad = json.loads(json.dumps(good))
    bad["steps"][1]["finished"] = "maybe"
    answer = server.post(route, {"history": bad, "id": "x"})
    assert answer.status == 400
    assert answer.error == "history: steps[1].finished: must be true or false, got 'maybe'"
    endless = json.loads(json.dumps(good))
    endless["steps"][1]["end"] = None
    answer = server.post(route, {"history": endless, "id": "x"})
    assert (answer.status, answer.error) == (
        400,
        "history: steps[1].end: a sleep that has not finished needs its end (when it is due) "
        "to be imported",
    )
    missing = server.post(route, {"id": "x"})
    assert (missing.status, missing.error) == (
        400,
        "history: missing (the instance's history to import)",
    )
    not_json = server.post(route, raw=b"{oops")
    assert not_json.status == 400 and "malformed JSON" in not_json.error
    unknown = server.post(route, {"history": good, "workflow": "invoices", "id": "x"})
    assert unknown.status == 404
    bad_id = server.post(route, {"history": good, "id": "has space"})
    assert bad_id.status == 400
    assert server.post(route, {"history": good, "id": "x"}).status == 200
    again = server.post(route, {"history": good, "id": "x"})
    assert again.status == 409 and "already exists" in again.error

    path = write_json(tmp_path / "bad.json", {"history": 1} | {"status": "done", "steps": []})
    result = server.wf("instances", "import", str(path))
    assert result.returncode == 1
    assert "bad.json: history: status: must be one of" in result.stderr
    assert "Traceback" not in result.stderr


def test_export_several(start: Any, tmp_path: Path) -> None:
    server, _ = start("many")
    for n in (1, 2):
        server.ok("trigger", "orders", '{"item": "cup"}', "--id", f"m{n}")
        server.wait_status("orders", f"m{n}", "waiting")
    everything = json.loads(server.ok("instances", "export", "orders", "--all"))
    assert everything["format"] == FORMAT
    assert [h["id"] for h in everything["instances"]] == ["m1", "m2"]
    assert json.loads(server.ok("instances", "export", "orders", "--status", "complete")) == {
        "format": FORMAT,
        "instances": [],
    }
    path = tmp_path / "all.json"
    server.ok("instances", "export", "orders", "--all", "-o", str(path))
    replayed = run_wf("replay", str(path), "--cwd", str(server.project))
    assert replayed.returncode == 0
    assert replayed.stdout.splitlines()[-1] == "2 histories: 2 clean, 0 not clean"
    both = server.wf("instances", "export", "orders", "m1", "--all")
    assert both.returncode == 1
    assert "give an instance ID, or --all / --status" in both.stderr


def test_an_acknowledged_import_survives_kill_9(start: Any, tmp_path: Path) -> None:
    server, root = start("crash")
    history = cloudflare_history("sleeping")
    end = to_iso(server.now() + 3_600_000)
    history["result"]["steps"][1]["end"] = end
    path = write_json(tmp_path / "prod.json", history)
    server.ok("instances", "import", str(path), "--id", "k1")
    server.kill()
    again = Server(root, "--time", "manual")
    try:
        again.wait_ready()
        details = again.describe("orders", "k1")
        assert details["status"] == "waiting"
        assert [s["name"] for s in details["steps"]] == ["reserve-1", "cool off-1"]
        again.advance("1 hour")
        again.wait_status("orders", "k1", "waiting")
        assert marks(root) == ["charge"]
    finally:
        again.stop()
