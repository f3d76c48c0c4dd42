"""Outgoing fetch in tests: emu.mock_fetch / emu.fetch_mock, as cloudflare:test's fetchMock
(an undici MockAgent: intercept by method, origin and path; reply or replyWithError; times,
persist; assertNoPendingInterceptors; disableNetConnect).

One interception point serves workers.fetch, js.fetch and pyodide.http.pyfetch. A mocked
network error surfaces as OSError, what workers-py's fetch raises when the JS fetch rejects
(packages/runtime-sdk/src/workers/_workers.py, `_pyfetch_patched`: `raise OSError(e.message)`).
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest

from tests.conftest import START
from wf.testing import Emulator

SOURCE = """
import json
import js
from pyodide.http import pyfetch
from workers import Response, WorkerEntrypoint, WorkflowEntrypoint, fetch


class Pull(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do()
        async def price():
            reply = await fetch("https://api.example.com/price?item=1")
            return (await reply.json())["price"]

        return await price()


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        how = request.url.rsplit("/", 1)[-1]
        url = request.headers.get("x-target") or "https://api.example.com/users/1"
        try:
            if how == "js":
                reply = await js.fetch(url, method="GET")
                return Response(await reply.text(), status=reply.status)
            if how == "pyfetch":
                reply = await pyfetch(url)
                return Response(await reply.text(), status=reply.status)
            if how == "post":
                reply = await fetch(url, method="POST", body=json.dumps({"a": 1}),
                                    headers={"authorization": "Bearer t"})
                return Response(await reply.text(), status=reply.status)
            reply = await fetch(url)
            body = await reply.text()
            return Response(body, status=reply.status, headers={"x-got": reply.headers.get("x-up") or ""})
        except OSError as exc:
            return Response(f"network error: {exc}", status=502)
"""


def write_project(root: Path) -> Path:
    (root / "src").mkdir(parents=True, exist_ok=True)
    (root / "src" / "entry.py").write_text(textwrap.dedent(SOURCE))
    (root / "wrangler.jsonc").write_text(
        json.dumps(
            {
                "name": "fetch-project",
                "main": "src/entry.py",
                "compatibility_date": "2026-08-14",
                "compatibility_flags": ["python_workers"],
                "workflows": [{"name": "pull", "binding": "PULL", "class_name": "Pull"}],
            }
        )
    )
    return root


@pytest.fixture
async def emu(tmp_path: Path):
    async with Emulator(write_project(tmp_path), now=START) as emulator:
        emulator.fetch_mock.disable_net_connect()
        yield emulator


@pytest.mark.parametrize("how", ["workers", "js", "pyfetch"])
async def test_every_fetch_of_user_code_is_answered_by_the_mock(emu: Emulator, how: str) -> None:
    emu.mock_fetch("https://api.example.com", path="/users/1").reply(
        200, {"id": 1}, headers={"x-up": "yes"}
    )
    reply = await emu.fetch(f"/{how}")
    assert reply.status == 200
    assert json.loads(await reply.text()) == {"id": 1}
    if how == "workers":
        assert reply.headers.get("x-got") == "yes"
    emu.fetch_mock.assert_no_pending_interceptors()


async def test_matching_by_method_headers_and_body(emu: Emulator) -> None:
    emu.mock_fetch(
        "https://api.example.com",
        path="/users/1",
        method="POST",
        headers={"authorization": re.compile(r"^Bearer ")},
        body=lambda text: json.loads(text) == {"a": 1},
    ).reply(201, "created")
    reply = await emu.fetch("/post")
    assert (reply.status, await reply.text()) == (201, "created")
    # a GET to the same URL is not that mock: refused, as the network is disabled
    refused = await emu.fetch("/workers")
    assert refused.status == 502
    assert "no fetch mock matches" in await refused.text()
    assert emu.fetch_mock.calls[-1].refused


async def test_a_mock_answers_once_unless_times_or_persist(emu: Emulator) -> None:
    emu.mock_fetch("https://api.example.com", path="/users/1").reply(200, "first").times(2)
    assert await (await emu.fetch("/workers")).text() == "first"
    assert await (await emu.fetch("/workers")).text() == "first"
    assert (await emu.fetch("/workers")).status == 502
    emu.mock_fetch("https://api.example.com", path=re.compile(r"^/users/")).reply(
        200, "any"
    ).persist()
    for _ in range(3):
        assert await (await emu.fetch("/workers")).text() == "any"


async def test_reply_with_error_fails_the_fetch_as_a_network_error(emu: Emulator) -> None:
    emu.mock_fetch("https://api.example.com", path="/users/1").reply_with_error("connection reset")
    reply = await emu.fetch("/workers")
    assert reply.status == 502
    assert "connection reset" in await reply.text()


async def test_unused_mocks_fail_the_assertion_with_their_names(emu: Emulator) -> None:
    emu.mock_fetch("https://api.example.com", path="/never").reply(200, "")
    emu.mock_fetch("https://api.example.com", path="/users/1").reply(200, "")
    await emu.fetch("/workers")
    with pytest.raises(
        AssertionError, match=r"1 fetch mock\(s\) not used:\n  GET https://api.example.com/never"
    ):
        emu.fetch_mock.assert_no_pending_interceptors()


async def test_a_workflow_step_fetch_is_mocked(emu: Emulator) -> None:
    emu.mock_fetch("https://api.example.com", path="/price?item=1").reply(200, {"price": 42})
    await emu.env.PULL.create(id="p1")
    instance = emu.introspect_instance("PULL", "p1")
    await instance.wait_for_status("complete")
    assert await instance.get_output() == 42


async def test_enable_net_connect_for_a_host_lets_only_that_host_through(emu: Emulator) -> None:
    emu.fetch_mock.enable_net_connect("127.0.0.1")
    reply = await emu.fetch("/workers", headers={"x-target": "https://elsewhere.example/x"})
    assert reply.status == 502 and "network is disabled" in await reply.text()


async def test_the_origin_normalises_and_a_path_in_it_is_refused(emu: Emulator) -> None:
    emu.mock_fetch("HTTPS://API.example.com:443", path="/users/1").reply(200, "ok")
    assert await (await emu.fetch("/workers")).text() == "ok"
    with pytest.raises(
        ValueError,
        match=r"give the path separately: mock_fetch\('https://api.example.com', path='/users'\)",
    ):
        emu.mock_fetch("https://api.example.com/users")
    with pytest.raises(ValueError, match="origin must be like"):
        emu.mock_fetch("api.example.com")
    with pytest.raises(ValueError, match="status must be an HTTP status"):
        emu.mock_fetch("https://api.example.com").reply(99)


async def test_a_mock_without_an_answer_says_what_to_call(emu: Emulator) -> None:
    emu.mock_fetch("https://api.example.com", path="/users/1")
    with pytest.raises(RuntimeError, match=r"has no answer: call \.reply"):
        await emu.fetch("/workers")


async def test_the_hook_is_removed_when_the_emulator_closes(tmp_path: Path) -> None:
    from wf.runtime.workers import _http

    async with Emulator(write_project(tmp_path), now=START):
        assert _http._outbound is not None
    assert _http._outbound is None
