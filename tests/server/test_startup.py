"""Starting `wf dev`: bad config, broken code, busy port, time options."""

from __future__ import annotations

from pathlib import Path

from tests.server.conftest import wait_for


def test_bad_config_stops_at_start_with_file_and_line(quickstart: Path, dev_server) -> None:
    config = quickstart / "wrangler.jsonc"
    config.write_text(config.read_text().replace('"class_name": "Onboarding",', '"class_name": 7,'))
    server = dev_server(quickstart, ready=False)
    assert server.wait_exit() != 0
    assert "wrangler.jsonc:" in server.log and "class_name" in server.log
    assert "Ready on" not in server.log


def test_busy_port_is_an_error(quickstart: Path, dev_server) -> None:
    first = dev_server(quickstart)
    second = dev_server(quickstart, port=first.port, ready=False)
    assert second.wait_exit() != 0
    assert "cannot listen" in second.log


def test_broken_code_at_start_serves_the_api_until_fixed(quickstart: Path, dev_server) -> None:
    entry = quickstart / "src" / "entry.py"
    good = entry.read_text()
    first = dev_server(quickstart, "--time", "manual")
    instance = first.post("/start", {"name": "Cy"}).json["id"]
    first.wait_status("onboarding", instance, "waiting")
    first.stop()

    entry.write_text(good.replace("import Response,", "import NoSuchThing,"))
    server = dev_server(quickstart)
    server.wait_log("src/entry.py:1")
    worker = server.get("/")
    assert worker.status == 503 and "src/entry.py:1" in worker.text
    code = server.get("/cdn-cgi/wf/code").result
    assert code["loaded"] is False and code["error"]["line"] == 1
    # The explorer answers; the sleeping instance is left alone, not failed for lack of code.
    assert server.status("onboarding", instance) == "waiting"
    refused = server.explorer("POST", "/workflows/onboarding/instances", {})
    assert refused.status == 503 and "failed to load" in refused.error
    server.advance("7 days")
    assert server.status("onboarding", instance) == "waiting"

    entry.write_text(good)
    wait_for(lambda: server.get("/cdn-cgi/wf/code").result["loaded"], what="the fixed code")
    assert server.get("/").status == 200
    # Starting the engine fires the timer that fell due while the code was broken.
    assert server.wait_status("onboarding", instance, "complete")["output"]["check_in"]


def test_time_scale_implies_scale_mode(quickstart: Path, dev_server) -> None:
    server = dev_server(quickstart, "--time-scale", "3600", "--no-reload")
    clock = server.get("/cdn-cgi/wf/time").result
    assert (clock["mode"], clock["scale"]) == ("scale", 3600.0)
    server.wait_log("hot reload off")
