"""Several Workers in one `wf dev -c a -c b`: the first serves HTTP, the other answers through
service bindings, runs its workflow, shares KV by id, and reloads on its own."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.devserver import run_wf
from tests.multiworker.projects import AUTH, FRONT, write_auth, write_front
from tests.server.conftest import DevServer


class SlowDevServer(DevServer):
    start_timeout = 60.0  # a loaded machine starts wf dev slowly


@pytest.fixture
def two(tmp_path: Path) -> Iterator[tuple[SlowDevServer, Path]]:
    front = write_front(tmp_path / "front")
    auth = write_auth(tmp_path / "auth")
    server = SlowDevServer(
        tmp_path / "front", "-c", str(front), "-c", str(auth), "--time", "manual"
    )
    try:
        yield server.wait_ready(), tmp_path
    finally:
        server.stop()


def _touch_later(path: Path, text: str) -> None:
    path.write_text(text)
    stamp = time.time() + 2  # a new mtime even on a coarse file system
    os.utime(path, (stamp, stamp))


def test_the_first_worker_serves_and_reaches_the_other(two: tuple[SlowDevServer, Path]) -> None:
    server, _ = two
    assert server.get("/").text == "front front"
    check = server.get("/check")
    assert (check.status, check.text) == (201, "auth auth saw https://auth/check?user=ann token=t1")
    assert server.get("/kv").text == "written by auth"  # one KV namespace, by id
    assert server.get("/rpc").json == {
        "user": {"name": "ann", "deep": [1, 2]},
        "total": 5,
        "type": "JsDict",
    }
    assert server.get("/admin").json == {"role": "admin of auth"}
    ghost = server.get("/ghost")
    assert ghost.status == 503 and '"default" entrypoint of service "ghost"' in ghost.text
    server.wait_log(
        "service auth#Admin -> env.ADMIN [connected]",
        "service ghost -> env.GHOST [not connected]",
        "worker auth (wrangler.jsonc)",
        "workflow signup -> env.SIGNUP (Signup in Worker auth)",
    )


def test_a_cross_worker_workflow_appears_once_and_runs_there(
    two: tuple[SlowDevServer, Path],
) -> None:
    server, _ = two
    assert server.get("/signup").json == {"id": "s1"}
    details = server.wait_status("signup", "s1", "complete")
    assert details["output"] == "hello ann from auth"
    workflows = server.explorer("GET", "/workflows").result
    assert sorted((w["name"], w["script_name"]) for w in workflows) == [
        ("nap", "auth"),
        ("signup", "auth"),
    ]
    listed = run_wf("workflows", "list", "--json", port=server.port)
    assert listed.returncode == 0, listed.stderr
    assert sorted(w["name"] for w in json.loads(listed.stdout)) == ["nap", "signup"]


def test_kill_9_loses_no_instance_of_the_other_workers_workflow(tmp_path: Path) -> None:
    front = write_front(tmp_path / "front")
    auth = write_auth(tmp_path / "auth")
    args = ("-c", str(front), "-c", str(auth), "--time", "manual")
    server = SlowDevServer(tmp_path / "front", *args).wait_ready()
    try:
        created = server.explorer("POST", "/workflows/nap/instances", {"instance_id": "n1"})
        assert created.status == 200, created
        server.wait_status("nap", "n1", "waiting")
    finally:
        server.kill()
    again = SlowDevServer(tmp_path / "front", *args, port=server.port).wait_ready()
    try:
        assert again.status("nap", "n1") == "waiting"
        again.advance("1 hour")
        details = again.wait_status("nap", "n1", "complete")
        assert details["output"] == "auth rested"
    finally:
        again.stop()


def test_editing_one_worker_reloads_it_alone(two: tuple[SlowDevServer, Path]) -> None:
    server, root = two
    assert server.get("/version").text == "v1"
    assert server.get("/hits").json == {"hits": 2}
    generation = server.generation()
    _touch_later(root / "auth" / "src" / "entry.py", AUTH.replace('"v1"', '"v2"'))
    server.wait_log("Reloaded Worker auth (src/entry.py changed)")
    assert server.get("/version").text == "v2"
    # front was not reloaded: its module state (the hit count) and generation are kept
    assert server.get("/hits").json == {"hits": 4}
    assert server.generation() == generation
    assert "Reloaded (" not in server.log


def test_a_broken_edit_of_the_other_worker_keeps_its_old_code(
    two: tuple[SlowDevServer, Path],
) -> None:
    server, root = two
    _touch_later(root / "auth" / "src" / "entry.py", AUTH + "\nthis is not python\n")
    server.wait_log("Error loading Worker auth (the previous code keeps serving)")
    assert server.get("/version").text == "v1"
    _touch_later(root / "front" / "src" / "entry.py", FRONT.replace('"front "', '"front2 "'))
    server.wait_log("Reloaded (src/entry.py changed)")
    assert server.get("/").text == "front2 front"


def test_two_workers_of_one_name_do_not_start(tmp_path: Path) -> None:
    front = write_front(tmp_path / "front")
    copy = write_front(tmp_path / "copy")
    server = SlowDevServer(tmp_path / "front", "-c", str(front), "-c", str(copy))
    try:
        assert server.wait_exit(timeout=60) == 1
        assert "name: Worker 'front' is given twice" in server.log
    finally:
        server.stop()


def test_a_bad_second_config_is_named_with_its_line(tmp_path: Path) -> None:
    front = write_front(tmp_path / "front")
    auth = write_auth(tmp_path / "auth")
    auth.write_text(
        auth.read_text().replace('"service"', '"x"').replace('"name": "auth"', '"name": 7')
    )
    server = SlowDevServer(tmp_path / "front", "-c", str(front), "-c", str(auth))
    try:
        assert server.wait_exit(timeout=60) == 1
        assert "wrangler.jsonc:2: name: must be a string (got a number)" in server.log
    finally:
        server.stop()


def test_the_workers_route_and_cli_list_and_reload_them(two: tuple[SlowDevServer, Path]) -> None:
    server, root = two
    listed = server.get("/cdn-cgi/wf/workers").result
    assert [(w["name"], w["primary"], w["loaded"]) for w in listed] == [
        ("front", True, True),
        ("auth", False, True),
    ]
    assert {s["binding"]: s["connected"] for s in listed[0]["services"]} == {
        "AUTH": True,
        "ADMIN": True,
        "GHOST": False,
        "NOPE": True,
    }
    shown = run_wf("workers", "list", port=server.port)
    assert shown.returncode == 0, shown.stderr
    assert (
        "front (serves HTTP)" in shown.stdout and "GHOST -> ghost (not connected)" in shown.stdout
    )

    (root / "auth" / "src" / "entry.py").write_text(AUTH.replace('"v1"', '"v3"'))
    reloaded = run_wf("workers", "reload", "auth", port=server.port)
    assert reloaded.returncode == 0, reloaded.stderr
    assert "Reloaded Worker auth (generation" in reloaded.stdout
    assert server.get("/version").text == "v3"

    (root / "auth" / "src" / "entry.py").write_text(AUTH + "\n)\n")
    broken = server.post("/cdn-cgi/wf/workers/auth/reload").result
    assert broken["loaded"] is True and broken["error"]["file"] == "src/entry.py"
    assert server.get("/version").text == "v3"

    unknown = server.post("/cdn-cgi/wf/workers/nobody/reload")
    assert unknown.status == 404
    assert "no Worker named 'nobody' in this session (Workers: front, auth)" in unknown.error
