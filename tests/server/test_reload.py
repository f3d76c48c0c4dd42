"""Hot reload: new code for new requests and unfinished instances, errors keep the old code."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import write_project
from tests.server.conftest import wait_for

SOURCE = """
from pathlib import Path

from workers import Response, WorkerEntrypoint, WorkflowEntrypoint

EFFECTS = Path(__file__).parent / "effects.txt"


class Nap(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("first")
        async def first():
            with EFFECTS.open("a") as out:
                out.write("first\\n")
            return "done"

        await first()
        await step.sleep("nap", "1 day")

        @step.do("second")
        async def second():
            return "old value"

        return {"second": await second()}


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response("version one")
"""


def test_edit_while_sleeping_replays_from_cached_steps(tmp_path: Path, dev_server) -> None:
    project = write_project(tmp_path / "p", SOURCE, {"nap": "Nap"})
    entry = project / "src" / "entry.py"
    effects = project / "src" / "effects.txt"
    server = dev_server(project, "--time", "manual")
    server.explorer("POST", "/workflows/nap/instances", {"id": "n1"})
    server.wait_status("nap", "n1", "waiting")
    assert effects.read_text() == "first\n"

    generation = server.generation()
    entry.write_text(
        entry.read_text()
        .replace('"old value"', '"new value"')
        .replace('"version one"', '"version two"')
    )
    wait_for(lambda: server.generation() > generation, what="the reload")
    assert server.get("/").text == "version two"  # new requests use the new code
    server.wait_log("Reloaded (src/entry.py changed)")

    server.advance("1 day")
    details = server.describe("nap", "n1")
    assert details["status"] == "complete"
    assert details["output"] == {"second": "new value"}
    assert effects.read_text() == "first\n"  # the first step came from the cache


def test_syntax_error_keeps_serving_until_fixed(tmp_path: Path, dev_server) -> None:
    project = write_project(tmp_path / "p", SOURCE, {"nap": "Nap"})
    entry = project / "src" / "entry.py"
    good = entry.read_text()
    server = dev_server(project, "--time", "manual")
    generation = server.generation()

    lines = good.splitlines()
    broken_line = next(i for i, line in enumerate(lines, 1) if "return Response" in line)
    lines[broken_line - 1] = "        return Response(('version one'"
    entry.write_text("\n".join(lines) + "\n")

    def load_error():
        return server.get("/cdn-cgi/wf/code").result["error"]

    error = wait_for(load_error, what="the load error")
    assert error["file"] == "src/entry.py" and error["line"] >= broken_line
    assert "src/entry.py:" in error["message"]
    server.wait_log("Error loading the Worker", "src/entry.py:")
    assert server.get("/").text == "version one"  # the previous code keeps serving
    assert server.generation() == generation

    entry.write_text(good.replace('"version one"', '"version fixed"'))
    wait_for(lambda: server.generation() > generation, what="the fixed reload")
    assert load_error() is None
    assert server.get("/").text == "version fixed"


def test_config_change_adds_a_workflow(tmp_path: Path, dev_server) -> None:
    project = write_project(tmp_path / "p", SOURCE, {"nap": "Nap"})
    server = dev_server(project, "--time", "manual")
    generation = server.generation()
    entry = project / "src" / "entry.py"
    entry.write_text(
        entry.read_text()
        + "\n\nclass Quick(WorkflowEntrypoint):\n"
        + "    async def run(self, event, step):\n        return 'quick'\n"
    )
    wait_for(lambda: server.generation() > generation, what="the code reload")
    config = project / "wrangler.jsonc"
    config.write_text(
        config.read_text().replace(
            '"class_name": "Nap"}',
            '"class_name": "Nap"}, {"name": "quick", "binding": "QUICK", "class_name": "Quick"}',
        )
    )

    def names() -> list[str]:
        return [w["name"] for w in server.explorer("GET", "/workflows").result]

    wait_for(lambda: names() == ["nap", "quick"], what="the new workflow")
    server.explorer("POST", "/workflows/quick/instances", {"id": "q1"})
    assert server.wait_status("quick", "q1", "complete")["output"] == "quick"
