"""Workers AI (`ai: {binding}`): env.AI.run answers from mocks registered in the test Emulator,
over HTTP and in .wf/ai.json; unregistered calls fail saying how to register one; every call
is recorded.

Production hands Python the JS `Ai` binding unwrapped (workers-py
packages/runtime-sdk/src/workers/_workers.py: `_EnvWrapper` wraps only Fetcher,
DurableObjectNamespace, Workflow, KV, R2 and D1), so inputs go over as JS objects (`to_js`)
and results are JsProxy objects on every compatibility date.
"""

from __future__ import annotations

import json
import textwrap
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import START
from tests.devserver import DevServer, run_wf
from wf.config import ConfigError, load_config
from wf.runtime.pyodide.ffi import JsException
from wf.testing import Emulator

SOURCE = """
import json
from js import Object
from pyodide.ffi import to_js
from workers import Response, WorkerEntrypoint, WorkflowEntrypoint

MODEL = "@cf/meta/llama-3.1-8b-instruct"


def js(value):
    return to_js(value, dict_converter=Object.fromEntries)


class Summarise(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do()
        async def summary():
            result = await self.env.AI.run(MODEL, js({"prompt": event["payload"]["text"]}))
            return result.response

        return await summary()


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        prompt = request.url.rsplit("/", 1)[-1]
        if prompt == "stream":
            stream = await self.env.AI.run(MODEL, js({"prompt": "hi", "stream": True}))
            return Response(stream, headers={"content-type": "text/event-stream"})
        if prompt == "raw":
            raw = await self.env.AI.run(MODEL, js({"prompt": "hi"}), returnRawResponse=True)
            return Response(await raw.text(), status=raw.status)
        result = await self.env.AI.run(MODEL, js({"prompt": prompt}), js({"gateway": {"id": "g"}}))
        return Response(json.dumps(result.to_py()))
"""
MODEL = "@cf/meta/llama-3.1-8b-instruct"


def write_project(root: Path, date: str = "2026-08-14") -> Path:
    (root / "src").mkdir(parents=True, exist_ok=True)
    (root / "src" / "entry.py").write_text(textwrap.dedent(SOURCE))
    (root / "wrangler.jsonc").write_text(
        json.dumps(
            {
                "name": "ai-project",
                "main": "src/entry.py",
                "compatibility_date": date,
                "compatibility_flags": ["python_workers"],
                "ai": {"binding": "AI"},
                "workflows": [
                    {"name": "summarise", "binding": "SUMMARISE", "class_name": "Summarise"}
                ],
            }
        )
    )
    return root


@pytest.mark.parametrize("date", ["2026-04-20", "2026-08-14"])
async def test_a_mocked_model_answers_as_a_js_object_on_both_sides_of_the_sdk_date(
    tmp_path: Path, date: str
) -> None:
    async with Emulator(write_project(tmp_path, date), now=START) as emu:
        emu.mock_ai(MODEL, {"response": "Hello!"})
        reply = await emu.fetch("/hi")
        assert reply.status == 200
        assert await reply.json() == {"response": "Hello!"}
        [call] = emu.ai_calls
        assert (call.model, call.inputs, call.options) == (
            MODEL,
            {"prompt": "hi"},
            {"gateway": {"id": "g"}},
        )
        assert call.response == {"response": "Hello!"}
        assert call.mocked_by == "test"


async def test_match_picks_the_answer_by_input_and_the_newest_mock_wins(tmp_path: Path) -> None:
    async with Emulator(write_project(tmp_path), now=START) as emu:
        emu.mock_ai(MODEL, {"response": "general"})
        emu.mock_ai(MODEL, {"response": "greeting"}, match={"prompt": "hello"})
        assert await (await emu.fetch("/hello")).json() == {"response": "greeting"}
        assert await (await emu.fetch("/other")).json() == {"response": "general"}
        emu.mock_ai(MODEL, {"response": "newer"})
        assert await (await emu.fetch("/other")).json() == {"response": "newer"}


async def test_times_limits_a_mock_and_an_error_mock_raises_in_user_code(tmp_path: Path) -> None:
    async with Emulator(write_project(tmp_path), now=START) as emu:
        emu.mock_ai(MODEL, error={"name": "InferenceUpstreamError", "message": "overloaded"})
        emu.mock_ai(MODEL, {"response": "once"}, times=1)
        assert await (await emu.fetch("/x")).json() == {"response": "once"}
        with pytest.raises(JsException, match="InferenceUpstreamError: overloaded"):
            await emu.fetch("/x")


async def test_an_unregistered_model_fails_saying_how_to_register_a_response(
    tmp_path: Path,
) -> None:
    async with Emulator(write_project(tmp_path), now=START) as emu:
        with pytest.raises(JsException) as caught:
            await emu.fetch("/hi")
        message = str(caught.value)
        assert MODEL in message
        assert "emu.mock_ai(" in message and ".wf/ai.json" in message and "wf ai mock" in message
        assert emu.ai_calls[0].error == f"no mock for {MODEL}"


async def test_a_workflow_step_calls_the_model(tmp_path: Path) -> None:
    async with Emulator(write_project(tmp_path), now=START) as emu:
        emu.mock_ai(MODEL, {"response": "short"}, match={"prompt": "a long text"})
        await emu.env.SUMMARISE.create(id="s1", params={"text": "a long text"})
        instance = emu.introspect_instance("SUMMARISE", "s1")
        await instance.wait_for_status("complete")
        assert await instance.get_output() == "short"


async def test_stream_true_answers_server_sent_events(tmp_path: Path) -> None:
    async with Emulator(write_project(tmp_path), now=START) as emu:
        emu.mock_ai(MODEL, {"response": "Hello there"})
        text = await (await emu.fetch("/stream")).text()
        events = [line.removeprefix("data: ") for line in text.split("\n\n") if line]
        assert events[-1] == "[DONE]"
        assert "".join(json.loads(e)["response"] for e in events[:-1]) == "Hello there"


async def test_return_raw_response_gives_an_http_response(tmp_path: Path) -> None:
    async with Emulator(write_project(tmp_path), now=START) as emu:
        emu.mock_ai(MODEL, {"response": "raw"})
        reply = await emu.fetch("/raw")
        assert reply.status == 200
        assert json.loads(await reply.text()) == {"response": "raw"}


async def test_mocks_come_from_the_project_file(tmp_path: Path) -> None:
    root = write_project(tmp_path)
    (root / ".wf").mkdir()
    (root / ".wf" / "ai.json").write_text(
        json.dumps({"mocks": [{"model": MODEL, "response": {"response": "from the file"}}]})
    )
    async with Emulator(root, now=START) as emu:
        assert await (await emu.fetch("/hi")).json() == {"response": "from the file"}
        assert emu.ai_calls[0].mocked_by == "file"
        emu.mock_ai(MODEL, {"response": "from the test"})  # registered mocks come first
        assert await (await emu.fetch("/hi")).json() == {"response": "from the test"}


async def test_a_bad_project_file_names_the_file_and_the_problem(tmp_path: Path) -> None:
    root = write_project(tmp_path)
    (root / ".wf").mkdir()
    (root / ".wf" / "ai.json").write_text(json.dumps({"mocks": [{"response": {}}]}))
    async with Emulator(root, now=START) as emu:
        with pytest.raises(ValueError, match=r"\.wf/ai\.json: mocks\[0\]: .*needs \"model\""):
            await emu.fetch("/hi")


def test_bad_mocks_are_refused_with_the_reason(tmp_path: Path) -> None:
    emu = Emulator(write_project(tmp_path), now=START)
    try:
        with pytest.raises(ValueError, match="model name"):
            emu.mock_ai("", {"response": "x"})
        with pytest.raises(ValueError, match="JSON data or bytes"):
            emu.mock_ai(MODEL, {"response": object()})
        with pytest.raises(ValueError, match="times"):
            emu.mock_ai(MODEL, {}, times=0)
    finally:
        emu.close_outside_loop()


def test_the_ai_config_is_validated(tmp_path: Path) -> None:
    root = write_project(tmp_path)
    config = load_config(root / "wrangler.jsonc")
    assert config.ai is not None and config.ai.binding == "AI"
    assert not [m for m in config.not_emulated if m.binding == "AI"]
    data = json.loads((root / "wrangler.jsonc").read_text())
    data["ai"] = {"binding": "not valid"}
    (root / "wrangler.jsonc").write_text(json.dumps(data))
    with pytest.raises(ConfigError, match=r"ai\.binding: must be a valid Python identifier"):
        load_config(root / "wrangler.jsonc")


def _http(port: int, path: str, method: str = "GET", body: bytes | None = None) -> tuple[int, str]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def test_wf_dev_mocks_over_http_and_the_cli_and_lists_the_calls(tmp_path: Path) -> None:
    root = write_project(tmp_path)
    with DevServer(root, "--time", "manual") as server:
        server.wait_ready()
        status, text = _http(server.port, "/hi")
        assert status == 500 and "wf ai mock" in text  # unregistered: says how
        added = run_wf("ai", "mock", MODEL, '{"response": "from the CLI"}', port=server.port)
        assert added.returncode == 0, added.stderr
        assert json.loads(_http(server.port, "/hi")[1]) == {"response": "from the CLI"}
        body = json.dumps(
            {"model": MODEL, "match": {"prompt": "yo"}, "response": {"response": "http"}}
        )
        status, _ = _http(server.port, "/cdn-cgi/wf/ai/mocks", "POST", body.encode())
        assert status == 200
        assert json.loads(_http(server.port, "/yo")[1]) == {"response": "http"}
        status, text = _http(server.port, "/cdn-cgi/wf/ai/calls")
        calls = json.loads(text)["result"]
        # the CLI's mock is registered over HTTP too
        assert [c["mocked_by"] for c in calls] == [None, "http", "http"]
        listed = run_wf("ai", "calls", "--json", port=server.port)
        assert [c["inputs"] for c in json.loads(listed.stdout)] == [
            {"prompt": "hi"},
            {"prompt": "hi"},
            {"prompt": "yo"},
        ]
        table = run_wf("ai", "calls", port=server.port)
        assert MODEL in table.stdout and "from the CLI" in table.stdout
        status, text = _http(server.port, "/cdn-cgi/wf/ai/mocks", "POST", b'{"response": 1}')
        assert status == 400 and 'needs \\"model\\"' in text


def test_mock_ai_without_an_ai_binding_says_what_to_add(tmp_path: Path) -> None:
    root = write_project(tmp_path)
    data = json.loads((root / "wrangler.jsonc").read_text())
    del data["ai"]
    (root / "wrangler.jsonc").write_text(json.dumps(data))
    emu = Emulator(root, now=START)
    try:
        with pytest.raises(KeyError, match=r'add "ai": \{"binding": "AI"\} to wrangler\.jsonc'):
            emu.mock_ai(MODEL, {"response": "x"})
    finally:
        emu.close_outside_loop()
