"""The dashboard's Data views: D1 tables and rows, KV keys and values, R2 objects, read-only,
rendered by headless Chromium from what was seeded through the data API."""

from __future__ import annotations

import base64
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.server.conftest import DevServer
from tests.server.test_dashboard import _dump_dom, _Rows, needs_chromium

CONFIG = """{
  "name": "browse",
  "main": "src/entry.py",
  "compatibility_date": "2026-08-14",
  "compatibility_flags": ["python_workers"],
  "workflows": [{"name": "noop", "binding": "NOOP", "class_name": "Noop"}],
  "d1_databases": [{"binding": "DB", "database_name": "db", "database_id": "db-1"}],
  "kv_namespaces": [{"binding": "KV", "id": "kv-1"}],
  "r2_buckets": [{"binding": "BUCKET", "bucket_name": "files"}],
  "queues": {"producers": [{"binding": "JOBS", "queue": "jobs"}]},
  "vectorize": [{"binding": "VEC", "index_name": "docs"}],
}
"""

SOURCE = """
from workers import WorkflowEntrypoint


class Noop(WorkflowEntrypoint):
    async def run(self, event, step):
        return None
"""


@pytest.fixture
def server(tmp_path: Path, dev_server) -> DevServer:
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    (project / "wrangler.jsonc").write_text(CONFIG)
    (project / "src" / "entry.py").write_text(textwrap.dedent(SOURCE))
    server: DevServer = dev_server(project, "--time", "manual", "--no-reload")
    return server


def _seed(server: DevServer) -> None:
    values = ", ".join(f"({n}, 'user {n}', NULL, NULL)" for n in range(1, 30))
    sql = (
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, avatar BLOB, note TEXT);"
        f" INSERT INTO users VALUES {values};"
        " INSERT INTO users VALUES (30, '<b>Zed</b>', x'ff00', 'last')"
    )
    assert server.post("/cdn-cgi/wf/d1/DB/query", {"sql": sql}).status == 200
    puts = {
        "alpha/one": {"value": "first value", "expiration_ttl": 3600, "metadata": {"by": "Ada"}},
        "alpha/bin": {"value": base64.b64encode(b"\x00\xff\x10").decode(), "encoding": "base64"},
        "beta": {"value": "second"},
    }
    for key, body in puts.items():
        assert server.request("PUT", f"/cdn-cgi/wf/kv/KV/keys/{key}", body).status == 200
    for key, data in {"x/a.txt": b"hello", "y/b.bin": b"\x00" * 2048}.items():
        put = server.request(
            "PUT",
            f"/cdn-cgi/wf/r2/BUCKET/objects/{key}",
            raw=data,
            headers={"Content-Type": "text/plain" if key.endswith(".txt") else "application/x-bin"},
        )
        assert put.status == 200, put


class _Cells(_Rows):
    """Every table row's text, its cells joined by one space (the cells, not the words, split)."""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        super().handle_starttag(tag, attrs)
        if tag in ("td", "th") and self._row is not None:
            self._row.append(" ")


def _rows(dom: str) -> list[str]:
    rows = _Cells()
    rows.feed(dom)
    return rows.rows


@needs_chromium
def test_browser_shows_d1_kv_and_r2_data(server: DevServer, tmp_path: Path) -> None:
    _seed(server)
    # ?poll: no live event stream, which would keep --dump-dom waiting for it to end.
    base = f"http://127.0.0.1:{server.port}/cdn-cgi/wf/?poll#/data"
    views = {
        "home": "",
        "tables": "/d1/DB",
        "page2": "/d1/DB/tables/users?page=2",
        "keys": "/kv/KV?prefix=alpha/",
        "value": "/kv/KV/keys/alpha%2Fone",
        "binary": "/kv/KV/keys/alpha%2Fbin",
        "objects": "/r2/BUCKET?prefix=x/",
        "object": "/r2/BUCKET/objects/x%2Fa.txt",
    }
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {
            name: pool.submit(_dump_dom, base + path, tmp_path / f"profile-{name}")
            for name, path in views.items()
        }
        dom = {name: future.result() for name, future in futures.items()}
    for name, page in dom.items():
        main = page.split("<main")[1].split("</main>")[0]
        assert "Cannot load" not in page and "banner-error" not in main, (name, main)

    # The sidebar lists every binding, the one not emulated greyed with its config field.
    home = dom["home"]
    assert 'href="#/data/d1/DB"' in home and 'href="#/data/kv/KV"' in home
    assert 'href="#/data/r2/BUCKET"' in home
    assert "Vectorize index, not emulated yet" in home and "<code>vectorize[0]</code>" in home
    assert any(row.startswith("VEC Vectorize index vectorize[0]") for row in _rows(home))

    assert "users 30" in _rows(dom["tables"])

    # Page 2 of the rows: 26-30, NULL marked, BLOB as base64, markup escaped as text.
    page2 = _rows(dom["page2"])
    assert "id name avatar note" in page2
    assert "26 user 26 NULL NULL" in page2
    assert "30 <b>Zed</b> BLOB, 2 bytes, base64 /wA= last" in page2
    assert not any("user 25" in row for row in page2)
    assert "&lt;b&gt;Zed&lt;/b&gt;" in dom["page2"] and "<b>Zed</b>" not in dom["page2"]
    assert "Page 2 of 2" in dom["page2"] and 'href="#/data/d1/DB/tables/users"' in dom["page2"]

    keys = _rows(dom["keys"])
    assert any(row.startswith("alpha/one ") and '{"by":"Ada"}' in row for row in keys), keys
    assert any(row.startswith("alpha/bin never") for row in keys), keys
    assert not any("beta" in row for row in keys)
    assert 'value="alpha/"' in dom["keys"]
    assert "first value" in dom["value"] and "UTC" in dom["value"]
    assert "binary, 3 bytes" in dom["binary"]

    objects = _rows(dom["objects"])
    assert any(row.startswith("x/a.txt 5 bytes") and "text/plain" in row for row in objects)
    assert not any("y/b.bin" in row for row in objects)
    obj = dom["object"]
    assert "5d41402abc4b2a76b9719d911017c592" in obj and "text/plain" in obj
    assert 'href="/cdn-cgi/wf/r2/BUCKET/objects/x%2Fa.txt"' in obj and 'download="a.txt"' in obj
    download = server.get("/cdn-cgi/wf/r2/BUCKET/objects/x%2Fa.txt")
    assert download.status == 200 and download.body == b"hello"
