"""Static assets: `_redirects` and `_headers` in the assets folder, and assets-only projects.

Rules from workers-sdk: packages/workers-shared/utils/configuration/parseRedirects.ts and
parseHeaders.ts (syntax, limits, messages), asset-worker/src/handler.ts (redirects before
html_handling, 200 proxying, the Location's query string) and utils/headers.ts (custom
headers on every asset-worker answer, never the Worker's); wrangler's validateAssetsArgsAndConfig
for what an assets-only Worker (no `main`) may not have.
"""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import START
from tests.devserver import DevServer
from tests.server.test_assets import _http, write_project
from wf.config import ConfigError, load_config
from wf.platform.assets._headers import parse_headers
from wf.platform.assets._redirects import parse_redirects
from wf.testing import Emulator

REDIRECTS = """
# comments and blank lines are skipped
/home / 301
/found /about
/see /about 303
/temp /about 307
/perm /about 308
/query /about?from=query 301
/page/ /about#part 301
/away https://example.com/there
/old-blog/* /posts/:splat 301
/people/:name/:tab /about?who=:name&tab=:tab 302
/users/:id /about 200
/nothing/* /no-such-file 200
/about.html /elsewhere 301
"""

HEADERS = """
/*
  X-Frame-Options: DENY
  X-Robots-Tag: all
/app.js
  Cache-Control: public, max-age=31536000, immutable
  X-Robots-Tag: noindex
/blog/:section
  X-Section: in :section
  ! X-Frame-Options
"""


def rules_project(root: Path, **assets: Any) -> Path:
    write_project(root, **assets)
    (root / "public" / "_redirects").write_text(textwrap.dedent(REDIRECTS))
    (root / "public" / "_headers").write_text(textwrap.dedent(HEADERS))
    return root


async def _get(emu: Emulator, path: str, **headers: str) -> tuple[int, str, Any]:
    reply = await emu.fetch(path, headers=headers)
    return reply.status, await reply.text(), reply.headers


@pytest.mark.parametrize(
    ("path", "status", "location"),
    [
        ("/home", 301, "/"),
        ("/found", 302, "/about"),
        ("/see", 303, "/about"),
        ("/temp", 307, "/about"),
        ("/perm", 308, "/about"),
        ("/query", 301, "/about?from=query"),
        ("/found?keep=1", 302, "/about?keep=1"),  # the request's query when the rule has none
        ("/page/", 301, "/about#part"),
        ("/away", 302, "https://example.com/there"),
        ("/old-blog/2024/post", 301, "/posts/2024/post"),
        ("/old-blog/", 301, "/posts/"),  # an empty splat is replaced too
        ("/people/ada/posts", 302, "/about?who=ada&tab=posts"),
        # a rule wins over the file and over html_handling's own 307
        ("/about.html", 301, "/elsewhere"),
    ],
)
async def test_redirect_rules_answer_before_the_worker_and_the_files(
    tmp_path: Path, path: str, status: int, location: str
) -> None:
    async with Emulator(rules_project(tmp_path), now=START) as emu:
        got, _, headers = await _get(emu, path)
        assert (got, headers.get("location")) == (status, location)


async def test_a_200_rule_serves_the_destination_at_the_source_url(tmp_path: Path) -> None:
    async with Emulator(rules_project(tmp_path), now=START) as emu:
        assert (await _get(emu, "/users/42"))[:2] == (200, "about")
        # a placeholder is one segment: /users/42/more is no match, so the Worker answers
        assert (await _get(emu, "/users/42/more"))[:2] == (200, "worker")
        # proxying to a missing file is the assets' 404, not the Worker's turn
        assert (await _get(emu, "/nothing/here"))[0] == 404


async def test_custom_headers_apply_to_asset_answers_and_never_to_the_worker(
    tmp_path: Path,
) -> None:
    async with Emulator(rules_project(tmp_path), now=START) as emu:
        _, _, headers = await _get(emu, "/app.js")
        assert headers.get("cache-control") == "public, max-age=31536000, immutable"
        assert headers.get("x-frame-options") == "DENY"
        assert headers.get("x-robots-tag") == "all, noindex"  # a later rule adds to it
        _, text, headers = await _get(emu, "/blog/")
        assert text == "blog"
        assert headers.get("x-section") is None  # /blog/:section needs a segment
        _, _, headers = await _get(emu, "/home")  # a redirect gets them too
        assert headers.get("x-frame-options") == "DENY"
        status, text, headers = await _get(emu, "/api/thing")
        assert (status, text) == (200, "worker")
        assert headers.get("x-frame-options") is None


async def test_header_values_take_the_placeholders(tmp_path: Path) -> None:
    root = rules_project(tmp_path)
    (root / "public" / "blog" / "news.html").write_text("news")
    async with Emulator(root, now=START) as emu:
        status, text, headers = await _get(emu, "/blog/news")
        assert (status, text) == (200, "news")
        assert headers.get("x-section") == "in news"
        assert headers.get("x-frame-options") is None  # ! removes what /* set
        assert headers.get("x-robots-tag") == "all"


async def test_the_rule_files_are_not_served_and_edits_apply_at_once(tmp_path: Path) -> None:
    root = rules_project(tmp_path, run_worker_first=["/api/*"])
    async with Emulator(root, now=START) as emu:
        assert (await _get(emu, "/_redirects"))[:2] == (200, "worker")
        assert (await _get(emu, "/_headers"))[:2] == (200, "worker")
        assert (await _get(emu, "/fresh"))[:2] == (200, "worker")
        redirects = root / "public" / "_redirects"
        redirects.write_text(redirects.read_text() + "/fresh /about 308\n")
        stat = redirects.stat()  # a new mtime even on a coarse clock
        os.utime(redirects, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10_000_000))
        status, _, headers = await _get(emu, "/fresh")
        assert (status, headers.get("location")) == (308, "/about")


async def test_env_assets_fetch_applies_the_rules(tmp_path: Path) -> None:
    async with Emulator(rules_project(tmp_path, run_worker_first=True), now=START) as emu:
        reply = await emu.env.ASSETS.fetch("http://localhost/home")
        assert (reply.status, reply.headers.get("location")) == (301, "/")
        assert reply.headers.get("x-frame-options") == "DENY"


def test_redirect_lines_production_skips_are_reported_with_their_line() -> None:
    text = "\n".join(
        [
            "/ok /about",
            "/one-token",
            "/a /b 404",
            "/ok /again",
            "/* /index.html",
            "/abs https://example.com 200",
            "https://example.com/x /y",
            "/c nowhere",
            "/d /e 301 # a comment",
        ]
    )
    parsed = parse_redirects(text)
    assert len(parsed) == 2  # /ok and /d
    assert [(p.line, p.message.split(".")[0]) for p in parsed.invalid] == [
        (2, "Expected exactly 2 or 3 whitespace-separated tokens"),
        (3, "Valid status codes are 200, 301, 302 (default), 303, 307, or 308"),
        (4, "Ignoring duplicate rule for path /ok"),
        (5, "Infinite loop detected in this rule and has been ignored"),
        (6, "Proxy (200) redirects can only point to relative paths"),
        (7, "Only relative URLs are allowed"),
        (8, "URLs should either be relative (e"),
    ]
    assert parsed.match("h", "/d") == (301, "/e")


def test_redirect_limits() -> None:
    dynamic = "\n".join(f"/d{i}/* /x/:splat" for i in range(101))
    parsed = parse_redirects(dynamic + "\n/after /x")
    assert len(parsed) == 100
    assert parsed.invalid[-1].message.startswith(
        "Maximum number of dynamic rules supported is 100. Skipping remaining 2 lines"
    )
    static = parse_redirects("\n".join(f"/s{i} /x" for i in range(2001)))
    assert len(static) == 2000
    assert static.invalid[0].message.startswith("Maximum number of static rules supported is 2000")
    long = parse_redirects("/a /" + "b" * 1000)
    assert len(long) == 0 and "maximum allowed length of 1000" in long.invalid[0].message


def test_header_lines_production_skips_are_reported_with_their_line() -> None:
    text = "\n".join(
        [
            "X-Before: path",
            "/ok",
            "  X-One: 1",
            "  not a pair",
            "  Bad Name: x",
            "  X-Empty:",
            "/no-headers",
            "http://example.com/*",
            "  X-Two: 2",
        ]
    )
    parsed = parse_headers(text)
    assert list(parsed.rules) == ["/ok"]
    assert [(p.line, p.message) for p in parsed.invalid] == [
        (1, "Path should come before header (x-before: path)"),
        (4, "Expected a colon-separated header pair (e.g. name: value)"),
        (5, "Header name cannot include spaces"),
        (6, "No header value specified"),
        (7, "No headers specified"),
        (
            8,
            "URLs should either be relative (e.g. begin with a forward-slash), or use HTTPS "
            '(e.g. begin with "https://").',
        ),
        (9, "Path should come before header (x-two: 2)"),
    ]
    # production counts the rules kept before the pending one: 101 pass, the 102nd is cut
    many = parse_headers("\n".join(f"/p{i}\n  X-N: {i}" for i in range(102)))
    assert len(many) == 101
    assert many.invalid[0].message.startswith("Maximum number of rules supported is 100.")


def test_absolute_header_rules_match_the_host_whatever_the_scheme_and_port() -> None:
    from wf.runtime.workers import Headers

    rules = parse_headers("https://:sub.example.com/*\n  X-Sub: :sub\n/plain\n  X-Plain: 1\n")
    headers = Headers()
    rules.apply(headers, "docs.example.com", "/any/page")
    assert (headers.get("x-sub"), headers.get("x-plain")) == ("docs", None)
    other = Headers()
    rules.apply(other, "a.b.example.com", "/plain")  # a host placeholder stops at a dot
    assert (other.get("x-sub"), other.get("x-plain")) == (None, "1")


async def test_assetsignore_leaves_files_out_as_gitignore_patterns_do(tmp_path: Path) -> None:
    root = write_project(tmp_path)
    public = root / "public"
    (public / "drafts").mkdir()
    (public / "drafts" / "a.html").write_text("draft")
    (public / "notes.md").write_text("notes")
    (public / "keep.md").write_text("keep")
    (public / "blog" / "x.bak").write_text("bak")
    (public / ".assetsignore").write_text("# drafts stay home\ndrafts/\n*.md\n!keep.md\n**/*.bak\n")
    async with Emulator(root, now=START) as emu:
        assert (await _get(emu, "/drafts/a.html"))[:2] == (200, "worker")
        assert (await _get(emu, "/notes.md"))[:2] == (200, "worker")
        assert (await _get(emu, "/blog/x.bak"))[:2] == (200, "worker")
        assert (await _get(emu, "/.assetsignore"))[:2] == (200, "worker")
        assert (await _get(emu, "/keep.md"))[:2] == (200, "keep")
        assert (await _get(emu, "/app.js"))[:2] == (200, "console.log(1)")


# -- assets-only projects (no main)


def assets_only(root: Path, **assets: Any) -> Path:
    for name, text in {"index.html": "home", "404.html": "not found", "a/b.html": "b"}.items():
        path = root / "dist" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    config = {
        "name": "site",
        "compatibility_date": "2026-08-14",
        "compatibility_flags": ["python_workers"],
        "assets": {"directory": "dist", **assets},
    }
    (root / "wrangler.jsonc").write_text(json.dumps(config))
    return root


async def test_an_assets_only_project_serves_every_request_from_the_folder(
    tmp_path: Path,
) -> None:
    async with Emulator(assets_only(tmp_path / "plain"), now=START) as emu:
        assert (await _get(emu, "/a/b"))[:2] == (200, "b")
        assert (await _get(emu, "/missing"))[:2] == (404, "")
        assert (await emu.fetch("/", method="POST", body="x")).status == 405
    root = assets_only(tmp_path / "pages", not_found_handling="404-page")
    async with Emulator(root, now=START) as emu:
        # no Worker to fall to: not_found_handling applies to every request, not navigations
        assert (await _get(emu, "/missing"))[:2] == (404, "not found")
    root = assets_only(tmp_path / "spa", not_found_handling="single-page-application")
    async with Emulator(root, now=START) as emu:
        assert (await _get(emu, "/app/route"))[:2] == (200, "home")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"assets": {"binding": "ASSETS"}}, r"assets\.binding: cannot use assets with a binding"),
        ({"assets": {"run_worker_first": True}}, r"assets\.run_worker_first: cannot be true"),
        (
            {"workflows": [{"name": "w", "binding": "W", "class_name": "W"}]},
            r"workflows\[0\]\.class_name: a workflow class needs the Worker's code: add main",
        ),
        ({"triggers": {"crons": ["* * * * *"]}}, r"triggers\.crons: a scheduled handler"),
    ],
)
def test_an_assets_only_project_refuses_what_needs_a_worker(
    tmp_path: Path, extra: dict[str, Any], message: str
) -> None:
    root = assets_only(tmp_path)
    config = json.loads((root / "wrangler.jsonc").read_text())
    for key, value in extra.items():
        config[key] = {**config[key], **value} if key == "assets" else value
    (root / "wrangler.jsonc").write_text(json.dumps(config))
    with pytest.raises(ConfigError, match=message):
        load_config(root / "wrangler.jsonc")


def test_without_main_or_assets_main_is_still_required(tmp_path: Path) -> None:
    (tmp_path / "wrangler.jsonc").write_text(json.dumps({"name": "x"}))
    with pytest.raises(ConfigError, match="main: required"):
        load_config(tmp_path / "wrangler.jsonc")


def test_wf_dev_serves_an_assets_only_project_with_its_rules(tmp_path: Path) -> None:
    root = assets_only(tmp_path, html_handling="drop-trailing-slash")
    (root / "dist" / "_redirects").write_text("/old /a/b 301\n/broken\n")
    (root / "dist" / "_headers").write_text("/*\n  X-Site: yes\n")
    with DevServer(root, "--time", "manual") as server:
        server.wait_ready()
        status, text, headers = _http(server.port, "/a/b")
        assert (status, text, headers["x-site"]) == (200, "b", "yes")
        status, _, headers = _http(server.port, "/old")
        assert (status, headers["location"]) == (301, "/a/b")
        assert _http(server.port, "/a/b/")[2]["location"] == "/a/b"  # drop-trailing-slash
        assert _http(server.port, "/nope")[0] == 404
        server.wait_log("dist/_redirects:2: Expected exactly 2 or 3")
        server.wait_log("assets only, no Worker")
