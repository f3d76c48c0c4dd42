"""Static assets (`assets`): production's routing rules, ETag/304, the Worker's turn, and
env.ASSETS.fetch.

Rules from workers-sdk packages/workers-shared/asset-worker/src/handler.ts (getIntent per
html_handling, notFound, safeRedirect: 307 redirects to the canonical path; 404.html served
with 404; the SPA's /index.html; GET/HEAD only; strong ETag, 304 on a weak or strong match).
Python's Fetcher binding goes through `_FetcherWrapper` (workers-py _workers.py).
"""

from __future__ import annotations

import json
import textwrap
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import START
from tests.devserver import DevServer
from wf.config import ConfigError, load_config
from wf.platform.assets import worker_first
from wf.testing import Emulator

SOURCE = """
from workers import Response, WorkerEntrypoint, WorkflowEntrypoint


class Noop(WorkflowEntrypoint):
    async def run(self, event, step):
        return None


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        if request.url.endswith("/via-binding"):
            asset = await self.env.ASSETS.fetch("http://localhost/about")
            return Response("binding: " + await asset.text(), status=asset.status)
        return Response("worker", headers={"x-from": "worker"})
"""

FILES = {
    "index.html": "<h1>home</h1>",
    "about.html": "about",
    "blog/index.html": "blog",
    "blog/404.html": "blog not found",
    "404.html": "not found",
    "app.js": "console.log(1)",
    "data.bin": "\x00\x01",
}


def write_project(root: Path, **assets: Any) -> Path:
    (root / "src").mkdir(parents=True, exist_ok=True)
    (root / "src" / "entry.py").write_text(textwrap.dedent(SOURCE))
    for name, text in FILES.items():
        path = root / "public" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (root / "wrangler.jsonc").write_text(
        json.dumps(
            {
                "name": "assets-project",
                "main": "src/entry.py",
                "compatibility_date": "2026-08-14",
                "compatibility_flags": ["python_workers"],
                "assets": {"directory": "public", "binding": "ASSETS", **assets},
                "workflows": [{"name": "noop", "binding": "NOOP", "class_name": "Noop"}],
            }
        )
    )
    return root


async def _get(emu: Emulator, path: str, **headers: str) -> tuple[int, str, Any]:
    reply = await emu.fetch(path, headers=headers)
    return reply.status, await reply.text(), reply.headers


async def test_files_are_served_with_type_etag_and_304(tmp_path: Path) -> None:
    async with Emulator(write_project(tmp_path), now=START) as emu:
        status, text, headers = await _get(emu, "/app.js")
        assert (status, text) == (200, "console.log(1)")
        assert headers.get("content-type").startswith("text/javascript")
        etag = headers.get("etag")
        assert etag.startswith('"') and etag.endswith('"')
        assert (await _get(emu, "/app.js", **{"if-none-match": etag}))[0] == 304
        assert (await _get(emu, "/app.js", **{"if-none-match": "W/" + etag}))[0] == 304
        assert (await _get(emu, "/app.js", **{"if-none-match": '"other"'}))[0] == 200


@pytest.mark.parametrize(
    ("html", "path", "expected"),
    [
        # auto-trailing-slash (the default)
        ("auto-trailing-slash", "/about", (200, "about")),
        ("auto-trailing-slash", "/about.html", (307, "/about")),
        ("auto-trailing-slash", "/blog/", (200, "blog")),
        ("auto-trailing-slash", "/blog", (307, "/blog/")),
        ("auto-trailing-slash", "/blog/index.html", (307, "/blog/")),
        ("auto-trailing-slash", "/", (200, "<h1>home</h1>")),
        ("auto-trailing-slash", "/index.html", (307, "/")),
        # force-trailing-slash
        ("force-trailing-slash", "/about", (307, "/about/")),
        ("force-trailing-slash", "/about/", (200, "about")),
        ("force-trailing-slash", "/blog", (307, "/blog/")),
        # drop-trailing-slash
        ("drop-trailing-slash", "/blog/", (307, "/blog")),
        ("drop-trailing-slash", "/blog", (200, "blog")),
        ("drop-trailing-slash", "/about/", (307, "/about")),
        ("drop-trailing-slash", "/", (200, "<h1>home</h1>")),
        # none: only exact files
        ("none", "/about", (200, "worker")),
        ("none", "/about.html", (200, "about")),
        ("none", "/blog/", (200, "worker")),
    ],
)
async def test_html_handling(
    tmp_path: Path, html: str, path: str, expected: tuple[int, str]
) -> None:
    async with Emulator(write_project(tmp_path, html_handling=html), now=START) as emu:
        status, text, headers = await _get(emu, path)
        got = (status, headers.get("location") if status == 307 else text)
        assert got == expected


async def test_a_miss_goes_to_the_worker_and_not_found_handling_serves_navigations(
    tmp_path: Path,
) -> None:
    async with Emulator(write_project(tmp_path, not_found_handling="404-page"), now=START) as emu:
        assert (await _get(emu, "/api/thing"))[:2] == (200, "worker")
        navigate = {"sec-fetch-mode": "navigate"}
        assert (await _get(emu, "/blog/missing", **navigate))[:2] == (404, "blog not found")
        assert (await _get(emu, "/missing", **navigate))[:2] == (404, "not found")


async def test_single_page_application_serves_index_for_navigations(tmp_path: Path) -> None:
    config = {"not_found_handling": "single-page-application"}
    async with Emulator(write_project(tmp_path, **config), now=START) as emu:
        navigate = {"sec-fetch-mode": "navigate"}
        assert (await _get(emu, "/app/route", **navigate))[:2] == (200, "<h1>home</h1>")
        assert (await _get(emu, "/app/route"))[:2] == (200, "worker")


async def test_run_worker_first_sends_matching_paths_to_the_worker(tmp_path: Path) -> None:
    config = {"run_worker_first": ["/about*", "!/about.html"]}
    async with Emulator(write_project(tmp_path, **config), now=START) as emu:
        assert (await _get(emu, "/about"))[:2] == (200, "worker")
        assert (await _get(emu, "/about.html"))[:2] == (307, "")
        assert (await _get(emu, "/app.js"))[:2] == (200, "console.log(1)")
    async with Emulator(write_project(tmp_path, run_worker_first=True), now=START) as emu:
        assert (await _get(emu, "/app.js"))[:2] == (200, "worker")


def test_worker_first_patterns() -> None:
    assert worker_first("/api/x", ("/api/*",))
    assert not worker_first("/api/docs/x", ("/api/*", "!/api/docs/*"))
    assert not worker_first("/other", ("/api/*",))
    assert worker_first("/", True) and not worker_first("/", False)


async def test_env_assets_fetch_from_the_worker(tmp_path: Path) -> None:
    async with Emulator(write_project(tmp_path, run_worker_first=True), now=START) as emu:
        assert (await _get(emu, "/via-binding"))[:2] == (200, "binding: about")


async def test_only_get_and_head_are_served(tmp_path: Path) -> None:
    async with Emulator(write_project(tmp_path), now=START) as emu:
        reply = await emu.fetch("/app.js", method="HEAD")
        assert reply.status == 200 and await reply.text() == ""
        assert reply.headers.get("etag")
        assert (await emu.fetch("/app.js", method="POST", body="x")).status == 405


async def test_paths_outside_the_folder_are_not_served(tmp_path: Path) -> None:
    root = write_project(tmp_path)
    (root / "secret.txt").write_text("secret")
    async with Emulator(root, now=START) as emu:
        assert (await _get(emu, "/../secret.txt"))[1] != "secret"
        assert (await _get(emu, "/%2e%2e/secret.txt"))[1] != "secret"


def test_the_assets_config_is_validated(tmp_path: Path) -> None:
    root = write_project(tmp_path, html_handling="sometimes")
    with pytest.raises(
        ConfigError, match=r"assets\.html_handling: must be one of auto-trailing-slash"
    ):
        load_config(root / "wrangler.jsonc")
    root = write_project(tmp_path, directory="nowhere")
    with pytest.raises(ConfigError, match=r"assets\.directory: folder nowhere does not exist"):
        load_config(root / "wrangler.jsonc")
    root = write_project(tmp_path, run_worker_first=["api/*"])
    with pytest.raises(
        ConfigError, match=r"run_worker_first\[0\]: a route pattern must start with /"
    ):
        load_config(root / "wrangler.jsonc")
    root = write_project(tmp_path, run_worker_first="yes")
    with pytest.raises(ConfigError, match="must be a boolean or an array"):
        load_config(root / "wrangler.jsonc")


def _http(port: int, path: str, **headers: str) -> tuple[int, str, Any]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
    opener = urllib.request.build_opener(_NoRedirect())
    try:
        with opener.open(request, timeout=10) as reply:
            return reply.status, reply.read().decode(), reply.headers
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(), err.headers


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def test_wf_dev_serves_assets_before_the_worker(tmp_path: Path) -> None:
    root = write_project(tmp_path)
    with DevServer(root, "--time", "manual") as server:
        server.wait_ready()
        status, text, headers = _http(server.port, "/about")
        assert (status, text) == (200, "about")
        assert headers["content-type"] == "text/html; charset=utf-8"
        assert _http(server.port, "/about", **{"If-None-Match": headers["etag"]})[0] == 304
        assert _http(server.port, "/about.html")[2]["location"] == "/about"
        assert _http(server.port, "/api")[1] == "worker"


async def test_before_2025_04_01_navigations_reach_the_worker_first(tmp_path: Path) -> None:
    root = write_project(tmp_path, not_found_handling="single-page-application")
    data = json.loads((root / "wrangler.jsonc").read_text())
    data["compatibility_date"] = "2025-03-31"
    # before 2025-09-20 a Python Workflow needs python_workflows besides python_workers
    data["compatibility_flags"] = [*data.get("compatibility_flags", []), "python_workflows"]
    (root / "wrangler.jsonc").write_text(json.dumps(data))
    async with Emulator(root, now=START) as emu:
        navigate = {"sec-fetch-mode": "navigate"}
        assert (await _get(emu, "/app/route", **navigate))[:2] == (200, "worker")
