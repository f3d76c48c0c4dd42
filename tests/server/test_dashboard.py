"""The dashboard at /cdn-cgi/wf/: a static page served by `wf dev`, rendered by a real browser.

The browser tests run Debian's headless Chromium with a virtual-time budget, so that the page's
fetches complete before the DOM is dumped; they are skipped when no chromium binary is found.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.server.conftest import DevServer

PAGES = ("/cdn-cgi/wf/", "/cdn-cgi/wf/dashboard")
STATIC = Path(__file__).resolve().parents[2] / "wf" / "server" / "static"
TYPES = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium binary on PATH (Debian: apt-get install chromium)"
)


def _references(html: str) -> list[str]:
    return re.findall(r'\b(?:src|href)="([^"#][^"]*)"', html)


def test_page_is_served_at_both_paths_with_same_origin_assets(quickstart, dev_server) -> None:
    server: DevServer = dev_server(quickstart, "--time", "manual", "--no-reload")
    server.wait_log(f"dashboard: http://127.0.0.1:{server.port}/cdn-cgi/wf/")
    pages = [server.get(path) for path in PAGES]
    for page in pages:
        assert page.status == 200, page
        assert page.headers["content-type"].startswith("text/html")
        assert "'self'" in page.headers["content-security-policy"]
    assert pages[0].body == pages[1].body

    references = _references(pages[0].text)
    assert {Path(urlsplit(ref).path).suffix for ref in references} >= {".css", ".js"}
    for ref in references:
        parts = urlsplit(ref)
        assert not parts.scheme and not parts.netloc, f"{ref} is not same-origin"
        asset = server.get(ref)
        assert asset.status == 200 and asset.body, (ref, asset)
        assert asset.headers["content-type"].startswith(TYPES[Path(parts.path).suffix])
        # Nothing the page loads reaches out: no URL of another origin in its files.
        body = asset.body.replace(b"http://www.w3.org/2000/svg", b"")  # a namespace, not a fetch
        assert not re.search(rb"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", body), ref

    assert server.get("/cdn-cgi/wf").headers["location"] == "/cdn-cgi/wf/"
    missing = server.get("/cdn-cgi/wf/static/nope.js")
    assert missing.status == 404 and "nope.js" in missing.error


def test_non_loopback_host_is_refused(quickstart, dev_server) -> None:
    server: DevServer = dev_server(quickstart, "--no-reload")
    for path in (*PAGES, "/cdn-cgi/wf/static/dashboard.js"):
        refused = server.get(path, headers={"Host": f"wf.example.com:{server.port}"})
        assert refused.status == 403 and "is not allowed" in refused.error, path
        assert server.get(path, headers={"Host": f"localhost:{server.port}"}).status == 200


def test_script_never_writes_markup() -> None:
    """Values reach the DOM as text only: no HTML parsing sinks anywhere in the script."""
    script = (STATIC / "dashboard.js").read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script, sink


class _Rows(HTMLParser):
    """The text of every table row of a page (to find an instance and its status together)."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[str] = []
        self._row: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self._row = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr" and self._row is not None:
            self.rows.append(" ".join("".join(self._row).split()))
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._row is not None:
            self._row.append(data)


def _dump_dom(url: str, profile: Path) -> str:
    """The DOM of ``url`` once headless Chromium's virtual-time budget has run out."""
    assert CHROMIUM is not None
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--no-proxy-server",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--virtual-time-budget=5000",
        "--dump-dom",
        url,
    ]
    browser = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # a hung browser is killed with its helpers, as one group
    )
    try:
        out, err = browser.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(browser.pid, signal.SIGKILL)  # not reaped yet, so the group is still its own
        browser.communicate()
        raise AssertionError(f"chromium did not finish rendering {url} in 60 s") from None
    dom = out.decode("utf-8", "replace")
    assert browser.returncode == 0 and "</html>" in dom, err.decode("utf-8", "replace")[-2000:]
    return dom


@needs_chromium
def test_browser_shows_instances_and_an_instance_timeline(
    quickstart, dev_server, tmp_path: Path
) -> None:
    server: DevServer = dev_server(quickstart, "--time", "manual", "--no-reload")
    ids = []
    for name in ("Ada", "Bob"):
        created = server.explorer(
            "POST", "/workflows/onboarding/instances", {"params": {"name": name}}
        ).result
        ids.append(created["id"])
    for instance in ids:
        server.wait_status("onboarding", instance, "waiting")
    base = f"http://127.0.0.1:{server.port}"

    # ?poll: no live event stream, which would keep --dump-dom waiting for it to end.
    listing = _dump_dom(f"{base}/cdn-cgi/wf/?poll", tmp_path / "profile-list")
    assert "onboarding" in listing and "Cannot load" not in listing
    rows = _Rows()
    rows.feed(listing)
    for instance in ids:
        assert any(instance in row and "Waiting" in row for row in rows.rows), rows.rows

    first = ids[0]
    details = _dump_dom(
        f"{base}/cdn-cgi/wf/dashboard?poll#/workflows/onboarding/instances/{first}",
        tmp_path / "profile-instance",
    )
    assert f"Instance <code>{first}</code>" in details
    for text in ("welcome-1", "wait a week-1", "Welcome, Ada!", "Waiting", "Fire timer"):
        assert text in details, text
