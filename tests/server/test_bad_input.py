"""Bad input to the /cdn-cgi/ routes: clear messages in the envelope, the right status codes."""

from __future__ import annotations

from pathlib import Path

import pytest

INSTANCES = "/workflows/approvals/instances"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    import shutil

    from tests.server.conftest import FIXTURES, DevServer

    project = Path(shutil.copytree(FIXTURES / "approvals", tmp_path_factory.mktemp("bad") / "p"))
    server = DevServer(project, "--time", "manual").wait_ready()
    server.explorer("POST", INSTANCES, {"id": "known"})
    yield server
    server.stop()


def test_malformed_json_is_400_with_line_and_column(server) -> None:
    answer = server.explorer("POST", INSTANCES, raw=b'{\n  "id": "x",\n  oops\n}')
    assert answer.status == 400
    assert "malformed JSON" in answer.error
    assert "line 3, column 3" in answer.error
    answer = server.request("POST", "/cdn-cgi/wf/time/advance", raw=b"{nope")
    assert answer.status == 400 and "line 1, column 2" in answer.error


@pytest.mark.parametrize(
    ("method", "path", "body", "fragment"),
    [
        ("GET", "/workflows/nope", None, "Workflow 'nope' not found"),
        ("GET", "/workflows/nope/instances", None, "Workflow 'nope' not found"),
        ("POST", "/workflows/nope/instances", {}, "Workflow 'nope' not found"),
        ("GET", INSTANCES + "/missing", None, "'missing' not found"),
        ("DELETE", INSTANCES + "/missing", None, "'missing' not found"),
        ("PATCH", INSTANCES + "/missing/status", {"action": "pause"}, "'missing' not found"),
        ("POST", INSTANCES + "/missing/events/approval", {}, "'missing' not found"),
        ("GET", "/nothing/here", None, "no route"),
    ],
)
def test_unknown_things_are_404(server, method, path, body, fragment) -> None:
    answer = server.explorer(method, path, body)
    assert answer.status == 404, answer
    assert fragment in answer.error
    assert answer.json["errors"][0]["code"] == 10501


@pytest.mark.parametrize(
    ("method", "path", "body", "fragment"),
    [
        ("POST", INSTANCES, {"id": "bad id!"}, "invalid id"),
        ("POST", INSTANCES, {"id": "x" * 101}, "invalid id"),
        ("GET", INSTANCES + "/bad%20id", None, "invalid id"),
        ("POST", INSTANCES + "/known/events/bad.type", {}, "invalid_event_type"),
        ("PATCH", INSTANCES + "/known/status", {"action": "bogus"}, "Invalid action 'bogus'"),
        ("PATCH", INSTANCES + "/known/status", [], "must be a JSON object"),
        ("GET", INSTANCES + "?status=sleepy", None, "Invalid status 'sleepy'"),
        ("GET", INSTANCES + "?per_page=0", None, "per_page must be between 1 and 100"),
        ("GET", INSTANCES + "?page=two", None, "page must be a whole number"),
        ("POST", INSTANCES + "/batch", {"id": "x"}, "JSON array"),
    ],
)
def test_invalid_input_is_400(server, method, path, body, fragment) -> None:
    answer = server.explorer(method, path, body)
    assert answer.status == 400, answer
    assert fragment in answer.error


def test_control_input_errors(server) -> None:
    advance = "/cdn-cgi/wf/time/advance"
    assert "exactly one" in server.post(advance, {}).error
    bad = server.post(advance, {"by": "a fortnight"})
    assert bad.status == 400 and "a fortnight" in bad.error
    past = server.post(advance, {"to": "2000-01-01T00:00:00Z"})
    assert past.status == 400 and "only moves forward" in past.error
    mode = server.post("/cdn-cgi/wf/time", {"mode": "sideways"})
    assert mode.status == 400 and "sideways" in mode.error
    scale = server.post("/cdn-cgi/wf/time", {"scale": -2})
    assert scale.status == 400 and "from 0.001 to 10,000,000" in scale.error
    assert server.post("/cdn-cgi/wf/nope").status == 404


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"by": 1e300}, "at most 1000 years"),
        ({"by": "300000 years"}, "at most 1000 years"),
        ({"to": 1e20}, "must be between 1970"),
        ({"to": "9999-01-01T00:00:00Z"}, "must be between 1970"),
    ],
)
def test_time_out_of_range_is_400_and_moves_nothing(server, body, fragment) -> None:
    before = server.get("/cdn-cgi/wf/time").result
    answer = server.post("/cdn-cgi/wf/time/advance", body)
    assert answer.status == 400 and fragment in answer.error, answer
    after = server.get("/cdn-cgi/wf/time")
    assert after.status == 200 and after.result["now_ms"] == before["now_ms"]


@pytest.mark.parametrize("scale", [1e300, 0, 0.0001, "fast", True])
def test_scale_out_of_range_is_400_and_changes_nothing(server, scale) -> None:
    before = server.get("/cdn-cgi/wf/time").result
    answer = server.post("/cdn-cgi/wf/time", {"scale": scale})
    assert answer.status == 400 and "time scale must be a number" in answer.error
    after = server.get("/cdn-cgi/wf/time").result
    assert (after["mode"], after["scale"]) == (before["mode"], before["scale"])


def test_restart_from_an_unknown_step_changes_nothing(server) -> None:
    server.explorer("POST", INSTANCES, {"id": "waits"})
    path = INSTANCES + "/waits"
    before = server.explorer("GET", path).result
    timers = server.get("/cdn-cgi/wf/time").result["pending_timers"]
    answer = server.explorer(
        "PATCH", path + "/status", {"action": "restart", "from": {"name": "nope"}}
    )
    assert answer.status == 404 and 'Step "nope" not found' in answer.error
    after = server.explorer("GET", path).result
    assert after["status"] == before["status"] == "waiting"
    assert after["steps"] == before["steps"]
    assert server.get("/cdn-cgi/wf/time").result["pending_timers"] == timers


def test_bodies_over_one_mib_are_413(server) -> None:
    big = b'{"id": "big", "params": {"blob": "' + b"x" * (1024 * 1024) + b'"}}'
    answer = server.explorer("POST", INSTANCES, raw=big)
    assert answer.status == 413
    assert "larger than 1024 KiB" in answer.error
    event = server.explorer("POST", INSTANCES + "/known/events/approval", raw=big)
    assert event.status == 413


def test_non_loopback_host_is_403_on_cdn_cgi_only(server) -> None:
    evil = {"Host": f"evil.example:{server.port}"}
    answer = server.explorer("GET", "/workflows", headers=evil)
    assert answer.status == 403 and "evil.example" in answer.error
    assert server.get("/cdn-cgi/wf/time", headers=evil).status == 403
    origin = server.get("/cdn-cgi/wf/time", headers={"Origin": "http://evil.example"})
    assert origin.status == 403
    for host in ("localhost", f"127.0.0.1:{server.port}", f"[::1]:{server.port}"):
        assert server.get("/cdn-cgi/wf/time", headers={"Host": host}).status == 200
    # The Worker itself serves any Host, as a deployed Worker does.
    assert server.get("/", headers=evil).status == 200


def test_wrong_method_is_405_in_the_envelope(server) -> None:
    answer = server.explorer("PUT", "/workflows")
    assert answer.status == 405 and "not allowed" in answer.error
