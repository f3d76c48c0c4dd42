"""`wf dev` facing bad clients: JSON it cannot keep, bad ids on the harness routes, malformed
HTTP, slow or vanishing clients, bursts of connections, and pages of other origins.

Each bad input gets a 4xx naming the problem (Cloudflare's JSON envelope under /cdn-cgi/), at
most one console line and never a traceback, and changes nothing.
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server.conftest import EXPLORER, FIXTURES, DevServer
from tests.server.rawhttp import read_answer, send_raw, snapshot

INSTANCES = "/workflows/approvals/instances"
TIMEOUT = 0.5  # the server's --headers-timeout and --body-timeout here, in seconds


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    project = Path(shutil.copytree(FIXTURES / "approvals", tmp_path_factory.mktemp("hard") / "p"))
    args = ["--time", "manual", "--no-reload"]
    args += ["--headers-timeout", str(TIMEOUT), "--body-timeout", str(TIMEOUT)]
    dev = DevServer(project, *args).wait_ready()
    dev.explorer("POST", INSTANCES, {"id": "known", "params": {"what": "a bike"}})
    dev.wait_status("approvals", "known", "waiting")
    yield dev
    dev.stop()
    assert "Traceback" not in dev.log, dev.log


def lines_about(server: DevServer, client_port: int) -> list[str]:
    """The console lines naming the client at ``client_port``, once at least one is there."""
    mark = f"127.0.0.1:{client_port}"
    server.wait_log(mark)
    server.get("/cdn-cgi/wf/time")  # one more round trip: anything else logged is in by now
    return [line for line in server.lines if mark in line]


# -- JSON bodies ----------------------------------------------------------------------------------

DEEP = "[" * 5000 + "]" * 5000
BAD_PARAMS = [
    ('{"id": "n1", "params": {"a": NaN}}', "params.a: NaN is not valid JSON"),
    ('{"id": "n2", "params": {"a": [1, Infinity]}}', "params.a[1]: Infinity is not valid JSON"),
    ('{"id": "n3", "params": {"a": -Infinity}}', "params.a: -Infinity"),
    ('{"id": "n4", "params": {"a": 1e309}}', "params.a: number 1e309 is out of range"),
    ('{"id": "n5", "params": {"a": ' + "9" * 5000 + "}}", "params.a: number 9999"),
    ('{"id": "n6", "params": ' + DEEP + "}", "nests deeper than"),
    ('{"id": "n7", "params": {"a": [0, 1, 2, "\\ud800"]}}', "params.a[3]: lone surrogate \\ud800"),
    ('{"id": "n8", "params": {"\\udfff": 1}}', 'params: key "\\udfff": lone surrogate \\udfff'),
]


@pytest.mark.parametrize(("body", "fragment"), BAD_PARAMS)
def test_json_the_platform_cannot_hold_is_400_naming_the_field(server, body, fragment) -> None:
    before = snapshot(server)
    answer = server.explorer("POST", INSTANCES, raw=body.encode())
    assert answer.status == 400, answer
    assert fragment in answer.error
    assert snapshot(server) == before


@pytest.mark.parametrize(
    ("method", "path", "body", "fragment"),
    [
        ("POST", EXPLORER + INSTANCES + "/batch", '[{"id": "b", "params": NaN}]', "[0].params"),
        ("POST", EXPLORER + INSTANCES + "/known/events/approval", '{"ok": 1e400}', "payload.ok"),
        ("POST", EXPLORER + INSTANCES + "/known/events/approval", "NaN", "payload: NaN"),
        ("PATCH", EXPLORER + INSTANCES + "/known/status", '{"action": "\\ud800"}', "action"),
        ("POST", EXPLORER + INSTANCES + "/batch/delete", '{"instances": ' + DEEP + "}", "deeper"),
        ("POST", "/cdn-cgi/wf/time/advance", '{"by": NaN}', "by: NaN"),
        ("POST", "/cdn-cgi/wf/time/advance", '{"by": 1e309}', "by: number 1e309"),
        ("POST", "/cdn-cgi/wf/time/advance", '{"to": Infinity}', "to: Infinity"),
        ("POST", "/cdn-cgi/wf/time", '{"scale": Infinity}', "scale: Infinity"),
        ("POST", "/cdn-cgi/wf/time/skip", '{"workflow": "\\udc00"}', "workflow: lone surrogate"),
        (
            "POST",
            "/cdn-cgi/wf/workflows/approvals/instances/known/modifiers",
            '{"mock_step_result": [{"step": {"name": "request"}, "value": NaN}]}',
            "mock_step_result[0].value: NaN",
        ),
        (
            "POST",
            "/cdn-cgi/wf/workflows/approvals/instances/known/wait",
            '{"status": "complete", "timeout": Infinity}',
            "timeout: Infinity",
        ),
    ],
)
def test_every_json_route_refuses_the_same_way(server, method, path, body, fragment) -> None:
    before = snapshot(server)
    answer = server.request(method, path, raw=body.encode())
    assert answer.status == 400, answer
    assert fragment in answer.error
    assert snapshot(server) == before


def test_echoed_surrogates_never_break_an_answer(server) -> None:
    # The id is refused with its text quoted back: the answer must stay valid UTF-8 JSON.
    answer = server.explorer("POST", INSTANCES, raw=b'{"id": "\\ud800"}')
    assert answer.status == 400 and "\\ud800" in answer.error


# -- test-harness routes --------------------------------------------------------------------------

BAD_IDS = ["..%2F..%2Fetc%2Fpasswd", "a%00b", "x" * 101, "-dash", "sp%20ace"]


@pytest.mark.parametrize("instance", BAD_IDS)
@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("GET", "/modifiers", None),
        ("POST", "/modifiers", {"disable_sleeps": True}),
        ("DELETE", "/modifiers", None),
        ("POST", "/wait", {"status": "complete", "timeout": 30}),
    ],
)
def test_harness_routes_refuse_invalid_ids_at_once(server, instance, method, suffix, body) -> None:
    path = f"/cdn-cgi/wf/workflows/approvals/instances/{instance}{suffix}"
    started = time.monotonic()
    answer = server.request(method, path, body, timeout=10)
    assert answer.status == 400, answer
    assert "invalid id" in answer.error
    assert time.monotonic() - started < 5  # /wait does not sit out its timeout first


def test_harness_routes_name_unknown_workflows(server) -> None:
    for method, path, body in [
        ("GET", "/cdn-cgi/wf/workflows/nope/modifiers", None),
        ("POST", "/cdn-cgi/wf/workflows/nope/instances/a/wait", {"status": "complete"}),
    ]:
        answer = server.request(method, path, body)
        assert answer.status == 404 and "Workflow 'nope' not found" in answer.error


# -- malformed HTTP -------------------------------------------------------------------------------

HOST = b"Host: 127.0.0.1\r\n"
MALFORMED = {
    "bad version": (b"GET {path} HTTP/9.9\r\n" + HOST + b"\r\n", "Invalid HTTP version"),
    "NUL in the path": (b"GET {path}\x00 HTTP/1.1\r\n" + HOST + b"\r\n", "Invalid char in url"),
    "NUL in the method": (b"GE\x00T {path} HTTP/1.1\r\n" + HOST + b"\r\n", "Invalid method"),
    "NUL in a header": (
        b"GET {path} HTTP/1.1\r\n" + HOST + b"X-A: a\x00b\r\n\r\n",
        "Invalid header value char",
    ),
    "bad Content-Length": (
        b"POST {path} HTTP/1.1\r\n" + HOST + b"Content-Length: 1x\r\n\r\n{}",
        "Content-Length",
    ),
    "duplicate Content-Length": (
        b"POST {path} HTTP/1.1\r\n" + HOST + b"Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
        "Duplicate Content-Length",
    ),
    "Content-Length and Transfer-Encoding": (
        b"POST {path} HTTP/1.1\r\n"
        + HOST
        + b"Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
        "Transfer-Encoding can't be present with Content-Length",
    ),
    "bad chunk size": (
        b"POST {path} HTTP/1.1\r\n" + HOST + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n",
        "chunk size",
    ),
    "huge header": (
        b"GET {path} HTTP/1.1\r\n" + HOST + b"X-Big: " + b"a" * 20_000 + b"\r\n\r\n",
        "Got more than 8190 bytes",
    ),
    "too many headers": (
        b"GET {path} HTTP/1.1\r\n"
        + HOST
        + b"".join(b"X-%d: 1\r\n" % i for i in range(200))
        + b"\r\n",
        "Too many headers",
    ),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_http_to_cdn_cgi_is_a_json_400_and_one_line(server, case) -> None:
    template, fragment = MALFORMED[case]
    answer = send_raw(server.port, template.replace(b"{path}", b"/cdn-cgi/wf/time"))
    assert answer.status == 400, answer
    assert answer.headers["content-type"].startswith("application/json")
    assert "malformed HTTP request" in answer.error and fragment in answer.error
    lines = lines_about(server, answer.client_port)
    assert len(lines) == 1 and fragment in lines[0], lines
    assert "Traceback" not in server.log


def test_malformed_http_to_the_worker_is_plain_text(server) -> None:
    template, fragment = MALFORMED["bad version"]
    answer = send_raw(server.port, template.replace(b"{path}", b"/request"))
    assert answer.status == 400 and answer.headers["content-type"].startswith("text/plain")
    assert fragment in answer.body.decode()
    assert len(lines_about(server, answer.client_port)) == 1


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_a_body_that_does_not_decode_is_a_400_and_one_line(server, encoding) -> None:
    before = snapshot(server)
    for path, json_api in ((EXPLORER + INSTANCES, True), ("/request", False)):
        body = b'{"id": "not-compressed"}'
        answer = server.request("POST", path, raw=body, headers={"Content-Encoding": encoding})
        assert answer.status == 400, answer
        message = answer.error if json_api else answer.text
        assert f"malformed request body: Can not decode content-encoding: {encoding}" in message
        server.wait_log(f"POST {path}: malformed request body")
    assert "Traceback" not in server.log
    assert snapshot(server) == before


def test_an_absolute_target_naming_another_host_is_refused(server) -> None:
    request = b"GET http://evil.example/cdn-cgi/wf/time HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    answer = send_raw(server.port, request)
    assert answer.status == 403 and "evil.example" in answer.error
    local = b"GET http://127.0.0.1/cdn-cgi/wf/time HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    assert send_raw(server.port, local).status == 200


def test_a_client_that_disconnects_mid_body_is_one_line(server) -> None:
    before = snapshot(server)
    for path in (EXPLORER + INSTANCES, "/request"):
        with socket.create_connection(("127.0.0.1", server.port)) as sock:
            sock.sendall(
                f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n".encode()
                + b'{"id": "half'
            )
            client_port = sock.getsockname()[1]
        lines = lines_about(server, client_port)
        assert len(lines) == 1 and "disconnected before the end of the body" in lines[0], lines
    assert "Traceback" not in server.log
    assert snapshot(server) == before


# -- slow clients ---------------------------------------------------------------------------------


def test_headers_sent_a_byte_at_a_time_are_cut_off(server) -> None:
    request = b"GET /cdn-cgi/wf/time HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"X-Slow: " + b"z" * 200
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        client_port = sock.getsockname()[1]
        try:
            for byte in request:  # never ends the headers
                sock.send(bytes([byte]))
                time.sleep(0.01)
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = read_answer(sock, timeout=5)
        sock.settimeout(5)
        assert sock.recv(1) == b""  # and closed
    assert answer.status == 408, answer
    assert answer.headers["content-type"].startswith("application/json")
    assert "request headers not received" in answer.error
    assert time.monotonic() - started < TIMEOUT + 2.5
    lines = lines_about(server, client_port)
    assert len(lines) == 1 and "request headers not complete" in lines[0], lines


def test_a_keep_alive_connection_times_each_request_head_from_its_own_first_byte(server) -> None:
    ping = b"GET /cdn-cgi/wf/time HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        client_port = sock.getsockname()[1]
        for _ in range(3):  # idle between requests for longer than the headers timeout
            sock.sendall(ping)
            assert read_answer(sock, timeout=5).status == 200
            time.sleep(TIMEOUT * 1.5)
        sock.sendall(ping[:20])  # a head started late in the first request's timer...
        time.sleep(TIMEOUT * 0.6)
        sock.sendall(ping[20:])  # ...and finished inside its own timeout: answered
        assert read_answer(sock, timeout=5).status == 200
        started = time.monotonic()
        sock.sendall(b"GET /cdn-cgi/wf/time HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # never ends
        answer = read_answer(sock, timeout=5)
    assert answer.status == 408, answer
    assert TIMEOUT * 0.9 <= time.monotonic() - started < TIMEOUT + 2.5
    lines = lines_about(server, client_port)
    assert len(lines) == 1 and "request headers not complete" in lines[0], lines


@pytest.mark.parametrize(("path", "json_api"), [(EXPLORER + INSTANCES, True), ("/request", False)])
def test_a_body_that_stops_is_cut_off(server, path, json_api) -> None:
    before = snapshot(server)
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        client_port = sock.getsockname()[1]
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 500\r\n\r\n".encode()
            + b'{"id": "stal'
        )
        answer = read_answer(sock, timeout=5)
    assert answer.status == 408, answer
    if json_api:
        assert "request body not received" in answer.error
    else:
        assert b"request body not received" in answer.body
    lines = lines_about(server, client_port)
    assert len(lines) == 1 and "the body stalled" in lines[0], lines
    assert snapshot(server) == before


def test_the_server_is_still_up_and_never_printed_a_traceback(server) -> None:
    assert server.get("/cdn-cgi/wf/time").status == 200
    assert server.process.poll() is None
    assert "Traceback" not in server.log


# -- bursts of connections ------------------------------------------------------------------------


def _somaxconn() -> int:
    try:
        return int(Path("/proc/sys/net/core/somaxconn").read_text())
    except (OSError, ValueError):
        return 0


def _connect_burst(port: int, count: int, within: float) -> tuple[list[socket.socket], int]:
    """Open ``count`` connections at once; how many the kernel completed ``within`` seconds."""
    sockets: list[socket.socket] = []
    selector = selectors.DefaultSelector()
    for _ in range(count):
        sock = socket.socket()
        sock.setblocking(False)
        sock.connect_ex(("127.0.0.1", port))
        sockets.append(sock)
        selector.register(sock, selectors.EVENT_WRITE)
    connected = 0
    deadline = time.monotonic() + within
    while connected < count and time.monotonic() < deadline:
        for key, _ in selector.select(timeout=max(0.0, deadline - time.monotonic())):
            selector.unregister(key.fileobj)
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                connected += 1
    selector.close()
    return sockets, connected


def _burst(quickstart: Path, dev_server, *args: str) -> tuple[int, list[int]]:
    """1,000 connections while `wf dev` is stopped (SIGSTOP), then a request on each."""
    server: DevServer = dev_server(quickstart, "--no-reload", *args)
    os.kill(server.process.pid, signal.SIGSTOP)  # nothing accepts: only the backlog holds them
    try:
        sockets, connected = _connect_burst(server.port, 1000, within=0.8)
    finally:
        os.kill(server.process.pid, signal.SIGCONT)
    statuses = []
    try:
        for sock in sockets:
            sock.setblocking(True)
            sock.settimeout(10)
        for sock in sockets[:connected]:
            sock.sendall(b"GET /cdn-cgi/wf/time HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        for sock in sockets[:connected]:
            statuses.append(read_answer(sock, timeout=10).status or 0)
    finally:
        for sock in sockets:
            sock.close()
    return connected, statuses


@pytest.mark.skipif(_somaxconn() < 2048, reason="net.core.somaxconn caps the backlog below 2048")
def test_the_backlog_holds_a_burst_of_a_thousand_connections(quickstart, dev_server) -> None:
    connected, statuses = _burst(quickstart, dev_server)
    assert connected == 1000
    assert statuses == [200] * 1000
    # The setting is what holds them: a small backlog drops SYNs (a 1 s retransmit each).
    small, _ = _burst(quickstart, dev_server, "--backlog", "64")
    assert small < 200


# -- origins --------------------------------------------------------------------------------------


def test_pages_of_other_local_origins_are_refused(server) -> None:
    own = f"http://127.0.0.1:{server.port}"
    for origin in ("http://127.0.0.1:9999", "http://localhost:9999", "https://127.0.0.1", "null"):
        for method, path, body in [
            ("GET", "/cdn-cgi/wf/time", None),
            ("POST", "/cdn-cgi/wf/time/advance", {"by": "1 day"}),
            ("GET", EXPLORER + "/workflows", None),
        ]:
            before = snapshot(server)
            answer = server.request(method, path, body, headers={"Origin": origin})
            assert answer.status == 403, (origin, path, answer)
            assert origin in answer.error and "--allow-origin" in answer.error
            assert snapshot(server) == before
    # The dashboard, served at the server's own origin, sends that origin with its writes.
    mode = server.post("/cdn-cgi/wf/time", {"mode": "manual"}, headers={"Origin": own})
    assert mode.status == 200, mode
    local = {"Origin": f"http://localhost:{server.port}", "Host": f"localhost:{server.port}"}
    assert server.get("/cdn-cgi/wf/time", headers=local).status == 200
    # The Worker answers any page, as a deployed Worker does.
    assert server.get("/", headers={"Origin": "http://127.0.0.1:9999"}).status == 200


def test_allow_origin_lets_one_page_in_with_cors(approvals, dev_server) -> None:
    page = "http://127.0.0.1:9999"
    server: DevServer = dev_server(
        approvals, "--no-reload", "--allow-origin", page, "--allow-origin", "http://localhost:3000/"
    )
    answer = server.get("/cdn-cgi/wf/time", headers={"Origin": page})
    assert answer.status == 200, answer
    assert answer.headers["access-control-allow-origin"] == page
    preflight = server.request(
        "OPTIONS",
        EXPLORER + INSTANCES,
        headers={
            "Origin": page,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status == 204, preflight
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert preflight.headers["access-control-allow-origin"] == page
    error = server.explorer("GET", "/workflows/nope", headers={"Origin": page})
    assert error.status == 404 and error.headers["access-control-allow-origin"] == page
    assert server.get("/cdn-cgi/wf/time", headers={"Origin": "http://localhost:3000"}).status == 200
    assert server.get("/cdn-cgi/wf/time", headers={"Origin": "http://127.0.0.1:9998"}).status == 403


def test_allow_origin_must_be_an_origin(approvals, dev_server) -> None:
    server: DevServer = dev_server(
        approvals, "--no-reload", "--allow-origin", "localhost:3000/app", ready=False
    )
    assert server.wait_exit() != 0
    assert "--allow-origin" in server.log and "localhost:3000/app" in server.log


def test_keep_alive_still_serves_request_after_request(server) -> None:
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        for _ in range(3):
            sock.sendall(b"GET /cdn-cgi/wf/time HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            answer = read_answer(sock)
            assert answer.status == 200 and json.loads(answer.body)["success"] is True
            assert not answer.closed
