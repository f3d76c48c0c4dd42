"""/client/v4 over plain HTTP: Cloudflare's curl recipes, the envelope, errors and the guards."""

from __future__ import annotations

from pathlib import Path

from tests.cfapi.conftest import API
from tests.server.conftest import DevServer

WF = f"{API}/workflows/approvals"
JSON = {"Content-Type": "application/json"}
TOKEN = {"Authorization": "Bearer Sn3lZJTBX6kkg7OdcBUAxOO963GEIyGQqnFTOFYY", **JSON}


def _errors(answer: object) -> list[tuple[int, str]]:
    body = answer.json  # type: ignore[attr-defined]
    assert body["success"] is False and body["result"] is None
    return [(e["code"], e["message"]) for e in body["errors"]]


def test_the_create_list_and_event_recipes(server: DevServer) -> None:
    # curl .../instances -X POST -H "Authorization: Bearer $TOKEN" -d '{"instance_id", "params"}'
    created = server.post(
        f"{WF}/instances", {"instance_id": "curl-1", "params": {"what": "a bike"}}, headers=TOKEN
    )
    assert created.status == 200 and set(created.json) == {
        "success",
        "errors",
        "messages",
        "result",
    }
    assert created.json["errors"] == [] and created.json["messages"] == []
    assert created.result["id"] == "curl-1" and created.result["status"] == "queued"
    server.wait_status("approvals", "curl-1", "waiting")

    # no token, or the older email + key scheme: accepted just the same
    assert server.post(f"{WF}/instances", {"instance_id": "curl-2"}).status == 200
    legacy = {"X-Auth-Email": "user@example.com", "X-Auth-Key": "144c9defac04969c7bf", **JSON}
    assert server.request("GET", f"{WF}/instances", headers=legacy).status == 200

    listed = server.get(f"{WF}/instances?per_page=1", headers=TOKEN)
    assert [i["id"] for i in listed.result] == ["curl-2"]
    info = listed.json["result_info"]
    assert (info["count"], info["per_page"], info["total_count"], info["page"]) == (1, 1, 2, 1)
    assert isinstance(info["cursor"], str)
    rest = server.get(f"{WF}/instances?per_page=1&cursor={info['cursor']}")
    assert [i["id"] for i in rest.result] == ["curl-1"]
    assert rest.json["result_info"]["cursor"] is None
    back = server.get(f"{WF}/instances?per_page=5&cursor={info['cursor']}&direction=asc")
    assert back.result == []  # turned around, the cursor past curl-2 reads newer ones: none

    # curl .../instances/$ID/events/$TYPE -X POST -d '<payload>'
    event = server.post(f"{WF}/instances/curl-1/events/approval", {"approved": True}, headers=TOKEN)
    assert event.result["instanceId"] == "curl-1" and event.result["timestamp"]
    server.wait_status("approvals", "curl-1", "complete")
    details = server.get(f"{WF}/instances/curl-1").result
    assert details["output"] == {"request": "a bike", "approved": True}

    # curl .../instances/$ID/status -X PATCH -d '{"status": "terminate"}'
    ended = server.request("PATCH", f"{WF}/instances/curl-2/status", {"status": "terminate"})
    assert ended.result["status"] == "terminated"
    assert server.status("approvals", "curl-2") == "terminated"


def test_bad_input_names_the_problem(server: DevServer) -> None:
    broken = server.request("POST", f"{WF}/instances", raw=b'{"instance_id": "x",', headers=JSON)
    assert broken.status == 400
    [(code, message)] = _errors(broken)
    assert code == 10002 and message.startswith("workflows.api.error.body: ")
    assert "line 1, column" in message

    wrong_type = server.post(f"{WF}/instances", {"instance_id": 7})
    assert wrong_type.status == 400 and "instance_id: must be a string" in _errors(wrong_type)[0][1]
    retention = server.post(
        f"{WF}/instances", {"instance_retention": {"success_retention": "forever"}}
    )
    assert retention.status == 400
    assert "instance_retention: success_retention" in _errors(retention)[0][1]
    hint = server.post(f"{WF}/instances", {"location_hint": "mars"})
    assert hint.status == 400 and "location_hint" in _errors(hint)[0][1]
    batch = server.post(f"{WF}/instances/batch", [{"instance_id": "ok"}, "nope"])
    assert batch.status == 400 and "[1] must be a JSON object" in _errors(batch)[0][1]
    empty = server.post(f"{WF}/instances/batch", [])
    assert empty.status == 400 and "1 to 100" in _errors(empty)[0][1]

    for query, name in (
        ("per_page=0", "per_page"),
        ("per_page=abc", "per_page"),
        ("page=-1", "page"),
    ):
        answer = server.get(f"{WF}/instances?{query}")
        assert answer.status == 400, query
        [(code, message)] = _errors(answer)
        assert code == 10003 and name in message
    assert server.get(f"{WF}/instances?per_page=2.0").status == 200  # the SDK sends floats

    server.post(f"{WF}/instances", {"instance_id": "here"})
    status = server.request("PATCH", f"{WF}/instances/here/status", raw=b"[]", headers=JSON)
    assert status.status == 400 and "must be a JSON object" in _errors(status)[0][1]
    from_step = server.request(
        "PATCH", f"{WF}/instances/here/status", {"status": "pause", "from": {"name": "x"}}
    )
    assert from_step.status == 400 and "from:" in _errors(from_step)[0][1]
    unknown_step = server.request(
        "PATCH", f"{WF}/instances/here/status", {"status": "restart", "from": {"name": "nope"}}
    )
    assert unknown_step.status == 404
    assert _errors(unknown_step)[0][1] == "workflows.api.error.instance.cannot_restart"
    assert "nope" in unknown_step.json["messages"][0]["message"]

    too_long = server.get(f"{WF}/instances/{'x' * 101}")
    assert too_long.status == 400 and "instance_id in the path" in _errors(too_long)[0][1]
    empty_id = server.post(f"{WF}/instances/batch", [{"instance_id": "ok"}, {"instance_id": ""}])
    assert empty_id.status == 400 and "[1].instance_id: " in _errors(empty_id)[0][1]
    assert server.get(f"{WF}/instances/ok").status == 404  # a bad batch creates nothing
    forged = server.get(f"{WF}/instances?cursor=WzEsIDExODA1OTE2MjA3MTc0MTEzMDM0MjQsICJhc2MiXQ")
    assert forged.status == 400 and "cursor" in _errors(forged)[0][1]  # seq 2**70: not SQLite's

    huge = server.post(f"{WF}/instances", {"params": {"blob": "x" * (1024 * 1024 + 10)}})
    assert huge.status == 413 and _errors(huge)[0][0] == 10413


def test_not_found_answers(server: DevServer) -> None:
    workflow = server.get(f"{API}/workflows/nope/instances")
    assert workflow.status == 404
    assert _errors(workflow) == [(10200, "workflows.api.error.workflow.not_found")]
    instance = server.get(f"{WF}/instances/ghost")
    assert instance.status == 404
    assert _errors(instance) == [(10400, "workflows.api.error.instance.not_found")]
    assert "ghost" in instance.json["messages"][0]["message"]

    for method, path in (("GET", "/client/v4/zones"), ("POST", WF), ("GET", f"{WF}/instances/a/b")):
        answer = server.request(method, path)
        assert answer.status == 404, path
        assert [code for code, _ in _errors(answer)] == [7003, 7000]

    worker = server.get("/")  # everything outside /client/v4/ and /cdn-cgi/ is still the Worker's
    assert worker.status == 200 and "POST /request" in worker.text


def test_loopback_only(server: DevServer) -> None:
    rebinding = server.get(f"{WF}/instances", headers={"Host": "evil.example"})
    assert rebinding.status == 403 and "Host" in _errors(rebinding)[0][1]
    page = server.post(
        f"{WF}/instances",
        {"instance_id": "csrf"},
        headers={"Origin": "http://evil.example", **JSON},
    )
    assert page.status == 403 and "Origin" in _errors(page)[0][1]
    assert server.get(f"{WF}/instances/csrf").status == 404  # nothing was created


def test_an_acknowledged_create_survives_kill_9(approvals: Path, dev_server) -> None:
    first = dev_server(approvals, "--time", "manual")
    created = first.post(f"{WF}/instances", {"instance_id": "durable", "params": {"what": "x"}})
    assert created.status == 200
    batch = first.post(f"{WF}/instances/batch", [{"instance_id": f"d{i}"} for i in range(5)])
    assert batch.status == 200
    first.kill()

    second = dev_server(approvals, "--time", "manual")
    listed = second.get(f"{WF}/instances?per_page=100").result
    assert {i["id"] for i in listed} == {"durable", "d0", "d1", "d2", "d3", "d4"}
    details = second.get(f"{WF}/instances/durable").result
    assert details["params"] == {"what": "x"}
