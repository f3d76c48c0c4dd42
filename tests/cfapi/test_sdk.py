"""The official `cloudflare` SDK against `wf dev`'s /client/v4: every Workflows call it makes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import cloudflare
import pytest
from cloudflare import Cloudflare

from tests.cfapi.conftest import ACCOUNT
from tests.server.conftest import DevServer

WF = "approvals"


def _create(client: Cloudflare, instance_id: str, **params: object) -> str:
    created = client.workflows.instances.create(
        WF,
        account_id=ACCOUNT,
        instance_id=instance_id,
        params=params,  # type: ignore[arg-type]
    )
    return created.id


def _code(error: cloudflare.APIStatusError) -> int:
    body = error.body
    assert isinstance(body, dict) and body["success"] is False and body["result"] is None
    return int(body["errors"][0]["code"])


def test_list_and_get_workflows(client: Cloudflare, server: DevServer) -> None:
    listed = client.workflows.list(account_id=ACCOUNT)
    assert [w.name for w in listed.result] == [WF]
    workflow = listed.result[0]
    assert workflow.class_name == "Approval" and workflow.script_name == "approvals"
    assert workflow.instances["waiting"] == 0 and workflow.triggered_on is None

    _create(client, "first", what="desk")
    server.wait_status(WF, "first", "waiting")
    got = client.workflows.get(WF, account_id="another-account")  # any account id is accepted
    assert got.id == workflow.id  # stable for the name
    assert got.instances["waiting"] == 1 and got.triggered_on is not None
    assert client.workflows.list(account_id=ACCOUNT, search="nothing-like-it").result == []

    with pytest.raises(cloudflare.NotFoundError) as missing:
        client.workflows.get("nope", account_id=ACCOUNT)
    assert missing.value.status_code == 404 and _code(missing.value) == 10200
    assert "workflows.api.error.workflow.not_found" in str(missing.value)
    assert "'nope'" in str(missing.value)  # wf says which name it did not know


def test_create_get_and_refuse_a_duplicate(client: Cloudflare, server: DevServer) -> None:
    created = client.workflows.instances.create(
        WF,
        account_id=ACCOUNT,
        instance_id="order-1",
        params={"what": "chair"},  # type: ignore[arg-type]
        instance_retention={"success_retention": "1 day", "error_retention": 60_000},
    )
    assert (created.id, created.status, created.trigger_source) == ("order-1", "queued", "api")
    workflow = client.workflows.get(WF, account_id=ACCOUNT)
    assert created.workflow_id == workflow.id and created.version_id

    server.wait_status(WF, "order-1", "waiting")
    details = client.workflows.instances.get("order-1", account_id=ACCOUNT, workflow_name=WF)
    assert details.status == "waiting" and details.params == {"what": "chair"}
    assert details.trigger.source == "api" and details.version_id == created.version_id
    assert [(s.type, s.name) for s in details.steps] == [
        ("step", "request-1"),
        ("waitForEvent", "wait for approval-1"),
    ]
    assert details.steps[0].output == {"request": "chair"}  # type: ignore[union-attr]
    newest_first = client.workflows.instances.get(
        "order-1", account_id=ACCOUNT, workflow_name=WF, order="desc"
    )
    assert newest_first.steps[0].name == "wait for approval-1"  # type: ignore[union-attr]
    simple = client.workflows.instances.get(
        "order-1", account_id=ACCOUNT, workflow_name=WF, simple="true"
    )
    assert simple.steps == [] and simple.step_count == 2

    generated = client.workflows.instances.create(WF, account_id=ACCOUNT)
    assert len(generated.id) == 36

    with pytest.raises(cloudflare.ConflictError) as duplicate:
        _create(client, "order-1")
    assert _code(duplicate.value) == 10405
    assert "workflows.api.error.instance.already_exists" in str(duplicate.value)


def test_pause_resume_terminate_restart(client: Cloudflare, server: DevServer) -> None:
    status = client.workflows.instances.status
    _create(client, "job", what="lamp")
    server.wait_status(WF, "job", "waiting")

    paused = status.edit("job", account_id=ACCOUNT, workflow_name=WF, status="pause")
    assert paused.status == "paused" and paused.timestamp is not None
    assert server.status(WF, "job") == "paused"

    resumed = status.edit("job", account_id=ACCOUNT, workflow_name=WF, status="resume")
    assert resumed.status in ("queued", "running", "waiting")
    server.wait_status(WF, "job", "waiting")

    ended = status.edit("job", account_id=ACCOUNT, workflow_name=WF, status="terminate")
    assert ended.status == "terminated"
    details = client.workflows.instances.get("job", account_id=ACCOUNT, workflow_name=WF)
    assert details.status == "terminated" and details.steps[-1].type == "termination"

    restarted = status.edit("job", account_id=ACCOUNT, workflow_name=WF, status="restart")
    assert restarted.status in ("queued", "running", "waiting")
    server.wait_status(WF, "job", "waiting")
    again = client.workflows.instances.get("job", account_id=ACCOUNT, workflow_name=WF)
    assert [s.type for s in again.steps] == ["step", "waitForEvent"]  # run from the start

    # restart from a step: the steps before it stay cached
    status.edit(
        "job",
        account_id=ACCOUNT,
        workflow_name=WF,
        status="restart",
        from_={"name": "wait for approval", "type": "waitForEvent"},
    )
    server.wait_status(WF, "job", "waiting")

    with pytest.raises(cloudflare.NotFoundError) as missing:
        status.edit("ghost", account_id=ACCOUNT, workflow_name=WF, status="pause")
    assert _code(missing.value) == 10400
    with pytest.raises(cloudflare.BadRequestError) as bad:
        status.edit("job", account_id=ACCOUNT, workflow_name=WF, status="stop")  # type: ignore[call-overload]
    assert _code(bad.value) == 10002 and "status: must be one of" in str(bad.value)


def test_send_an_event(client: Cloudflare, server: DevServer) -> None:
    _create(client, "ask", what="a raise")
    server.wait_status(WF, "ask", "waiting")
    sent = client.workflows.instances.events.create(
        "approval", account_id=ACCOUNT, workflow_name=WF, instance_id="ask", body={"approved": True}
    )
    assert sent.instance_id == "ask" and sent.timestamp is not None
    server.wait_status(WF, "ask", "complete")
    details = client.workflows.instances.get("ask", account_id=ACCOUNT, workflow_name=WF)
    assert details.output == {"request": "a raise", "approved": True}  # type: ignore[comparison-overlap]
    assert details.success is True
    with pytest.raises(cloudflare.ConflictError) as finished:
        client.workflows.instances.events.create(
            "approval", account_id=ACCOUNT, workflow_name=WF, instance_id="ask", body={}
        )
    assert "workflows.api.error.instance.not_running" in str(finished.value)

    with pytest.raises(cloudflare.NotFoundError) as missing:
        client.workflows.instances.events.create(
            "approval", account_id=ACCOUNT, workflow_name=WF, instance_id="ghost", body={}
        )
    assert _code(missing.value) == 10400
    with pytest.raises(cloudflare.BadRequestError) as bad_type:
        client.workflows.instances.events.create(
            "not.valid", account_id=ACCOUNT, workflow_name=WF, instance_id="ask", body={}
        )
    assert "workflows.api.error.workflow.invalid_event_type" in str(bad_type.value)


def test_timeout_through_virtual_time(client: Cloudflare, server: DevServer) -> None:
    _create(client, "slow", what="a desk")
    server.wait_status(WF, "slow", "waiting")
    server.advance("31 days")
    server.wait_status(WF, "slow", "complete")
    details = client.workflows.instances.get("slow", account_id=ACCOUNT, workflow_name=WF)
    assert details.output == {"request": "a desk", "approved": False, "reason": "timed out"}  # type: ignore[comparison-overlap]


def test_bulk_create_and_paginate(client: Cloudflare, server: DevServer) -> None:
    ids = [f"b{i}" for i in range(7)]
    made = client.workflows.instances.bulk(
        WF,
        account_id=ACCOUNT,
        body=[{"instance_id": i, "params": {"n": n}} for n, i in enumerate(ids)],  # type: ignore[misc]
    )
    assert [m.id for m in made] == ids
    skipped = client.workflows.instances.bulk(
        WF, account_id=ACCOUNT, body=[{"instance_id": "b0"}, {"instance_id": "b7"}]
    )
    assert [m.id for m in skipped] == ["b7"]  # ids in use are skipped, as production does
    ids.append("b7")

    every = list(client.workflows.instances.list(WF, account_id=ACCOUNT, per_page=3))
    assert [i.id for i in every] == ids[::-1]  # newest first, across three pages
    third = client.workflows.instances.list(WF, account_id=ACCOUNT, per_page=3, page=3)
    assert [i.id for i in third.result] == ["b1", "b0"]
    assert third.result_info is not None and third.result_info.page == 3
    raw = client.workflows.instances.with_raw_response.list(
        WF, account_id=ACCOUNT, per_page=3, page=3
    )
    info = raw.http_response.json()["result_info"]
    assert (info["total_count"], info["total_pages"], info["count"]) == (8, 3, 2)
    beyond = client.workflows.instances.list(WF, account_id=ACCOUNT, per_page=3, page=4)
    assert beyond.result == []

    # Cloudflare's cursor: follow result_info.cursor until it is null, oldest first
    seen: list[str] = []
    query: dict[str, object] = {"per_page": 3, "direction": "asc"}
    while True:
        answer = client.workflows.instances.with_raw_response.list(
            WF,
            account_id=ACCOUNT,
            **query,  # type: ignore[arg-type]
        ).http_response.json()
        seen += [entry["id"] for entry in answer["result"]]
        cursor = answer["result_info"]["cursor"]
        if cursor is None:
            break
        query = {"per_page": 3, "cursor": cursor}
    assert seen == ids

    with pytest.raises(cloudflare.BadRequestError) as both:
        client.workflows.instances.list(WF, account_id=ACCOUNT, page=2, cursor="abc")
    assert "mutually exclusive" in str(both.value)
    with pytest.raises(cloudflare.BadRequestError) as bad_cursor:
        client.workflows.instances.list(WF, account_id=ACCOUNT, cursor="not-ours")
    assert "cursor" in str(bad_cursor.value)


def test_filter_by_status_and_date(client: Cloudflare, server: DevServer) -> None:
    _create(client, "early")
    server.wait_status(WF, "early", "waiting")
    server.advance("2 hours")
    _create(client, "late")
    server.wait_status(WF, "late", "waiting")
    client.workflows.instances.status.edit(
        "early", account_id=ACCOUNT, workflow_name=WF, status="terminate"
    )

    terminated = client.workflows.instances.list(WF, account_id=ACCOUNT, status="terminated")
    assert [i.id for i in terminated.result] == ["early"]
    waiting = client.workflows.instances.list(WF, account_id=ACCOUNT, status="waiting")
    assert [i.id for i in waiting.result] == ["late"]

    created = {
        i.id: i.created_on for i in client.workflows.instances.list(WF, account_id=ACCOUNT).result
    }
    middle = created["early"] + timedelta(hours=1)
    assert middle < created["late"]
    after = client.workflows.instances.list(WF, account_id=ACCOUNT, date_start=middle)
    assert [i.id for i in after.result] == ["late"]
    before = client.workflows.instances.list(
        WF, account_id=ACCOUNT, date_end=middle.astimezone(UTC).replace(tzinfo=None)
    )
    assert [i.id for i in before.result] == ["early"]  # no offset: read as UTC

    with pytest.raises(cloudflare.BadRequestError) as bad_status:
        client.workflows.instances.list(WF, account_id=ACCOUNT, status="done")  # type: ignore[arg-type]
    assert "status must be one of" in str(bad_status.value)
    with pytest.raises(cloudflare.BadRequestError) as bad_date:
        client.workflows.instances.list(WF, account_id=ACCOUNT, date_start="yesterday")
    assert "date_start" in str(bad_date.value)


def test_versions(client: Cloudflare, server: DevServer) -> None:
    created = client.workflows.instances.create(WF, account_id=ACCOUNT, instance_id="v")
    versions = client.workflows.versions.list(WF, account_id=ACCOUNT).result
    assert [v.id for v in versions] == [created.version_id]
    version = client.workflows.versions.get(
        created.version_id, account_id=ACCOUNT, workflow_name=WF
    )
    assert version.class_name == "Approval" and version.language == "python"
    assert version.workflow_id == created.workflow_id
    assert isinstance(version.created_on, datetime)
    graph = client.workflows.versions.graph(
        created.version_id, account_id=ACCOUNT, workflow_name=WF
    )
    assert graph.id == created.version_id and graph.graph is None  # has_dag is false
    with pytest.raises(cloudflare.NotFoundError) as missing:
        client.workflows.versions.get("no-such-version", account_id=ACCOUNT, workflow_name=WF)
    assert "workflows.api.error.version.not_found" in str(missing.value)


def test_update_confirms_the_config(client: Cloudflare, server: DevServer) -> None:
    same = client.workflows.update(
        WF, account_id=ACCOUNT, class_name="Approval", script_name="approvals"
    )
    assert same.name == WF and same.version_id and same.is_deleted == 0
    with pytest.raises(cloudflare.BadRequestError) as other_class:
        client.workflows.update(WF, account_id=ACCOUNT, class_name="Other", script_name="approvals")
    assert "class_name" in str(other_class.value) and "'Approval'" in str(other_class.value)
    with pytest.raises(cloudflare.BadRequestError) as undeclared:
        client.workflows.update(
            "brand-new", account_id=ACCOUNT, class_name="New", script_name="approvals"
        )
    assert "wrangler config" in str(undeclared.value)


def test_delete_removes_the_instances(client: Cloudflare, server: DevServer) -> None:
    _create(client, "gone")
    deleted = client.workflows.delete(WF, account_id=ACCOUNT)
    assert deleted.status == "ok"
    assert client.workflows.instances.list(WF, account_id=ACCOUNT).result == []
    with pytest.raises(cloudflare.NotFoundError):
        client.workflows.instances.get("gone", account_id=ACCOUNT, workflow_name=WF)


def test_one_steps_full_output(client: Cloudflare, server: DevServer) -> None:
    _create(client, "stepped", what="a pen")
    server.wait_status(WF, "stepped", "waiting")
    step = client.workflows.instances.step(
        "stepped", account_id=ACCOUNT, workflow_name=WF, name="request-1", type="step"
    )
    assert (step.status, step.output, step.error) == ("complete", {"request": "a pen"}, None)
    first = client.workflows.instances.step(
        "stepped", account_id=ACCOUNT, workflow_name=WF, name="request-1", type="step", attempt=1
    )
    assert first.status == "complete"
    waiting = client.workflows.instances.step(
        "stepped",
        account_id=ACCOUNT,
        workflow_name=WF,
        name="wait for approval-1",
        type="waitForEvent",
    )
    assert (waiting.status, waiting.event_type, waiting.output) == ("waiting", "approval", None)
    with pytest.raises(cloudflare.NotFoundError) as missing:
        client.workflows.instances.step(
            "stepped", account_id=ACCOUNT, workflow_name=WF, name="request", type="step"
        )
    assert "workflows.api.error.step.not_found" in str(missing.value)
    with pytest.raises(cloudflare.NotFoundError):
        client.workflows.instances.step(
            "stepped",
            account_id=ACCOUNT,
            workflow_name=WF,
            name="request-1",
            type="step",
            attempt=2,
        )


async def test_the_async_client(server: DevServer) -> None:
    async with cloudflare.AsyncCloudflare(
        base_url=f"http://127.0.0.1:{server.port}/client/v4", api_token="x", max_retries=0
    ) as client:
        made = await client.workflows.instances.bulk(
            WF, account_id=ACCOUNT, body=[{"instance_id": f"async-{i}"} for i in range(3)]
        )
        assert [m.id async for m in made] == ["async-0", "async-1", "async-2"]
        listed = [
            i.id async for i in client.workflows.instances.list(WF, account_id=ACCOUNT, per_page=2)
        ]
        assert listed == ["async-2", "async-1", "async-0"]
        paused = await client.workflows.instances.status.edit(
            "async-1", account_id=ACCOUNT, workflow_name=WF, status="pause"
        )
        assert paused.status in ("paused", "waitingForPause")
        with pytest.raises(cloudflare.NotFoundError):
            await client.workflows.instances.get("ghost", account_id=ACCOUNT, workflow_name=WF)
